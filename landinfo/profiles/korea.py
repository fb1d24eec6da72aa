"""Korea: parcels identified by PNU, boundaries in Korea 2000 / Central Belt 2010.

The parcel number (필지고유번호, PNU) of the national land information systems has 19
digits: the legal-dong code (법정동코드, 10 digits, the Ministry of the Interior's
administrative standard code), the ledger type (1: land ledger 토지대장, 2: forest ledger
임야대장), the main number (본번, 4 digits) and the sub number (부번, 4 digits). People
write the lot number (지번) within a dong: "12-3", and "산 12-3" for forest-ledger lots.

Imported by settings.py before Django is configured: no Django imports here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import ClassVar, NoReturn

from landinfo.profiles.base import (
    Bounds,
    CanonicalPattern,
    Choice,
    HolderKind,
    InvalidNationalId,
    InvalidParcelIdentifier,
    JurisdictionProfile,
    LandArea,
    LandUse,
    ParcelIdentifier,
    UsualCRS,
    _Area,
)
from landinfo.profiles.conventions import AdministrativeLevel
from landinfo.profiles.survey_crs import KR_SURVEY_CRS, kr_survey_crs_of_province
from landinfo.profiles.text import (
    MAX_INPUT_LENGTH,
    compact_number,
    fold_text,
    normalize_text,
    quote_input,
)
from landinfo.translation import gettext as _
from landinfo.translation import gettext_noop

LAND_LEDGER = 1  # 토지대장
FOREST_LEDGER = 2  # 임야대장; its lots are written with "산" (mountain)

# How a lot number shows its ledger; "san" for users typing in Latin letters.
_LEDGER_BY_PREFIX = {"": LAND_LEDGER, "산": FOREST_LEDGER, "san": FOREST_LEDGER}
_PREFIX_BY_LEDGER = {LAND_LEDGER: "", FOREST_LEDGER: "산 "}

_MAIN_RANGE = range(1, 10000)  # 본번: four digits, lots are numbered from 1
_SUB_RANGE = range(0, 10000)  # 부번: four digits, 0 when the lot was never divided

_DONG_CODE = re.compile(r"[0-9]{10}")
_SEPARATOR = r"[\s.\-_/‐‑–—−]"
_SEPARATOR_CHARACTERS = " \t\n\r\f\v\u3000.-_/‐‑–—−"  # for str.strip(), a subset of _SEPARATOR
_DASH = r"[-‐‑–—−]"
# Patterns run on folded text: full-width digits are ASCII and letters lower case. No
# two neighbouring quantifiers match the same characters, so a long input cannot make
# the matcher backtrack for minutes.
_PNU = re.compile(
    rf"(?P<dong>[0-9]{{10}}){_SEPARATOR}*(?P<ledger>[0-9]){_SEPARATOR}*"
    rf"(?P<main>[0-9]{{4}}){_SEPARATOR}*(?P<sub>[0-9]{{4}})"
)
# "산 12-3", "12번지", "12-3번지", "12번지의 3" (the older "의" for the sub number).
_LOT = (
    rf"(?:(?P<prefix>산|san)\s*)?(?P<main>[0-9]+)(?:\s*번지)?"
    rf"(?:\s*(?:{_DASH}|의)\s*(?P<sub>[0-9]+))?(?:\s*번지)?"
)
_DONG_AND_LOT = re.compile(rf"(?P<dong>[0-9]{{10}}){_SEPARATOR}*{_LOT}")
_LOT_ALONE = re.compile(_LOT)
_HANGUL = re.compile(r"[가-힣]")
_DIGITS = re.compile(r"[0-9]+")
_DIGITS_AND_SEPARATORS = re.compile(rf"[0-9]+(?:{_SEPARATOR}+[0-9]+)*")

_EXAMPLES = gettext_noop(
    "'1111010100200120003' (PNU), '1111010100 산 12-3', or '산 12-3' and '12-3' within a dong"
)
_PNU_SHAPE = gettext_noop(
    "a PNU has 19 digits: legal-dong code (10), ledger type (1), main number (4) and "
    "sub number (4), e.g. '1111010100200120003' or '1111010100-2-0012-0003'"
)


def _refuse(message: str) -> NoReturn:
    """Raise InvalidParcelIdentifier; `message` is shown to the person who typed the text."""
    raise InvalidParcelIdentifier(message)


def _check_input(text: str, unit_code: str | None) -> None:
    """Refuse a dong to search in that is not a legal-dong code, and text far too long."""
    if unit_code is not None and not _DONG_CODE.fullmatch(normalize_text(unit_code)):
        _refuse(
            _(
                "The legal dong to search in must be given by its 10-digit legal-dong code "
                "(법정동코드), e.g. '1111010100'; got %(code)s."
            )
            % {"code": quote_input(unit_code)}
        )
    if len(text) > MAX_INPUT_LENGTH:
        _refuse(
            _(
                "%(text)s is too long to be a parcel identifier (%(length)s characters, at "
                "most %(most)s)."
            )
            % {"text": quote_input(text), "length": len(text), "most": MAX_INPUT_LENGTH}
        )


def _refuse_long_number(text: str, folded: str) -> NoReturn:
    """Refuse digits longer than any lot number: a PNU with digits missing or extra, or a
    bare dong code.
    """
    if len(folded) == 10:
        _refuse(
            _(
                "%(text)s is a legal-dong code without a lot number; add the lot number, e.g. "
                "'%(code)s 12-3' or '%(code)s 산 12-3'."
            )
            % {"text": quote_input(text), "code": folded}
        )
    _refuse(
        _("Cannot read %(text)s as a PNU: %(shape)s; it has %(count)s.")
        % {"text": quote_input(text), "shape": _(_PNU_SHAPE), "count": len(folded)}
    )


def _ledger(digit: str, text: str) -> int:
    """Return the ledger type written as the PNU's 11th digit."""
    if digit not in {"1", "2"}:
        _refuse(
            _(
                "The ledger type, the 11th digit of a PNU, must be 1 (land ledger, 토지대장) or "
                "2 (forest ledger, 임야대장, written '산'); got %(digit)s in %(text)s."
            )
            % {"digit": repr(digit), "text": quote_input(text)}
        )
    return int(digit)


