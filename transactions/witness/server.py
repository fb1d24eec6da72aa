"""The witness over HTTP: `POST /add-checkpoint`, on the standard library's threaded server.

No framework and no database: the witness is meant to run apart from the register,
on another machine or container, and to hold nothing but its key and state file.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from transactions.witness.protocol import MAX_BODY, TEXT_TYPE, Refusal, Witness

logger = logging.getLogger("landinfo.witness")
PATH = "/add-checkpoint"


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as the spec asks of witnesses: every answer carries its length.
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending does not hold a thread for ever
    witness: Witness

    def do_POST(self) -> None:
        if self.path != PATH:
            self._answer(404, f"Only POST {PATH} is served here.\n")
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdecimal() or not length.isascii():
            self._answer(411, "A request states its Content-Length.\n", close=True)
            return
        if int(length) > MAX_BODY:
            self._answer(413, f"A request body is at most {MAX_BODY} bytes.\n", close=True)
            return
        body = self.rfile.read(int(length))
        try:
            cosignatures = self.witness.add_checkpoint(body)
        except Refusal as refusal:
            self._answer(refusal.status, refusal.body, refusal.content_type)
            return
        except Exception:  # e.g. a state file gone or a full disk: nothing was cosigned
            logger.exception("add-checkpoint failed")
            self._answer(500, "The witness failed; its operator can read why in its log.\n")
            return
        self._answer(200, cosignatures)

    def do_GET(self) -> None:
        self._answer(405 if self.path == PATH else 404, f"Only POST {PATH} is served here.\n")

    def _answer(
        self, status: int, body: str, content_type: str = TEXT_TYPE, close: bool = False
    ) -> None:
        data = body.encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if close:  # the unread body would be taken for the next request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        logger.info("%s " + format, self.address_string(), *args)


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """Return an HTTP server of `witness` bound to host:port (port 0: any free port)."""
    handler = type("WitnessHandler", (_Handler,), {"witness": witness})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
