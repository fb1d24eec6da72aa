"""Every day, area and amount a page or paper prints is written the profile's way.

The demo register (random seed) is loaded; the pages people read (map page, deed forms,
applications queue and detail, receipts, status, the verify page, the planner) and the
papers (certificate and receipt PDFs) are rendered in Vietnamese and Korean; every token
that looks like a day, an area or an amount is found with loose patterns and must be
written as the language writes it on official papers. The expected forms are written
out here by hand: the rule itself is landinfo.profiles.conventions.
"""

from __future__ import annotations

import html
import json
import random
import re
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import call_command
from django.db.models import Count

from landinfo.profiles import get_profile
from parcels.models import LandPrice
from tests.factories import user_with_role
from transactions.models import Application, Right

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

# Loose: anything a person could read as a day, in any of the forms pages used to print.
_DAY_LIKE = re.compile(
    r"(?<![\d.,])\d{4}\s?[-/.]\s?\d{1,2}\s?[-/.]\s?\d{1,2}(?:\s?\.)?(?![\d])"
    r"|(?<![\d.,/-])\d{1,2}[-/.]\d{1,2}[-/.]\d{4}(?![\d])"
    r"|\d{4}년\s?\d{1,2}월\s?\d{1,2}일"
    r"|\d{1,2}\s+thg\s+\d{1,2}"
)
_DAY = {
    "vi": re.compile(r"\d{2}/\d{2}/\d{4}"),  # 11/06/2008
    "ko": re.compile(r"\d{4}\. [1-9]\d?\. [1-9]\d?\."),  # 2008. 6. 11.
}
# A figure, then a square metre in any spelling.
_AREA_LIKE = re.compile(r"\d[\d.,\u00a0\u202f ]*\s?(?:m²|㎡|m2\b)")
_AREA = {
    "vi": re.compile(r"(?:\d{1,3}(?:\.\d{3})*),\d m²"),  # 1.234,5 m²
    "ko": re.compile(r"(?:\d{1,3}(?:,\d{3})*)\.\d㎡"),  # 1,234.5㎡
}
# The unit a language must never print.
_FOREIGN_UNIT = {"vi": "㎡", "ko": "m²"}


