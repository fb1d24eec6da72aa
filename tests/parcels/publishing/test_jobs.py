"""The export queue (parcels/publishing/jobs.py): one job per worker, progress, failure, staleness, expiry."""

import datetime as dt
import threading
import time
from pathlib import Path

import pyogrio
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from parcels.models import ExportJob
from parcels.publishing import exports, jobs
from parcels.publishing.layers import InvalidLayerRequest
from tests.factories import ParcelFactory, user_with_role


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_enqueue_keeps_the_parameters_and_queues_the_job(planner):
    job = jobs.enqueue(planner, "parcels", "gpkg", {"as_of": "2020-01-01", "zoning": ""})
    assert job.status == ExportJob.Status.QUEUED
    assert job.params == {"as_of": "2020-01-01"}  # empty values are not parameters
    assert job.requested_by == planner


@pytest.mark.parametrize(
    ("layer", "fmt", "params"),
    [
        ("nowhere", "gpkg", {}),
        ("parcels", "dwg", {}),
        ("parcels", "gpkg", {"as_of": "yesterday"}),
        ("parcels", "gpkg", {"bbox": "1,2,3"}),
        ("parcels", "gpkg", {"srs": "EPSG:999999"}),
        ("changes", "gpkg", {}),  # the changes layer needs a period
        ("parcels", "kml", {"srs": "3857"}),  # KML is WGS84 only
    ],
)
def test_a_bad_request_never_becomes_a_job(planner, layer, fmt, params):
    with pytest.raises(InvalidLayerRequest):
        jobs.enqueue(planner, layer, fmt, params)
    assert not ExportJob.objects.exists()


def test_run_next_without_queued_jobs_returns_none(db):
    assert jobs.run_next() is None


@pytest.mark.django_db(transaction=True)
def test_run_next_takes_the_oldest_job_and_writes_its_file(media):
    planner = user_with_role("planner")
    for n in range(3):
        ParcelFactory(cell=(n, 0))
    first = jobs.enqueue(planner, "parcels", "gpkg", {})
    second = jobs.enqueue(planner, "parcels", "geojson", {"srs": "4326"})

    done = jobs.run_next()

    assert done is not None and done.pk == first.pk
    assert done.status == ExportJob.Status.DONE
    assert (done.progress, done.features) == (100, 3)
    assert done.started_at and done.finished_at and done.started_at <= done.finished_at
    path = media / "exports" / done.file
    assert path.is_file() and path.stat().st_size == done.bytes
    assert path.parent == media / "exports" / str(done.pk)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no leftovers
    assert len(pyogrio.read_dataframe(path)) == 3
    second.refresh_from_db()
    assert second.status == ExportJob.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_take_the_same_job():
    planner = user_with_role("planner")
    queued = {jobs.enqueue(planner, "admin_units", "gpkg", {}).pk for _ in range(12)}
    taken: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    start = threading.Barrier(len(taken))
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            while (job := jobs.claim_next()) is not None:
                taken[name].append(job.pk)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    every = [pk for claimed in taken.values() for pk in claimed]
    assert sorted(every) == sorted(queued)  # each job taken once, none lost
    assert set(ExportJob.objects.values_list("status", flat=True)) == {"running"}


@pytest.mark.django_db(transaction=True)
def test_a_job_locked_by_another_worker_is_skipped_not_waited_for():
    planner = user_with_role("planner")
    first = jobs.enqueue(planner, "admin_units", "gpkg", {})
    second = jobs.enqueue(planner, "admin_units", "gpkg", {})
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                ExportJob.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        claimed = jobs.claim_next()
        assert claimed is not None and claimed.pk == second.pk
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_while_the_export_runs(monkeypatch, media):
    planner = user_with_role("planner")
    job = jobs.enqueue(planner, "admin_units", "gpkg", {})
    seen: list[int] = []
    real_export = exports.export

    def export(layer, fmt, directory, params, *, progress=None, total=None):
        progress(0, 200)
        progress(100, 200)
        seen.append(ExportJob.objects.get(pk=job.pk).progress)
        return real_export(layer, fmt, directory, params)

    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(exports, "export", export)
    done = jobs.run_next()
    assert seen == [50]
    assert done.status == ExportJob.Status.DONE and done.progress == 100


def test_progress_writes_are_throttled(db, monkeypatch):
    planner = user_with_role("planner")
    job = jobs.enqueue(planner, "admin_units", "gpkg", {})
    writes: list[int] = []

    def export(layer, fmt, directory, params, *, progress=None, total=None):
        for done in range(0, 1000, 10):
            progress(done, 1000)
        writes.append(ExportJob.objects.get(pk=job.pk).progress)
        raise exports.ExportFailed("stop here")

    monkeypatch.setattr(exports, "export", export)
    jobs.run_next()
    assert writes == [0]  # a hundred calls in well under PROGRESS_INTERVAL: no write


