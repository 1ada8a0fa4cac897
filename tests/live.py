"""A real server and a real browser for the tests (server, dashboard, reports) and the
dashboard's screenshots."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any, Final

import uvicorn

from prodready.server.app import create_app
from prodready.store import Store

CHROMIUM: Final = os.environ.get("PRODREADY_CHROMIUM", "/usr/bin/chromium")  # Debian's
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not at {CHROMIUM} (.ci/browser installs it)"
    return None


class LiveServer:
    """``create_app(store)`` under uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, store: Store, **app_options: Any) -> None:
        self.store = store
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.app = create_app(store, **app_options)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


class Watched:
    """A page with every console message, page error and dialog it raised."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)
        page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        # A request the browser itself cancels because the page moved on (the favicon of a
        # page left at once) is not a failure of the server.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"requestfailed: {request.url} ({request.failure})")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        if dialog.type == "confirm":  # the dashboard's own "Delete this view?" asks
            dialog.accept()
            return
        self.problems.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    def goto(self, path: str) -> None:
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.status == 200, path
        self.page.wait_for_load_state("load")

    def clean(self) -> None:
        pwned = self.page.evaluate("() => window.__pwned === undefined")
        assert pwned, "a payload executed"
        assert self.problems == []
        assert self.server.app.state.csp_reports == []
