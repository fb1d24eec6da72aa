"""The coordinate systems a surveyor's file (trích đo địa chính, 지적측량성과) is measured in.

An officer chooses one in words ("VN-2000, kinh tuyến trục 105°45′, múi chiếu 3°"), not
by an EPSG number; every choice here has an EPSG code, which is what the deed API and
the register's transformation (GDAL) take. The profiles hold these tables as
`survey_crs`; `survey_crs_of_province` says which choice a province's surveys are in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from landinfo.translation import gettext, gettext_noop

WGS84 = 4326


@dataclass(frozen=True, slots=True)
class SurveyCRS:
    """A CRS a surveyor's coordinates come in: its EPSG code and how officers name it."""

    epsg: int
    # The msgid of its name: name() reads it in the active language. The profiles load
    # without Django (settings.py reads them first), so nothing here is a lazy string.
    label: str
    meridian: float | None = None  # a TM-3 zone's central meridian, named in the label

    def name(self) -> str:
        """Return the choice as officers name it, in the active language."""
        text = gettext(self.label)
        if self.meridian is None:
            return text
        return text % {"meridian": _meridian(self.meridian)}


def _meridian(degrees: float) -> str:
    """Return 105.75 as "105°45′", as the circulars write a central meridian."""
    whole = int(degrees)
    minutes = round((degrees - whole) * 60)
    return f"{whole}°{minutes:02d}′" if minutes else f"{whole}°"


_TM3 = gettext_noop("VN-2000, central meridian %(meridian)s, 3° zone")


# --- Vietnam ------------------------------------------------------------------------------

# VN-2000 / TM-3 (k0 = 0.9999, false easting 500 km) on each central meridian Circular
# 973/2001/TT-TCĐC (appendix) gives a province, with the EPSG code of the zone.
VN2000_TM3: Mapping[float, int] = MappingProxyType(
    {
        102.0: 5896,
        103.0: 9205,
        104.0: 9206,
        104.5: 9207,
        104.75: 9208,
        105.0: 5897,
        105.5: 9209,
        105.75: 9210,
        106.0: 9211,
        106.25: 9212,
        106.5: 9213,
        107.0: 9214,
        107.25: 9215,
        107.5: 9216,
        107.75: 5899,
        108.0: 5898,
        108.25: 9217,
        108.5: 9218,
    }
)

# Circular 973/2001/TT-TCĐC, appendix: the central meridian of each of the 63 provinces,
# keyed by the province's code before the 2025 mergers (GSO codes, Decision
# 124/2004/QĐ-TTg).
_VN_PROVINCE_MERIDIANS_1973: Mapping[str, float] = MappingProxyType(
    {
        "01": 105.0,  # Hà Nội
        "02": 105.5,  # Hà Giang
        "04": 105.75,  # Cao Bằng
        "06": 106.5,  # Bắc Kạn
        "08": 106.0,  # Tuyên Quang
        "10": 104.75,  # Lào Cai
        "11": 103.0,  # Điện Biên
        "12": 103.0,  # Lai Châu
        "14": 104.0,  # Sơn La
        "15": 104.75,  # Yên Bái
        "17": 106.0,  # Hòa Bình
        "19": 106.5,  # Thái Nguyên
        "20": 107.25,  # Lạng Sơn
        "22": 107.75,  # Quảng Ninh
        "24": 107.0,  # Bắc Giang
        "25": 104.75,  # Phú Thọ
        "26": 105.0,  # Vĩnh Phúc
        "27": 105.5,  # Bắc Ninh
        "30": 105.5,  # Hải Dương
        "31": 105.75,  # Hải Phòng
        "33": 105.5,  # Hưng Yên
        "34": 105.5,  # Thái Bình
        "35": 105.0,  # Hà Nam
        "36": 105.5,  # Nam Định
        "37": 105.0,  # Ninh Bình
        "38": 105.0,  # Thanh Hóa
        "40": 104.75,  # Nghệ An
        "42": 105.5,  # Hà Tĩnh
        "44": 106.0,  # Quảng Bình
        "45": 106.25,  # Quảng Trị
        "46": 107.0,  # Thừa Thiên Huế
        "48": 107.75,  # Đà Nẵng
        "49": 107.75,  # Quảng Nam
        "51": 108.0,  # Quảng Ngãi
        "52": 108.25,  # Bình Định
        "54": 108.5,  # Phú Yên
        "56": 108.25,  # Khánh Hòa
        "58": 108.25,  # Ninh Thuận
        "60": 108.5,  # Bình Thuận
        "62": 107.5,  # Kon Tum
        "64": 108.5,  # Gia Lai
        "66": 108.5,  # Đắk Lắk
        "67": 108.5,  # Đắk Nông
        "68": 107.75,  # Lâm Đồng
        "70": 106.25,  # Bình Phước
        "72": 105.5,  # Tây Ninh
        "74": 105.75,  # Bình Dương
        "75": 107.75,  # Đồng Nai
        "77": 107.75,  # Bà Rịa - Vũng Tàu
        "79": 105.75,  # TP Hồ Chí Minh
        "80": 105.75,  # Long An
        "82": 105.75,  # Tiền Giang
        "83": 105.75,  # Bến Tre
        "84": 105.5,  # Trà Vinh
        "86": 105.5,  # Vĩnh Long
        "87": 105.0,  # Đồng Tháp
        "89": 104.75,  # An Giang
        "91": 104.5,  # Kiên Giang
        "92": 105.0,  # Cần Thơ
        "93": 105.0,  # Hậu Giang
        "94": 105.5,  # Sóc Trăng
        "95": 105.0,  # Bạc Liêu
        "96": 104.5,  # Cà Mau
    }
)