def _amount_patterns(currency: str, language: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return (anything like an amount in `currency`, the form `language` writes it in)."""
    words = {"VND": r"đồng|VND|₫|동(?![가-힣])", "KRW": r"원|won|KRW|₩"}[currency]
    loose = re.compile(rf"(?:{words})\s?\d[\d.,]*|\d[\d.,]*\s?(?:{words})")
    word = {("VND", "vi"): " đồng", ("VND", "ko"): "동", ("KRW", "vi"): " won"}
    word[("KRW", "ko")] = "원"
    grouped = r"\d{1,3}(?:\.\d{3})*" if language == "vi" else r"\d{1,3}(?:,\d{3})*"
    return loose, re.compile(grouped + re.escape(word[(currency, language)]))


def _visible(page: str) -> str:
    """Return what a reader sees of an HTML page: no scripts, styles, tags or attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def _qr_link(content: bytes) -> str:
    image = pdfium.PdfDocument(content)[0].render(scale=200 / 72).to_pil()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return codes[0].text


def _misprinted(text: str, language: str, currency: str) -> list[str]:
    """Return every day, area and amount in `text` not written as `language` writes it."""
    wrong = [
        f"day {m[0]!r}" for m in _DAY_LIKE.finditer(text) if not _DAY[language].fullmatch(m[0])
    ]
    wrong += [
        f"area {m[0].strip()!r}"
        for m in _AREA_LIKE.finditer(text)
        if not _AREA[language].fullmatch(m[0].strip())
    ]
    foreign = re.escape(_FOREIGN_UNIT[language])
    wrong += [f"unit in {m[0]!r}" for m in re.finditer(rf".{{0,30}}{foreign}.{{0,10}}", text)]
    loose, exact = _amount_patterns(currency, language)
    wrong += [f"amount {m[0]!r}" for m in loose.finditer(text) if not exact.fullmatch(m[0])]
    return wrong


@pytest.fixture
def demo(tmp_path, settings, monkeypatch):
    """Load the demo register, with a random seed, and a signing key of this test only."""
    from fixtures.management.commands import load_demo

    settings.LANDINFO = {
        **settings.LANDINFO,
        "SIGNING_KEY_FILE": tmp_path / "keys" / "ledger-ed25519.pem",
        "VERIFY_KEY_FILES": [],
    }
    call_command("generate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    seed = random.randrange(1, 10_000)
    monkeypatch.setattr(load_demo, "DEMO_SEED", seed)
    monkeypatch.setattr(load_demo, "DEMO_PARCELS", 600)
    monkeypatch.setattr(load_demo, "DEMO_COMMUNE_PARCELS", 300)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return seed


def _pages(client, language: str) -> dict[str, str]:
    """Return the text a reader sees on each page and paper, by name."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    priced = set(LandPrice.objects.values_list("parcel_id", flat=True))
    mortgaged = (
        Right.objects.filter(kind=Right.Kind.MORTGAGE, ended_by__isnull=True, parcel_id__in=priced)
        .order_by("parcel_id")
        .values_list("parcel_id", flat=True)
        .first()
    )
    shared = (
        Right.objects.filter(ended_by__isnull=True, kind=Right.Kind.OWNERSHIP)
        .values("parcel_id")
        .annotate(holders=Count("id"))
        .filter(holders__gt=1)
        .order_by("parcel_id")
        .values_list("parcel_id", flat=True)
        .first()
    )
    assert mortgaged is not None and shared is not None
    texts: dict[str, str] = {}

    def page(name: str, path: str, drop: str = "", **query: object) -> None:
        response = client.get(path, query)
        assert response.status_code == 200, (name, response.status_code)
        if response["Content-Type"] == "application/pdf":
            texts[name] = _pdf_text(response.content)
        else:
            texts[name] = _visible(
                re.sub(drop or "(?!)", "", response.content.decode(), flags=re.S)
            )

    certificate = client.get(f"/parcels/{mortgaged}/certificate.pdf", {"lang": language})
    assert certificate.status_code == 200
    texts["certificate"] = _pdf_text(certificate.content)
    page("verify", urlsplit(_qr_link(certificate.content)).path)
    page("map", "/")
    client.force_login(user_with_role("notary"))
    page("transfer form", "/deeds/transfer/", parcel=shared)
    page("discharge form", "/deeds/discharge/", parcel=mortgaged)
    page("subdivision form", "/deeds/subdivision/", parcel=shared)
    client.force_login(user_with_role("registrar"))
    page("queue", "/applications/")
    for application in Application.objects.order_by("receipt_number"):
        receipt = application.receipt_number
        page(f"application {receipt}", f"/applications/{receipt}/")
        page(f"receipt {receipt}", f"/applications/{receipt}/receipt")
        page(f"receipt pdf {receipt}", f"/applications/{receipt}/receipt.pdf")
        page(f"status {receipt}", f"/applications/{receipt}/status", code=application.status_code)
    client.force_login(user_with_role("planner"))
    # The layers' descriptions are still printed untranslated, in English ("Area on the
    # certificate, m²."): issue 20's wording part translates them; until then they are
    # not this test's to read.
    page("planner", "/planner/", drop=r'<p class="layer-description">.*?</p>|<dl>.*?</dl>')
    return texts


@pytest.mark.parametrize("language", ["vi", "ko"])
def test_every_day_area_and_amount_printed_follows_the_profiles_format(client, demo, language):
    currency = get_profile().currency
    texts = _pages(client, language)
    wrong = {
        name: found
        for name, text in texts.items()
        if (found := _misprinted(text, language, currency))
    }
    assert wrong == {}, f"seed {demo}"
    # Not vacuous: the certificate prints days, areas and prices, the queue days.
    _, amount = _amount_patterns(currency, language)
    assert _DAY[language].search(texts["certificate"]) and _DAY[language].search(texts["queue"])
    assert _AREA[language].search(texts["certificate"]) and _AREA[language].search(
        texts["transfer form"]
    )
    assert amount.search(texts["certificate"])


@pytest.mark.parametrize("language", ["vi", "ko", "en"])
def test_the_browser_is_given_the_formats_the_server_prints_with(client, language):
    """The map's script writes figures from #landinfo-formats: the page's language's."""
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    found = re.search(r'<script id="landinfo-formats" type="application/json">(.*?)</script>', page)
    assert found is not None
    formats = json.loads(found[1])
    expected = {
        "vi": {"day": "{d:02d}/{m:02d}/{y}", "thousands": ".", "decimal": ",", "areaUnit": "m²"},
        "ko": {"day": "{y}. {m}. {d}.", "thousands": ",", "decimal": ".", "areaUnit": "㎡"},
        "en": {
            "day": "{y:04d}-{m:02d}-{d:02d}",
            "thousands": ",",
            "decimal": ".",
            "areaUnit": "m²",
        },
    }[language]
    assert {key: formats[key] for key in expected} == expected
    assert formats["areaDecimals"] == 1
    assert formats["timeZone"] == get_profile().time_zone
