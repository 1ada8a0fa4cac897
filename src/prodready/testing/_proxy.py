"""A TCP proxy that can cut a real connection, for outage tests against real servers.

Written here rather than taken from a library: the kept fault-injection proxies (toxiproxy)
are separate server binaries, and tests only need "down" and "up" on one loopback port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``; :meth:`down` cuts every connection.

    While down, new connections are accepted and closed at once, so clients fail fast the
    way they do when a database restarts.

    >>> with TcpProxy(("127.0.0.1", 5432)) as proxy:
    ...     url = f"postgresql://postgres@127.0.0.1:{proxy.port}/test"
    ...     proxy.down(); proxy.up()
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._closed = False
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def is_up(self) -> bool:
        """Whether traffic flows."""
        return self._up.is_set()

    def down(self) -> None:
        """Cut every open connection and refuse new ones until :meth:`up`."""
        self._up.clear()
        self._drop_all()

    def up(self) -> None:
        """Let traffic flow again."""
        self._up.set()

    def close(self) -> None:
        """Stop the proxy."""
        self._closed = True
        self._up.clear()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while self._up.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
