"""Vietnam: parcels numbered by map sheet within a commune, boundaries in VN-2000.

A parcel is identified by its commune (mã đơn vị hành chính cấp xã, 5 digits, from the
list of administrative units first issued by Decision 124/2004/QĐ-TTg), the number of
the cadastral map sheet within that commune (tờ bản đồ số) and the number of the parcel
on that sheet (thửa đất số); sheets and parcels are numbered from 1 (Circular
25/2014/TT-BTNMT on cadastral maps). Certificates print "tờ 12 thửa 345".

Imported by settings.py before Django is configured: no Django imports here.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Collection
from types import MappingProxyType
from typing import NoReturn

from landinfo.profiles.base import (
    Bounds,
    CanonicalPattern,
    Choice,
    HolderKind,
    IdentifierField,
    IdentifierFields,
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
from landinfo.profiles.survey_crs import VN_SURVEY_CRS, vn_survey_crs_of_province
from landinfo.profiles.text import (
    MAX_INPUT_LENGTH,
    compact_number,
    fold_text,
    normalize_text,
    quote_input,
)
from landinfo.translation import gettext as _
from landinfo.translation import gettext_noop


class _Part(enum.Enum):
    """A number in a Vietnamese parcel identifier; the value names it in messages."""

    COMMUNE = gettext_noop("commune code (mã đơn vị hành chính cấp xã)")
    SHEET = gettext_noop("map sheet number (tờ bản đồ số)")
    PARCEL = gettext_noop("parcel number (thửa đất số)")

    @property
    def label(self) -> str:
        """Return the part's name in the request's language."""
        return _(self.value)


# The order of the canonical form "00004-12-345"; unlabelled numbers fill parts in it.
_ORDER = (_Part.COMMUNE, _Part.SHEET, _Part.PARCEL)

# The largest sheet and parcel numbers the register accepts: four and five digits
# cover every commune's map series with room to spare.
_MAXIMUM = {_Part.SHEET: 9999, _Part.PARCEL: 99999}

_COMMUNE_CODE = re.compile(r"[0-9]{5}")

# Words that name the number after them, as folded text (no diacritics, lower case).
# "số" ("number") is dropped before the lookup: "tờ bản đồ số 12" reads as "tờ bản đồ 12".
# English labels are here because the UI also speaks English.
_PART_BY_LABEL: dict[tuple[str, ...], _Part] = {
    ("xa",): _Part.COMMUNE,
    ("phuong",): _Part.COMMUNE,
    ("thi", "tran"): _Part.COMMUNE,
    ("dac", "khu"): _Part.COMMUNE,  # special zones are commune-level since the 2025 reform
    ("ma", "xa"): _Part.COMMUNE,
    ("commune",): _Part.COMMUNE,
    ("ward",): _Part.COMMUNE,
    ("to",): _Part.SHEET,
    ("to", "ban", "do"): _Part.SHEET,
    ("to", "bd"): _Part.SHEET,
    ("tbd",): _Part.SHEET,
    ("t",): _Part.SHEET,
    ("sheet",): _Part.SHEET,
    ("map", "sheet"): _Part.SHEET,
    ("thua",): _Part.PARCEL,
    ("thua", "dat"): _Part.PARCEL,
    ("th",): _Part.PARCEL,
    ("parcel",): _Part.PARCEL,
    ("plot",): _Part.PARCEL,
}
_FILLER_WORDS = frozenset({"so", "no"})  # "số", and "No." / "№" folded

# Runs of the folded text: separators are dropped, anything else makes the text unreadable.
_TOKEN = re.compile(
    r"(?P<word>[a-z]+)|(?P<number>[0-9]+)|(?P<separator>[\s,.:;/\\_#()\-‐‑–—−]+)|(?P<other>.)",
    re.DOTALL,
)

_EXAMPLES = gettext_noop(
    "'tờ 12 thửa 345', 'to 12 thua 345', '12/345' within a commune, or '00004-12-345'"
)


def _refuse(message: str) -> NoReturn:
    """Raise InvalidParcelIdentifier; `message` is shown to the person who typed the text."""
    raise InvalidParcelIdentifier(message)


def _refuse_unreadable(text: str) -> NoReturn:
    _refuse(
        _("Cannot read %(text)s as a parcel identifier; write e.g. %(examples)s.")
        % {"text": quote_input(text), "examples": _(_EXAMPLES)}
    )


def _check_commune_code(code: str, text: str) -> str:
    """Return `code` if it is a commune code; `text` is the input it came from."""
    if not _COMMUNE_CODE.fullmatch(code):
        _refuse(
            _("The %(part)s must be exactly 5 digits, e.g. '00004'; got %(code)s in %(text)s.")
            % {"part": _Part.COMMUNE.label, "code": quote_input(code), "text": quote_input(text)}
        )
    return code


def _number(token: str, part: _Part, text: str) -> int:
    """Return the sheet or parcel number written as `token`, refusing 0 and overflow."""
    maximum = _MAXIMUM[part]
    digits = token.lstrip("0")
    # Comparing lengths first keeps a pasted run of digits away from int()'s size limit.
    if not digits or len(digits) > len(str(maximum)) or int(digits) > maximum:
        _refuse(
            _("The %(part)s must be 1 to %(maximum)s; got %(token)s in %(text)s.")
            % {
                "part": part.label,
                "maximum": maximum,
                "token": quote_input(token),
                "text": quote_input(text),
            }
        )
    return int(digits)


def _label_part(words: list[str], text: str) -> _Part:
    """Return the part that the label `words` names; refuse words that are no label."""
    part = _PART_BY_LABEL.get(tuple(words))
    if part is not None:
        return part
    for label, labelled_part in _PART_BY_LABEL.items():
        if labelled_part is _Part.COMMUNE and tuple(words[: len(label)]) == label:
            _refuse(
                _(
                    "Give the commune by its 5-digit code, not its name: write e.g. "
                    "'xã 00004 tờ 12 thửa 345' or '00004-12-345' instead of %(text)s."
                )
                % {"text": quote_input(text)}
            )
    _refuse_unreadable(text)


def _read_numbers(text: str) -> tuple[dict[_Part, str], list[str]]:
    """Return the numbers in `text`: those after a label, by part, and the others in order."""
    labelled: dict[_Part, str] = {}
    unlabelled: list[str] = []
    words: list[str] = []
    for match in _TOKEN.finditer(fold_text(text)):
        kind, value = match.lastgroup, match.group()
        if kind == "separator":
            continue
        if kind == "other":
            _refuse_unreadable(text)
        if kind == "word":
            if value not in _FILLER_WORDS:
                words.append(value)
            continue
        if not words:
            unlabelled.append(value)
            continue
        part = _label_part(words, text)
        words = []
        if part in labelled:
            _refuse(
                _("%(text)s gives the %(part)s twice; give it once.")
                % {"text": quote_input(text), "part": part.label}
            )
        labelled[part] = value
    if words:
        part = _label_part(words, text)
        _refuse(
            _(
                "%(text)s ends with a label for the %(part)s but no number after it; write "
                "e.g. 'tờ 12 thửa 345'."
            )
            % {"text": quote_input(text), "part": part.label}
        )
    return labelled, unlabelled


def _assign(labelled: dict[_Part, str], unlabelled: list[str], text: str) -> dict[_Part, str]:
    """Return the number of each part, giving unlabelled numbers the parts left over.

    Unlabelled numbers take the free parts in canonical order; one fewer than free
    parts means the commune was left out ("12/345", "tờ 12 345").
    """
    free = [part for part in _ORDER if part not in labelled]
    if len(unlabelled) > len(free):
        _refuse(
            _(
                "%(text)s has more numbers than a commune code, a map sheet and a parcel "
                "number; write e.g. %(examples)s."
            )
            % {"text": quote_input(text), "examples": _(_EXAMPLES)}
        )
    if len(unlabelled) == len(free):
        return labelled | dict(zip(free, unlabelled, strict=True))
    if len(unlabelled) == len(free) - 1 and free[0] is _Part.COMMUNE:
        return labelled | dict(zip(free[1:], unlabelled, strict=True))
    if unlabelled:
        _refuse(
            _(
                "%(text)s has only one number for the map sheet and the parcel; give both, "
                "e.g. 'tờ 12 thửa 345' or '12/345'."
            )
            % {"text": quote_input(text)}
        )
    missing = [part.label for part in (_Part.SHEET, _Part.PARCEL) if part not in labelled]
    if len(missing) == 2:
        _refuse(
            _("%(text)s gives no %(first)s and no %(second)s; write e.g. 'tờ 12 thửa 345'.")
            % {"text": quote_input(text), "first": missing[0], "second": missing[1]}
        )
    _refuse(
        _("%(text)s gives no %(parts)s; write e.g. 'tờ 12 thửa 345'.")
        % {"text": quote_input(text), "parts": missing[0]}
    )


def _unpack(identifier: ParcelIdentifier) -> tuple[str, int, int]:
    """Return (commune, sheet, parcel) of `identifier`; refuse a malformed one."""
    match identifier:
        case ParcelIdentifier(unit_code=str(commune), parts=(int(sheet), int(parcel))) if (
            _COMMUNE_CODE.fullmatch(commune)
            and 1 <= sheet <= _MAXIMUM[_Part.SHEET]
            and 1 <= parcel <= _MAXIMUM[_Part.PARCEL]
        ):
            return commune, sheet, parcel
    _refuse(
        _(
            "%(identifier)s is not a Vietnamese parcel identifier: it needs a 5-digit commune "
            "code and parts (sheet 1..9999, parcel 1..99999)."
        )
        % {"identifier": repr(identifier)}
    )


# Land-use codes (mã loại đất) of the annex to Circular 25/2014/TT-BTNMT on cadastral
# maps, in the annex's order, which follows the land categories of art. 10 of the Land
# Law 2013. Only the codes a parcel can carry: group codes such as NNP, LUA, OCT or CDG
# are sums used in land statistics, never written on a parcel.
_LAND_USES = (
    # Nhóm đất nông nghiệp — agricultural land
    LandUse("LUC", "Đất chuyên trồng lúa nước", "Specialised wet-rice land", "agricultural"),
    LandUse("LUK", "Đất trồng lúa nước còn lại", "Other wet-rice land", "agricultural"),
    LandUse("LUN", "Đất trồng lúa nương", "Upland rice land", "agricultural"),
    LandUse(
        "BHK",
        "Đất bằng trồng cây hàng năm khác",
        "Flat land for other annual crops",
        "agricultural",
    ),
    LandUse(
        "NHK",
        "Đất nương rẫy trồng cây hàng năm khác",
        "Swidden land for other annual crops",
        "agricultural",
    ),
    LandUse("CLN", "Đất trồng cây lâu năm", "Perennial crop land", "agricultural"),
    LandUse("RSX", "Đất rừng sản xuất", "Production forest land", "forest"),
    LandUse("RPH", "Đất rừng phòng hộ", "Protection forest land", "forest"),
    LandUse("RDD", "Đất rừng đặc dụng", "Special-use forest land", "forest"),
    LandUse("NTS", "Đất nuôi trồng thủy sản", "Aquaculture land", "agricultural"),
    LandUse("LMU", "Đất làm muối", "Salt-making land", "agricultural"),
    LandUse("NKH", "Đất nông nghiệp khác", "Other agricultural land", "agricultural"),
    # Nhóm đất phi nông nghiệp — non-agricultural land
    LandUse("ONT", "Đất ở tại nông thôn", "Rural residential land", "residential"),
    LandUse("ODT", "Đất ở tại đô thị", "Urban residential land", "residential"),
    LandUse("TSC", "Đất xây dựng trụ sở cơ quan", "Land for government offices", "public"),
    LandUse(
        "DTS",
        "Đất xây dựng trụ sở của tổ chức sự nghiệp",
        "Land for offices of public service organisations",
        "public",
    ),
    LandUse("DVH", "Đất xây dựng cơ sở văn hóa", "Land for cultural facilities", "public"),
    LandUse("DYT", "Đất xây dựng cơ sở y tế", "Land for health facilities", "public"),
    LandUse(
        "DGD",
        "Đất xây dựng cơ sở giáo dục và đào tạo",
        "Land for education and training facilities",
        "public",
    ),
    LandUse("DTT", "Đất xây dựng cơ sở thể dục thể thao", "Land for sports facilities", "public"),
    LandUse(
        "DKH",
        "Đất xây dựng cơ sở khoa học và công nghệ",
        "Land for science and technology facilities",
        "public",
    ),
    LandUse(
        "DXH", "Đất xây dựng cơ sở dịch vụ xã hội", "Land for social service facilities", "public"
    ),
    LandUse("DNG", "Đất xây dựng cơ sở ngoại giao", "Land for diplomatic facilities", "public"),
    LandUse(
        "DSK",
        "Đất xây dựng công trình sự nghiệp khác",
        "Land for other public service works",
        "public",
    ),
    LandUse("CQP", "Đất quốc phòng", "Defence land", "defence"),
    LandUse("CAN", "Đất an ninh", "Public security land", "defence"),
    LandUse("SKK", "Đất khu công nghiệp", "Industrial park land", "commercial"),
    LandUse("SKN", "Đất cụm công nghiệp", "Industrial cluster land", "commercial"),
    LandUse("SKT", "Đất khu chế xuất", "Export processing zone land", "commercial"),
    LandUse("TMD", "Đất thương mại, dịch vụ", "Commercial and service land", "commercial"),
    LandUse(
        "SKC",
        "Đất cơ sở sản xuất phi nông nghiệp",
        "Land for non-agricultural production",
        "commercial",
    ),
    LandUse("SKS", "Đất sử dụng cho hoạt động khoáng sản", "Mining land", "commercial"),
    LandUse(
        "SKX",
        "Đất sản xuất vật liệu xây dựng, làm đồ gốm",
        "Land for building materials and pottery production",
        "commercial",
    ),
    LandUse("DGT", "Đất giao thông", "Transport land", "infrastructure"),
    LandUse("DTL", "Đất thủy lợi", "Irrigation land", "infrastructure"),
    LandUse(
        "DDT", "Đất có di tích lịch sử - văn hóa", "Historical and cultural relic land", "public"
    ),
    LandUse("DDL", "Đất danh lam thắng cảnh", "Scenic landscape land", "public"),
    LandUse("DSH", "Đất sinh hoạt cộng đồng", "Community activity land", "public"),
    LandUse(
        "DKV",
        "Đất khu vui chơi, giải trí công cộng",
        "Public recreation and amusement land",
        "public",
    ),
    LandUse("DNL", "Đất công trình năng lượng", "Energy works land", "infrastructure"),
    LandUse(
        "DBV",
        "Đất công trình bưu chính, viễn thông",
        "Post and telecommunications works land",
        "infrastructure",
    ),
    # Markets are public-purpose land in the Land Law (art. 10(2)(e)), not business land.
    LandUse("DCH", "Đất chợ", "Market land", "public"),
    LandUse(
        "DRA", "Đất bãi thải, xử lý chất thải", "Waste dump and treatment land", "infrastructure"
    ),
    LandUse("DCK", "Đất công trình công cộng khác", "Other public works land", "public"),
    LandUse("TON", "Đất cơ sở tôn giáo", "Religious establishment land", "religious"),
    LandUse("TIN", "Đất cơ sở tín ngưỡng", "Belief establishment land", "religious"),
    LandUse(
        "NTD",
        "Đất làm nghĩa trang, nghĩa địa, nhà tang lễ, nhà hỏa táng",
        "Cemetery, funeral home and crematorium land",
        "religious",
    ),
    LandUse("SON", "Đất sông, ngòi, kênh, rạch, suối", "Rivers, canals and streams", "water"),
    LandUse("MNC", "Đất có mặt nước chuyên dùng", "Special-use water surface", "water"),
    # Lodging, stores and sheds of a production site, not run as a business
    # (Land Law 2013 art. 10(2)(k)): neither commercial nor public.
    LandUse("PNK", "Đất phi nông nghiệp khác", "Other non-agricultural land", "infrastructure"),
    # Nhóm đất chưa sử dụng — unused land
    LandUse("BCS", "Đất bằng chưa sử dụng", "Unused flat land", "unused"),
    LandUse("DCS", "Đất đồi núi chưa sử dụng", "Unused hilly and mountain land", "unused"),
    LandUse("NCS", "Núi đá không có rừng cây", "Rocky mountain without forest", "unused"),
)


# VN-2000 to WGS 84 (EPSG:6960's parameters, position-vector convention as +towgs84 takes
# them): for the zones EPSG has no code for, which are written as PROJ strings.
VN2000_TOWGS84 = (
    "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
)


def _tm3(meridian: float) -> str:
    """Return the PROJ string of VN-2000 / TM-3 (k 0.9999) on the central meridian `meridian`."""
    return (
        f"+proj=tmerc +lat_0=0 +lon_0={meridian:g} +k=0.9999 +x_0=500000 +y_0=0 "
        f"+ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs"
    )


# The central meridians of the provinces' VN-2000 TM-3 zones (Circular 973/2001/TT-TCĐC,
# appendix), with their EPSG codes (EPSG:9205-9218 since 2020, and 5896-5899).
_PROVINCE_ZONES: tuple[tuple[float, int], ...] = (
    (105.0, 5897),  # Hà Nội, Thanh Hóa, Ninh Bình, Cần Thơ, ...
    (105.5, 9209),  # Bắc Ninh, Hải Dương, Nam Định, Sóc Trăng, ...
    (105.75, 9210),  # TP Hồ Chí Minh, Hải Phòng, Long An, ...
    (104.75, 9208),  # Lào Cai, Nghệ An, An Giang, ...
    (107.75, 5899),  # Quảng Ninh, Đà Nẵng, Đồng Nai, ...
    (108.5, 9218),  # Gia Lai, Đắk Lắk, Bình Thuận, ...
    (108.25, 9217),  # Khánh Hòa, Bình Định, ...
    (106.0, 9211),
    (106.25, 9212),
    (106.5, 9213),
    (107.0, 9214),
    (107.25, 9215),
    (107.5, 9216),
    (108.0, 5898),
    (104.5, 9207),
    (104.0, 9206),
    (103.0, 9205),
    (102.0, 5896),
)
# Zones of the 3° grid that EPSG has no VN-2000 code for: TM-3 zone 492 and those east
# of it, for the maps of the islands (Hoàng Sa, Trường Sa).
_ISLAND_MERIDIANS = (111.0, 114.0, 117.0)

_USUAL_CRS = (
    *(
        UsualCRS(f"EPSG:{code}", f"VN-2000 / TM-3, central meridian {m:g}°")
        for m, code in _PROVINCE_ZONES
    ),
    UsualCRS("EPSG:3405", "VN-2000 / UTM zone 48N"),
    UsualCRS("EPSG:3406", "VN-2000 / UTM zone 49N"),
    UsualCRS(
        f"+proj=utm +zone=50 +ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs",
        "VN-2000 / UTM zone 50N",
    ),
    *(UsualCRS(_tm3(m), f"VN-2000 / TM-3, central meridian {m:g}°") for m in _ISLAND_MERIDIANS),
    UsualCRS("EPSG:32648", "WGS 84 / UTM zone 48N"),
    UsualCRS("EPSG:32649", "WGS 84 / UTM zone 49N"),
    UsualCRS("EPSG:32650", "WGS 84 / UTM zone 50N"),
    UsualCRS("EPSG:4326", "WGS 84 (longitude, latitude)"),
    UsualCRS("EPSG:4756", "VN-2000 (longitude, latitude)"),
    # The maps before VN-2000 (Decision 83/2000/QĐ-TTg replaced it).
    UsualCRS("EPSG:2044", "Hanoi 1972 / Gauss-Kruger zone 18"),
    UsualCRS("EPSG:2045", "Hanoi 1972 / Gauss-Kruger zone 19"),
)

# Land Natural Earth's 1:10m polygon of Vietnam leaves out, beyond the outline's margin.
# Since 1 July 2025 island districts are special zones (đặc khu) at commune level.
_ADDED_LAND = (
    # Its islands are Natural Earth's "Paracel Is." or China's polygon, not Vietnam's.
    LandArea(
        "Đặc khu Hoàng Sa (Paracel Islands)",
        ((111.2, 15.75), (111.5, 17.1), (112.4, 17.1), (112.9, 16.6), (112.6, 15.9)),
    ),
    # Natural Earth keeps the Spratly features apart ("Spratly Is."), a few of them.
    LandArea(
        "Đặc khu Trường Sa (Spratly Islands)",
        ((111.55, 8.55), (112.9, 7.4), (114.9, 7.6), (116.2, 9.6), (116.0, 11.2), (114.3, 11.55)),
    ),
    LandArea("Đặc khu Bạch Long Vĩ", ((107.725, 20.135),)),
    LandArea("Đảo Trần (Đặc khu Cô Tô)", ((108.0, 21.23),)),
    LandArea("Hòn Mê (Thanh Hóa)", ((105.93, 19.38),)),
    LandArea("Đặc khu Cồn Cỏ", ((107.338, 17.158),)),
    LandArea("Đặc khu Lý Sơn", ((109.115, 15.382),)),
    LandArea("Cù Lao Chàm (Tân Hiệp, Hội An)", ((108.52, 15.955),)),
    LandArea("Cù Lao Xanh (Nhơn Châu, Quy Nhơn)", ((109.215, 13.615),)),
    LandArea("Đặc khu Thổ Châu", ((103.47, 9.3), (103.52, 9.25))),
    LandArea(
        "Đặc khu Kiên Hải (Nam Du, Hòn Sơn, Hòn Tre)",
        ((104.35, 9.68), (104.63, 10.0), (104.83, 9.97)),
    ),
    LandArea("Quần đảo Bà Lụa, Hải Tặc (Tiên Hải)", ((104.33, 10.25), (104.45, 10.35))),
    LandArea("Hòn Khoai, Hòn Chuối (Cà Mau)", ((104.83, 8.43), (104.52, 8.95))),
)

# --- identity numbers ---------------------------------------------------------------------
#
# A person: the personal identification number printed on the căn cước (CCCD) card, 12
# digits (Decree 137/2015/NĐ-CP art. 13; Circular 59/2021/TT-BCA art. 4, which keeps the
# codes of Circular 07/2016/TT-BCA): the code of the province where the birth was
# registered (3 digits, from the annex list below), a digit for sex and century (0/1:
# 1900s, 2/3: 2000s, 4/5: 2100s, ..., male/female), the last two digits of the year of
# birth, and six random digits; it has no check digit. The older identity card (CMND)
# has 9 digits and is still printed on many deeds. The provinces merged on 12 June 2025
# did not renumber anyone: numbers keep the code they were given.
#
# An organisation (and the State's bodies): the tax code (mã số thuế, which is also the
# enterprise code, Law on Enterprises 2020 art. 29), 10 digits whose tenth is a check
# digit over the first nine (Circular 105/2020/TT-BTC art. 5: weights 31, 29, 23, 19, 17,
# 13, 7, 5, 3; the digit is 10 minus the sum mod 11, and a sum whose digit would be 10
# is never issued), or 13 for a branch: the parent's 10 and a branch number 001-999.

# Annex 1 of Circular 07/2016/TT-BCA: the 63 provinces and cities, by code.
BIRTH_PROVINCE_CODES = frozenset(
    """
    001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033
    034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066
    067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096
    """.split()  # noqa: SIM905 - the annex's codes, as printed
)
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def _refuse_number(message: str) -> NoReturn:
    """Raise InvalidNationalId; `message` is shown to the person who typed the number."""
    raise InvalidNationalId(message)


def mst_check_digit(first_nine: str) -> int | None:
    """Return the tenth digit of a tax code (mã số thuế), or None when no code has these nine."""
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, _MST_WEIGHTS, strict=True)) % 11
    return check if check < 10 else None


def _person_number(digits: str, today: dt.date) -> str:
    if len(digits) == 9:  # CMND: no structure the register can check beyond its length
        return digits
    if len(digits) != 12:
        _refuse_number(
            _(
                "A person's number is the 12-digit căn cước (CCCD) number, or the 9-digit "
                "number of an old identity card (CMND); this one has %(count)s digits."
            )
            % {"count": len(digits)}
        )
    if digits[:3] not in BIRTH_PROVINCE_CODES:
        _refuse_number(
            _(
                "A căn cước number starts with the code of a province (001 Hà Nội … 096 Cà "
                "Mau); %(code)s is none. Check the number on the card."
            )
            % {"code": digits[:3]}
        )
    born = 1900 + int(digits[3]) // 2 * 100 + int(digits[4:6])
    if born > today.year:
        _refuse_number(
            _(
                "This căn cước number gives %(year)s as the year of birth, after this year: its "
                "fourth digit (sex and century) or the year is mistyped. Check the number on "
                "the card."
            )
            % {"year": born}
        )
    return digits


def _organisation_number(digits: str) -> str:
    if len(digits) not in {10, 13}:
        _refuse_number(
            _(
                "An organisation's number is its 10-digit tax code (mã số thuế), or 13 digits "
                "for a branch (e.g. 0100112437-001); this one has %(count)s digits."
            )
            % {"count": len(digits)}
        )
    if int(digits[9]) != mst_check_digit(digits[:9]):
        _refuse_number(
            _(
                "The tenth digit of this tax code (mã số thuế) is not its check digit: a "
                "digit is probably mistyped."
            )
        )
    if len(digits) == 13 and digits[10:] == "000":
        _refuse_number(_("A branch's tax code ends with its number, 001 to 999, not 000."))
    return digits


# Who may hold a land-use right: the land users (người sử dụng đất) of Land Law 2024
# (Luật Đất đai 31/2024/QH15), art. 4. The State is not one: it is the owner's
# representative that allocates, leases and recognises land (Chapter II), and holds no
# certificate. Households (hộ gia đình) are no longer land users under the 2024 Law; those
# that held land before it took effect (1 August 2024) keep using it (the definition of
# art. 3 para. 25, and the transitional provisions), so the register keeps them for rights
# of before,
# and no deed makes a new household holder. A Vietnamese citizen residing abroad is an
# individual (art. 4 para. 3); a person of Vietnamese origin residing abroad, para. 6.
_HOLDER_KINDS = (
    HolderKind("individual", gettext_noop("Individual"), "person", birth_year=True),
    HolderKind(
        "household", gettext_noop("Household"), "person", birth_year=True, new_holders=False
    ),
    HolderKind("community", gettext_noop("Residential community"), "organisation"),
    HolderKind("domestic_organisation", gettext_noop("Domestic organisation"), "organisation"),
    HolderKind("religious_organisation", gettext_noop("Religious organisation"), "organisation"),
    HolderKind(
        "overseas_vietnamese",
        gettext_noop("Person of Vietnamese origin residing abroad"),
        "person",
        birth_year=True,
    ),
    HolderKind(
        "foreign_invested",
        gettext_noop("Foreign-invested economic organisation"),
        "organisation",
    ),
    HolderKind(
        "foreign_diplomatic",
        gettext_noop("Foreign organisation with diplomatic functions"),
        "organisation",
    ),
)

# Where a land-use right comes from (nguồn gốc sử dụng đất), as the certificate writes it:
# the forms of land allocation, lease and recognition of Land Law 2024 (art. 118-120)
# and the transactions a right is received by (art. 27), in the wording of the
# land-use certificate form of Circular 10/2024/TT-BTNMT (the section on the origin
# of use). The Circular's text could not be searched here: the wording is the one land
# offices print, to check against its annex when at hand. The vi translations of these
# msgids are that wording (docs glossary).
_ORIGINS = (
    Choice("allocated_with_levy", gettext_noop("State allocation with land-use levy")),
    Choice("allocated_without_levy", gettext_noop("State allocation without land-use levy")),
    Choice("leased_lump_sum", gettext_noop("State lease with rent paid once for the whole term")),
    Choice("leased_annual", gettext_noop("State lease with annual rent")),
    Choice("recognised", gettext_noop("Recognition of the land-use right")),
    Choice("transfer_received", gettext_noop("Received by transfer of the land-use right")),
    Choice("inheritance_received", gettext_noop("Received by inheritance of the land-use right")),
    Choice("gift_received", gettext_noop("Received as a gift of the land-use right")),
    Choice("exchange_received", gettext_noop("Received by exchange of the land-use right")),
    Choice(
        "contribution_received",
        gettext_noop("Received as a capital contribution of the land-use right"),
    ),
)

# Hình thức sử dụng đất: the certificate says whether the land is used by its holder
# alone (sử dụng riêng) or in common with others (sử dụng chung), Circular 10/2024.
_USE_FORMS = (
    Choice("private", gettext_noop("Private use")),
    Choice("common", gettext_noop("Common use")),
)


class VietnamProfile(JurisdictionProfile):
    """Return identifiers, CRS, land uses and language of the Vietnamese cadastre."""

    key = "vn"
    name = "Việt Nam"
    # VN-2000 / TM-3 zone 482 (central meridian 105°E), the projection of cadastral
    # maps in the provinces around Hà Nội; metres, as area checks need.
    storage_srid = 5897
    default_language = "vi"
    time_zone = "Asia/Ho_Chi_Minh"  # UTC+07:00, one zone for the whole country
    currency = "VND"
    # Mainland plus the island districts (Hoàng Sa, Trường Sa, Phú Quốc, Côn Đảo).
    area_of_use = Bounds(west=102.1, south=6.0, east=117.9, north=23.45)
    map_center = (21.028, 105.834)  # Hà Nội
    search_example = "to 12 thua 345 · Số 12 Phố Huế"
    land_uses = _LAND_USES
    usual_crs = _USUAL_CRS
    survey_crs = VN_SURVEY_CRS
    added_land = _ADDED_LAND
    # Cadastral map scales (Circular 25/2014/TT-BTNMT art. 7): 1:200 and 1:500 for city
    # centres, 1:1000 for towns and villages, 1:2000 to 1:10000 for fields and forest.
    map_scales = (200, 500, 1000, 2000, 5000, 10000)
    default_map_scale = 1000
    area_rule = "Circular 25/2014/TT-BTNMT: ΔP = 0.0004·M·√P"
    # Registration of a change is a matter of working days (Decree 101/2024/NĐ-CP sets the
    # times per procedure); ten calendar days is the demo's default, not a citation.
    registration_days = 10
    # Two levels of local government since 1 July 2025 (Resolution 202/2025/QH15, Law on
    # Organisation of Local Government 2025 art. 2): the 34 provinces and centrally-run
    # cities, and their communes, wards and special zones. Districts are gone; one still
    # stored above a commune is no part of an address. Addresses run smallest first.
    administrative_levels = (
        AdministrativeLevel(
            1, {"vi": "Tỉnh/Thành phố", "ko": "성·중앙직할시", "en": "Province/City"}
        ),
        AdministrativeLevel(
            3, {"vi": "Xã/Phường/Đặc khu", "ko": "사·방·특구", "en": "Commune/Ward/Special zone"}
        ),
    )
    address_smallest_first = True
    address_separator = ", "
    # Circular 10/2024/TT-BTNMT: the certificate states the parcel's area in m², rounded
    # to one decimal; every page prints it so.
    area_decimals = 1

    def survey_crs_of_province(self, code: str) -> tuple[int, ...]:
        return vn_survey_crs_of_province(code)

    holder_kinds = _HOLDER_KINDS
    right_origins = _ORIGINS
    # The recipients of a transfer hold the right by what they received (Land Law 2024
    # art. 27: chuyển nhượng, thừa kế, tặng cho); the term carries over.
    transfer_origins = MappingProxyType(
        {
            "sale": "transfer_received",
            "inheritance": "inheritance_received",
            "gift": "gift_received",
        }
    )
    use_forms = _USE_FORMS
    # Thời hạn sử dụng đất: long-term (ổn định lâu dài, Land Law 2024 art. 171) or until a
    # day (art. 172); base.LONG_TERM or the day in a deed.
    right_terms = True
    attached_assets = True  # tài sản gắn liền với đất, on the same certificate
    certificate_serial = True  # số phát hành (the paper's serial) besides số vào sổ cấp GCN

    def permissible_area_error(self, area: _Area, scale: int | _Area) -> _Area:
        """Return ΔP = 0.0004·M·√P m², the area error a cadastral map of 1:M permits.

        Circular 25/2014/TT-BTNMT on cadastral maps (replaced from 15 January 2025 by
        Circular 26/2024/TT-BTNMT): the area of a parcel computed from the map may differ
        from the true one by ΔP, with P the parcel's area in m² and M the map's scale
        denominator. No text of the Circular could be searched to cite its article; the
        formula is the one land offices apply, and should be checked against the 2024
        Circular when it is at hand.
        """
        result: _Area = 0.0004 * scale * area**0.5
        return result

    def parse_identifier(self, text: str, *, unit_code: str | None = None) -> ParcelIdentifier:
        """Return the identifier in `text`: "tờ 12 thửa 345", "12/345", "00004-12-345", ...

        Labels may come in any order, with or without diacritics, in any case, with
        "số", commas, dots and colons. Without a commune in `text`, the parcel is looked
        for in the commune `unit_code`; a commune written in `text` wins over it. Both
        are read as typed text is (`normalize_text`): what nobody sees changes nothing.
        """
        if unit_code is not None and not _COMMUNE_CODE.fullmatch(normalize_text(unit_code)):
            _refuse(
                _(
                    "The commune to search in must be given by its 5-digit %(part)s, e.g. "
                    "'00004'; got %(code)s."
                )
                % {"part": _Part.COMMUNE.label, "code": quote_input(unit_code)}
            )
        if len(text) > MAX_INPUT_LENGTH:
            _refuse(
                _(
                    "%(text)s is too long to be a parcel identifier (%(length)s characters, at "
                    "most %(most)s)."
                )
                % {"text": quote_input(text), "length": len(text), "most": MAX_INPUT_LENGTH}
            )
        text = normalize_text(text)
        unit_code = normalize_text(unit_code) if unit_code is not None else None
        if not text:
            _refuse(
                _("The parcel identifier is empty; write e.g. %(examples)s.")
                % {"examples": _(_EXAMPLES)}
            )
        labelled, unlabelled = _read_numbers(text)
        numbers = _assign(labelled, unlabelled, text)
        sheet_token = numbers[_Part.SHEET]
        if _Part.COMMUNE in numbers:
            commune = _check_commune_code(numbers[_Part.COMMUNE], text)
        elif _Part.SHEET not in labelled and len(sheet_token) == 5:
            # "00004-12": no sheet number is written with five digits, a commune code is.
            _refuse(
                _(
                    "%(text)s looks like a commune code followed by one number; give both the "
                    "map sheet and the parcel number, e.g. '00004-12-345'."
                )
                % {"text": quote_input(text)}
            )
        elif unit_code is None:
            _refuse(
                _(
                    "%(text)s does not say which commune the parcel is in; give the commune "
                    "code, e.g. 00004-12-345, or search within a commune."
                )
                % {"text": quote_input(text)}
            )
        else:
            commune = unit_code
        return ParcelIdentifier(
            unit_code=commune,
            parts=(
                _number(sheet_token, _Part.SHEET, text),
                _number(numbers[_Part.PARCEL], _Part.PARCEL, text),
            ),
        )

    def format_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return "00004-12-345": commune, sheet and parcel, numbers without padding."""
        commune, sheet, parcel = _unpack(identifier)
        return f"{commune}-{sheet}-{parcel}"

    def identifier_series(self, identifier: str) -> str:
        """Return "00004-12-": parcels are numbered per map sheet of a commune."""
        commune, sheet, _parcel = _unpack(self.parse_identifier(identifier))
        return f"{commune}-{sheet}-"

    def new_identifiers(self, parent: str, taken: Collection[str], count: int) -> list[str]:
        """Return the next `count` parcel numbers on the parent's map sheet."""
        commune, sheet, parcel = _unpack(self.parse_identifier(parent))
        highest = max(
            (_unpack(self.parse_identifier(other))[2] for other in taken),
            default=parcel,
        )
        first = max(highest, parcel) + 1
        if first + count - 1 > _MAXIMUM[_Part.PARCEL]:
            _refuse(
                _("Map sheet %(sheet)s of commune %(commune)s has no parcel numbers left.")
                % {"sheet": sheet, "commune": commune}
            )
        return [f"{commune}-{sheet}-{number}" for number in range(first, first + count)]

    def display_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return "tờ 12 thửa 345", as printed on a land-use right certificate."""
        _, sheet, parcel = _unpack(identifier)
        return f"tờ {sheet} thửa {parcel}"

    def _lot_address(self, identifier: ParcelIdentifier, units: list[tuple[int, str]]) -> str:
        """Return "thửa đất số 345, tờ bản đồ số 12, Phường X, Tỉnh Y": smallest first."""
        _, sheet, parcel = _unpack(identifier)
        return self.address_separator.join(
            [f"thửa đất số {parcel}", f"tờ bản đồ số {sheet}", self.unit_address(units)]
            if units
            else [f"thửa đất số {parcel}", f"tờ bản đồ số {sheet}"]
        )

    def map_label(self, identifier: ParcelIdentifier) -> str:
        """Return the parcel number alone: a cadastral map sheet prints "345", not the sheet."""
        return str(_unpack(identifier)[2])

    def normalize_national_id(self, text: str, *, kind: str, today: dt.date | None = None) -> str:
        """Return the căn cước, CMND or tax code in `text` as digits; see the rules above."""
        digits = compact_number(text)
        if not digits:
            _refuse_number("The identity number is empty.")
        if not (digits.isascii() and digits.isdigit()):
            _refuse_number(
                "An identity number is written in digits (hyphens, dots and spaces are "
                "ignored), e.g. 001080000001 or 0100112437."
            )
        if kind == "person":
            return _person_number(digits, today or dt.date.today())
        return _organisation_number(digits)

    # --- import ---
    unit_noun = "commune"
    units_noun = "communes"
    canonical_pattern = CanonicalPattern(
        re.compile(r"(?P<unit>[0-9]{5})-[1-9][0-9]{0,3}-[1-9][0-9]{0,4}"), 5
    )
    # Vietnamese cadastral databases (ViLIS, VBDLIS, TT 25/2014 exchange files) keep the
    # commune code, map sheet and parcel number in separate columns.
    identifier_fields = IdentifierFields(
        unit=IdentifierField(
            "xã", ("maxa", "maxaphuong", "madvhc", "madonvihanhchinh", "commune", "communecode")
        ),
        parts=(
            IdentifierField(
                "tờ",
                ("soto", "sotobando", "sohieutobando", "shbando", "tobando", "sheet", "mapsheet"),
            ),
            IdentifierField(
                "thửa", ("sothua", "sothututhua", "shthua", "sothuadat", "thua", "parcel")
            ),
        ),
        separator="-",
    )