def _lot_number(token: str, allowed: range, what: str, text: str) -> int:
    """Return the main or sub number written as `token` if it lies in `allowed`."""
    digits = token.lstrip("0") or "0"
    # Comparing lengths first keeps a pasted run of digits away from int()'s size limit.
    if len(digits) > 4 or int(digits) not in allowed:
        _refuse(
            _("The %(part)s must be %(least)s to %(maximum)s; got %(token)s in %(text)s.")
            % {
                "part": _(what),
                "least": allowed.start,
                "maximum": allowed.stop - 1,
                "token": quote_input(token),
                "text": quote_input(text),
            }
        )
    return int(digits)


def _names_dong(folded: str) -> bool:
    """Return whether `folded` is a lot number after a place name ("청운동 12-3").

    The register cannot resolve a name to one legal dong: many share a name.
    """
    first_digit = re.search(r"[0-9]", folded)
    if first_digit is None:
        return False
    head = folded[: first_digit.start()].rstrip(_SEPARATOR_CHARACTERS)
    name = head.removesuffix("산").removesuffix("san").rstrip(_SEPARATOR_CHARACTERS)
    lot = folded[len(name) :].lstrip(_SEPARATOR_CHARACTERS)
    return bool(_HANGUL.search(name)) and _LOT_ALONE.fullmatch(lot) is not None


def _identifier(dong: str, ledger: int, main: str, sub: str | None, text: str) -> ParcelIdentifier:
    """Return the identifier of lot `main`-`sub` (sub 0 when absent) in `dong`'s ledger."""
    return ParcelIdentifier(
        unit_code=dong,
        parts=(
            ledger,
            _lot_number(main, _MAIN_RANGE, gettext_noop("main lot number (본번)"), text),
            _lot_number(sub or "0", _SUB_RANGE, gettext_noop("sub lot number (부번)"), text),
        ),
    )


