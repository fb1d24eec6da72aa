"""The notary's pages: sign-in, the deed forms, and what they record and show."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from tests.factories import (
    PASSWORD,
    ParcelFactory,
    PartyFactory,
    current_entry,
    national_id,
    square,
    user_with_role,
)
from transactions.deeds import services
from transactions.models import JournalEntry, Party, PersonalDataAccess, Right

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TRANSFER = reverse("transactions:deed-transfer")


@pytest.fixture(autouse=True)
def english(client):
    """Speak English to the pages, so that the tests read the messages as written."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def registered(notary):
    """Return a parcel held in halves by two persons since 2020."""
    parcel = ParcelFactory(address="Số 12 Phố Huế")
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[
            (services.PartyInput("person", "Nguyễn Văn An", national_id(1)), Fraction(1, 2)),
            (services.PartyInput("person", "Trần Thị Bình", national_id(2)), Fraction(1, 2)),
        ],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    return parcel


def problems(response) -> str:
    """Return the errors a re-shown form states, for assertion messages."""
    page = response.content.decode()
    found = re.findall(r'class="(?:form-errors|field-error)"[^>]*>(.*?)</(?:div|p)>', page, re.S)
    return f"{response.status_code}: " + " | ".join(" ".join(text.split()) for text in found)


def holders_of(parcel, kind="ownership") -> set[tuple[str, str]]:
    return {
        (right.holder.name, f"{right.share_numerator}/{right.share_denominator}")
        for right in Right.objects.filter(
            parcel=parcel, kind=kind, valid_to__isnull=True, voided_by__isnull=True
        ).select_related("holder")
    }


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)" name="{name}"', page
    )
    assert match, f"no {name} in the page"
    return match[1]


