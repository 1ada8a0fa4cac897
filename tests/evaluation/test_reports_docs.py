"""The trace links docs/reports.md shows resolve against the real ``prodready serve`` app."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from prodready.server import create_app
from prodready.store import Store
from tests.cli.factories import T1, support_trace
from tests.evaluation.test_reports import TRACE_URL

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

DOCS = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
TEMPLATE = re.search(r'trace_url="([^"]+)"', DOCS)[1]  # type: ignore[index]


def test_the_documented_trace_link_opens_a_stored_trace_on_the_server() -> None:
    with Store("sqlite://") as store, TestClient(create_app(store)) as client:
        store.write_spans(support_trace(T1, 1_700_000_000_000_000_000))
        url = urlsplit(TEMPLATE.format(trace_id=T1))
        assert (url.hostname, url.port) == ("localhost", 4318)  # where `prodready serve` listens
        response = client.get(url.path)
    assert response.status_code == 200 and response.json()["summary"]["trace_id"] == T1


def test_every_trace_link_on_the_page_uses_the_documented_template() -> None:
    prefix = TEMPLATE.split("{trace_id}")[0]
    links = re.findall(r"http://localhost:4318/[^\s>)<]*", DOCS)
    assert len(links) >= 4 and all(link.startswith(prefix) for link in links)
    assert TRACE_URL == TEMPLATE  # the Markdown sample test renders with this template