def _unpack(identifier: ParcelIdentifier) -> tuple[str, int, int, int]:
    """Return (dong, ledger, main, sub) of `identifier`; refuse a malformed one."""
    match identifier:
        case ParcelIdentifier(unit_code=str(dong), parts=(int(ledger), int(main), int(sub))) if (
            _DONG_CODE.fullmatch(dong)
            and ledger in _PREFIX_BY_LEDGER
            and main in _MAIN_RANGE
            and sub in _SUB_RANGE
        ):
            return dong, ledger, main, sub
    _refuse(
        _(
            "%(identifier)s is not a Korean parcel identifier: it needs a 10-digit legal-dong "
            "code and parts (ledger 1 or 2, main 1..9999, sub 0..9999)."
        )
        % {"identifier": repr(identifier)}
    )


# The 28 land categories (지목) of the Act on the Establishment and Management of
# Spatial Data (공간정보의 구축 및 관리 등에 관한 법률) art. 67(1), in the statutory order;
# Enforcement Decree art. 58 defines each. The code is the two-digit 지목코드 of the
# national cadastral data, which numbers them in that order; the symbol (부호) is the
# one character drawn on cadastral maps, Enforcement Rule art. 64.
_JIMOK: tuple[tuple[str, str, str, str, str], ...] = (
    # code, name, symbol, English name, group
    ("01", "전", "전", "Dry field", "agricultural"),
    ("02", "답", "답", "Paddy field", "agricultural"),
    ("03", "과수원", "과", "Orchard", "agricultural"),
    ("04", "목장용지", "목", "Pasture land", "agricultural"),
    ("05", "임야", "임", "Forest land", "forest"),
    ("06", "광천지", "광", "Mineral spring site", "commercial"),
    ("07", "염전", "염", "Salt field", "agricultural"),
    ("08", "대", "대", "Building site", "residential"),
    ("09", "공장용지", "장", "Factory site", "commercial"),
    ("10", "학교용지", "학", "School site", "public"),
    ("11", "주차장", "차", "Parking lot", "infrastructure"),
    ("12", "주유소용지", "주", "Filling station site", "commercial"),
    ("13", "창고용지", "창", "Warehouse site", "commercial"),
    ("14", "도로", "도", "Road", "infrastructure"),
    ("15", "철도용지", "철", "Railway site", "infrastructure"),
    ("16", "제방", "제", "Embankment", "infrastructure"),
    ("17", "하천", "천", "River", "water"),
    ("18", "구거", "구", "Ditch", "water"),
    ("19", "유지", "유", "Reservoir", "water"),
    ("20", "양어장", "양", "Fish farm", "agricultural"),
    ("21", "수도용지", "수", "Waterworks site", "infrastructure"),
    ("22", "공원", "공", "Park", "public"),
    ("23", "체육용지", "체", "Sports site", "public"),
    ("24", "유원지", "원", "Amusement park", "commercial"),
    ("25", "종교용지", "종", "Religious site", "religious"),
    ("26", "사적지", "사", "Historic site", "public"),
    ("27", "묘지", "묘", "Cemetery", "religious"),
    # Outdoor markets, substations, waste plants, driving schools (Decree art. 58 no. 28):
    # mostly business uses.
    ("28", "잡종지", "잡", "Miscellaneous land", "commercial"),
)


