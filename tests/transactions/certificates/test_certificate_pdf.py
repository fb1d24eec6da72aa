"""The certificate as a PDF: every value printed, in every language, with a QR that scans.

Unit tests of the renderer: certificates are built by hand and no test asks for `db`, so
pytest-django makes no test database for them. The PDF is read back with pdfium (text,
and page 1 as an image for the QR decoder), the way a reader's software would see it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pypdfium2
import pytest
import shapely
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext
from reportlab.pdfbase import pdfmetrics
from shapely.geometry import MultiPolygon, Polygon, box

from transactions.certificates import pdf as certificate_pdf
from transactions.certificates.issue import (
    Certificate,
    CertificateEntry,
    CertificateHolder,
    CertificatePrice,
    CertificateRight,
    CertificateZone,
    LocationMap,
    MapParcel,
)

HEAD_HASH = "3f9a0c5be1d24e7f8a6b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
VERIFY_URL = "https://landinfo.example.org/verify/AQAAAAEBAAAAAAAAAHsAAAAAAAAE0gAAAABnVkKA"


def _neighbourhood(origin: tuple[float, float], subject_label: str) -> LocationMap:
    """Return a 10 × 10 block of 20 m lots around a subject lot with a courtyard."""
    x0, y0 = origin
    parcels = []
    for row in range(10):
        for column in range(10):
            lot = box(x0 + column * 20, y0 + row * 20, x0 + column * 20 + 20, y0 + row * 20 + 20)
            subject = (row, column) == (5, 4)
            if subject:
                courtyard = box(x0 + 93, y0 + 103, x0 + 97, y0 + 107)
                lot = Polygon(lot.exterior.coords, [courtyard.exterior.coords])
            parcels.append(
                MapParcel(
                    label=subject_label if subject else str(100 + row * 10 + column),
                    wkb=shapely.to_wkb(MultiPolygon([lot])),
                    subject=subject,
                )
            )
    return LocationMap(bounds=(x0 - 10, y0 - 10, x0 + 210, y0 + 210), parcels=parcels, srid=0)


def _entry(sequence: int, kind: str, day: dt.date, **fields: object) -> CertificateEntry:
    values: dict[str, object] = {
        "transfer_type": None,
        "holders_before": [],
        "holders_after": [],
        "made_from": [],
        "made_into": [],
    }
    values.update(fields)
    return CertificateEntry(
        sequence=sequence,
        kind=kind,
        effective_date=day,
        recorded_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC),
        **values,  # type: ignore[arg-type]
    )


def vietnamese_certificate(language: str = "vi", **changes: object) -> Certificate:
    """Return a certificate of a Hà Nội parcel: two co-owners, a bank's mortgage, a split."""
    owners = [("Nguyễn V*** A", "1/2"), ("Trần T*** B", "1/2")]
    rights = [
        CertificateRight(
            kind="ownership",
            share=share,
            holder=CertificateHolder(name=name, kind="person", full=False),
            valid_from=dt.date(2019, 6, 14),
            valid_to=None,
            certificate_number=f"CS 0{index}4521",
            begun_by=1203,
        )
        for index, (name, share) in enumerate(owners, start=1)
    ]
    rights.append(
        CertificateRight(
            kind="mortgage",
            share="1/1",
            holder=CertificateHolder(
                name="Ngân hàng TMCP Ngoại thương Việt Nam", kind="organisation", full=False
            ),
            valid_from=dt.date(2021, 3, 2),
            valid_to=dt.date(2031, 3, 2),
            certificate_number="",
            begun_by=2417,
        )
    )
    history = [
        _entry(
            412,
            "first_registration",
            dt.date(2004, 8, 30),
            holders_after=["Lê V*** C"],
        ),
        _entry(
            1203,
            "transfer",
            dt.date(2019, 6, 14),
            transfer_type="sale",
            holders_before=["Lê V*** C"],
            holders_after=["Nguyễn V*** A", "Trần T*** B"],
        ),
        _entry(
            2417, "mortgage", dt.date(2021, 3, 2), holders_after=["Ngân hàng TMCP Ngoại thương"]
        ),
        _entry(
            3088,
            "subdivision",
            dt.date(2024, 11, 5),
            holders_before=["Nguyễn V*** A", "Trần T*** B"],
            holders_after=["Nguyễn V*** A", "Trần T*** B"],
            made_into=["Tờ 12, thửa 347", "Tờ 12, thửa 348"],
        ),
    ]
    certificate = Certificate(
        parcel_id=88231,
        identifier="VN-01-00277-12-345",
        display="Tờ 12, thửa 345",
        address="Số 18 ngõ 42 phố Đội Cấn, phường Ngọc Hà",
        lot_address="thửa đất số 345, tờ bản đồ số 12, Phường Ngọc Hà, Thành phố Hà Nội",
        admin_unit="Phường Ngọc Hà, Thành phố Hà Nội",
        land_use_code="ODT",
        land_use_name="Đất ở tại đô thị",
        land_use_name_en="Urban residential land",
        registered_area=1234.5,
        computed_area=1236.08,
        valid_from=dt.date(2004, 8, 30),
        valid_to=None,
        retired=False,
        zoning=[
            CertificateZone(
                code="R2", name="Đất ở mật độ trung bình", plan="QH 1/2000 Ba Đình", share=0.72
            ),
            CertificateZone(code="GT", name="Đất giao thông", plan="QH 1/2000 Ba Đình", share=0.18),
            CertificateZone(code="CX", name="Đất cây xanh", plan="QH 1/500 Ngọc Hà", share=0.1),
        ],
        prices=[
            CertificatePrice(year=2026, price_per_m2=187_500_000, currency="VND"),
            CertificatePrice(year=2025, price_per_m2=162_000_000, currency="VND"),
            CertificatePrice(year=2024, price_per_m2=95_400_000, currency="VND"),
            CertificatePrice(year=2020, price_per_m2=54_000_000, currency="VND"),
        ],
        rights=rights,
        parents=["Tờ 12, thửa 201"],
        children=["Tờ 12, thửa 347", "Tờ 12, thửa 348"],
        history=history,
        location_map=_neighbourhood((585_000.0, 2_325_000.0), "345"),
        sequence=4821,
        head_hash=HEAD_HASH,
        issued_at=dt.datetime(2026, 11, 28, 2, 43, 9, tzinfo=dt.UTC),
        issued_on=dt.date(2026, 11, 28),
        language=language,
        profile="vn",
        full=False,
        code="AQAAAAEBAAAAAAAAAHsAAAAAAAAE0gAAAABnVkKA",
        verify_url=VERIFY_URL,
    )
    return dataclasses.replace(certificate, **changes)  # type: ignore[arg-type]


