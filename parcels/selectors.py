"""Read side of the parcel register.

The public JSON of the API is built here as plain dicts (typed below), so that views
stay thin and every shape has one definition. Geometry, areas and boxes come out of
PostGIS; Python only arranges them. Each function states how many queries it makes:
lookups by identifier and by point run at national scale and must stay indexed and
bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal, NotRequired, TypedDict

from django.contrib.gis.db.models.functions import AsGeoJSON, Centroid, Transform
from django.contrib.gis.geos import Point
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import JSONObject, Length, Reverse
from django.utils import timezone

from landinfo.profiles import InvalidParcelIdentifier, JurisdictionProfile, get_profile
from landinfo.srid import WGS84
from parcels.models import AdministrativeUnit, LandPrice, Parcel, ParcelLineage, ZoningZone
from transactions.selectors import (
    HistoryEntry,
    PublicRight,
    parcel_timeline,
    rights_as_of,
    valid_on,
)

SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 50
SEARCH_QUERY_MAX_LENGTH = 200

# Scores of identifier matches; address matches score their trigram word similarity,
# which is at most 1 and equals 1 only when every trigram of the query is found.
_EXACT_SCORE = 1.0
_SUFFIX_SCORE = 0.9

# A unit code of the profile's shape that numbers no real parcel: "12/345" is read with
# it to learn the end of the identifier that any commune would give ("...-12-345").
_PLACEHOLDER_UNIT = {"vn": "00000", "kr": "0000000000"}

# A point closer than this to a boundary lies on it. Degrees reprojected into the
# storage CRS carry rounding noise far below a centimetre, so without a tolerance a
# point on a shared edge would fall into one neighbour at random; no cadastral survey
# is more precise than a centimetre.
AT_POINT_TOLERANCE_M = 0.01
# More parcels than this never meet at one point of a valid cadastre.
_AT_POINT_MAX = 16

# Zones that overlap a parcel by less than this share are digitising slivers: a zone
# edge drawn a few centimetres off the parcel edge. Below it the share rounds to 0.000.
_ZONING_MIN_SHARE = 0.0005

# Administrative ancestors of a parcel's unit, nearest first: a village's commune,
# district and province at most.
_ANCESTORS = (
    "admin_unit__parent",
    "admin_unit__parent__parent",
    "admin_unit__parent__parent__parent",
)

_BOX2D = re.compile(r"BOX\((\S+) ([^,]+),(\S+) ([^)]+)\)")


class InvalidSearch(ValueError):
    """Raised when search parameters cannot be used; the message says what to change."""


class LandUseRef(TypedDict):
    code: str
    name: str


class LandUseDetail(LandUseRef):
    name_en: str
    group: str


class UnitRef(TypedDict):
    code: str
    name: str


class AncestorRef(UnitRef):
    level: int


class AdminUnitDetail(UnitRef):
    parents: list[AncestorRef]  # province first


class ParcelRef(TypedDict):
    id: int
    identifier: str
    display: str


class SearchResult(TypedDict):
    id: int
    identifier: str
    display: str
    address: str
    land_use: LandUseRef
    admin_unit: UnitRef
    match: Literal["identifier", "address"]
    score: float
    retired: bool
    bbox: list[float]  # west, south, east, north in WGS84
    centroid: list[float]  # lon, lat


class ZoningShare(TypedDict):
    code: str
    name: str
    plan: str
    share: float  # of the parcel's area, 0..1


class Price(TypedDict):
    year: int
    price_per_m2: int
    currency: str


class ParcelSheet(TypedDict):
    id: int
    identifier: str
    display: str
    address: str
    land_use: LandUseDetail
    registered_area: float
    computed_area: float
    admin_unit: AdminUnitDetail
    valid_from: str
    valid_to: str | None
    status: Literal["current", "retired"]
    zoning: list[ZoningShare]
    prices: list[Price]
    rights: list[PublicRight]
    parents: list[ParcelRef]
    children: list[ParcelRef]
    as_of: str | None
    bbox: list[float]
    geometry: dict[str, Any]
    also_at_point: NotRequired[list[int]]


class ParcelHistory(TypedDict):
    parcel: ParcelRef
    as_of: str | None
    entries: list[HistoryEntry]
    rights: list[PublicRight]


def register_summary() -> dict[str, int]:
    """Return counts that describe the register as it stands."""
    return Parcel.objects.aggregate(
        current=Count("pk", filter=Q(valid_to__isnull=True)),
        retired=Count("pk", filter=Q(valid_to__isnull=False)),
    )


def units_geojson(*, level: int) -> dict[str, object]:
    """Return the administrative units of `level` as a GeoJSON FeatureCollection in WGS84."""
    units = (
        AdministrativeUnit.objects.filter(level=level, boundary__isnull=False)
        .annotate(
            geojson=AsGeoJSON(Transform("boundary", WGS84), precision=6),
            parcel_count=Count("parcels", filter=Q(parcels__valid_to__isnull=True)),
        )
        .values("code", "name", "geojson", "parcel_count")
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(unit["geojson"]),
                "properties": {
                    "code": unit["code"],
                    "name": unit["name"],
                    "parcels": unit["parcel_count"],
                },
            }
            for unit in units
        ],
    }


# --- search ------------------------------------------------------------------------------


def search_parcels(
    query: str, *, limit: int = SEARCH_LIMIT_DEFAULT, unit_code: str | None = None
) -> list[SearchResult]:
    """Return the parcels that `query` names, best first: by identifier, else by address.

    An identifier in any spelling the profile reads finds its parcel (the current one,
    else the last retired one); a short spelling ("12/345") finds it in `unit_code`, or
    without a unit in every commune that has it. Only when no identifier matches is
    `query` read as an address: accent-insensitive and typo-tolerant trigram matching on
    current parcels, ranked by word similarity. One to three queries.
    """
    query = query.strip()
    if not query:
        raise InvalidSearch("Type a parcel identifier or an address to search for.")
    if len(query) > SEARCH_QUERY_MAX_LENGTH:
        raise InvalidSearch(
            f"The search text is {len(query)} characters long; "
            f"shorten it to at most {SEARCH_QUERY_MAX_LENGTH}."
        )
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise InvalidSearch(f"Ask for 1 to {SEARCH_LIMIT_MAX} results; got {limit}.")
    if unit_code is not None and not AdministrativeUnit.objects.filter(code=unit_code).exists():
        raise InvalidSearch(
            f"No administrative unit has the code {unit_code!r}; give the code of the "
            f"commune (Korea: legal dong) to search in, or leave it out."
        )
    profile = get_profile()
    results = _identifier_matches(profile, query, unit_code=unit_code, limit=limit)
    # Text without a letter or digit has no trigram; the index would be scanned whole.
    if results or not any(char.isalnum() for char in query):
        return results
    return _address_matches(profile, query, limit=limit)


def _identifier_matches(
    profile: JurisdictionProfile, query: str, *, unit_code: str | None, limit: int
) -> list[SearchResult]:
    try:
        identifier = profile.parse_identifier(query, unit_code=unit_code)
    except InvalidParcelIdentifier:
        identifier = None
    if identifier is not None:
        canonical = profile.format_identifier(identifier)
        # The current parcel, else the one retired last: an old certificate still finds it.
        exact = _located(Parcel.objects.filter(identifier=canonical)).order_by(
            F("valid_to").desc(nulls_first=True), "-valid_from"
        )[:1]
        return [_search_result(profile, row, "identifier", _EXACT_SCORE) for row in exact]

    suffix = _short_spelling_suffix(profile, query)
    if suffix is None:
        return []
    ending = Parcel.objects.alias(
        reversed_identifier=Reverse("identifier"), identifier_length=Length("identifier")
    ).filter(
        reversed_identifier__startswith=suffix[::-1],
        identifier_length=len(_PLACEHOLDER_UNIT[profile.key]) + len(suffix),
    )
    rows = list(_located(ending.filter(valid_to__isnull=True)).order_by("identifier")[:limit])
    if not rows:
        rows = list(
            _located(ending)
            .order_by("identifier", F("valid_to").desc(), "-valid_from")
            .distinct("identifier")[:limit]
        )
    return [_search_result(profile, row, "identifier", _SUFFIX_SCORE) for row in rows]


def _short_spelling_suffix(profile: JurisdictionProfile, query: str) -> str | None:
    """Return the end every commune's identifier would have for a spelling without a unit.

    "tờ 12 thửa 345" gives "-12-345" in Vietnam; "산 12-3" gives "200120003" in Korea.
    None when `query` is no such spelling.
    """
    placeholder = _PLACEHOLDER_UNIT.get(profile.key)
    if placeholder is None:
        return None
    try:
        identifier = profile.parse_identifier(query, unit_code=placeholder)
    except InvalidParcelIdentifier:
        return None
    canonical = profile.format_identifier(identifier)
    if identifier.unit_code != placeholder or not canonical.startswith(placeholder):
        return None
    return canonical[len(placeholder) :]


def _address_matches(profile: JurisdictionProfile, query: str, *, limit: int) -> list[SearchResult]:
    # Both sides folded by the same IMMUTABLE SQL function as the index expression of
    # migration 0003 (parcel_address_trgm), so the planner uses that index.
    # `%>` keeps addresses whose closest words match the query above
    # pg_trgm.word_similarity_threshold (0.6 unless the database sets it).
    folded_query = Func(Value(query), function="landinfo_unaccent", output_field=TextField())
    rows = _located(
        Parcel.objects.filter(valid_to__isnull=True)
        .alias(
            folded_address=Func(
                F("address"), function="landinfo_unaccent", output_field=TextField()
            )
        )
        .filter(folded_address__trigram_word_similar=folded_query)
        .annotate(
            score=Func(
                folded_query,
                F("folded_address"),
                function="word_similarity",
                output_field=FloatField(),
            ),
            # Among equal word matches the shortest address wins: "Số 12 Phố Huế"
            # before "Số 5 Ngõ 12 Phố Huế" for "12 pho hue".
            closeness=Func(
                F("folded_address"), folded_query, function="similarity", output_field=FloatField()
            ),
        ),
        "score",
    ).order_by("-score", "-closeness", "identifier")[:limit]
    return [_search_result(profile, row, "address", row["score"]) for row in rows]


def _located(parcels: QuerySet[Parcel], *extra: str) -> QuerySet[Parcel, dict[str, Any]]:
    """Return `parcels` as the rows a search result needs, with box and centroid in WGS84.

    `extra` names annotations of `parcels` to keep in the rows.
    """
    return parcels.annotate(
        box=Func(Transform("boundary", WGS84), function="Box2D", output_field=TextField()),
        centre=Transform(Centroid("boundary"), WGS84),
    ).values(
        "id",
        "identifier",
        "address",
        "land_use",
        "valid_to",
        "admin_unit__code",
        "admin_unit__name",
        "box",
        "centre",
        *extra,
    )


def _search_result(
    profile: JurisdictionProfile,
    row: dict[str, Any],
    match: Literal["identifier", "address"],
    score: float,
) -> SearchResult:
    land_use = _land_use(profile, row["land_use"])
    return {
        "id": row["id"],
        "identifier": row["identifier"],
        "display": _display(profile, row["identifier"]),
        "address": row["address"],
        "land_use": {"code": land_use["code"], "name": land_use["name"]},
        "admin_unit": {"code": row["admin_unit__code"], "name": row["admin_unit__name"]},
        "match": match,
        "score": round(float(score), 3),
        "retired": row["valid_to"] is not None,
        "bbox": _bbox(row["box"]),
        "centroid": [round(row["centre"].x, 6), round(row["centre"].y, 6)],
    }


# --- the parcel sheet -------------------------------------------------------------------


def parcels_at_point(lon: float, lat: float, *, as_of: dt.date | None = None) -> list[int]:
    """Return the ids of the parcels in force on `as_of` (today) at a WGS84 point.

    Lowest identifier first, so that a point on a shared edge or vertex always gives the
    same parcel first. One query on the GiST index of `boundary`; none outside the
    profile's country, where the storage CRS is not defined.
    """
    if not get_profile().area_of_use.contains(lon, lat):
        return []
    point = Point(lon, lat, srid=WGS84)  # GeoDjango transforms it to the storage SRID in SQL
    return list(
        Parcel.objects.filter(
            valid_on(as_of or timezone.localdate()),
            boundary__dwithin=(point, AT_POINT_TOLERANCE_M),
        )
        .order_by("identifier", "pk")
        .values_list("pk", flat=True)[:_AT_POINT_MAX]
    )


def parcel_sheet(pk: int, *, as_of: dt.date | None = None) -> ParcelSheet | None:
    """Return the parcel sheet as it stood on `as_of` (today when None).

    None when no parcel has `pk` or it did not exist yet on `as_of`. Zoning and prices
    in force on the day, rights in force on the day, lineage both ways. Two queries: the
    parcel with its zoning, prices and lineage as array subqueries, then its rights.
    """
    day = as_of or timezone.localdate()
    parcels = Parcel.objects.filter(pk=pk)
    if as_of is not None:
        parcels = parcels.filter(valid_from__lte=as_of)
    row = (
        parcels.annotate(
            computed_area=Func("boundary", function="ST_Area", output_field=FloatField()),
            geojson=AsGeoJSON(Transform("boundary", WGS84), precision=6, bbox=True),
            zoning=_zoning_shares(day),
            price_list=_prices(up_to_year=as_of.year if as_of else None),
            parent_refs=_lineage("child", "parent"),
            child_refs=_lineage("parent", "child"),
        )
        .values(
            "id",
            "identifier",
            "address",
            "land_use",
            "registered_area",
            "valid_from",
            "valid_to",
            "admin_unit__code",
            "admin_unit__name",
            *(
                f"{ancestor}__{field}"
                for ancestor in _ANCESTORS
                for field in ("code", "name", "level")
            ),
            "computed_area",
            "geojson",
            "zoning",
            "price_list",
            "parent_refs",
            "child_refs",
        )
        .first()
    )
    if row is None:
        return None
    profile = get_profile()
    geometry = json.loads(row["geojson"])
    bbox = geometry.pop("bbox")
    retired = row["valid_to"] is not None and row["valid_to"] <= day
    return {
        "id": row["id"],
        "identifier": row["identifier"],
        "display": _display(profile, row["identifier"]),
        "address": row["address"],
        "land_use": _land_use(profile, row["land_use"]),
        "registered_area": float(row["registered_area"]),
        "computed_area": round(row["computed_area"], 1),
        "admin_unit": {
            "code": row["admin_unit__code"],
            "name": row["admin_unit__name"],
            "parents": [
                {
                    "code": row[f"{ancestor}__code"],
                    "name": row[f"{ancestor}__name"],
                    "level": row[f"{ancestor}__level"],
                }
                for ancestor in reversed(_ANCESTORS)
                if row[f"{ancestor}__code"] is not None
            ],
        },
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": row["valid_to"].isoformat() if row["valid_to"] else None,
        "status": "retired" if retired else "current",
        "zoning": _zoning(row["zoning"]),
        "prices": row["price_list"],
        "rights": rights_as_of(pk, as_of=day),
        "parents": _refs(profile, row["parent_refs"]),
        "children": _refs(profile, row["child_refs"]),
        "as_of": as_of.isoformat() if as_of else None,
        "bbox": bbox,
        "geometry": geometry,
    }


def parcel_history(pk: int, *, as_of: dt.date | None = None) -> ParcelHistory | None:
    """Return the deeds that touched the parcel, oldest first, and its rights on `as_of`.

    None when no parcel has `pk`. Five queries, whatever the length of the history.
    """
    row = Parcel.objects.filter(pk=pk).values("id", "identifier").first()
    if row is None:
        return None
    timeline = parcel_timeline(pk, as_of=as_of)
    return {
        "parcel": {
            "id": row["id"],
            "identifier": row["identifier"],
            "display": _display(get_profile(), row["identifier"]),
        },
        "as_of": as_of.isoformat() if as_of else None,
        "entries": timeline["entries"],
        "rights": timeline["rights"],
    }


def _zoning_shares(day: dt.date) -> ArraySubquery:
    """Return the zones in force on `day` over the outer parcel, with the share each covers."""
    parcel_boundary = OuterRef("boundary")
    overlap = Func(
        Func(F("boundary"), parcel_boundary, function="ST_Intersection"),
        function="ST_Area",
        output_field=FloatField(),
    )
    parcel_area = Func(parcel_boundary, function="ST_Area", output_field=FloatField())
    # Slivers are dropped and zones sorted in Python (a parcel meets a handful): an
    # annotation used in WHERE or ORDER BY would be computed again there, overlay and all.
    zones = ZoningZone.objects.filter(valid_on(day), boundary__intersects=parcel_boundary).annotate(
        share=Case(
            # Inside one zone, as most parcels are: no overlay needed.
            When(boundary__covers=parcel_boundary, then=Value(1.0)),
            default=overlap / parcel_area,
            output_field=FloatField(),
        )
    )
    return ArraySubquery(
        zones.values(json=JSONObject(code="code", name="name", plan="plan", share="share"))
    )


def _zoning(zones: list[dict[str, Any]]) -> list[ZoningShare]:
    """Return the zones that cover more than a sliver of the parcel, largest share first."""
    shares: list[ZoningShare] = [
        {
            "code": zone["code"],
            "name": zone["name"],
            "plan": zone["plan"],
            "share": round(float(zone["share"]), 3),
        }
        for zone in zones
        if zone["share"] >= _ZONING_MIN_SHARE
    ]
    return sorted(shares, key=lambda zone: (-zone["share"], zone["code"], zone["name"]))


def _prices(*, up_to_year: int | None) -> ArraySubquery:
    """Return the outer parcel's official land prices, latest year first."""
    prices = LandPrice.objects.filter(parcel=OuterRef("pk"))
    if up_to_year is not None:
        prices = prices.filter(year__lte=up_to_year)
    return ArraySubquery(
        prices.order_by("-year").values(
            json=JSONObject(year="year", price_per_m2="price_per_m2", currency="currency")
        )
    )


