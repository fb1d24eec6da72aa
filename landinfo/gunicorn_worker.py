"""gunicorn's threaded worker, fair between clients when nothing buffers in front of it.

One client, one share of the threads. Served directly (`make demo`: no proxy in
front, LANDINFO_TRUSTED_PROXIES = 0), a client's requests are handled by at most half of
a worker's threads at once; its other connections wait their turn, not in a thread.
A client that sends its request a byte at a time (or its body slowly) then holds only
its own share, and everyone else is served by the rest. Behind a proxy every request
comes from the proxy's address, which buffers slow clients itself (docker/nginx.conf),
and the share does not apply.

And reading nothing more for a while from a client refused 429:

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
from collections import Counter, deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from landinfo.security import take_connection_hold


class HoldingThreadWorker(ThreadWorker):
    """The gthread worker, sharing threads between clients and holding refused connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[tuple[float, Any]] = deque()  # (until, connection), oldest first
        self._busy: Counter[str] = Counter()  # client address -> connections in a thread
        self._waiting: dict[str, deque[Any]] = {}  # client address -> connections waiting
        self._share: int | None = None  # threads one client may use; 0: no limit

    def _client_share(self) -> int:
        if self._share is None:
            from django.conf import settings  # configured once the application is loaded

            share = settings.LANDINFO["THREADS_PER_CLIENT"]
            if share < 0:  # automatic: half the threads when clients reach us directly
                direct = settings.LANDINFO["TRUSTED_PROXIES"] <= 0
                share = max(1, self.cfg.threads // 2) if direct else 0
            self._share = share
        return self._share

    @staticmethod
    def _client(conn: Any) -> str:
        client = conn.client
        return str(client[0]) if isinstance(client, tuple) and client else ""

    def enqueue_req(self, conn: Any) -> None:
        """Hand the connection to a thread, unless its client already has its share."""
        share = self._client_share()
        client = self._client(conn)
        if share and client:
            if self._busy[client] >= share:
                self._waiting.setdefault(client, deque()).append(conn)
                return
            self._busy[client] += 1
        super().enqueue_req(conn)

    def _done_with(self, conn: Any) -> None:
        """Count the connection's thread as free; give it to the client's next waiting one."""
        client = self._client(conn)
        if not (self._client_share() and client):
            return
        self._busy[client] -= 1
        if self._busy[client] <= 0:
            del self._busy[client]
        waiting = self._waiting.get(client)
        if waiting:
            following = waiting.popleft()
            if not waiting:
                del self._waiting[client]
            self.enqueue_req(following)

    def handle(self, conn: Any) -> Any:
        """Handle the request (in a pool thread); note a hold the application asked for."""
        take_connection_hold()  # none left over from this thread's last request
        result = super().handle(conn)
        conn.landinfo_hold_until = take_connection_hold()
        return result

    def finish_request(self, conn: Any, fs: Any) -> None:
        """Keep a refused client's connection out of the poller until its hold ends."""
        self._done_with(conn)
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
        if force:
            for waiting in self._waiting.values():
                for conn in waiting:
                    self.nr_conns -= 1
                    conn.close()
            self._waiting.clear()
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