def korean_certificate(language: str = "ko", **changes: object) -> Certificate:
    """Return a certificate of a Seoul lot held by two people with Hangul names."""
    rights = [
        CertificateRight(
            kind="ownership",
            share=share,
            holder=CertificateHolder(name=name, kind="person", full=False),
            valid_from=dt.date(2018, 4, 20),
            valid_to=None,
            certificate_number="2018-004512",
            begun_by=903,
        )
        for name, share in (("김*수", "2/3"), ("박*영", "1/3"))
    ]
    rights.append(
        CertificateRight(
            kind="mortgage",
            share="1/1",
            holder=CertificateHolder(name="주식회사 국민은행", kind="organisation", full=False),
            valid_from=dt.date(2022, 1, 10),
            valid_to=None,
            certificate_number="",
            begun_by=1777,
        )
    )
    certificate = vietnamese_certificate(
        language,
        identifier="1168010100-1-0123-0004",
        display="역삼동 123-4",
        address="서울특별시 강남구 테헤란로 152",
        admin_unit="서울특별시 강남구 역삼동",
        land_use_code="대",
        land_use_name="대지",
        land_use_name_en="Building site",
        registered_area=330.6,
        computed_area=331.2,
        zoning=[
            CertificateZone(
                code="UQA220", name="제2종일반주거지역", plan="서울도시관리계획", share=1.0
            )
        ],
        prices=[
            CertificatePrice(year=2026, price_per_m2=41_250_000, currency="KRW"),
            CertificatePrice(year=2025, price_per_m2=39_800_000, currency="KRW"),
        ],
        rights=rights,
        parents=[],
        children=[],
        history=[
            _entry(
                903,
                "transfer",
                dt.date(2018, 4, 20),
                transfer_type="inheritance",
                holders_before=["최*호"],
                holders_after=["김*수", "박*영"],
            ),
            _entry(1777, "mortgage", dt.date(2022, 1, 10), holders_after=["주식회사 국민은행"]),
        ],
        location_map=_neighbourhood((202_000.0, 544_000.0), "123-4"),
        profile="kr",
    )
    return dataclasses.replace(certificate, **changes)  # type: ignore[arg-type]


