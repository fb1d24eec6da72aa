"""Read side of the parcel register.

The public JSON of the API is built here as plain dicts (typed below), so that views
stay thin and every shape has one definition. Geometry, areas and boxes come out of
PostGIS; Python only arranges them.

Lookups by identifier and by point are held to p95 ≤ 5 ms at national scale (DESIGN.md),
measured against the bare SQL. Their statements are therefore written as SQL below, not
built by the ORM (compiling the equivalent querysets cost 2-10 ms a request, more than
running them), and prepared once per database session (planning them cost three times
as much as running them). Each runs on an index; each function says how many it runs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal, NamedTuple, TypedDict

from django.utils import timezone
from django.utils.translation import gettext as _

from landinfo import sql
from landinfo.profiles import InvalidParcelIdentifier, JurisdictionProfile, get_profile
from landinfo.profiles.text import normalize_text
from landinfo.srid import STORAGE_SRID
from parcels.areas import GROUND_AREA_SQL, AreaDiscrepancy, area_discrepancy
from parcels.models import Parcel

# A point closer than this to a boundary lies on it. Degrees reprojected into the
# storage CRS carry rounding noise far below a centimetre, so without a tolerance a
# point on a shared edge would fall into one neighbour at random; no cadastral survey
# is more precise than a centimetre.
AT_POINT_TOLERANCE_M = 0.01
# More parcels than this never meet at one point of a valid cadastre.
_AT_POINT_MAX = 16

# Ids are bigint (DEFAULT_AUTO_FIELD); a URL can carry any number of digits.
_MAX_ID = 2**63 - 1

# Zones that overlap a parcel by less than this share are digitising slivers: a zone
# edge drawn a few centimetres off the parcel edge. Below it the share rounds to 0.000.
_ZONING_MIN_SHARE = 0.0005


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
    address: str  # the unit and those above it as the profile writes places
    parents: list[AncestorRef]  # province first


class ParcelRef(TypedDict):
    id: int
    identifier: str
    display: str


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
    lot_address: str  # where it lies by lot number (profile.lot_address)
    land_use: LandUseDetail
    registered_area: float
    computed_area: float
    map_scale: int  # of the parcel's cadastral map; the profile's usual one when unknown
    area_discrepancy: AreaDiscrepancy | None  # beyond the map scale's tolerance only
    admin_unit: AdminUnitDetail
    valid_from: str
    valid_to: str | None
    status: Literal["current", "retired"]
    zoning: list[ZoningShare]
    prices: list[Price]
    parents: list[ParcelRef]
    children: list[ParcelRef]
    as_of: str | None
    bbox: list[float]
    point: list[float]  # lon, lat of a point on the parcel's surface
    geometry: dict[str, Any]


# The current parcel with the identifier, else the one retired last: an old
# certificate still finds its parcel. Index: parcels_par_identif_65285e_idx.
_BY_IDENTIFIER = sql.statement(
    "parcel_by_identifier",
    """
SELECT id
FROM parcels_parcel
WHERE identifier = %(identifier)s
ORDER BY valid_to DESC NULLS FIRST, valid_from DESC
LIMIT 1
""",
    {"identifier": "text"},
)


class ParcelReference(NamedTuple):
    """What `/api/parcels/<ref>` names: a parcel id (None: nothing), or why not."""

    pk: int | None
    reason: str


def no_parcel_with_id(pk: object) -> str:
    """Return the message of a parcel id that names no parcel, in the request's language."""
    return _("No parcel has the id %(id)s.") % {"id": pk}


def parcel_reference(ref: str) -> ParcelReference:
    """Return the id of the parcel `ref` names: its identifier in any spelling, or its id.

    A text the profile reads as a whole identifier is one: the current parcel with it,
    else the one retired last (as search finds it). Any other text of ASCII digits is
    an id. So a Korean PNU (19 digits, also an integer) is a PNU; no id comes near
    10^18. `ref` is read as typed text is (`normalize_text`): a zero-width space or a
    soft hyphen pasted with it changes nothing. One query on the identifier index, none
    for an id.
    """
    profile = get_profile()
    ref = normalize_text(ref)
    try:
        identifier = profile.parse_identifier(ref)
    except InvalidParcelIdentifier as unreadable:
        if ref.isascii() and ref.isdigit():
            pk = int(ref[-20:]) if len(ref.lstrip("0")) <= 19 else 0  # ids are bigint
            if 0 < pk <= _MAX_ID:
                return ParcelReference(pk, "")
            return ParcelReference(None, no_parcel_with_id(ref[:40]))
        return ParcelReference(None, str(unreadable))
    canonical = profile.format_identifier(identifier)
    rows = sql.fetch_prepared(Parcel, _BY_IDENTIFIER, {"identifier": canonical})
    if not rows:
        return ParcelReference(
            None, _("No parcel has the identifier %(identifier)s.") % {"identifier": canonical}
        )
    return ParcelReference(rows[0]["id"], "")


