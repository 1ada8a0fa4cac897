"""The daemon thread the server's monitoring work runs in (the alert loop, online scoring)."""

from __future__ import annotations

import threading
from typing import ClassVar, Self


class Background:
    """Runs :meth:`_run` in a daemon thread from :meth:`start` (once) until :meth:`stop`.

    ``_run`` returns once ``self._stop`` is set; :meth:`stop` sets it and waits for the thread
    to finish its current piece of work.
    """

    thread_name: ClassVar[str] = "prodready-monitoring"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current piece of work, waiting at most ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