def _text(pdf_bytes: bytes) -> str:
    pdf = pypdfium2.PdfDocument(pdf_bytes)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def _flat(text: str) -> str:
    """Return `text` without whitespace: a cell may wrap a value over lines anywhere."""
    return re.sub(r"\s+", "", text)


def _position(sequence: int, language: str) -> str:
    """Return the journal position as the verification box prints it in `language`."""
    with translation.override(language):
        return gettext("Issued at journal entry #%(sequence)s") % {"sequence": sequence}


@pytest.mark.parametrize("language", ["vi", "ko", "en"])
def test_every_value_of_a_vietnamese_certificate_is_printed(language: str) -> None:
    certificate = vietnamese_certificate(language)

    text = _text(certificate_pdf.render_pdf(certificate))

    area = {"vi": "1.234,5 m²", "ko": "1,234.5㎡", "en": "1,234.5 m²"}[language]
    land_use = "Đất ở tại đô thị" if language == "vi" else "Urban residential land"
    expected = [
        certificate.identifier,
        certificate.display,
        certificate.address,
        "Phường Ngọc Hà, Thành phố Hà Nội",
        area,
        land_use,
        "Đất ở mật độ trung bình",
        "Đất giao thông",
        "Đất cây xanh",
        "Nguyễn V*** A",
        "Trần T*** B",
        "Ngân hàng TMCP Ngoại thương Việt Nam",
        "1/2",
        "CS 014521",
        "Tờ 12, thửa 347",
        "Tờ 12, thửa 201",
    ]
    expected += {
        "vi": ["187.500.000 đồng", "54.000.000 đồng"],
        "ko": ["187,500,000동", "54,000,000동"],
        "en": ["VND 187,500,000", "VND 54,000,000"],
    }[language]
    for value in expected:
        assert _flat(value) in _flat(text), value
    # Names, not codes: the land use's and the zones' codes are not printed.
    for code in ("ODT", "R2", "GT", "CX"):
        assert not re.search(rf"\b{code}\b", text), code
    # The journal's position and hash only in the verification box, once each.
    position = _position(certificate.sequence, language)
    assert _flat(text).count(_flat(position)) == 1
    assert re.findall(r"#\d+", text) == re.findall(r"#\d+", position)
    assert _flat(text).count(HEAD_HASH) == 1
    assert VERIFY_URL in _flat(text)


@pytest.mark.parametrize(
    ("language", "title", "ownership"),
    [
        # What the offices call the land information they give (see certificates.pdf).
        ("vi", "Văn bản cung cấp thông tin đất đai", "Quyền sử dụng đất"),
        ("ko", "부동산종합증명서(토지)", "소유권"),
        ("en", "Land information statement", "ownership / land-use right"),
    ],
)
def test_labels_are_printed_in_the_certificates_language(
    language: str, title: str, ownership: str
) -> None:
    text = _text(certificate_pdf.render_pdf(vietnamese_certificate(language)))

    assert title in text
    assert _flat(ownership).lower() in _flat(text).lower()


