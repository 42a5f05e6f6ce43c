"""A stand-in for Twilio's Messages API on a local port, for the SMS tests.

It speaks the part of the API the portal uses: ``POST
/2010-04-01/Accounts/<sid>/Messages.json`` with a form body, answered 201 and
``{"sid": "SM...", "status": "queued"}``. It records every request it got
(path, headers, form fields) and answers what the test scripted:
``answers`` is a list of ``(status, json body)`` taken one per request (then
201 again), and ``hang_for`` seconds of silence after reading a request makes
a client that stops waiting unsure whether the message went.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, list[str]]
    raw: bytes


class FakeTwilio:
    def __init__(self):
        self.received: list[Received] = []
        self.answers: list[tuple[int, dict]] = []
        self.hang_for = 0.0
        self.created: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, status: int, code: int, message: str = "refused") -> None:
        """The next request gets Twilio's error JSON with this status and code."""
        self.answers.append(
            (status, {"code": code, "message": message, "status": status, "more_info": ""})
        )

    def _next_answer(self) -> tuple[int, dict]:
        with self._lock:
            if self.answers:
                return self.answers.pop(0)
            sid = "SM" + uuid.uuid4().hex
            self.created.append(sid)
            return 201, {"sid": sid, "status": "queued"}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.received.append(
                    Received(
                        method="POST",
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        fields=parse_qs(raw.decode(), keep_blank_values=True),
                        raw=raw,
                    )
                )
                # The request is in: from here on the message counts as taken.
                status, body = server._next_answer()
                if server.hang_for:
                    time.sleep(server.hang_for)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client stopped waiting

            def log_message(self, *args):
                pass

        return Handler
