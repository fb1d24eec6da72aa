"""Parcel certificates end to end: issued over HTTP as PDFs, read back, scanned and verified.

The register is built through the services (first registrations, a shared holding, a
mortgage, a merge, a subdivision), so every certificate is checked against a journal
that `verify_ledger` would accept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import zlib
from decimal import Decimal
from fractions import Fraction
from urllib.parse import quote, urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from tests import factories
from tests.factories import (
    AdministrativeUnitFactory,
    LandPriceFactory,
    ParcelFactory,
    PartyFactory,
    ZoningZoneFactory,
    holders_now,
    national_id,
    square,
    user_with_role,
)
from transactions.certificates import issue as certificates
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, PartyInput
from transactions.journal import checkpoints
from transactions.models import Party, PersonalDataAccess, Right

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

REGISTERED_ON = dt.date(2015, 3, 2)
LANGUAGES = ("vi", "ko", "en")
# Separators a language may put in numbers (1.234,5 / 1,234.5 / narrow spaces).
_NUMBER_NOISE = re.compile(r"[\s.,\u00a0\u202f]")


@pytest.fixture(autouse=True)
def key(tmp_path, settings):
    """Sign with a key of this test only."""
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    settings.LANDINFO = {**settings.LANDINFO, "SIGNING_KEY_FILE": path, "VERIFY_KEY_FILES": []}
    call_command("generate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return checkpoints.signing_key()


def deed(user, parcels, day=REGISTERED_ON):
    return factories.deed(user, parcels, day)


def person(name: str) -> PartyInput:
    number = national_id(zlib.crc32(name.encode()) % 10**5, series=9)
    return PartyInput(kind="person", name=name, national_id=number)


def rectangle(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=STORAGE_SRID)


@dataclasses.dataclass
class Register:
    shared: Parcel  # two holders, half each, and a mortgage
    merged: Parcel  # made from two parcels
    merged_from: list[Parcel]
    child: Parcel  # one half of a subdivided parcel
    parent: Parcel  # the subdivided (retired) parcel
    bank: Party


@pytest.fixture
def register(notary) -> Register:
    unit = AdministrativeUnitFactory(name="Phường Tràng Tiền")
    ZoningZoneFactory(code="R1", name="Đất ở đô thị", plan="QH-2030", boundary=square(0, 0, 1000.0))
    cells = itertools.count(10)

    def parcel(**extra) -> Parcel:
        return ParcelFactory(admin_unit=unit, cell=(next(cells), 3), **extra)

    # Every parcel is made before the first deed: deeds number new parcels after them.
    shared = parcel(address="Số 12 Phố Huế")
    west = ParcelFactory(admin_unit=unit, boundary=square(20, 3))
    east = ParcelFactory(admin_unit=unit, boundary=square(21, 3))
    parent = ParcelFactory(admin_unit=unit, boundary=square(30, 3))
    LandPriceFactory(parcel=shared, year=2024, price_per_m2=Decimal("61000000"))
    LandPriceFactory(parcel=shared, year=2025, price_per_m2=Decimal("65500000"))
    services.record_first_registration(
        parcel_id=shared.pk,
        holders=[
            (person("Nguyễn Văn An"), Fraction(1, 2)),
            (person("Trần Thị Bình"), Fraction(1, 2)),
        ],
        deed=deed(notary, shared.pk),
    )
    bank = PartyFactory(kind=Party.Kind.ORGANISATION, name="Ngân hàng TMCP Mẫu", national_id=None)
    services.record_mortgage(
        parcel_id=shared.pk,
        lender=bank.pk,
        amount=900_000_000,
        deed=deed(notary, shared.pk, dt.date(2020, 5, 4)),
    )

    # Two neighbours of one holder, merged into one parcel.
    for each in (west, east):
        services.record_first_registration(
            parcel_id=each.pk,
            holders=[(person("Lê Văn Cường"), Fraction(1))],
            deed=deed(notary, each.pk),
        )
    entry = services.merge_parcels(
        parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk], dt.date(2021, 1, 5))
    )
    merged = Parcel.objects.get(created_by=entry)

    # A parcel subdivided into two halves.
    services.record_first_registration(
        parcel_id=parent.pk,
        holders=[(person("Phạm Thị Dung"), Fraction(1))],
        deed=deed(notary, parent.pk),
    )
    x0, y0, x1, y1 = parent.boundary.extent
    entry = services.subdivide_parcel(
        parcel_id=parent.pk,
        children=[
            ChildParcel(rectangle(x0, y0, x0 + 8, y1)),
            ChildParcel(rectangle(x0 + 8, y0, x1, y1)),
        ],
        deed=deed(notary, parent.pk, dt.date(2022, 7, 1)),
    )
    child = Parcel.objects.filter(created_by=entry).order_by("identifier").first()
    parent.refresh_from_db()
    return Register(
        shared=shared,
        merged=merged,
        merged_from=[west, east],
        child=child,
        parent=parent,
        bank=bank,
    )


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def qr_link(content: bytes) -> str:
    """Return the text of the QR code found on the first page, read from its image."""
    page = pdfium.PdfDocument(content)[0]
    image = page.render(scale=200 / 72).to_pil()
    # QR codes only: zxing may read a line of small print as some 1D barcode, and may
    # find the one QR code twice; what counts is that the page carries one link.
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {code.text for code in codes}
    assert len(texts) == 1, f"expected one QR code on the page, found {codes}"
    return texts.pop()


def get_certificate(client, parcel: Parcel, language: str):
    response = client.get(f"/parcels/{parcel.pk}/certificate.pdf", {"lang": language})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response


def verify(client, link_or_code: str, language: str | None = None):
    """Return the register's JSON verdict on a code, in `language` (else the register's)."""
    path = urlsplit(link_or_code).path if "/" in link_or_code else f"/verify/{link_or_code}"
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(path, HTTP_ACCEPT="application/json", **headers)


# --- what is printed --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_certificate_of_a_shared_mortgaged_parcel_prints_every_field(client, register, language):
    response = get_certificate(client, register.shared, language)
    text = pdf_text(response.content)
    flat = squeezed(text)
    digits = _NUMBER_NOISE.sub("", text)
    parcel = register.shared
    certificate = certificates.verify_certificate(qr_link(response.content).rsplit("/", 1)[-1])
    for expected in (
        parcel.identifier,
        _display(parcel),  # "tờ 1 thửa N", "12"
        "Số 12 Phố Huế",
        "Phường Tràng Tiền",
        _land_use_name(parcel.land_use, language),
        "Đất ở đô thị",  # the zone's name
        "QH-2030",
        "Nguyễn V. A.",  # masked for the public
        "Trần T. B.",
        "Ngân hàng TMCP Mẫu",  # organisations in full
        "1/2",
    ):
        assert expected in text, f"{expected!r} missing from the {language} certificate"
    assert "Nguyễn Văn An" not in text and "Trần Thị Bình" not in text
    for number in ("61000000", "65500000", "2024", "2025", str(int(parcel.registered_area))):
        assert number in digits, f"{number} missing from the {language} certificate"
    assert len(certificate.history) == 2  # first registration and mortgage
    # Codes are names: the land use's and the zone's codes are not printed.
    if not parcel.land_use.isdigit():  # a Korean "01" could be any number on the page
        assert not re.search(rf"\b{parcel.land_use}\b", text)
    assert not re.search(r"\bR1\b", text)
    # The journal's position and hash are printed once, in the verification box: the
    # rights and the history name no journal entry.
    with translation.override(language):
        position = gettext("Issued at journal entry #%(sequence)s") % {
            "sequence": certificate.fields.sequence
        }
    assert " ".join(text.split()).count(" ".join(position.split())) == 1
    assert re.findall(r"#\d+", text) == re.findall(r"#\d+", position)
    assert certificate.head_hash in flat
    assert flat.count(certificate.head_hash[:16]) == 1


def _land_use_name(code: str, language: str) -> str:
    """Return the name a certificate in `language` prints for the land use `code`."""
    from landinfo.profiles import get_profile

    profile = get_profile()
    (land_use,) = (use for use in profile.land_uses if use.code == code)
    return land_use.name if language == profile.default_language else land_use.name_en


@pytest.mark.parametrize("language", LANGUAGES)
def test_certificate_of_a_merged_parcel_names_the_parcels_it_was_made_from(
    client, register, language
):
    text = pdf_text(get_certificate(client, register.merged, language).content)
    for parent in register.merged_from:
        assert _display(parent) in text
    assert "Lê V. C." in text
    assert "Lê Văn Cường" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_certificates_of_a_subdivision_link_parent_and_children(client, register, language):
    child_text = pdf_text(get_certificate(client, register.child, language).content)
    assert _display(register.parent) in child_text
    assert "Phạm T. D." in child_text
    parent_text = pdf_text(get_certificate(client, register.parent, language).content)
    for child in Parcel.objects.filter(created_by=register.child.created_by):
        assert _display(child) in parent_text
    assert register.parent.retired_by_id is not None


def _display(parcel: Parcel) -> str:
    from landinfo.profiles import get_profile

    return get_profile().display_stored(parcel.identifier)


@pytest.mark.parametrize("language", LANGUAGES)
def test_certificate_titles_are_in_the_asked_language(client, register, language):
    text = pdf_text(get_certificate(client, register.shared, language).content)
    other_titles = {lang: certificates_title(lang) for lang in LANGUAGES if lang != language}
    assert certificates_title(language) in text
    for title in other_titles.values():
        assert title not in text


def certificates_title(language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return translation.gettext("Land information statement")


# --- the code ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_qr_code_scanned_from_the_page_verifies_as_current(client, register, language):
    response = get_certificate(client, register.shared, language)
    link = qr_link(response.content)
    assert urlsplit(link).path.startswith("/verify/")
    assert squeezed(link) in squeezed(pdf_text(response.content))  # printed beside it too
    answer = verify(client, link)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "current" and body["genuine"]
    assert body["parcel"]["identifier"] == register.shared.identifier
    assert body["language"] == language
    assert [r["holder"]["name"] for r in body["rights"]] == [
        "Nguyễn V. A.",
        "Trần T. B.",
        "Ngân hàng TMCP Mẫu",
    ]
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert b'data-status="current"' in page.content


def test_certificate_issued_before_a_transfer_is_superseded_after_it(client, register, notary):
    link = qr_link(get_certificate(client, register.shared, "en").content)
    assert verify(client, link).json()["status"] == "current"
    entry = services.record_transfer(
        parcel_id=register.shared.pk,
        transferors=holders_now(register.shared.pk),
        recipients=[(person("Hoàng Văn Em"), Fraction(1))],
        transfer_type="sale",
        price=5_000_000_000,
        deed=deed(notary, register.shared.pk, dt.date(2025, 2, 3)),
    )
    answer = verify(client, link)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "superseded" and body["genuine"]
    assert [e["sequence"] for e in body["superseded_by"]] == [entry.sequence]
    assert body["superseded_by"][0]["kind"] == "transfer"
    # What it certified is still shown as it was: the holders before the transfer.
    assert "Nguyễn V. A." in [r["holder"]["name"] for r in body["rights"]]
    page = client.get(urlsplit(link).path)
    assert b'data-status="superseded"' in page.content
    assert f"#{entry.sequence}".encode() in page.content
    # A certificate issued now is current again.
    new_link = qr_link(get_certificate(client, register.shared, "en").content)
    assert verify(client, new_link).json()["status"] == "current"


_FOLD = re.compile(r'<details class="[^"]*proof-fold[^"]*".*?</details>', re.S)
_SCRIPTS = re.compile(r"<script\b.*?</script>", re.S)
_JOURNAL_NUMBER = re.compile(r"#\d+")
_HEX = re.compile(r"\b[0-9a-f]{16,}\b")


def _outside_the_fold(html: str) -> tuple[str, str]:
    """Return what a person reads of the verify page with its "Details for verification"
    fold closed, and the fold."""
    (fold,) = _FOLD.findall(html)
    return _SCRIPTS.sub("", html.replace(fold, "")), fold


@pytest.mark.parametrize(
    ("language", "fold_title", "superseded_words"),
    [
        ("vi", "Chi tiết để kiểm chứng", "hãy đề nghị cấp văn bản mới"),
        ("ko", "검증 세부 정보", "새 증명서를 발급받으십시오"),
    ],
)
def test_verify_page_keeps_journal_numbers_and_hashes_in_the_verification_fold(
    client, register, notary, language, fold_title, superseded_words
):
    link = qr_link(get_certificate(client, register.shared, language).content)
    code = link.rsplit("/", 1)[-1]
    fields = certificates.decode_code(code, checkpoints.public_keys())
    entry = services.record_transfer(
        parcel_id=register.shared.pk,
        transferors=holders_now(register.shared.pk),
        recipients=[(person("Hoàng Văn Em"), Fraction(1))],
        transfer_type="sale",
        price=5_000_000_000,
        deed=deed(notary, register.shared.pk, dt.date(2025, 2, 3)),
    )
    html = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    readable, fold = _outside_the_fold(html)

    assert superseded_words in readable
    assert "Ngân hàng TMCP Mẫu" in readable and "Nguyễn V. A." in readable
    assert _JOURNAL_NUMBER.findall(readable) == []
    assert _HEX.findall(readable) == []
    assert register.shared.identifier not in readable  # the parcel is named by its lot
    # Whoever checks finds every number in the fold: the position, its hash, the entries
    # of the rights and deeds, the deed recorded since, and the code itself.
    assert fold_title in fold
    head_hash = certificates.verify_certificate(code).head_hash
    assert head_hash[:16] == fields.head_prefix.hex()
    for number in (f"#{fields.sequence}", head_hash, f"#{entry.sequence}", code):
        assert number in fold, number
    rights = Right.objects.filter(parcel=register.shared, begun_by__sequence__lte=fields.sequence)
    for right in rights:
        assert f"#{right.begun_by_id}" in fold


def test_deeds_on_other_parcels_do_not_supersede_a_certificate(client, register, notary):
    link = qr_link(get_certificate(client, register.merged, "vi").content)
    services.record_mortgage(
        parcel_id=register.shared.pk,
        lender=PartyFactory(kind=Party.Kind.ORGANISATION, name="Quỹ Tín dụng", national_id=None).pk,
        amount=100_000_000,
        deed=deed(notary, register.shared.pk, dt.date(2025, 3, 1)),
    )
    assert verify(client, link).json()["status"] == "current"


def _codes(client, parcel) -> str:
    return qr_link(get_certificate(client, parcel, "en").content).rsplit("/", 1)[-1]


def test_altered_codes_are_refused(client, register):
    code = _codes(client, register.shared)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in (0, 3, 9, 20, 40, 60, 90, 120, len(code) - 2):
        swapped = alphabet[(alphabet.index(code[position]) + 17) % len(alphabet)]
        altered = code[:position] + swapped + code[position + 1 :]
        answer = verify(client, altered)
        assert answer.status_code == 400, position
        assert answer.json()["status"] == "invalid"
        assert not answer.json()["genuine"]
    # Letters after a code, however they are written, make another code.
    appended = (code + "AAAA", code + "\uff21", code + "\u200bA", code + "\u00e9")
    for garbage in (code[:-5], *appended, "hello", "%00", "A" * 400, "Ä" * 10):
        answer = client.get(
            "/verify/" + garbage.replace("%", "%25"), HTTP_ACCEPT="application/json"
        )
        assert answer.status_code == 400, garbage
        assert answer.json()["reason"]
    page = client.get(f"/verify/{code[:-5]}")
    assert page.status_code == 400 and b'data-status="invalid"' in page.content


def test_code_signed_by_another_key_is_refused(client, register):
    genuine = certificates.decode_code(_codes(client, register.shared), checkpoints.public_keys())
    impostor = Ed25519PrivateKey.generate()
    own_prefix = bytes.fromhex(checkpoints.key_id(impostor.public_key()))[:4]
    forged = certificates.encode_code(dataclasses.replace(genuine, key_prefix=own_prefix), impostor)
    body = verify(client, forged, "vi").json()
    assert body["status"] == "invalid"
    assert "khóa mà Văn phòng đăng ký này không biết" in body["reason"]  # in the asked language
    assert "key this register does not know" in verify(client, forged, "en").json()["reason"]
    # Under the register's key prefix, the impostor's signature does not match.
    body = verify(client, certificates.encode_code(genuine, impostor), "ko").json()
    assert body["status"] == "invalid" and "서명이 내용과 일치하지 않습니다" in body["reason"]


def test_signed_code_whose_journal_entry_has_another_hash_is_a_mismatch(client, register, key):
    genuine = certificates.decode_code(_codes(client, register.shared), checkpoints.public_keys())
    rewritten = dataclasses.replace(genuine, head_prefix=bytes(8))
    answer = verify(client, certificates.encode_code(rewritten, key), "vi")
    assert answer.status_code == 409
    assert answer.json()["status"] == "mismatch"
    assert "sổ theo dõi biến động đã bị viết lại" in answer.json()["reason"]
    assert (
        "rewritten"
        in verify(client, certificates.encode_code(rewritten, key), "en").json()["reason"]
    )
    # The page shows what the code states, not what the changed journal now holds.
    page = client.get(f"/verify/{certificates.encode_code(rewritten, key)}").content.decode()
    assert f"{bytes(8).hex()}…" in page and answer.json()["head_hash"] not in page
    beyond = dataclasses.replace(genuine, sequence=genuine.sequence + 1000)
    assert (
        "cut short" in verify(client, certificates.encode_code(beyond, key), "en").json()["reason"]
    )
    assert (
        "bị cắt bớt" in verify(client, certificates.encode_code(beyond, key), "vi").json()["reason"]
    )


def test_rights_changed_behind_the_journal_make_a_certificate_a_mismatch(client, register):
    code = _codes(client, register.shared)
    right = Right.objects.filter(parcel=register.shared, kind="ownership").first()
    # An edit of the projection that no deed recorded (what verify_ledger also catches).
    Right.objects.filter(pk=right.pk).update(holder=PartyFactory())
    answer = verify(client, code)
    assert answer.status_code == 409
    assert answer.json()["status"] == "mismatch"


def test_a_new_official_price_is_reported_as_changed_data_not_forgery(client, register):
    code = _codes(client, register.shared)
    issued_year = certificates.decode_code(code, checkpoints.public_keys()).issued_at.year
    LandPriceFactory(parcel=register.shared, year=issued_year, price_per_m2=Decimal("70000000"))
    body = verify(client, code).json()
    assert body["status"] == "current"
    assert body["data_changed"] is True


# --- who sees names -------------------------------------------------------------------------------


def test_registrar_certificate_shows_holders_in_full_and_records_the_reading(client, register):
    registrar = user_with_role("registrar", "registrar-cert")
    client.force_login(registrar)
    response = get_certificate(client, register.shared, "vi")
    text = pdf_text(response.content)
    assert "Nguyễn Văn An" in text and "Trần Thị Bình" in text
    assert response["Cache-Control"] == "no-store"
    read = PersonalDataAccess.objects.filter(user=registrar)
    assert sorted(read.values_list("party__name", flat=True)) == ["Nguyễn Văn An", "Trần Thị Bình"]
    body = verify(client, qr_link(response.content)).json()
    assert body["holders_in_full"] is True
    # The verify page is public: it shows them masked.
    assert "Nguyễn Văn An" not in str(body)


def test_notary_sees_in_full_only_the_holders_of_deeds_they_recorded(client, register, notary):
    other = user_with_role("notary", "notary-other")
    client.force_login(other)
    text = pdf_text(get_certificate(client, register.shared, "en").content)
    assert "Nguyễn V. A." in text and "Nguyễn Văn An" not in text
    assert not PersonalDataAccess.objects.filter(user=other).exists()
    client.force_login(notary)
    text = pdf_text(get_certificate(client, register.shared, "en").content)
    assert "Nguyễn Văn An" in text


def test_public_and_planner_certificates_mask_every_person(client, register):
    planner = user_with_role("planner", "planner-cert")
    for user in (None, planner):
        if user:
            client.force_login(user)
        response = get_certificate(client, register.merged, "ko")
        assert "Lê Văn Cường" not in pdf_text(response.content)
        assert response["Cache-Control"] == "private, no-cache"
    assert not PersonalDataAccess.objects.exists()


# --- refusals -------------------------------------------------------------------------------------


def test_unknown_parcel_has_no_certificate(client, register):
    assert client.get("/parcels/999999999/certificate.pdf").status_code == 404
    assert client.get(f"/parcels/{2**63}/certificate.pdf").status_code == 404


def test_unknown_language_falls_back_to_the_profile_language(client, register, settings):
    response = client.get(f"/parcels/{register.shared.pk}/certificate.pdf", {"lang": "fr"})
    assert response.status_code == 200
    body = verify(client, qr_link(response.content)).json()
    assert body["language"] == settings.LANGUAGE_CODE.split("-")[0]


def test_issue_refuses_a_language_it_cannot_print(register):
    with pytest.raises(ValueError, match="vi, ko, en"):
        certificates.issue_certificate(
            register.shared.pk, user=AnonymousUser(), language="fr", verify_url=str
        )


def test_verify_form_redirects_a_pasted_link_to_its_page(client, register):
    code = _codes(client, register.shared)
    assert client.get("/verify/").status_code == 200
    response = client.get("/verify/", {"code": f"https://elsewhere.example/verify/{code}"})
    assert (
        response.status_code == 302 and response["Location"] == f"http://testserver/verify/{code}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verify_page_states_the_moment_of_issue_in_the_register_time_zone(
    client, register, language
):
    from landinfo.dates import register_moment

    link = qr_link(get_certificate(client, register.shared, "en").content)
    issued_at = dt.datetime.fromisoformat(verify(client, link).json()["issued_at"])
    page = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert register_moment(issued_at, language) in page
    assert " UTC<" not in page


# How each language writes a day on the certificate, written out by hand (the rule itself
# is landinfo.dates.register_day).
_WRITTEN = {
    "vi": lambda d: f"{d:%d/%m/%Y}",
    "ko": lambda d: f"{d.year}. {d.month}. {d.day}.",  # as official documents write days
    "en": lambda d: f"{d:%Y-%m-%d}",
}
# How the pages wrote days before, by Django's formats: never again.
_NOT_WRITTEN = [
    "{d.year}-{d.month}-{d.day}",
    "{d:%d-%m-%Y}",
    "{d:%m/%d/%Y}",
    "{d.year}년",
    "{d:%Y.%m.%d.}",
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verify_page_writes_days_as_the_certificate_does(client, register, notary, language):
    response = get_certificate(client, register.shared, language)
    link = qr_link(response.content)
    transferred = dt.date(2025, 2, 3)
    services.record_transfer(
        parcel_id=register.shared.pk,
        transferors=holders_now(register.shared.pk),
        recipients=[(person("Hoàng Văn Em"), Fraction(1))],
        transfer_type="sale",
        price=5_000_000_000,
        deed=deed(notary, register.shared.pk, transferred),
    )
    page = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    printed = pdf_text(response.content)
    held, mortgaged = REGISTERED_ON, dt.date(2020, 5, 4)  # in "since" and in the history
    for day in (held, mortgaged):
        assert _WRITTEN[language](day) in page
        assert _WRITTEN[language](day) in printed
    assert _WRITTEN[language](transferred) in page  # the deed that superseded it
    for day in (held, mortgaged, transferred):
        others = [form(day) for lang, form in _WRITTEN.items() if lang != language]
        for written in others + [form.format(d=day) for form in _NOT_WRITTEN]:
            assert written not in page, f"{written!r} on the {language} verify page"


def test_a_link_copied_from_the_pdf_with_its_line_breaks_still_verifies(client, register):
    link = qr_link(get_certificate(client, register.shared, "en").content)
    path = urlsplit(link).path
    code = path.rsplit("/", 1)[-1]
    broken = f"{code[:60]}\r\n{code[60:120]} {code[120:]}"  # as a PDF reader copies it
    answer = client.get(f"/verify/{broken}", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "current"
    pasted = client.get("/verify/", {"code": f"http://testserver/verify/{broken}\n"})
    assert pasted.status_code == 302
    assert pasted["Location"].endswith(f"/verify/{code}")


# A link or code copied out of a text, with what a sentence in any script puts around it.
AROUND = [
    "{}/",
    "{}.",
    "{}).",
    "{}/.",
    "{}//",
    "{}\u201d",
    "{}!",
    "{}\u2026",
    "{}\u3002",
    '"{}"',
    "<{}>",
    "({})",
    "[{}]",
    "\u00ab{}\u00bb",
    "\u300c{}\u300d",
    "\u201c{}\u201d.",
    "See {}, then sign.",
    "{}-",
    "{}\n",
    "{}\r\n",
    "_{}_",
]


@pytest.mark.parametrize("around", AROUND)
def test_a_link_or_code_copied_with_what_surrounds_it_in_a_text_still_verifies(
    client, register, around
):
    link = qr_link(get_certificate(client, register.shared, "en").content)
    code = urlsplit(link).path.rsplit("/", 1)[-1]
    for copied in (link, code):
        pasted = client.get("/verify/", {"code": around.format(copied)})
        assert pasted.status_code == 302, (around, pasted.content[:300])
        assert pasted["Location"].endswith(f"/verify/{code}")
    pasted = client.get("/verify/", {"code": around.format(quote(link, safe=""))})
    assert pasted["Location"].endswith(f"/verify/{code}"), around  # percent-encoded
    # Followed or typed into the address bar: the path holds the code and its company.
    for path in (around.format(code), around.format(link)):
        answer = client.get(f"/verify/{quote(path)}", HTTP_ACCEPT="application/json")
        assert answer.status_code == 200, (path, answer.content[:300])
        assert answer.json()["status"] == "current"


@pytest.mark.parametrize("pasted", ["abc/", "/", "https://example.org/verify/", " . "])
def test_a_paste_without_a_code_is_told_so_not_a_500(client, pasted):
    answer = client.get("/verify/", {"code": pasted})
    if answer.status_code == 302:  # "abc": a code, which the verify page refuses
        answer = client.get(answer["Location"])
        assert answer.status_code == 400
    else:
        assert answer.status_code == 400
        assert b'id="code-error"' in answer.content


@pytest.mark.parametrize("char", ["\u00ad", "\u200b", "\u2060", "\ufeff", "\u200e"])
def test_a_code_pasted_with_invisible_characters_in_it_still_verifies(client, register, char):
    code = _codes(client, register.shared)
    # A PDF reader or a messenger may put a soft hyphen or a zero-width space where it
    # broke the line; nobody sees them.
    pasted = f"{char}{code[:60]}{char}{code[60:120]}{char}{code[120:]}{char}"
    answer = client.get(f"/verify/{quote(pasted)}", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "current", answer.content


def test_the_certificates_history_lists_every_holder_though_names_mask_alike(notary):
    parcel = ParcelFactory()
    heirs = ["Nguyễn Văn An", "Nguyễn Việt Anh", "Nguyễn Vũ An", "Trần Thị Bình"]
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person(name), Fraction(1, 4)) for name in heirs],
        deed=deed(notary, parcel.pk),
    )
    certificate = certificates.issue_certificate(
        parcel.pk, user=AnonymousUser(), language="en", verify_url=lambda code: code
    )
    assert certificate is not None
    (registration,) = certificate.history
    assert registration.holders_after == ["Nguyễn V. A."] * 3 + ["Trần T. B."]
