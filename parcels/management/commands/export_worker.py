"""Run queued exports (parcels.publishing.jobs): the only background process LandInfo needs.

    manage.py export_worker            # forever; woken by NOTIFY, polling as a fallback
    manage.py export_worker --once     # run what is queued now, then stop

Start as many as the database and disks allow: they share the queue through SELECT ...
FOR UPDATE SKIP LOCKED and never take the same job. SIGTERM and Ctrl-C give a running
job back to the queue before the worker stops.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, connection

from landinfo import listening
from parcels.publishing import jobs

# How often an idle worker deletes expired files (seconds).
PURGE_INTERVAL = 3600.0


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Run queued exports of GIS layers (the background jobs of the planner page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run the jobs queued now, then stop."
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=10.0,
            help="Seconds between looks at the queue when no notification came (default 10).",
        )

    def handle(self, *args: Any, once: bool = False, poll: float = 10.0, **options: Any) -> None:
        # docker stop and the Makefile's trap send SIGTERM: stop as Ctrl-C would.
        signal.signal(signal.SIGTERM, _stop)
        jobs.purge_expired()
        if once:
            while (job := jobs.run_next()) is not None:
                self._report(job)
            return
        self.stdout.write(f"Export worker waiting for jobs (poll every {poll:g} s).")
        last_purge = time.monotonic()
        wakeable = False
        while True:
            try:
                if not wakeable:
                    wakeable = listening.listen(jobs.NOTIFY_CHANNEL)
                job = jobs.run_next()
                if job is not None:
                    self._report(job)
                    continue
                if time.monotonic() - last_purge > PURGE_INTERVAL:
                    jobs.purge_expired()
                    last_purge = time.monotonic()
                listening.wait(poll)
            except OperationalError as error:
                # The database restarted or the connection dropped: connect again later.
                self.stderr.write(f"Database unavailable ({error}); retrying in {poll:g} s.")
                connection.close()
                wakeable = False
                time.sleep(poll)
            except KeyboardInterrupt:
                return

    def _report(self, job: Any) -> None:
        if job.status == job.Status.DONE:
            self.stdout.write(
                f"Export #{job.pk} {job.layer}.{job.format}: {job.features} features, "
                f"{job.bytes} bytes."
            )
        else:
            self.stderr.write(
                f"Export #{job.pk} {job.layer}.{job.format} {job.status}: {job.error}"
            )