@pytest.mark.parametrize("language", ["ko", "en", "vi"])
def test_every_value_of_a_korean_certificate_is_printed(language: str) -> None:
    certificate = korean_certificate(language)

    text = _text(certificate_pdf.render_pdf(certificate))

    land_use = "대지" if language == "ko" else "Building site"
    expected = [
        "서울특별시 강남구 테헤란로 152",
        "역삼동 123-4",
        "김*수",
        "박*영",
        "2/3",
        "주식회사 국민은행",
        "제2종일반주거지역",
        land_use,
        {"vi": "41.250.000 won", "ko": "41,250,000원", "en": "KRW 41,250,000"}[language],
    ]
    for value in expected:
        assert _flat(value) in _flat(text), value
    assert "UQA220" not in text  # the zone's name, not its code
    # No journal entry (#903, #1777) outside the verification box.
    position = _position(certificate.sequence, language)
    assert _flat(text).count(_flat(position)) == 1
    assert re.findall(r"#\d+", text) == re.findall(r"#\d+", position)
    assert HEAD_HASH in _flat(text)


def test_korean_holder_names_render_on_an_english_certificate() -> None:
    pdf_bytes = certificate_pdf.render_pdf(korean_certificate("en"))

    text = _text(pdf_bytes)

    assert "Rights in force" in text
    assert "김*수" in text
    # Hangul needs the CJK font, embedded beside DejaVu.
    assert b"NanumGothic" in pdf_bytes
    assert b"DejaVuSans" in pdf_bytes


@pytest.mark.parametrize("certificate", [vietnamese_certificate(), korean_certificate()])
def test_the_qr_code_on_page_one_scans_to_the_verify_url(certificate: Certificate) -> None:
    pdf = pypdfium2.PdfDocument(certificate_pdf.render_pdf(certificate))

    image = pdf[0].render(scale=200 / 72).to_pil()

    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert {barcode.text for barcode in found} == {VERIFY_URL}  # once, or read twice


def test_a_long_history_flows_onto_later_pages_with_every_entry() -> None:
    history = [
        _entry(
            10 + n,
            "transfer",
            dt.date(1990, 1, 1) + dt.timedelta(days=90 * n),
            transfer_type="sale",
            holders_before=[f"Người {n}"],
            holders_after=[f"Người {n + 1}"],
        )
        for n in range(120)
    ]
    certificate = vietnamese_certificate("en", history=history)

    pdf_bytes = certificate_pdf.render_pdf(certificate)

    pdf = pypdfium2.PdfDocument(pdf_bytes)
    assert len(pdf) >= 2
    text = _text(pdf_bytes)
    flat = _flat(text)
    assert all(_flat(f"Người {n} → Người {n + 1}") in flat for n in range(120))
    assert f"Page 2 of {len(pdf)}" in text


def test_a_holder_shown_in_full_is_marked_and_the_personal_data_notice_printed() -> None:
    certificate = vietnamese_certificate("en")
    full_holder = CertificateHolder(name="Nguyễn Văn An", kind="person", full=True)
    rights = [
        dataclasses.replace(certificate.rights[0], holder=full_holder),
        *certificate.rights[1:],
    ]

    text = _text(
        certificate_pdf.render_pdf(dataclasses.replace(certificate, rights=rights, full=True))
    )

    assert "Nguyễn Văn An *" in text
    assert "Holder's name shown in full" in text
    assert "contains personal data" in text


def test_a_masked_certificate_carries_no_personal_data_notice_or_full_mark() -> None:
    text = _text(certificate_pdf.render_pdf(vietnamese_certificate("en")))

    assert "contains personal data" not in text
    assert "shown in full" not in text


def test_empty_sections_say_so() -> None:
    certificate = vietnamese_certificate("en", rights=[], prices=[], zoning=[])

    text = _text(certificate_pdf.render_pdf(certificate))

    assert "No rights in force" in text
    assert text.count("None registered") == 2


def test_a_neighbour_with_nothing_left_inside_the_frame_is_skipped() -> None:
    base = vietnamese_certificate("vi")
    empty = MapParcel(label="999", wkb=shapely.to_wkb(MultiPolygon()), subject=False)
    location_map = dataclasses.replace(
        base.location_map, parcels=[empty, *base.location_map.parcels]
    )
    certificate = dataclasses.replace(base, location_map=location_map)

    text = _text(certificate_pdf.render_pdf(certificate))

    assert base.identifier in text and "999" not in text


