"""Where the golden cases live, and who they are attributed to."""

from __future__ import annotations

from pathlib import Path
from typing import Final

CASES_FILE: Final = Path(__file__).parent / "cases.jsonl"
"""The built cases, shipped with the package."""
ADDED_BY: Final = "northwind authors"