# The plane CRSs of Korean cadastral and GIS files: the 2010 belts of the world geodetic
# system (2010 on: false northing 600 km), the same belts before 2010 (500 km), UTM-K,
# and the Bessel (Tokyo datum, "Korean 1985") belts of the older cadastral maps, whose
# "modified" forms shift the meridian by 10.405" as the old maps do.
_USUAL_CRS = (
    UsualCRS("EPSG:5186", "Korea 2000 / Central Belt 2010"),
    UsualCRS("EPSG:5185", "Korea 2000 / West Belt 2010"),
    UsualCRS("EPSG:5187", "Korea 2000 / East Belt 2010"),
    UsualCRS("EPSG:5188", "Korea 2000 / East Sea Belt 2010"),
    UsualCRS("EPSG:5179", "Korea 2000 / Unified CS (UTM-K)"),
    UsualCRS("EPSG:5181", "Korea 2000 / Central Belt"),
    UsualCRS("EPSG:5180", "Korea 2000 / West Belt"),
    UsualCRS("EPSG:5183", "Korea 2000 / East Belt"),
    UsualCRS("EPSG:5184", "Korea 2000 / East Sea Belt"),
    UsualCRS("EPSG:5182", "Korea 2000 / Central Belt Jeju"),
    UsualCRS("EPSG:5174", "Korean 1985 (Bessel) / Modified Central Belt"),
    UsualCRS("EPSG:5173", "Korean 1985 (Bessel) / Modified West Belt"),
    UsualCRS("EPSG:5176", "Korean 1985 (Bessel) / Modified East Belt"),
    UsualCRS("EPSG:5177", "Korean 1985 (Bessel) / Modified East Sea Belt"),
    UsualCRS("EPSG:5175", "Korean 1985 (Bessel) / Modified Central Belt Jeju"),
    UsualCRS("EPSG:2097", "Korean 1985 (Bessel) / Central Belt"),
    UsualCRS("EPSG:2098", "Korean 1985 (Bessel) / West Belt"),
    UsualCRS("EPSG:2096", "Korean 1985 (Bessel) / East Belt"),
    UsualCRS("EPSG:5178", "Korean 1985 (Bessel) / Unified CS"),
    UsualCRS("EPSG:32652", "WGS 84 / UTM zone 52N"),
    UsualCRS("EPSG:32651", "WGS 84 / UTM zone 51N"),
    UsualCRS("EPSG:4326", "WGS 84 (longitude, latitude)"),
    UsualCRS("EPSG:4737", "Korea 2000 (longitude, latitude)"),
)

# Land beyond the outline's margin around Natural Earth's 1:10m polygon of South Korea.
_ADDED_LAND = (
    # In Natural Earth 4.1.0's polygon, but a point of view on a disputed island may
    # change with a release: the register does not depend on it.
    LandArea("울릉도 (Ulleungdo)", ((130.865, 37.505),)),
    LandArea("독도 (Dokdo)", ((131.867, 37.242),)),
    LandArea("마라도·가파도 (Marado, Gapado)", ((126.267, 33.117), (126.27, 33.168))),
    LandArea("추자도 (Chujado)", ((126.30, 33.96),)),
    LandArea("홍도 (Hongdo)", ((125.195, 34.68),)),
    LandArea("어청도 (Eocheongdo)", ((125.98, 36.12),)),
    LandArea("격렬비열도 (Gyeokryeolbiyeoldo)", ((125.56, 36.57),)),
    # Reclaimed since Natural Earth's coast was drawn: the Saemangeum sea wall (2010)
    # encloses 400 km² of former sea, registered as it is filled.
    LandArea(
        "새만금 (Saemangeum)",
        ((126.53, 35.94), (126.44, 35.82), (126.5, 35.72), (126.72, 35.74), (126.75, 35.9)),
    ),
)