def test_a_retired_parcel_states_the_day_it_was_retired() -> None:
    certificate = vietnamese_certificate("vi", retired=True, valid_to=dt.date(2024, 11, 5))

    text = _text(certificate_pdf.render_pdf(certificate))

    assert "05/11/2024" in text


def test_a_missing_font_file_is_refused_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "NanumGothicExtra.ttf"
    fonts = {"NanumGothicExtra": certificate_pdf.FontFile(missing, "fonts-nanum-extra")}
    monkeypatch.setattr(certificate_pdf, "FONT_FILES", {**certificate_pdf.FONT_FILES, **fonts})

    with pytest.raises(ImproperlyConfigured, match="fonts-nanum-extra") as refused:
        certificate_pdf.render_pdf(vietnamese_certificate())

    assert str(missing) in str(refused.value)


@pytest.mark.parametrize(
    ("target", "expected"),
    [(55.0, 50.0), (230.0, 200.0), (1.0, 1.0), (0.37, 0.2), (9999.0, 5000.0)],
)
def test_the_scale_bar_takes_a_round_length(target: float, expected: float) -> None:
    assert certificate_pdf.round_length(target) == pytest.approx(expected)


def test_markup_escapes_xml_and_puts_hangul_runs_in_the_cjk_font() -> None:
    assert certificate_pdf.markup("A & <B> 김 철수, Đà Nẵng") == (
        'A &amp; &lt;B&gt; <font name="NanumGothic">김 철수</font>, Đà Nẵng'
    )


@pytest.mark.parametrize(
    ("zone", "printed"),
    [
        ("Asia/Seoul", "2026-11-28 01:30:00 (UTC+09:00, Asia/Seoul)"),
        ("Asia/Ho_Chi_Minh", "2026-11-27 23:30:00 (UTC+07:00, Asia/Ho_Chi_Minh)"),
    ],
)
def test_the_moment_of_issue_is_printed_in_the_register_time_zone(settings, zone, printed):
    settings.TIME_ZONE = zone
    certificate = vietnamese_certificate(
        "en", issued_at=dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.UTC)
    )
    text = _text(certificate_pdf.render_pdf(certificate))
    assert printed in " ".join(text.split())
    assert "UTC)" not in text and "Z\n" not in text


# --- the printed link -------------------------------------------------------------------------


def _punctuated_codes(count: int, seed: int) -> list[str]:
    """Return codes of a certificate's length, a third of whose characters are "-" or "_".

    Real codes are URL-safe base64, where "-" and "_" are 1 in 32 characters; crowding
    them makes every place a line can end land on or next to one.
    """
    import random

    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    # The last character of 128 bytes in base64 holds 4 bits: A, E, I, ... never "-".
    return [
        "".join(
            rng.choice("-_") if rng.random() < 1 / 3 else rng.choice(letters) for _ in range(170)
        )
        + rng.choice("AEIMQUYcgkosw048")
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    "host", ["https://landinfo.example.gov.vn", "http://so-tn-mt.ha-noi.gov.vn:8000"]
)
def test_the_printed_verification_link_is_copied_back_whole(host):
    """Copied from the PDF, the link has only line breaks added, whatever its code."""
    for code in _punctuated_codes(20, seed=len(host)):
        url = f"{host}/verify/{code}"
        text = _text(certificate_pdf.render_pdf(vietnamese_certificate("en", verify_url=url)))
        assert url in _flat(text), code


def test_a_link_is_cut_only_after_a_letter_or_digit_and_every_line_fits():
    font, size, width = "DejaVuSansMono", 6.5, 300.0
    for code in _punctuated_codes(300, seed=11):
        url = f"https://landinfo.example.gov.vn/verify/{code}"
        lines = certificate_pdf.link_lines(url, font, size, width)
        assert "".join(lines) == url
        assert len(lines) > 1
        for line in lines[:-1]:
            assert line[-1].isalnum(), lines
        for line in lines:
            assert pdfmetrics.stringWidth(line, font, size) <= width
