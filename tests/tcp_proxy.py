"""A TCP proxy that can be cut, to put a real network fault in front of a server.

It forwards bytes both ways and looks only at where each HTTP request starts
(``PUT /bucket/key HTTP/1.1``). A test arms a rule, e.g. "cut at the first
request after one PUT"; from then on the proxy drops open connections and
refuses new ones (its listening socket is closed) until ``restore()``.
"""

import contextlib
import socket
import threading
from collections.abc import Callable

METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ")


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = _free_port()
        self.requests: list[str] = []  # "PUT /bucket/key", in order seen
        self._cut_when: Callable[[str, list[str]], bool] | None = None
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_when(self, rule: Callable[[str, list[str]], bool]) -> None:
        """Cut as a request starts if ``rule(request_line, requests_before)`` is true."""
        self._cut_when = rule

    def restore(self) -> None:
        self._cut_when = None
        self._cut.clear()
        self._listen()

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def close(self) -> None:
        self._cut_when = None
        self._sever()

    # --- internals ---------------------------------------------------------

    def _listen(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the proxy is cut
            upstream = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and data.startswith(METHODS) and self._cuts_at(data):
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                _close(sock)

    def _cuts_at(self, data: bytes) -> bool:
        line = " ".join(data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2])
        with self._lock:
            rule = self._cut_when
            if self._cut.is_set() or (rule is not None and rule(line, list(self.requests))):
                self._cut.set()
            else:
                self.requests.append(line)
                return False
        self._sever()
        return True

    def _sever(self) -> None:
        """Close the listener (new connections are refused) and every open socket."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)


def _close(sock: socket.socket) -> None:
    # Shutting down wakes a thread blocked in accept() or recv() on it.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