@pytest.mark.django_db(transaction=True)
def test_a_failing_export_is_marked_failed_and_leaves_no_file(monkeypatch, media):
    planner = user_with_role("planner")
    job = jobs.enqueue(planner, "admin_units", "gpkg", {})

    def export(layer, fmt, directory, params, *, progress=None, total=None):
        (directory / "half-written.gpkg").write_bytes(b"SQLite format 3\0")
        raise exports.ExportFailed("GDAL could not write admin_units as GeoPackage: disk full")

    monkeypatch.setattr(exports, "export", export)
    failed = jobs.run_next()

    assert failed.status == ExportJob.Status.FAILED
    assert "disk full" in failed.error
    assert failed.file == "" and failed.finished_at is not None
    assert not (media / "exports" / str(job.pk)).exists()
    assert list((media / "exports").iterdir()) == []


def test_a_stale_running_job_is_queued_again(db, monkeypatch, settings):
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_JOB_TIMEOUT": 600}
    planner = user_with_role("planner")
    stale = jobs.enqueue(planner, "admin_units", "gpkg", {})
    recent = jobs.enqueue(planner, "admin_units", "gpkg", {})
    now = timezone.now()
    ExportJob.objects.filter(pk=stale.pk).update(
        status="running", started_at=now - dt.timedelta(seconds=601), progress=40
    )
    ExportJob.objects.filter(pk=recent.pk).update(
        status="running", started_at=now - dt.timedelta(seconds=60)
    )
    ran: list[int] = []
    monkeypatch.setattr(jobs, "run", lambda job: ran.append(job.pk))

    jobs.run_next()

    assert ran == [stale.pk]  # queued again, then taken by this worker
    recent.refresh_from_db()
    assert recent.status == ExportJob.Status.RUNNING  # its worker is still within time


def test_a_result_of_an_attempt_that_was_overtaken_is_dropped(db, monkeypatch, media):
    planner = user_with_role("planner")
    job = jobs.enqueue(planner, "admin_units", "gpkg", {})
    claimed = jobs.claim_next()

    def export(layer, fmt, directory, params, *, progress=None, total=None):
        # Meanwhile the job was declared stale and another worker took it.
        ExportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
        path = directory / "admin_units.gpkg"
        path.write_bytes(b"x")
        return exports.ExportResult(path, path.name, "application/geopackage+sqlite3", 1, 1)

    monkeypatch.setattr(exports, "export", export)
    jobs.run(claimed)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and job.file == ""


def test_expired_files_are_deleted_and_their_jobs_kept(db, media, settings):
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_RETENTION_DAYS": 7}
    planner = user_with_role("planner")
    old = jobs.enqueue(planner, "admin_units", "gpkg", {})
    new = jobs.enqueue(planner, "admin_units", "gpkg", {})
    for job in (old, new):
        folder = media / "exports" / str(job.pk)
        folder.mkdir(parents=True)
        (folder / "admin_units.gpkg").write_bytes(b"x")
        ExportJob.objects.filter(pk=job.pk).update(
            status="done", file=f"{job.pk}/admin_units.gpkg", finished_at=timezone.now()
        )
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))

    assert jobs.purge_expired() == 1

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.file == "" and old.status == ExportJob.Status.DONE
    assert not (media / "exports" / str(old.pk)).exists()
    assert jobs.file_path(old) is None
    assert jobs.file_path(new) == (media / "exports" / new.file).resolve()


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_once_runs_every_queued_job(media):
    planner = user_with_role("planner")
    ParcelFactory()
    queued = [jobs.enqueue(planner, "parcels", fmt, {}) for fmt in ("gpkg", "csv")]
    call_command("export_worker", "--once", verbosity=0)
    assert [ExportJob.objects.get(pk=job.pk).status for job in queued] == ["done", "done"]


@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_wakes_when_a_job_is_queued():
    from landinfo import listening

    planner = user_with_role("planner")
    assert listening.listen(jobs.NOTIFY_CHANNEL)

    def enqueue_elsewhere() -> None:
        try:
            jobs.enqueue(planner, "admin_units", "gpkg", {})
        finally:
            connection.close()

    timer = threading.Timer(0.3, enqueue_elsewhere)
    started = time.monotonic()
    timer.start()
    listening.wait(30)  # the poll interval; the NOTIFY ends the wait long before
    timer.join()
    assert time.monotonic() - started < 10
    assert ExportJob.objects.filter(status="queued").count() == 1