# --- the parcel sheet -------------------------------------------------------------------

# Parcels in force on the day within the tolerance of a WGS84 point. The point is
# transformed once (a constant for the planner), so the GiST index on `boundary` finds
# the candidates. Lowest identifier first: a point on a shared edge always gives the
# same parcel first.
_AT_POINT_SQL = f"""
SELECT id
FROM parcels_parcel
WHERE ST_DWithin(
        boundary,
        ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), {STORAGE_SRID}),
        %(tolerance)s
      )
  AND {sql.alive()}
ORDER BY identifier, id
LIMIT %(most)s
"""  # noqa: S608 - formats the storage SRID (an int from the profile) and the lifespan test

# One parcel with everything the register of parcels knows of it, as of a day; what other
# parts of the register add to its sheet (rights, the journal's last entry) comes in as
# more columns (sheet_statement). Zones are returned with their share unfiltered:
# filtering or sorting on the share in SQL would compute the overlay again (a parcel
# meets a handful of zones; Python sorts them).
_SHEET_SQL = """
SELECT p.id, p.identifier, p.address, p.land_use, p.registered_area, p.map_scale,
       p.valid_from, p.valid_to,
       u.code AS unit_code, u.name AS unit_name, u.level AS unit_level,
       a1.code AS a1_code, a1.name AS a1_name, a1.level AS a1_level,
       a2.code AS a2_code, a2.name AS a2_name, a2.level AS a2_level,
       a3.code AS a3_code, a3.name AS a3_name, a3.level AS a3_level,
       ST_Area(p.boundary) AS computed_area,
       {ground_area} AS ground_area,
       ST_AsGeoJSON(ST_Transform(p.boundary, 4326), 6, 1) AS geojson,
       ST_AsGeoJSON(ST_Transform(ST_PointOnSurface(p.boundary), 4326), 6) AS point,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'code', z.code, 'name', z.name, 'plan', z.plan,
                   -- Inside one zone, as most parcels are: no overlay needed.
                   'share', CASE WHEN ST_Covers(z.boundary, p.boundary) THEN 1.0
                                 ELSE ST_Area(ST_Intersection(z.boundary, p.boundary))
                                      / ST_Area(p.boundary) END)), '[]')::text
          FROM parcels_zoningzone z
         WHERE ST_Intersects(z.boundary, p.boundary)
           AND {zone_alive}
       ) AS zoning,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'year', lp.year, 'price_per_m2', lp.price_per_m2, 'currency', lp.currency)
                   ORDER BY lp.year DESC), '[]')::text
          FROM parcels_landprice lp
         WHERE lp.parcel_id = p.id AND (%(last_year)s::int IS NULL OR lp.year <= %(last_year)s)
       ) AS prices,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'identifier', o.identifier)
                   ORDER BY o.identifier), '[]')::text
          FROM parcels_parcellineage l JOIN parcels_parcel o ON o.id = l.parent_id
         WHERE l.child_id = p.id
       ) AS parents,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'identifier', o.identifier)
                   ORDER BY o.identifier), '[]')::text
          FROM parcels_parcellineage l JOIN parcels_parcel o ON o.id = l.child_id
         WHERE l.parent_id = p.id
       ) AS children{more}
FROM parcels_parcel p
JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
LEFT JOIN parcels_administrativeunit a1 ON a1.id = u.parent_id
LEFT JOIN parcels_administrativeunit a2 ON a2.id = a1.parent_id
LEFT JOIN parcels_administrativeunit a3 ON a3.id = a2.parent_id
WHERE p.id = %(pk)s AND (%(as_of)s::date IS NULL OR p.valid_from <= %(as_of)s::date)
"""

_AT_POINT = sql.statement(
    "at_point",
    _AT_POINT_SQL,
    {
        "lon": "float8",
        "lat": "float8",
        "tolerance": "float8",
        "day": "date",
        "most": "int",
    },
)
_SHEET_SQL = _SHEET_SQL.replace(
    "{ground_area}", GROUND_AREA_SQL.format(boundary="p.boundary")
).replace("{zone_alive}", sql.alive("z"))
_SHEET_TYPES = {"pk": "bigint", "as_of": "date", "day": "date", "last_year": "int"}


def sheet_statement(
    name: str, more: str = "", types: dict[str, str] | None = None
) -> sql.Statement:
    """Return the sheet's statement with the columns `more` (", expr AS name", ...) added.

    `more` may use the parcel as `p` and the parameters `pk`, `as_of`, `day` and those
    it declares in `types`. Other parts of the register add what they know of a parcel
    this way, so that its whole sheet stays one statement, prepared once.
    """
    return sql.statement(name, _SHEET_SQL.replace("{more}", more), _SHEET_TYPES | (types or {}))