# The 34 provinces since 12 June 2025 (Resolution 202/2025/QH15), by the code each keeps
# (Decision 19/2025/QĐ-TTg), with the former provinces they joined. The Circular was not
# redrawn: a merged province keeps each former province's meridian on its ground, so it
# can have two or three, and the surveyor states which one their file is in.
_VN_PROVINCES_2025: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "01": ("01",),
        "04": ("04",),
        "08": ("08", "02"),
        "11": ("11",),
        "12": ("12",),
        "14": ("14",),
        "15": ("15", "10"),
        "19": ("19", "06"),
        "20": ("20",),
        "22": ("22",),
        "24": ("24", "27"),
        "25": ("25", "26", "17"),
        "31": ("31", "30"),
        "33": ("33", "34"),
        "37": ("37", "35", "36"),
        "38": ("38",),
        "40": ("40",),
        "42": ("42",),
        "44": ("44", "45"),
        "46": ("46",),
        "48": ("48", "49"),
        "51": ("51", "62"),
        "52": ("64", "52"),
        "56": ("56", "58"),
        "66": ("66", "54"),
        "68": ("68", "67", "60"),
        "75": ("75", "70"),
        "79": ("79", "74", "77"),
        "80": ("72", "80"),
        "82": ("87", "82"),
        "86": ("86", "83", "84"),
        "91": ("89", "91"),
        "92": ("92", "93", "94"),
        "96": ("96", "95"),
    }
)


def vn_province_meridians(code: str) -> tuple[float, ...]:
    """Return the central meridians a province's surveys are in, by its code (2025 or before).

    A code of the 34 provinces gives the meridians of the provinces it joined, in order of
    the Circular's table, without repeats; a code only the 63 had gives its one meridian;
    an unknown code (a synthetic province) gives none.
    """
    code = code.strip()
    if code.isascii() and code.isdigit():
        code = f"{int(code):02d}"  # "001", as identity numbers write it, is "01"
    former = _VN_PROVINCES_2025.get(code, (code,))
    meridians: list[float] = []
    for old in former:
        meridian = _VN_PROVINCE_MERIDIANS_1973.get(old)
        if meridian is not None and meridian not in meridians:
            meridians.append(meridian)
    return tuple(meridians)


VN_SURVEY_CRS: tuple[SurveyCRS, ...] = (
    *(SurveyCRS(code, _TM3, m) for m, code in sorted(VN2000_TM3.items())),
    SurveyCRS(3405, gettext_noop("VN-2000, UTM zone 48N (6° zone)")),
    SurveyCRS(3406, gettext_noop("VN-2000, UTM zone 49N (6° zone)")),
    SurveyCRS(WGS84, gettext_noop("WGS 84, longitude and latitude (GPS)")),
)


def vn_survey_crs_of_province(code: str) -> tuple[int, ...]:
    """Return the EPSG codes of the VN-2000 TM-3 zones a province's surveys are in."""
    return tuple(VN2000_TM3[m] for m in vn_province_meridians(code))


# --- Korea --------------------------------------------------------------------------------

# 공간정보의 구축 및 관리 등에 관한 법률 시행령 제7조 제3항 and 별표 2: the cadastral
# survey's plane rectangular coordinates on four origins (서부·중부·동부·동해), on the
# world geodetic system (GRS80) since 2010; UTM-K for national maps.
KR_SURVEY_CRS: tuple[SurveyCRS, ...] = (
    SurveyCRS(5185, gettext_noop("Korea 2000, West Belt origin (125°E, 38°N)")),
    SurveyCRS(5186, gettext_noop("Korea 2000, Central Belt origin (127°E, 38°N)")),
    SurveyCRS(5187, gettext_noop("Korea 2000, East Belt origin (129°E, 38°N)")),
    SurveyCRS(5188, gettext_noop("Korea 2000, East Sea Belt origin (131°E, 38°N)")),
    SurveyCRS(5179, gettext_noop("Korea 2000, unified coordinates (UTM-K)")),
    SurveyCRS(WGS84, gettext_noop("WGS 84, longitude and latitude (GPS)")),
)


def kr_survey_crs_of_province(code: str) -> tuple[int, ...]:
    """Return no default: a 시·도 spans belts, and the 측량성과도 names its origin."""
    return ()