# --- identity numbers ---------------------------------------------------------------------
#
# A person: the resident registration number (주민등록번호, Resident Registration Act art. 7,
# Enforcement Rule art. 2), YYMMDD-GNNNNNN: date of birth, then G for sex and century
# (9/0: 1800s, 1/2: 1900s, 3/4: 2000s), six more digits. Foreigners' registration
# numbers (외국인등록번호, Immigration Act art. 31) have the same shape, G 5/6 (1900s) or
# 7/8 (2000s). Until 4 October 2020 the last digit was a check digit over the first
# twelve (weights 2-9, 2-5, mod 11). Since the Enforcement Rule's amendment in force on
# 5 October 2020, a number given at birth, at naturalisation or on a change of number
# has six random digits after G and no check digit (행정안전부, "주민등록번호 부여체계
# 개편", 2020). A birth is reported within a month (가족관계의 등록 등에 관한 법률 art.
# 44), so a resident born before 5 September 2020 was numbered under the old rule and
# its check digit is checked; one born since may not have been. A number changed or
# given at naturalisation since then is the exception the register cannot tell from the
# number: its holder's card is the proof, and a refusal says to check it. Foreigners'
# check digits are not checked: published descriptions of their rule disagree (the
# residents' rule, or that plus 2), and a wrong refusal would lock a holder out.
#
# An organisation: the business registration number (사업자등록번호, 10 digits, the
# National Tax Service's check digit: weights 1,3,7,1,3,7,1,3,5, plus the tens of the
# ninth digit times 5, mod 10) or the corporate registration number (법인등록번호, 13
# digits: registry office, kind of corporation, serial, and a check digit over the
# first twelve with weights 1,2,1,2,..., mod 10, per the court registry's rule).

_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY_BY_SEX_DIGIT = {
    "9": 1800, "0": 1800,
    "1": 1900, "2": 1900, "5": 1900, "6": 1900,
    "3": 2000, "4": 2000, "7": 2000, "8": 2000,
}  # fmt: skip
_FOREIGNER_SEX_DIGITS = frozenset("5678")
_CHECK_DIGIT_BORN_BEFORE = dt.date(2020, 9, 5)
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_CRN_WEIGHTS = (1, 2) * 6


def _refuse_number(message: str) -> NoReturn:
    """Raise InvalidNationalId; `message` is shown to the person who typed the number."""
    raise InvalidNationalId(message)