def sheet_parameters(pk: int, as_of: dt.date | None) -> dict[str, Any]:
    """Return the parameters of a sheet statement for parcel `pk` as of `as_of` (today)."""
    day = as_of or timezone.localdate()
    return {"pk": pk, "as_of": as_of, "day": day, "last_year": as_of.year if as_of else None}


def parcels_at_point(lon: float, lat: float, *, as_of: dt.date | None = None) -> list[int]:
    """Return the ids of the parcels in force on `as_of` (today) at a WGS84 point.

    Lowest identifier first; more than one when the point is on a shared edge or
    vertex. One query on the GiST index of `boundary`; none outside the profile's
    country, where the storage CRS is not defined.
    """
    if not get_profile().area_of_use.contains(lon, lat):
        return []
    rows = sql.fetch_prepared(
        Parcel,
        _AT_POINT,
        {
            "lon": lon,
            "lat": lat,
            "tolerance": AT_POINT_TOLERANCE_M,
            "day": as_of or timezone.localdate(),
            "most": _AT_POINT_MAX,
        },
    )
    return [row["id"] for row in rows]


def sheet_row(statement: sql.Statement, parameters: dict[str, Any]) -> dict[str, Any] | None:
    """Return the row of a sheet statement (sheet_statement); None when no parcel has `pk`.

    None too when the parcel did not exist yet on `as_of`. One query.
    """
    if not 0 < parameters["pk"] <= _MAX_ID:
        return None  # a bigint column; the prepared statement refuses anything larger
    rows = sql.fetch_prepared(Parcel, statement, parameters)
    return rows[0] if rows else None


def sheet_from_row(
    row: dict[str, Any], *, as_of: dt.date | None, valid_to: dt.date | None
) -> ParcelSheet:
    """Return the parcel's sheet from its row: zoning in force on `as_of` (today), prices of
    that year and before, lineage both ways. `valid_to` is the end of its lifespan as the
    caller knows it (the row's, or None when its retirement is not to be known yet).
    """
    profile = get_profile()
    day = as_of or timezone.localdate()
    geometry = json.loads(row["geojson"])
    bbox = geometry.pop("bbox")
    retired = valid_to is not None and valid_to <= day
    map_scale = row["map_scale"] or profile.default_map_scale
    registered_area = float(row["registered_area"])
    units = [
        *(
            (row[f"{a}_level"], row[f"{a}_name"])
            for a in ("a3", "a2", "a1")  # province first
            if row[f"{a}_name"] is not None
        ),
        (row["unit_level"], row["unit_name"]),
    ]
    return {
        "id": row["id"],
        "identifier": row["identifier"],
        "display": profile.display_stored(row["identifier"]),
        "address": row["address"],
        "lot_address": profile.lot_address(row["identifier"], units),
        "land_use": _land_use(profile, row["land_use"]),
        "registered_area": registered_area,
        "computed_area": round(row["computed_area"], 1),
        "map_scale": map_scale,
        "area_discrepancy": area_discrepancy(
            profile, registered_area, row["ground_area"], map_scale
        ),
        "admin_unit": {
            "code": row["unit_code"],
            "name": row["unit_name"],
            "address": profile.unit_address(units),
            "parents": [
                {"code": row[f"{a}_code"], "name": row[f"{a}_name"], "level": row[f"{a}_level"]}
                for a in ("a3", "a2", "a1")  # province first
                if row[f"{a}_code"] is not None
            ],
        },
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
        "status": "retired" if retired else "current",
        "zoning": _zoning(json.loads(row["zoning"])),
        "prices": json.loads(row["prices"]),
        "parents": _refs(profile, json.loads(row["parents"])),
        "children": _refs(profile, json.loads(row["children"])),
        "as_of": as_of.isoformat() if as_of else None,
        "bbox": bbox,
        "point": json.loads(row["point"])["coordinates"],
        "geometry": geometry,
    }


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


# --- shared ------------------------------------------------------------------------------


def parcel_ref(profile: JurisdictionProfile, pk: int, identifier: str) -> ParcelRef:
    """Return the reference to a parcel that sheets, searches and histories give."""
    return {"id": pk, "identifier": identifier, "display": profile.display_stored(identifier)}


def _land_use(profile: JurisdictionProfile, code: str) -> LandUseDetail:
    land_use = profile.land_use_or_code(code)
    return {
        "code": land_use.code,
        "name": land_use.name,
        "name_en": land_use.name_en,
        "group": land_use.group,
    }


def _refs(profile: JurisdictionProfile, rows: list[dict[str, Any]]) -> list[ParcelRef]:
    return [parcel_ref(profile, row["id"], row["identifier"]) for row in rows]
