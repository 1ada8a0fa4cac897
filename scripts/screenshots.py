"""Refresh docs/screenshots/: one PNG per dashboard page, over the tests' seeded store.

Run by ``make screenshots`` (Debian's Chromium, driven by Playwright; nothing downloaded).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dashboard.seed import seed_all  # noqa: E402
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, browser_missing  # noqa: E402

from prodready.store import Store  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    reason = browser_missing()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/prodready.db")
        pages = seed_all(store)
        with LiveServer(store) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for name, path in pages.items():
                page.goto(server.url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print(f"docs/screenshots/{name}.png  <- {path}")
            browser.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
