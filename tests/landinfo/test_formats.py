"""Figures as people read them: each profile's day, number, area and money formats, per language."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from landinfo import formats
from landinfo.dates import register_day
from landinfo.profiles import PROFILES

pytestmark = pytest.mark.every_profile


@pytest.fixture(params=sorted(PROFILES))
def profile_key(request, settings):
    settings.LANDINFO = {**settings.LANDINFO, "PROFILE": request.param}
    return request.param


# Written out by hand, as official papers write them: (profile, language) → day, number
# with one decimal, area, amount, price per square metre.
WRITTEN = {
    ("vn", "vi"): (
        "11/06/2008",
        "1.234.567,5",
        "405,9 m²",
        "1.250.000.000 đồng",
        "12.500.000 đồng/m²",
    ),
    ("vn", "ko"): ("2008. 6. 11.", "1,234,567.5", "405.9㎡", "1,250,000,000동", "12,500,000동/㎡"),
    ("vn", "en"): (
        "2008-06-11",
        "1,234,567.5",
        "405.9 m²",
        "VND 1,250,000,000",
        "VND 12,500,000/m²",
    ),
    ("kr", "ko"): ("2008. 6. 11.", "1,234,567.5", "405.9㎡", "1,250,000,000원", "12,500,000원/㎡"),
    ("kr", "vi"): (
        "11/06/2008",
        "1.234.567,5",
        "405,9 m²",
        "1.250.000.000 won",
        "12.500.000 won/m²",
    ),
    ("kr", "en"): (
        "2008-06-11",
        "1,234,567.5",
        "405.9 m²",
        "KRW 1,250,000,000",
        "KRW 12,500,000/m²",
    ),
}


@pytest.mark.parametrize("language", ["vi", "ko", "en"])
def test_each_profile_writes_days_numbers_areas_and_amounts_as_its_papers_do(profile_key, language):
    day, number, area, amount, price = WRITTEN[(profile_key, language)]
    assert register_day(dt.date(2008, 6, 11), language) == day
    assert formats.register_number(1234567.49, 1, language) == number
    assert formats.register_area(Decimal("405.90"), language) == area
    assert formats.register_amount(1_250_000_000, language=language) == amount
    assert formats.register_price(12_500_000, language=language) == price
    with translation.override(language):  # the page's language by default, and in templates
        assert formats.register_area(405.9) == area
        page = Template(
            "{% load landinfo_formats %}{{ a|register_area }}|{{ p|register_amount }}"
        ).render(Context({"a": "405.90", "p": Decimal("1250000000")}))
        assert page == f"{area}|{amount}"


def test_one_area_is_printed_with_the_same_decimals_everywhere(profile_key):
    # Circular 10/2024/TT-BTNMT (VN) and 공간정보관리법 시행령 제60조 (KR): one decimal.
    draw = random.Random()
    for _ in range(200):
        value = Decimal(draw.randrange(1, 10**8)) / 100
        for language in ("vi", "ko", "en"):
            written = formats.register_area(value, language)
            digits = written.rstrip(" m²㎡")
            decimal_mark = "," if language == "vi" else "."
            assert len(digits.rsplit(decimal_mark, 1)[1]) == 1, written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("405.25"), "405,3 m²"),
        (Decimal("405.24"), "405,2 m²"),
        (0.05, "0,1 m²"),
        (0, "0,0 m²"),
    ],
)
def test_areas_round_half_up_as_a_surveyor_rounds(settings, value, written):
    settings.LANDINFO = {**settings.LANDINFO, "PROFILE": "vn"}
    assert formats.register_area(value, "vi") == written


def test_a_language_without_formats_of_its_own_writes_as_english_and_nothing_is_a_dash(profile_key):
    assert formats.register_number(1234.5, 1, "fr") == "1,234.5"
    assert formats.register_area(None, "vi") == "—"
    assert formats.register_amount(None, language="ko") == "—"


def test_a_measured_area_may_keep_its_hundredths(profile_key):
    assert formats.register_area(0.04, "vi", decimals=2) == "0,04 m²"
    assert formats.register_area(0.04, "ko", decimals=2) == "0.04㎡"


def test_negative_figures_keep_their_sign_and_zero_has_none(profile_key):
    assert formats.register_number(-1234.5, 1, "vi") == "-1.234,5"
    assert formats.register_number(-0.04, 1, "en") == "0.0"


def test_percentages_are_written_with_the_languages_decimal_mark(profile_key):
    assert formats.register_percent(0.125, 1, "vi") == "12,5%"
    assert formats.register_percent(0.125, 1, "ko") == "12.5%"


@pytest.mark.parametrize(
    ("key", "units", "written"),
    [
        (
            "vn",
            [(1, "Thành phố Hồ Chí Minh"), (2, "Quận 1"), (3, "Phường Bến Thành")],
            "Phường Bến Thành, Thành phố Hồ Chí Minh",
        ),
        ("vn", [(1, "Tỉnh Mẫu (dữ liệu tổng hợp)"), (3, "Phường Mẫu 2")], "Phường Mẫu 2, Tỉnh Mẫu"),
        ("kr", [(1, "서울특별시"), (2, "종로구"), (3, "청운동")], "서울특별시 종로구 청운동"),
        (
            "kr",
            [(1, "경기도"), (2, "양평군"), (3, "양평읍"), (4, "도곡리")],
            "경기도 양평군 양평읍 도곡리",
        ),
    ],
)
def test_each_profile_writes_a_chain_of_units_as_its_addresses_do(key, units, written):
    # Vietnam: two levels since 1 July 2025, smallest first; a district kept from before
    # is no part of an address. Korea: largest first, spaced, no commas.
    assert PROFILES[key].unit_address(units) == written


def test_each_profile_names_its_levels_in_every_language():
    vietnam, korea = PROFILES["vn"], PROFILES["kr"]
    assert [level.level for level in vietnam.administrative_levels] == [1, 3]
    assert [level.level for level in korea.administrative_levels] == [1, 2, 3, 4]
    assert vietnam.administrative_level(3).name("vi") == "Xã/Phường/Đặc khu"
    assert korea.administrative_level(2).name("ko") == "시·군·구"
    assert vietnam.administrative_level(2) is None
    for profile in (vietnam, korea):
        for level in profile.administrative_levels:
            assert all(level.name(language) for language in ("vi", "ko", "en"))


def test_a_lot_address_in_vietnam_leaves_out_a_district_kept_from_before_2025():
    units = [(1, "Thành phố Hà Nội"), (2, "Quận Ba Đình"), (3, "Phường Ngọc Hà")]
    assert PROFILES["vn"].lot_address("00004-12-345", units) == (
        "thửa đất số 345, tờ bản đồ số 12, Phường Ngọc Hà, Thành phố Hà Nội"
    )
    assert PROFILES["vn"].lot_address("unreadable", units) == (
        "unreadable, Phường Ngọc Hà, Thành phố Hà Nội"
    )


# --- the browser writes as the server does -------------------------------------------------

_HARNESS = """
const fs = require("fs");
const [script, formats, written] = process.argv.slice(-3);
const cases = JSON.parse(written);
const element = { textContent: formats };
globalThis.navigator = {};
globalThis.window = globalThis;
globalThis.document = {
  documentElement: { classList: { add() {} } },
  querySelector: () => null,
  querySelectorAll: () => [],
  getElementById: (id) => (id === "landinfo-formats" ? element : null),
};
eval(fs.readFileSync(script, "utf8"));
const f = window.LandInfoFormats;
process.stdout.write(JSON.stringify({
  days: cases.days.map((day) => f.day(day)),
  areas: cases.areas.map((area) => f.area(area)),
  amounts: cases.amounts.map((amount) => f.amount(amount)),
  prices: cases.amounts.map((amount) => f.price(amount)),
  numbers: cases.areas.map((value) => f.number(value, 1)),
}));
"""


@pytest.mark.parametrize("language", ["vi", "ko", "en"])
def test_the_browser_writes_figures_as_the_server_does(profile_key, language, settings):
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: nodejs)")
    draw = random.Random()
    days = [dt.date(1990, 1, 1) + dt.timedelta(days=draw.randrange(15_000)) for _ in range(50)]
    areas = [Decimal(draw.randrange(0, 10**9)) / 100 for _ in range(200)] + [Decimal("405.25")]
    amounts = [draw.randrange(0, 10**13) for _ in range(100)]
    with translation.override(language):
        browser = json.dumps(formats.browser_formats())
    script = Path(settings.BASE_DIR) / "parcels" / "static" / "parcels" / "site.js"
    cases = {"days": [day.isoformat() for day in days], "areas": [str(a) for a in areas]}
    cases["amounts"] = amounts
    shown = json.loads(
        subprocess.run(  # noqa: S603 - node on our own script and arguments
            [node, "-e", _HARNESS, str(script), browser, json.dumps(cases)],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert shown["days"] == [register_day(day, language) for day in days]
    assert shown["areas"] == [formats.register_area(area, language) for area in areas]
    assert shown["numbers"] == [formats.register_number(area, 1, language) for area in areas]
    assert shown["amounts"] == [formats.register_amount(a, language=language) for a in amounts]
    assert shown["prices"] == [formats.register_price(a, language=language) for a in amounts]
