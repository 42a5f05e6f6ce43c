"""A real SMTP server on a local port, for recreating mail-server faults.

Just enough of RFC 5321 for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), with the faults a clinic's mail relay shows: replies chosen per
command, and a "250" that comes only ``answer_after`` seconds after the
message was taken, which is when ``on_message`` runs. A message counts as
delivered once its final "." arrived, as it would in a real relay's queue.
"""

import socketserver
import threading
import time
from collections.abc import Callable


class SMTPServer:
    def __init__(
        self,
        *,
        answer_after: float = 0.0,
        on_message: Callable[[], None] | None = None,
        replies: dict[str, str] | None = None,
    ):
        self.messages: list[bytes] = []
        self.answer_after = answer_after
        self.on_message = on_message
        # e.g. {"MAIL": "451 4.3.0 try later", "DATA": "554 5.7.1 no"}
        self.replies = replies or {}
        self._handlers_done = threading.Semaphore(0)
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_idle(self, timeout: float) -> None:
        """Wait until a conversation ended (its late answer written or refused)."""
        assert self._handlers_done.acquire(timeout=timeout), "SMTP conversation did not end"

    def _handler(self):
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                try:
                    self.converse()
                except OSError:
                    pass  # the client hung up: a real server just drops it
                finally:
                    server._handlers_done.release()

            def say(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def converse(self):
                self.say("220 mail.test ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ")[0].upper()
                    if verb == "QUIT":
                        self.say("221 bye")
                        return
                    if verb in server.replies:
                        self.say(server.replies[verb])
                    elif verb == "DATA":
                        self.say("354 go ahead")
                        self.take_message()
                    else:
                        self.say("250 mail.test" if verb in ("EHLO", "HELO") else "250 ok")

            def take_message(self):
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line)
                server.messages.append(b"".join(lines))
                if server.on_message:
                    server.on_message()
                time.sleep(server.answer_after)
                self.say("250 2.0.0 queued")

        return Handler