def _lineage(this: Literal["parent", "child"], other: Literal["parent", "child"]) -> ArraySubquery:
    """Return the parcels on the `other` side of the outer parcel's lineage edges."""
    edges = ParcelLineage.objects.filter(**{f"{this}_id": OuterRef("pk")}).order_by(
        f"{other}__identifier"
    )
    return ArraySubquery(
        edges.values(json=JSONObject(id=f"{other}_id", identifier=f"{other}__identifier"))
    )


# --- shared ------------------------------------------------------------------------------


def _display(profile: JurisdictionProfile, identifier: str) -> str:
    """Return the identifier as a certificate prints it; as stored if the profile cannot read it."""
    try:
        return profile.display_identifier(profile.parse_identifier(identifier))
    except InvalidParcelIdentifier:
        return identifier  # imported from an older register in another format


def _land_use(profile: JurisdictionProfile, code: str) -> LandUseDetail:
    try:
        land_use = profile.land_use(code)
    except KeyError:
        # A code outside the profile's list (an import from an older list): show the code.
        return {"code": code, "name": code, "name_en": code, "group": ""}
    return {
        "code": land_use.code,
        "name": land_use.name,
        "name_en": land_use.name_en,
        "group": land_use.group,
    }


def _refs(profile: JurisdictionProfile, rows: list[dict[str, Any]]) -> list[ParcelRef]:
    return [
        {
            "id": row["id"],
            "identifier": row["identifier"],
            "display": _display(profile, row["identifier"]),
        }
        for row in rows
    ]


def _bbox(box: str) -> list[float]:
    """Return [west, south, east, north] from PostGIS box2d text "BOX(w s,e n)"."""
    match = _BOX2D.fullmatch(box)
    if match is None:
        raise ValueError(f"Not a PostGIS box2d: {box!r}")
    return [round(float(value), 6) for value in match.groups()]
