"""The planner's pages (parcels/publishing/planner.py): who may use them, and an export from form to file."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
from django.test import Client

from landinfo.srid import STORAGE_SRID
from parcels.models import ExportJob
from parcels.publishing import jobs
from tests.factories import ParcelFactory, user_with_role


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def small_sync_limit(settings, limit: int) -> None:
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_SYNC_MAX_FEATURES": limit}


def test_the_planner_page_sends_an_anonymous_visitor_to_sign_in(client, db):
    response = client.get("/planner/")
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/accounts/login/?next=/planner/")


def test_the_planner_page_is_refused_to_a_notary(db):
    response = client_for(user_with_role("notary")).get("/planner/")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["planner", "registrar"])
def test_the_planner_page_lists_layers_formats_and_crs(db, role):
    response = client_for(user_with_role(role)).get("/planner/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ('value="parcels"', 'value="changes"', 'value="gpkg"', 'value="kml"'):
        assert text in html
    assert 'id="planner-map"' in html and "planner.js" in html
    assert f'<option value="{STORAGE_SRID}" selected>' in html  # the register's CRS first
    assert 'value="4326"' in html and 'value="3857"' in html and 'value="other"' in html
    assert "identifier" in html  # the parcels layer's attributes
    assert 'href="/planner/"' in html  # the header link


def test_the_header_has_no_planner_link_for_a_notary(db):
    html = client_for(user_with_role("notary")).get("/accounts/token/").content.decode()
    assert 'href="/planner/"' not in html


@pytest.mark.django_db(transaction=True)
def test_a_small_export_is_sent_to_the_direct_download(settings):
    small_sync_limit(settings, 10)
    ParcelFactory()
    response = client_for(user_with_role("planner")).post(
        "/planner/",
        {"layer": "parcels", "format": "gpkg", "srs": "other", "srs_other": "EPSG:3405"},
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/exports/parcels.gpkg"
    assert parse_qs(location.query) == {"srs": ["3405"]}
    assert not ExportJob.objects.exists()


def test_a_bad_submission_shows_the_reason_and_queues_nothing(db):
    response = client_for(user_with_role("planner")).post(
        "/planner/", {"layer": "parcels", "format": "gpkg", "bbox": "105,21,104,22"}
    )
    assert response.status_code == 400
    assert "minimum below its maximum" in response.content.decode()
    assert not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_large_export_becomes_a_job_whose_file_its_planner_downloads(settings, media):
    small_sync_limit(settings, 2)
    for n in range(5):
        ParcelFactory(cell=(n, 0))
    planner = user_with_role("planner")
    client = client_for(planner)

    response = client.post(
        "/planner/",
        {
            "layer": "parcels",
            "format": "gpkg",
            "srs": str(STORAGE_SRID),
            "as_of": "",
            "start": "2020-01-01",  # the period belongs to the changes layer only: dropped
        },
    )

    job = ExportJob.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"http://testserver/planner/exports/{job.pk}/"
    )
    assert (job.requested_by, job.layer, job.format) == (planner, "parcels", "gpkg")
    assert job.params == {"srs": str(STORAGE_SRID)}
    page = client.get(f"/planner/exports/{job.pk}/").content.decode()
    assert "data-job-status" in page and 'data-status="queued"' in page
    assert client.get(f"/planner/exports/{job.pk}.json").json()["download"] is None

    assert jobs.run_next().status == ExportJob.Status.DONE

    status = client.get(f"/planner/exports/{job.pk}.json").json()
    assert (status["status"], status["progress"], status["features"]) == ("done", 100, 5)
    assert status["download"] == f"/planner/exports/{job.pk}/download"
    download = client.get(status["download"])
    assert download.status_code == 200
    assert 'filename="parcels.gpkg"' in download["Content-Disposition"]
    saved = media / "downloaded.gpkg"
    saved.write_bytes(b"".join(download.streaming_content))
    frame = pyogrio.read_dataframe(saved)
    assert len(frame) == 5
    assert frame.crs.to_epsg() == STORAGE_SRID
    listing = client.get("/planner/exports/").content.decode()
    assert f'href="/planner/exports/{job.pk}/download"' in listing


@pytest.fixture
def finished_job(db, media):
    owner = user_with_role("planner")
    job = ExportJob.objects.create(
        requested_by=owner, layer="admin_units", format="gpkg", status="done"
    )
    folder = media / "exports" / str(job.pk)
    folder.mkdir(parents=True)
    (folder / "admin_units.gpkg").write_bytes(b"GPKG")
    ExportJob.objects.filter(pk=job.pk).update(file=f"{job.pk}/admin_units.gpkg", bytes=4)
    job.refresh_from_db()
    return job


def test_the_owner_downloads_the_file(finished_job):
    response = client_for(finished_job.requested_by).get(
        f"/planner/exports/{finished_job.pk}/download"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"GPKG"


def test_a_registrar_downloads_any_planners_file(finished_job):
    response = client_for(user_with_role("registrar")).get(
        f"/planner/exports/{finished_job.pk}/download"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("suffix", ["/download", "/", ".json"])
def test_another_planner_cannot_see_or_download_a_job(finished_job, suffix):
    other = client_for(user_with_role("planner"))
    assert other.get(f"/planner/exports/{finished_job.pk}{suffix}").status_code == 403


def test_an_anonymous_download_is_sent_to_sign_in(client, finished_job):
    response = client.get(f"/planner/exports/{finished_job.pk}/download")
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/accounts/login/")


def test_an_expired_file_is_not_found(finished_job):
    ExportJob.objects.filter(pk=finished_job.pk).update(file="")
    response = client_for(finished_job.requested_by).get(
        f"/planner/exports/{finished_job.pk}/download"
    )
    assert response.status_code == 404


def test_the_job_list_shows_only_the_planners_own_jobs(finished_job):
    other = user_with_role("planner")
    mine = ExportJob.objects.create(requested_by=other, layer="zoning", format="csv")
    html = client_for(other).get("/planner/exports/").content.decode()
    assert f'href="/planner/exports/{mine.pk}/"' in html
    assert f'href="/planner/exports/{finished_job.pk}/"' not in html


def test_the_new_job_page_shows_the_parameters_and_queues_on_post(db):
    client = client_for(user_with_role("planner"))
    query = "layer=parcels&format=fgb&srs=4326&as_of=2020-01-01"
    page = client.get(f"/planner/exports/new?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2020-01-01" in html and "FlatGeobuf" in html
    assert 'name="as_of" value="2020-01-01"' in html and "csrfmiddlewaretoken" in html
    assert not ExportJob.objects.exists()

    response = client.post(
        "/planner/exports/new",
        {"layer": "parcels", "format": "fgb", "srs": "4326", "as_of": "2020-01-01"},
    )
    job = ExportJob.objects.get()
    assert response["Location"] == f"http://testserver/planner/exports/{job.pk}/"
    assert job.params == {"srs": "4326", "as_of": "2020-01-01"}


def test_the_new_job_page_refuses_a_bad_request_with_its_reason(db):
    client = client_for(user_with_role("planner"))
    page = client.get("/planner/exports/new?layer=parcels&format=gpkg&as_of=2020-02-30")
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.content.decode()
    client.post("/planner/exports/new", {"layer": "parcels", "format": "gpkg", "as_of": "x"})
    assert not ExportJob.objects.exists()


def test_the_new_job_page_is_refused_to_a_notary(db):
    response = client_for(user_with_role("notary")).get(
        "/planner/exports/new?layer=parcels&format=gpkg"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("language", "day"), [("vi", "01/02/2020"), ("ko", "2020. 2. 1."), ("en", "2020-02-01")]
)
def test_the_job_pages_write_days_and_times_as_the_certificate_does(db, settings, language, day):
    from zoneinfo import ZoneInfo

    planner = user_with_role("planner")
    job = ExportJob.objects.create(
        requested_by=planner, layer="parcels", format="gpkg", params={"as_of": "2020-02-01"}
    )
    client = client_for(planner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    detail = client.get(f"/planner/exports/{job.pk}/").content.decode()
    listing = client.get("/planner/exports/").content.decode()
    new = client.get("/planner/exports/new?layer=parcels&format=gpkg&as_of=2020-02-01")
    local = job.created_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    written = {
        "vi": f"{local:%d/%m/%Y}",
        "ko": f"{local.year}. {local.month}. {local.day}.",
        "en": f"{local:%Y-%m-%d}",
    }[language]
    offset = f"{local:%z}"
    asked = f"{written} {local:%H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {settings.TIME_ZONE})"
    assert f"<dd>{day}</dd>" in detail and f"<dd>{day}</dd>" in new.content.decode()
    assert asked in detail and asked in listing
