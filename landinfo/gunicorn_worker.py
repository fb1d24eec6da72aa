"""gunicorn's threaded worker, reading nothing more for a while from a client refused 429.

A client that ignores Retry-After and asks again at once on its open connections is
refused again, each time for a fraction of a millisecond, but as fast as it can ask: a
flood of refusals then takes the cores, and everyone else's requests wait behind it.
A refused client's connection is therefore held for Retry-After before the worker reads
its next request (`landinfo.security.hold_connection`): no thread waits, the connection
just sits in no poller, and a client of 30 connections is answered at most 30 times a
second. A client that honours Retry-After never notices.

Written against gunicorn 27's gthread worker (pyproject.toml pins it); tests/landinfo/
test_serving.py floods a server running it.
"""

from __future__ import annotations

import selectors
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from landinfo.security import take_connection_hold


class HoldingThreadWorker(ThreadWorker):
    """The gthread worker, holding the keep-alive connection of a refused client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[tuple[float, Any]] = deque()  # (until, connection), oldest first

    def handle(self, conn: Any) -> Any:
        """Handle the request (in a pool thread); note a hold the application asked for."""
        take_connection_hold()  # none left over from this thread's last request
        result = super().handle(conn)
        conn.landinfo_hold_until = take_connection_hold()
        return result

    def finish_request(self, conn: Any, fs: Any) -> None:
        """Keep a refused client's connection out of the poller until its hold ends."""
        until = getattr(conn, "landinfo_hold_until", None)
        conn.landinfo_hold_until = None
        if (
            until is not None
            and self.alive
            and not fs.cancelled()
            and fs.exception() is None
            and fs.result() is True  # kept alive
            and not conn.parser.unreader.buf.getvalue()  # no request read ahead
        ):
            self._held.append((until, conn))
            return
        super().finish_request(conn, fs)

    def murder_keepalived(self, force: bool = False) -> None:
        """Give held connections back to the poller when their hold ends; then gunicorn's."""
        now = time.monotonic()
        while self._held and (force or self._held[0][0] <= now):
            _, conn = self._held.popleft()
            if force:
                self.nr_conns -= 1
                conn.close()
                continue
            conn.sock.setblocking(False)
            conn.set_timeout()
            self.keepalived_conns.append(conn)
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
            )
        super().murder_keepalived(force)