def formset(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def transfer_form(client, parcel, **changes: Any) -> dict[str, Any]:
    """Return the POST of the transfer form as loaded now: the whole parcel to a new person."""
    page = client.get(TRANSFER, {"parcel": parcel.pk}).content.decode()
    owners = Right.objects.filter(parcel=parcel, kind="ownership", valid_to__isnull=True)
    data: dict[str, Any] = {
        "parcel": parcel.pk,
        "expected_last_entry": hidden(page, "expected_last_entry"),
        "idempotency_key": hidden(page, "idempotency_key"),
        "effective_date": "2024-03-01",
        "transfer_type": "sale",
        "price": "2500000000",
        "currency": "VND",
        "document": SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf"),
        **formset(
            "recipient",
            [
                {
                    "national_id": national_id(3),
                    "kind": "individual",
                    "name": "Lê Văn Cường",
                    "birth_year": "1985",
                    "address": "Số 3 Phố Huế",
                    "share": "1/1",
                }
            ],
        ),
    }
    for right in owners:
        data[f"transferor_{right.holder_id}"] = "on"
        data[f"transferor_share_{right.holder_id}"] = (
            f"{right.share_numerator}/{right.share_denominator}"
        )
    data.update(changes)
    return data


# --- signing in ------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client, registered):
    response = client.get(TRANSFER, {"parcel": registered.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver" + reverse("login") + "?next=")
    assert not PersonalDataAccess.objects.exists()


def test_a_planner_may_not_open_a_deed_form(client, registered):
    client.force_login(user_with_role("planner"))
    assert client.get(TRANSFER, {"parcel": registered.pk}).status_code == 403
    assert client.get(reverse("transactions:deed-index")).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_a_notary_signs_in_and_the_header_says_who_and_offers_a_deed(client, notary):
    page = client.get(reverse("login")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and 'autocomplete="current-password"' in page
    response = client.post(reverse("login"), {"username": "notary-1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "http://testserver/"
    home = client.get("/").content.decode()
    assert "notary-1" in home
    assert reverse("transactions:deed-index") in home
    assert f'action="{reverse("logout")}"' in home
    config = json.loads(
        re.search(r'id="landinfo-config" type="application/json">(.*?)</script>', home, re.S)[1]
    )
    assert config["deeds"]["transfer"] == TRANSFER
    assert client.post(reverse("logout")).status_code == 302
    anonymous = client.get("/").content.decode()
    assert "notary-1" not in anonymous and reverse("login") in anonymous
    config = json.loads(
        re.search(r'id="landinfo-config" type="application/json">(.*?)</script>', anonymous, re.S)[
            1
        ]
    )
    assert config["deeds"] is None


def test_a_wrong_password_is_refused_with_a_message(client, notary):
    response = client.post(reverse("login"), {"username": "notary-1", "password": "nope"})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()


# --- the transfer form -----------------------------------------------------------------------


def test_the_form_shows_the_holders_unmasked_and_records_the_read(client, notary, registered):
    client.force_login(notary)
    response = client.get(TRANSFER, {"parcel": registered.pk})
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Nguyễn Văn An", "001080000001", "Trần Thị Bình", "001080000002", "Số 12 Phố Huế"):
        assert text in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert hidden(page, "expected_last_entry") == str(services.last_entry([registered.pk]))
    uuid.UUID(hidden(page, "idempotency_key"))
    reads = PersonalDataAccess.objects.filter(user=notary)
    assert sorted(read.party.name for read in reads) == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert {read.purpose for read in reads} == {"deed form: transfer"}
    assert {read.fields for read in reads} == {"name,national_id"}


def test_a_transfer_from_the_form_is_recorded_and_its_document_stored(
    client, notary, registered, media
):
    client.force_login(notary)
    response = client.post(TRANSFER, transfer_form(client, registered))
    assert response.status_code == 302, problems(response)
    assert response["Location"] == f"http://testserver/?parcel={registered.pk}"
    assert holders_of(registered) == {("Lê Văn Cường", "1/1")}
    entry = JournalEntry.objects.order_by("-sequence").first()
    assert entry.kind == "transfer" and entry.recorded_by_id == notary.pk
    assert entry.document_sha256 == services.document_sha256(PDF)
    assert (media / "deeds" / entry.document_sha256).read_bytes() == PDF
    assert Party.objects.get(national_id="001080000003").birth_year == 1985
    page = client.get(response["Location"]).content.decode()
    assert f"#{entry.sequence}" in page


def test_a_second_submission_of_the_same_form_records_once(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(client, registered)
    first = client.post(TRANSFER, data)
    data["document"] = SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf")
    second = client.post(TRANSFER, data, follow=True)
    assert first.status_code == 302
    assert JournalEntry.objects.filter(kind="transfer").count() == 1
    assert "not recorded twice" in second.content.decode()


def test_a_used_form_changed_and_sent_again_is_offered_as_a_new_deed(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(client, registered)
    assert client.post(TRANSFER, data).status_code == 302
    data["recipient-0-name"] = "Lê Văn Cường Mới"
    data["document"] = SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf")
    response = client.post(TRANSFER, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "already recorded a deed" in page
    assert hidden(page, "idempotency_key") != data["idempotency_key"]
    assert JournalEntry.objects.filter(kind="transfer").count() == 1


def test_a_refused_transfer_keeps_what_was_typed_and_stores_nothing(
    client, notary, registered, media
):
    client.force_login(notary)
    data = transfer_form(client, registered, **{"recipient-0-share": "1/2"})
    response = client.post(TRANSFER, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "The deed was not recorded" in page
    assert "1/2" in page and "Lê Văn Cường" in page and "Số 3 Phố Huế" in page
    assert 'value="2500000000' in page
    assert hidden(page, "idempotency_key") == data["idempotency_key"]
    assert holders_of(registered) == {("Nguyễn Văn An", "1/2"), ("Trần Thị Bình", "1/2")}
    assert not (media / "deeds").exists() or not any((media / "deeds").iterdir())
    assert JournalEntry.objects.filter(kind="transfer").count() == 0


def test_a_stale_form_is_refused_and_shown_again_on_the_parcel_as_it_is(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(client, registered)
    an = Party.objects.get(name="Nguyễn Văn An")
    services.record_transfer(
        parcel_id=registered.pk,
        transferors=[(an.pk, Fraction(1, 2))],
        recipients=[(PartyFactory(name="Phạm Văn Đức").pk, Fraction(1, 2))],
        transfer_type="gift",
        deed=services.DeedInput(
            effective_date=dt.date(2023, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(registered.pk),
        ),
    )
    response = client.post(TRANSFER, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Phạm Văn Đức" in page  # the holders now
    assert hidden(page, "expected_last_entry") == str(services.last_entry([registered.pk]))


def test_a_document_that_is_not_a_pdf_or_an_image_is_refused(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(
        client,
        registered,
        document=SimpleUploadedFile("deed.pdf", b"MZ\x90\x00", content_type="application/pdf"),
    )
    response = client.post(TRANSFER, data)
    assert response.status_code == 422
    assert "PDF" in response.content.decode()
    assert JournalEntry.objects.filter(kind="transfer").count() == 0


def test_a_recipient_named_by_a_known_national_id_alone_is_that_party(client, notary, registered):
    known = PartyFactory(name="Phạm Văn Đức", national_id="079090000004")
    client.force_login(notary)
    data = transfer_form(
        client,
        registered,
        **{"recipient-0-name": "", "recipient-0-national_id": "079090000004"},
    )
    response = client.post(TRANSFER, data)
    assert response.status_code == 302, problems(response)
    assert holders_of(registered) == {(known.name, "1/1")}


def test_adding_a_recipient_row_keeps_the_form(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(client, registered, add_row="1")
    response = client.post(TRANSFER, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="recipient-1-name"' in page and "Lê Văn Cường" in page
    assert JournalEntry.objects.filter(kind="transfer").count() == 0


def test_without_a_parcel_the_form_asks_which_one(client, notary, registered):
    client.force_login(notary)
    page = client.get(TRANSFER).content.decode()
    assert 'name="q"' in page
    found = client.get(TRANSFER, {"q": registered.identifier}).content.decode()
    assert f"?parcel={registered.pk}" in found
    index = client.get(reverse("transactions:deed-index"), {"q": registered.identifier})
    assert f"{TRANSFER}?parcel={registered.pk}" in index.content.decode()


# --- the other deeds -------------------------------------------------------------------------


def _document() -> SimpleUploadedFile:
    return SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf")


def _load(client, url: str, **params: Any) -> dict[str, Any]:
    page = client.get(url, params).content.decode()
    return {
        "expected_last_entry": hidden(page, "expected_last_entry"),
        "idempotency_key": hidden(page, "idempotency_key"),
    }


def test_mortgage_and_discharge_from_the_forms(client, notary, registered):
    client.force_login(notary)
    url = reverse("transactions:deed-mortgage")
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2022-01-01",
        "document": _document(),
        "amount": "500000000",
        "currency": "VND",
        "lender-kind": "domestic_organisation",
        "lender-name": "Ngân hàng TMCP Thử",
        "lender-national_id": "0100112437",
    }
    assert client.post(url, data).status_code == 302
    assert holders_of(registered, "mortgage") == {("Ngân hàng TMCP Thử", "1/1")}

    url = reverse("transactions:deed-discharge")
    page = client.get(url, {"parcel": registered.pk}).content.decode()
    assert "Ngân hàng TMCP Thử" in page
    mortgage = Right.objects.get(parcel=registered, kind="mortgage")
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2024-03-01",
        "document": _document(),
        "mortgage": str(mortgage.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, problems(response)
    assert holders_of(registered, "mortgage") == set()


def test_first_registration_from_the_form(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    url = reverse("transactions:deed-first-registration")
    data = {
        "parcel": parcel.pk,
        **_load(client, url, parcel=parcel.pk),
        "effective_date": "2020-01-01",
        "document": _document(),
        "origin": "allocated_without_levy",
        "use_form": "common",
        "long_term": "on",
        "attached_assets": "Nhà văn hóa thôn",
        "certificate_serial": "AA 01234567",
        "certificate_number": "CS 00012",
        **formset(
            "holder",
            [{"kind": "community", "name": "Cộng đồng dân cư thôn Đông", "share": "1/1"}],
        ),
    }
    response = client.post(url, data)
    assert response.status_code == 302, problems(response)
    assert holders_of(parcel) == {("Cộng đồng dân cư thôn Đông", "1/1")}
    right = Right.objects.get(parcel=parcel)
    assert (right.origin, right.use_form, right.long_term, right.term_end) == (
        "allocated_without_levy",
        "common",
        True,
        None,
    )
    assert (right.attached_assets, right.certificate_serial, right.certificate_number) == (
        "Nhà văn hóa thôn",
        "AA 01234567",
        "CS 00012",
    )
    assert right.holder.holder_kind == "community"
    assert right.holder.kind == Party.Kind.ORGANISATION


def test_vietnamese_forms_do_not_offer_the_state_and_refuse_it(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    url = reverse("transactions:deed-first-registration")
    page = client.get(url, {"parcel": parcel.pk}).content.decode()
    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert "individual" in offered
    assert "state" not in offered
    data = {
        "parcel": parcel.pk,
        **_load(client, url, parcel=parcel.pk),
        "effective_date": "2020-01-01",
        "document": _document(),
        **formset("holder", [{"kind": "state", "name": "Nhà nước", "share": "1/1"}]),
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert not Right.objects.filter(parcel=parcel).exists()


def test_an_organisation_is_never_asked_for_a_birth_year(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("transactions:deed-first-registration")
    data = {
        "parcel": parcel.pk,
        **_load(client, url, parcel=parcel.pk),
        "effective_date": "2020-01-01",
        "document": _document(),
        **formset(
            "holder",
            [
                {
                    "kind": "domestic_organisation",
                    "name": "Công ty TNHH Thử",
                    "national_id": "0100112437",
                    "birth_year": "1990",
                    "share": "1/1",
                }
            ],
        ),
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert "has no year of birth" in response.content.decode()
    assert not Right.objects.filter(parcel=parcel).exists()


def _halves_geojson(parcel) -> str:
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2
    features = [
        {
            "type": "Feature",
            "properties": {"address": f"Số {n}"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[a, y0], [b, y0], [b, y1], [a, y1], [a, y0]]],
            },
        }
        for n, (a, b) in enumerate(((x0, middle), (middle, x1)), 1)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})


@pytest.mark.every_profile
@pytest.mark.parametrize("as_file", [False, True])
def test_subdivision_from_pasted_or_uploaded_geojson(client, notary, registered, as_file):
    client.force_login(notary)
    url = reverse("transactions:deed-subdivision")
    geojson = _halves_geojson(registered)
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2022-01-01",
        "document": _document(),
        "crs": str(STORAGE_SRID),
    }
    if as_file:
        data["children_file"] = SimpleUploadedFile(
            "split.geojson", geojson.encode(), content_type="application/geo+json"
        )
    else:
        data["children_text"] = geojson
    response = client.post(url, data)
    assert response.status_code == 302, problems(response)
    registered.refresh_from_db()
    assert registered.valid_to is not None
    made = Parcel.objects.filter(address__in=["Số 1", "Số 2"])
    assert made.count() == 2


def test_a_subdivision_without_polygons_is_refused_with_a_reason(client, notary, registered):
    client.force_login(notary)
    url = reverse("transactions:deed-subdivision")
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2022-01-01",
        "document": _document(),
        "crs": "4326",
        "children_text": '{"type": "FeatureCollection", "features": [{"type": "Point"}]}',
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert "{&quot;type&quot;: &quot;FeatureCollection&quot;" in response.content.decode()


def test_merge_from_the_form(client, notary):
    left = ParcelFactory(boundary=square(40, 40))
    right = ParcelFactory(boundary=square(41, 40), admin_unit=left.admin_unit)
    owner = PartyFactory()
    for parcel in (left, right):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(owner.pk, Fraction(1))],
            deed=services.DeedInput(
                effective_date=dt.date(2020, 1, 1),
                recorded_by=notary,
                expected_last_entry=current_entry(parcel.pk),
            ),
        )
    client.force_login(notary)
    url = reverse("transactions:deed-merge")
    page = client.get(url, {"parcel": [left.pk, right.pk]}).content.decode()
    assert page.count('name="parcel"') >= 2
    found = client.get(url, {"parcel": left.pk, "q": right.identifier}).content.decode()
    assert f"parcel={left.pk}&amp;parcel={right.pk}" in found
    data = {
        "parcel": [left.pk, right.pk],
        **_load(client, url, parcel=[left.pk, right.pk]),
        "effective_date": "2024-03-01",
        "document": _document(),
    }
    response = client.post(url, data)
    assert response.status_code == 302, problems(response)
    left.refresh_from_db()
    assert left.valid_to is not None


def test_corrections_are_for_registrars(client, notary, registrar, registered):
    entry = JournalEntry.objects.get()
    url = reverse("transactions:deed-correction")
    client.force_login(notary)
    assert client.get(url, {"entry": entry.sequence}).status_code == 403
    client.force_login(registrar)
    listing = client.get(url, {"parcel": registered.pk}).content.decode()
    assert f"?entry={entry.sequence}" in listing
    data = {
        "parcel": registered.pk,
        **_load(client, url, entry=entry.sequence),
        "corrects": str(entry.sequence),
        "mode": "amend",
        "reason": "The deed names one holder.",
        "effective_date": "2024-03-01",
        **formset(
            "holder", [{"national_id": "001080000001", "kind": "individual", "share": "1/1"}]
        ),
    }
    response = client.post(url, data)
    assert response.status_code == 302, problems(response)
    assert holders_of(registered) == {("Nguyễn Văn An", "1/1")}
    assert JournalEntry.objects.order_by("-sequence").first().document_sha256 == ""


def test_the_demo_makes_one_account_per_role_once():
    from django.contrib.auth.models import User

    from fixtures.management.commands.load_demo import Command

    out = io.StringIO()
    Command(stdout=out)._role_accounts()
    Command(stdout=out)._role_accounts()
    accounts = {"notary": "notary", "registrar": "registrar", "registrar2": "registrar"}
    accounts |= {"planner": "planner", "auditor": "auditor"}
    for username, role in accounts.items():
        user = User.objects.get(username=username)
        assert user.check_password("landinfo-demo")
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert out.getvalue().count("password landinfo-demo") == 5
    assert out.getvalue().count("exists already") == 5


def compile_catalogues() -> None:
    """Compile the translations, as `make test` does, when a test runs alone."""
    locale = Path(settings.BASE_DIR) / "locale"
    if any(
        not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        for po in locale.glob("*/LC_MESSAGES/*.po")
    ):
        call_command("compilemessages", ignore_patterns=[".venv", "var"], verbosity=0)


def test_the_form_speaks_the_profiles_language(client, notary, registered):
    compile_catalogues()
    client.force_login(notary)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
    page = client.get(TRANSFER, {"parcel": registered.pk}).content.decode()
    for text in ("Đăng ký chuyển quyền", "Bên nhận quyền", "Ngày có hiệu lực", "Vào sổ"):
        assert text in page


def test_a_subdivision_whose_geometry_names_its_own_crs_is_refused_on_the_form(
    client, notary, registered
):
    # Was Django's bare "Bad Request (400)" page (GEOS refuses an external CRS with
    # SuspiciousOperation): the notary lost the form and was not told why.
    client.force_login(notary)
    url = reverse("transactions:deed-subdivision")
    halves = json.loads(_halves_geojson(registered))
    for feature in halves["features"]:
        feature["geometry"]["crs"] = {"type": "link", "properties": {"href": "http://x/crs"}}
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2022-01-01",
        "document": _document(),
        "crs": str(STORAGE_SRID),
        "children_text": json.dumps(halves),
    }
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "names its own CRS" in page and "http://x/crs" in page  # the text is kept


# --- a deed names what it acts on --------------------------------------------------------

FORMS = [
    "transactions:deed-transfer",
    "transactions:deed-mortgage",
    "transactions:deed-discharge",
    "transactions:deed-subdivision",
    "transactions:deed-merge",
    "transactions:deed-first-registration",
    "transactions:deed-correction",
]


@pytest.mark.parametrize("name", FORMS)
def test_a_form_without_the_parcels_last_entry_is_not_recorded(
    client, notary, registrar, registered, name
):
    client.force_login(registrar if name.endswith("correction") else notary)
    url = reverse(name)
    loaded = _load(client, url, parcel=registered.pk)
    data = {
        **transfer_form(client, registered),
        "idempotency_key": loaded["idempotency_key"],
        "corrects": str(JournalEntry.objects.get().sequence),
        "mode": "reverse",
        "reason": "Nhầm.",
    }
    del data["expected_last_entry"]
    before = JournalEntry.objects.count()
    response = client.post(url, data)
    assert response.status_code == 422, problems(response)
    assert "which state of the parcel" in response.content.decode()
    assert JournalEntry.objects.count() == before


# A form's errors are in the form's words: its own labels and sentences a notary can act
# on, never the deed API's field names ("expected_last_entry: Ensure this value…").
API_WORDS = re.compile(
    r"expected_last_entry|transferors|recipients|children|corrects|Ensure this|\[0\]"
)


def shown(response) -> str:
    """Return the errors the re-shown form states, checked to be in the form's words."""
    text = problems(response)
    assert response.status_code == 422, text
    assert not API_WORDS.search(text), text
    return text


@pytest.mark.parametrize("value", [None, "", "-1", "x", "9" * 25, str(2**63)])
@pytest.mark.parametrize("name", FORMS)
def test_a_form_whose_last_entry_is_missing_or_altered_says_to_reload_it(
    client, notary, registrar, registered, name, value
):
    compile_catalogues()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
    client.force_login(registrar if name.endswith("correction") else notary)
    url = reverse(name)
    data = {
        **transfer_form(client, registered),
        **_load(client, url, parcel=registered.pk),
        "lender-kind": "domestic_organisation",
        "lender-name": "Ngân hàng Thử",
        "amount": "100000000",
        "corrects": str(JournalEntry.objects.get().sequence),
        "mode": "reverse",
        "reason": "Nhầm.",
    }
    if value is None:
        del data["expected_last_entry"]
    else:
        data["expected_last_entry"] = value
    before = JournalEntry.objects.count()
    assert "hãy tải lại trang và điền lại" in shown(client.post(url, data))
    assert JournalEntry.objects.count() == before


def _subdivision(client, parcel, features) -> Any:
    url = reverse("transactions:deed-subdivision")
    data = {
        "parcel": parcel.pk,
        **_load(client, url, parcel=parcel.pk),
        "effective_date": "2022-01-01",
        "document": _document(),
        "crs": str(STORAGE_SRID),
        "children_text": json.dumps({"type": "FeatureCollection", "features": features}),
    }
    return client.post(url, data)


@pytest.mark.every_profile
def test_a_subdivision_the_register_cannot_take_is_refused_on_its_field(client, notary, registered):
    client.force_login(notary)
    halves = json.loads(_halves_geojson(registered))["features"]
    unreadable = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}  # a ring of 2 points
    cases = [
        (halves[:1], "a subdivision makes 2 to 200 parcels"),
        (halves * 101, "a subdivision makes 2 to 200 parcels"),
        ([{**halves[0], "properties": {"land_use": "NOPE"}}, halves[1]], "not a code of the list"),
        ([halves[0], {**halves[1], "properties": {"address": "Số \ue000"}}], "New parcel 2: "),
        ([halves[0], {**halves[1], "geometry": unreadable}], "cannot be read"),
    ]
    for features, reason in cases:
        response = _subdivision(client, registered, features)
        assert reason in shown(response)
        assert re.search(
            r'class="field-error"[^>]*>[^<]*' + re.escape(reason), response.content.decode()
        )
    assert not Parcel.objects.filter(created_by__isnull=False).exists()


@pytest.mark.every_profile
def test_a_subdivisions_land_use_on_the_form_is_read_in_any_case(client, notary, registered):
    client.force_login(notary)
    code = get_profile().land_uses[-1].code  # not the parent's
    halves = json.loads(_halves_geojson(registered))["features"]
    for half, typed in zip(halves, (code.lower(), f" {code}\u200b"), strict=True):
        half["properties"]["land_use"] = typed
    response = _subdivision(client, registered, halves)
    assert response.status_code == 302, problems(response)
    made = Parcel.objects.filter(created_by__isnull=False)
    assert [parcel.land_use for parcel in made] == [code, code]


def test_a_transfer_of_a_parcel_nobody_holds_says_to_register_it_first(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    response = client.post(TRANSFER, transfer_form(client, parcel))
    assert "record its first registration first" in shown(response)


def test_a_correction_of_an_entry_past_any_number_says_so_on_its_field(
    client, registrar, registered
):
    client.force_login(registrar)
    url = reverse("transactions:deed-correction")
    data = {
        "parcel": registered.pk,
        **_load(client, url, parcel=registered.pk),
        "effective_date": "2024-03-01",
        "corrects": str(2**63),
        "mode": "reverse",
        "reason": "Nhầm.",
    }
    assert "Give the number of a journal entry" in shown(client.post(url, data))


def test_a_holder_left_unticked_gives_nothing(client, notary, registered):
    client.force_login(notary)
    an, binh = (Party.objects.get(name=name) for name in ("Nguyễn Văn An", "Trần Thị Bình"))
    data = transfer_form(
        client, registered, **{f"transferor_share_{an.pk}": "1/2", "recipient-0-share": "1/2"}
    )
    del data[f"transferor_{binh.pk}"]  # unticked: a browser sends nothing for it
    response = client.post(TRANSFER, data)
    assert response.status_code == 302, problems(response)
    assert holders_of(registered) == {("Trần Thị Bình", "1/2"), ("Lê Văn Cường", "1/2")}


@pytest.mark.every_profile
def test_a_number_typed_with_hyphens_in_the_form_is_the_partys_number_in_the_api(
    client, notary, registered
):
    number = national_id(42)
    hyphenated = f"{number[:6]}-{number[6:]}"
    client.force_login(notary)
    data = transfer_form(
        client,
        registered,
        currency=get_profile().currency,
        **{"recipient-0-national_id": hyphenated, "recipient-0-name": "Kim Min Su"},
    )
    response = client.post(TRANSFER, data)
    assert response.status_code == 302, problems(response)
    (party,) = Party.objects.filter(name="Kim Min Su")
    assert party.national_id == number
    # The same number found by the form's lookup, spelled with spaces and no name.
    data = transfer_form(
        client,
        registered,
        currency=get_profile().currency,
        **{"recipient-0-national_id": f" {number[:6]} {number[6:]} ", "recipient-0-name": ""},
    )
    assert client.post(TRANSFER, data).status_code == 422  # the recipient already holds all
    assert Party.objects.filter(name="Kim Min Su").count() == 1


def test_a_form_refuses_a_number_that_is_not_one_on_its_field(client, notary, registered):
    client.force_login(notary)
    data = transfer_form(client, registered, **{"recipient-0-national_id": "099080000001"})
    response = client.post(TRANSFER, data)
    assert response.status_code == 422
    assert "province" in response.content.decode()
    assert JournalEntry.objects.filter(kind="transfer").count() == 0


# How each language writes a day on the certificate, written out by hand (the rule itself
# is landinfo.dates.register_day), and how Django's own formats wrote them before.
_WRITTEN = {
    "vi": lambda d: f"{d:%d/%m/%Y}",
    "ko": lambda d: f"{d.year}. {d.month}. {d.day}.",  # as official documents write days
    "en": lambda d: f"{d:%Y-%m-%d}",
}
_NOT_WRITTEN = [
    "{d.year}-{d.month}-{d.day}",
    "{d:%d-%m-%Y}",
    "{d:%m/%d/%Y}",
    "{d.year}년",
    "{d:%Y.%m.%d.}",
]


@pytest.mark.parametrize("language", sorted(_WRITTEN))
def test_the_deed_forms_write_days_as_the_certificate_does(
    client, notary, registrar, registered, language
):
    held, mortgaged, retired = dt.date(2020, 1, 1), dt.date(2022, 3, 4), dt.date(2023, 4, 5)
    services.record_mortgage(
        parcel_id=registered.pk,
        lender=PartyFactory(
            kind=Party.Kind.ORGANISATION, name="Ngân hàng Thử", national_id=None
        ).pk,
        amount=500_000_000,
        deed=services.DeedInput(
            effective_date=mortgaged,
            recorded_by=notary,
            expected_last_entry=current_entry(registered.pk),
        ),
    )
    gone = ParcelFactory(valid_to=retired)
    mortgage = JournalEntry.objects.order_by("-sequence").first()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.force_login(notary)
    pages = [
        client.get(TRANSFER, {"parcel": registered.pk}),  # the owners, since when
        client.get(reverse("transactions:deed-discharge"), {"parcel": registered.pk}),  # lender
        client.get(TRANSFER, {"parcel": gone.pk}),  # retired on
    ]
    client.force_login(registrar)
    correction = reverse("transactions:deed-correction")
    pages += [
        client.get(correction, {"parcel": registered.pk}),  # the entries, with their days
        client.get(correction, {"entry": mortgage.sequence}),
    ]
    assert [page.status_code for page in pages] == [200] * 5
    text = [page.content.decode() for page in pages]
    written = {day: _WRITTEN[language](day) for day in (held, mortgaged, retired)}
    expected = [
        (held,),
        (mortgaged,),
        (retired,),
        (held, mortgaged),
        (mortgaged,),
    ]
    for page, days in zip(text, expected, strict=True):
        for day in days:
            assert written[day] in page, f"{written[day]!r} missing ({language})"
        for day in days:
            others = [form(day) for lang, form in _WRITTEN.items() if lang != language]
            for other in {*others, *(form.format(d=day) for form in _NOT_WRITTEN)} - {
                written[day]  # 01/01 reads the same either way round
            }:
                assert other not in page, f"{other!r} on a {language} deed form"