def rrn_check_digit(first_twelve: str) -> int:
    """Return the check digit of a resident registration number issued before October 2020."""
    total = sum(int(d) * w for d, w in zip(first_twelve, _RRN_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def brn_check_digit(first_nine: str) -> int:
    """Return the check digit of a business registration number (사업자등록번호)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _BRN_WEIGHTS, strict=True))
    total += int(first_nine[8]) * 5 // 10
    return (10 - total % 10) % 10


def crn_check_digit(first_twelve: str) -> int:
    """Return the check digit of a corporate registration number (법인등록번호)."""
    total = sum(int(d) * w for d, w in zip(first_twelve, _CRN_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def _person_number(digits: str, today: dt.date) -> str:
    if len(digits) != 13:
        _refuse_number(
            _(
                "A person's number is the 13-digit resident (or foreigner) registration "
                "number, YYMMDD-GNNNNNN (주민등록번호); this one has %(count)s digits."
            )
            % {"count": len(digits)}
        )
    sex = digits[6]
    try:
        born = dt.date(
            _CENTURY_BY_SEX_DIGIT[sex] + int(digits[:2]), int(digits[2:4]), int(digits[4:6])
        )
    except ValueError:
        _refuse_number(
            _(
                "The first six digits of a registration number are the date of birth (YYMMDD); "
                "these are not a date. Check the number on the registration card."
            )
        )
    if born > today:
        _refuse_number(
            _(
                "The registration number gives a date of birth after today (%(born)s); check "
                "the number on the registration card."
            )
            % {"born": born}
        )
    if (
        sex not in _FOREIGNER_SEX_DIGITS
        and born < _CHECK_DIGIT_BORN_BEFORE
        and int(digits[12]) != rrn_check_digit(digits[:12])
    ):
        _refuse_number(
            _(
                "The last digit of this resident registration number is not its check digit: "
                "a digit is probably mistyped. Check the number on the registration card (a "
                "number issued since 5 October 2020 has no check digit; say so to the registry "
                "if the holder's card shows this very number)."
            )
        )
    return digits


def _organisation_number(digits: str) -> str:
    if len(digits) == 10:
        if int(digits[9]) != brn_check_digit(digits[:9]):
            _refuse_number(
                _(
                    "The last digit of this business registration number (사업자등록번호) is "
                    "not its check digit: a digit is probably mistyped."
                )
            )
        return digits
    if len(digits) == 13:
        if int(digits[12]) != crn_check_digit(digits[:12]):
            _refuse_number(
                _(
                    "The last digit of this corporate registration number (법인등록번호) is "
                    "not its check digit: a digit is probably mistyped."
                )
            )
        return digits
    _refuse_number(
        _(
            "An organisation's number is its 10-digit business registration number "
            "(사업자등록번호) or its 13-digit corporate registration number (법인등록번호); "
            "this one has %(count)s digits."
        )
        % {"count": len(digits)}
    )


# Who holds ownership as the 등기부 records its 등기명의인: 부동산등기법 제48조 ② and 제49조
# (the 등록번호 of a natural person, a corporation, the State and local governments, an
# unincorporated association or foundation, a foreigner). The State (국) may own land; a
# local government is a legal person of its own (지방자치법 제3조 ①); a 종중 or 교회 is
# registered as an unincorporated association (부동산등기법 제26조).
_HOLDER_KINDS = (
    HolderKind("individual", gettext_noop("Individual"), "person", birth_year=True),
    HolderKind("corporation", gettext_noop("Corporation"), "organisation"),
    HolderKind("state", gettext_noop("The State"), "state"),
    HolderKind("local_government", gettext_noop("Local government"), "organisation"),
    HolderKind(
        "unincorporated", gettext_noop("Unincorporated association or foundation"), "organisation"
    ),
    HolderKind("foreigner", gettext_noop("Foreigner"), "person", birth_year=True),
)

# 등기원인 of an ownership right (부동산등기법 제48조 ① 4호): the first registration is a
# 소유권보존 (제65조), which states no cause; a transfer states its cause (매매, 증여,
# 상속, ...).
_ORIGINS = (
    Choice("preservation", gettext_noop("Registration of ownership preservation")),
    Choice("sale", gettext_noop("Sale")),
    Choice("gift", gettext_noop("Gift")),
    Choice("inheritance", gettext_noop("Inheritance")),
    Choice("expropriation", gettext_noop("Expropriation")),
    Choice("exchange", gettext_noop("Exchange")),
    Choice("partition", gettext_noop("Partition of co-owned property")),
)


class KoreaProfile(JurisdictionProfile):
    """Return identifiers, CRS, land uses and language of the Korean cadastre."""

    key = "kr"
    name = "대한민국"
    # Korea 2000 / Central Belt 2010: the belt of Seoul; metres, as area checks need.
    storage_srid = 5186
    default_language = "ko"
    time_zone = "Asia/Seoul"  # KST, UTC+09:00, one zone for the whole country
    currency = "KRW"
    area_of_use = Bounds(west=124.5, south=33.0, east=132.0, north=38.7)
    map_center = (37.5665, 126.978)  # Seoul
    search_example = "산 12-3 · 세종대로 110"
    usual_crs = _USUAL_CRS
    survey_crs = KR_SURVEY_CRS
    added_land = _ADDED_LAND
    # 지적도 1:500, 1:600, 1:1000, 1:1200 (most 도해 areas), 1:2400, 1:3000, 1:6000
    # (임야도 1:3000, 1:6000): 공간정보관리법 시행규칙 제69조.
    map_scales = (500, 600, 1000, 1200, 2400, 3000, 6000)
    default_map_scale = 1200
    area_rule = "공간정보관리법 시행령 제19조: A = 0.026²·M·√F"
    # Registries decide most applications within days; a demo default, not a statute.
    registration_days = 7
    # 지방자치법 제2조·제3조: 특별시·광역시·특별자치시·도·특별자치도, 시·군·구, and within them
    # 읍·면·동 and 리 (legal dongs and ris number lots). Addresses run largest first,
    # spaced, without commas (도로명주소법 시행령 제6조 writes 주소 so, and the 토지대장
    # its 소재지).
    administrative_levels = (
        AdministrativeLevel(
            1, {"ko": "시·도", "vi": "Tỉnh/Thành phố", "en": "Province/Metropolitan city"}
        ),
        AdministrativeLevel(
            2, {"ko": "시·군·구", "vi": "Thành phố/Quận/Huyện", "en": "City/County/District"}
        ),
        AdministrativeLevel(
            3, {"ko": "읍·면·동", "vi": "Thị trấn/Xã/Phường", "en": "Town/Township/Neighbourhood"}
        ),
        AdministrativeLevel(4, {"ko": "리", "vi": "Thôn", "en": "Village"}),
    )
    address_smallest_first = False
    address_separator = " "
    # 공간정보관리법 시행령 제60조: areas are fixed to 0.1 ㎡ on maps of 1:600 and
    # coordinate registers, to 1 ㎡ elsewhere; one decimal prints both as registered.
    area_decimals = 1

    holder_kinds = _HOLDER_KINDS
    right_origins = _ORIGINS
    first_registration_origin = "preservation"
    transfer_origins = MappingProxyType(
        {"sale": "sale", "gift": "gift", "inheritance": "inheritance"}
    )
    # 소유권 has no term, no form of use (co-ownership is by shares, 지분) and no attached
    land_uses = tuple(
        LandUse(code, name, name_en, group) for code, name, _, name_en, group in _JIMOK
    )
    # The map symbol (부호) of each land-use code, e.g. "09" → "장"; read-only.
    land_use_symbols: ClassVar[Mapping[str, str]] = MappingProxyType(
        {code: symbol for code, _, symbol, _, _ in _JIMOK}
    )

    def survey_crs_of_province(self, code: str) -> tuple[int, ...]:
        return kr_survey_crs_of_province(code)

    def permissible_area_error(self, area: _Area, scale: int | _Area) -> _Area:
        """Return A = 0.026²·M·√F m², the area error a cadastral map of 1:M permits.

        공간정보의 구축 및 관리 등에 관한 법률 시행령 제19조 (the permissible error
        between a registered area and the area measured on conversion or subdivision),
        F the area in m², M the scale denominator, and 6000 where the map is 1:3000.
        """
        denominator = scale + 3000 * (scale == 3000)  # works on numbers and numpy arrays
        result: _Area = 0.026**2 * denominator * area**0.5
        return result

    def parse_identifier(self, text: str, *, unit_code: str | None = None) -> ParcelIdentifier:
        """Return the identifier in `text`: a PNU, "1111010100 산 12-3", "산 12-3", "12", ...

        A lot number without a dong code is looked for in the legal dong `unit_code`; a
        dong code written in `text` wins over it. Both are read as typed text is
        (`normalize_text`): what nobody sees changes nothing.
        """
        _check_input(text, unit_code)
        text = normalize_text(text)
        unit_code = normalize_text(unit_code) if unit_code is not None else None
        folded = fold_text(text).strip()
        if not folded:
            _refuse(
                _("The parcel identifier is empty; write e.g. %(examples)s.")
                % {"examples": _(_EXAMPLES)}
            )
        if match := _PNU.fullmatch(folded):
            return _identifier(
                match["dong"], _ledger(match["ledger"], text), match["main"], match["sub"], text
            )
        if _DIGITS.fullmatch(folded) and len(folded) > 8:
            _refuse_long_number(text, folded)
        if match := _DONG_AND_LOT.fullmatch(folded):
            dong = match["dong"]
        elif match := _LOT_ALONE.fullmatch(folded):
            if unit_code is None:
                _refuse(
                    _(
                        "%(text)s does not say which legal dong (법정동) the lot is in; give the "
                        "19-digit PNU, or the 10-digit legal-dong code before the lot number, "
                        "e.g. '1111010100 산 12-3', or search within a dong."
                    )
                    % {"text": quote_input(text)}
                )
            dong = unit_code
        elif _names_dong(folded):
            _refuse(
                _(
                    "Give the legal dong by its 10-digit legal-dong code (법정동코드), not its "
                    "name: write e.g. '1111010100 산 12-3' instead of %(text)s, or search "
                    "within a dong."
                )
                % {"text": quote_input(text)}
            )
        elif _DIGITS_AND_SEPARATORS.fullmatch(folded):
            digit_count = sum(char.isdigit() for char in folded)
            _refuse(
                _(
                    "Cannot read %(text)s as a PNU or a lot number: %(shape)s, and a lot number "
                    "is 'main-sub', e.g. '12-3'; it has %(count)s digits."
                )
                % {"text": quote_input(text), "shape": _(_PNU_SHAPE), "count": digit_count}
            )
        else:
            _refuse(
                _("Cannot read %(text)s as a parcel identifier; write e.g. %(examples)s.")
                % {"text": quote_input(text), "examples": _(_EXAMPLES)}
            )
        ledger = _LEDGER_BY_PREFIX[match["prefix"] or ""]
        return _identifier(dong, ledger, match["main"], match["sub"], text)

    def format_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return the 19-digit PNU, e.g. "1111010100200120003"."""
        dong, ledger, main, sub = _unpack(identifier)
        return f"{dong}{ledger}{main:04d}{sub:04d}"

    def identifier_series(self, identifier: str) -> str:
        """Return the PNU up to the main lot number: 분할 numbers sub lots (부번) on from it."""
        dong, ledger, main, _sub = _unpack(self.parse_identifier(identifier))
        return f"{dong}{ledger}{main:04d}"

    def new_identifiers(self, parent: str, taken: Collection[str], count: int) -> list[str]:
        """Return the next `count` sub lot numbers (부번) after the highest of the main lot."""
        dong, ledger, main, sub = _unpack(self.parse_identifier(parent))
        highest = max((_unpack(self.parse_identifier(other))[3] for other in taken), default=sub)
        first = max(highest, sub) + 1
        if first + count - 1 > _SUB_RANGE.stop - 1:
            _refuse(
                _("Main lot %(main)s of %(dong)s has no sub lot numbers (부번) left.")
                % {"main": main, "dong": dong}
            )
        return [f"{dong}{ledger}{main:04d}{number:04d}" for number in range(first, first + count)]

    def display_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return the lot number as written on a register: "12-3", "산 12-3", "12"."""
        _, ledger, main, sub = _unpack(identifier)
        lot = f"{main}-{sub}" if sub else f"{main}"
        return f"{_PREFIX_BY_LEDGER[ledger]}{lot}"

    def _lot_address(self, identifier: ParcelIdentifier, units: list[tuple[int, str]]) -> str:
        """Return the lot address (소재지 지번): "서울특별시 종로구 청운동 산 12-3".

        시도, 시군구, 읍면동 and 리 as the land ledger (토지대장) prints them, then the lot.
        """
        lot = self.display_identifier(identifier)
        return self.address_separator.join([self.unit_address(units), lot] if units else [lot])

    def normalize_national_id(self, text: str, *, kind: str, today: dt.date | None = None) -> str:
        """Return the registration number in `text` as 13 (or 10) digits; see the rules above."""
        digits = compact_number(text)
        if not digits:
            _refuse_number("The registration number is empty.")
        if not (digits.isascii() and digits.isdigit()):
            _refuse_number(
                "A registration number is written in digits (hyphens and spaces are "
                "ignored), e.g. 900101-1234567 or 123-45-67890."
            )
        if kind == "person":
            return _person_number(digits, today or dt.date.today())
        return _organisation_number(digits)

    # --- import ---
    unit_noun = "legal dong"
    units_noun = "legal dongs"
    # Main lot number 0001..9999 spelled without a lookahead, which RE2 (Arrow) lacks.
    canonical_pattern = CanonicalPattern(
        re.compile(
            r"(?P<unit>[0-9]{10})[12]"
            r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])[0-9]{4}"
        ),
        10,
    )
