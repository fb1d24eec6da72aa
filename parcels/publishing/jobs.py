"""Background exports: a queue in PostgreSQL, run by `manage.py export_worker`.

The queue is the `ExportJob` table and nothing else: `enqueue` inserts a row (and
notifies listening workers), `run_next` takes the oldest queued row with SELECT ...
FOR UPDATE SKIP LOCKED in a short transaction, so any number of workers share the
queue without ever taking the same job, and runs the export outside that transaction.
A worker that dies leaves its job "running"; after LANDINFO_EXPORT_JOB_TIMEOUT seconds
the next `run_next` queues it again. Files live in MEDIA_ROOT/exports/<job id>/ and are
deleted after LANDINFO_EXPORT_RETENTION_DAYS days; the row stays as the record of who
exported what.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone

from landinfo.replicas import replica_reads
from parcels.models import ExportJob
from parcels.publishing import exports
from parcels.publishing.layers import InvalidLayerRequest, Layer, get_layer

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "landinfo_exports"
# The query parameters a job keeps (those export_params reads); anything else in the
# request (the layer, the format, a CSRF token) is not a parameter of the export.
PARAM_KEYS: tuple[str, ...] = exports.PARAMETERS
# At most one progress write per this many seconds: a job of millions of features
# would otherwise write its row thousands of times.
PROGRESS_INTERVAL = 2.0

# The permissions of those who oversee what leaves the register and may read any job,
# not only their own. The app that defines such a role adds its permission
# (`oversee_jobs`): registrars are declared with the deeds they correct.
OVERSEER_PERMISSIONS: set[str] = set()


def oversee_jobs(permission: str) -> None:
    """Let the holders of `permission` ("app_label.codename") read every export job."""
    OVERSEER_PERMISSIONS.add(permission)


def may_oversee(user: User | AnonymousUser) -> bool:
    """Return whether `user` may read export jobs that others asked for."""
    return any(user.has_perm(permission) for permission in sorted(OVERSEER_PERMISSIONS))


def exports_root() -> Path:
    """Return MEDIA_ROOT/exports, where every job has its own folder."""
    return Path(settings.MEDIA_ROOT) / "exports"


def job_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LANDINFO.get("EXPORT_JOB_TIMEOUT", 3600))


def retention() -> dt.timedelta:
    return dt.timedelta(days=settings.LANDINFO.get("EXPORT_RETENTION_DAYS", 7))


def clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Return the export's own parameters from `params` (a QueryDict or a dict), non-empty."""
    cleaned: dict[str, str] = {}
    for key in PARAM_KEYS:
        value = params.get(key)
        if value is not None and str(value).strip() != "":
            cleaned[key] = str(value).strip()
    return cleaned


def validate(
    layer: str, fmt: str, params: Mapping[str, str]
) -> tuple[Layer, exports.Format, exports.ExportParams]:
    """Return the layer, format and parsed parameters; raise InvalidLayerRequest if bad.

    The layer's query is built too, so that what only the layer or the format can refuse
    (the changes layer without a period, KML outside WGS84) is refused here, before a
    job exists, and not by a worker later.
    """
    found = get_layer(layer)
    chosen = exports.get_format(fmt)
    parsed = exports.export_params(params)
    parsed.query(found)
    if chosen.only_srid is not None and parsed.srid != chosen.only_srid:
        raise InvalidLayerRequest(
            f"{chosen.title} is always in EPSG:{chosen.only_srid} (WGS84 longitude/latitude); "
            f"choose that CRS, or another format for EPSG:{parsed.srid}."
        )
    return found, chosen, parsed


def enqueue(user: User, layer: str, fmt: str, params: Mapping[str, Any]) -> ExportJob:
    """Queue an export of `layer` as `fmt` for `user`; a bad request raises and queues nothing."""
    cleaned = clean_params(params)
    validate(layer, fmt, cleaned)
    job = ExportJob.objects.create(requested_by=user, layer=layer, format=fmt, params=cleaned)
    # Sent at commit (immediately in autocommit): a listening worker wakes at once.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(job.pk)])
    return job


def requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Queue again the jobs running for longer than the timeout (their worker died)."""
    now = now or timezone.now()
    stale = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, started_at__lt=now - job_timeout()
    )
    count = stale.update(status=ExportJob.Status.QUEUED, progress=0, started_at=None)
    if count:
        logger.warning("Queued again %d export job(s) whose worker stopped answering.", count)
    return count


def claim_next() -> ExportJob | None:
    """Take the oldest queued job and mark it running, in one short transaction."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(status=ExportJob.Status.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if job is None:
            return None
        job.status = ExportJob.Status.RUNNING
        job.started_at = timezone.now()
        job.progress = 0
        job.error = ""
        job.save(update_fields=["status", "started_at", "progress", "error"])
    return job


def run_next() -> ExportJob | None:
    """Run the oldest queued export to its end and return its job; None when none is queued."""
    requeue_stale()
    job = claim_next()
    if job is None:
        return None
    run(job)
    job.refresh_from_db()
    return job


def _ours(job: ExportJob) -> Any:
    """Return the job's row while this attempt still holds it (not re-queued meanwhile)."""
    return ExportJob.objects.filter(
        pk=job.pk, status=ExportJob.Status.RUNNING, started_at=job.started_at
    )


class Overtaken(Exception):
    """The job was queued again (its attempt outlived the timeout) and taken by another."""


def run(job: ExportJob) -> None:
    """Write `job`'s export into MEDIA_ROOT/exports/<id>/ and record how it ended.

    The file is written into a private folder of this attempt and moved beside it when
    complete, so a download never sees half a file and an attempt that a re-queued
    one overtook cannot spoil it.
    """
    folder = exports_root() / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    attempt = Path(tempfile.mkdtemp(dir=folder, prefix=".run-"))
    last_write = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        if time.monotonic() - last_write < PROGRESS_INTERVAL or not total:
            return
        last_write = time.monotonic()
        # 100 is for "done": the file is not ready until the row says so.
        _ours(job).update(progress=max(0, min(99, done * 100 // total)))

    try:
        _layer, _format, parsed = validate(job.layer, job.format, job.params)
        # The export only reads: a healthy replica may serve it (the job's rows stay on the
        # primary, written by `_ours`).
        with replica_reads():
            result = exports.export(job.layer, job.format, attempt, parsed, progress=progress)
        if not _ours(job).exists():
            raise Overtaken
        final = folder / result.filename
        Path(result.path).replace(final)
        updated = _ours(job).update(
            status=ExportJob.Status.DONE,
            progress=100,
            features=result.features,
            bytes=result.bytes,
            file=f"{job.pk}/{result.filename}",
            finished_at=timezone.now(),
        )
        if not updated:
            logger.warning("Export job %s was taken over while it ran; result dropped.", job.pk)
    except Overtaken:
        logger.warning("Export job %s was taken over while it ran; result dropped.", job.pk)
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped: give the job back rather than wait for the timeout.
        _ours(job).update(status=ExportJob.Status.QUEUED, progress=0, started_at=None)
        raise
    except Exception as error:
        logger.exception("Export job %s failed.", job.pk)
        message = str(error) if isinstance(error, InvalidLayerRequest) else repr(error)
        _ours(job).update(
            status=ExportJob.Status.FAILED,
            error=message[:2000],
            file="",
            finished_at=timezone.now(),
        )
        _remove_output(job)
    finally:
        shutil.rmtree(attempt, ignore_errors=True)


def _remove_output(job: ExportJob) -> None:
    """Delete the job's folder unless a finished file of another attempt is in it."""
    job.refresh_from_db(fields=["status", "file"])
    if job.status != ExportJob.Status.DONE:
        shutil.rmtree(exports_root() / str(job.pk), ignore_errors=True)


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs older than the retention period; keep their rows."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(created_at__lt=now - retention()).exclude(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    )
    count = 0
    for pk in expired.exclude(file="").values_list("pk", flat=True).iterator():
        shutil.rmtree(exports_root() / str(pk), ignore_errors=True)
        count += ExportJob.objects.filter(pk=pk).update(file="")
    return count


def file_path(job: ExportJob) -> Path | None:
    """Return the job's file on disk, or None when it has none (not done, or expired)."""
    if job.status != ExportJob.Status.DONE or not job.file:
        return None
    root = exports_root().resolve()
    path = (root / job.file).resolve()
    # The name came from our own writer; still, never serve outside the exports folder.
    if root not in path.parents or not path.is_file():
        return None
    return path
