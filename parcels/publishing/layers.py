"""The public GIS layers of the register, one table of SQL for exports and the OGC API.

Every layer is a SELECT over the register with the same columns whatever reads it:
`/exports/<layer>.<format>` hands the statement to GDAL, `/ogc/` wraps it in a
GeoJSON aggregate made by PostGIS. Nothing personal is ever selected: the parcels
layer counts holders and names the kinds of right, it never reads a party's name,
number, birth year or address, and no other layer joins a party at all.

A query is built by `query(layer, ...)` from our own SQL and bound parameters only;
a filter value never becomes SQL text. Geometry is selected in the CRS asked for
(default: the profile's storage CRS) and coordinates are never converted by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import timezone

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.profiles.text import quote_input
from landinfo.srid import STORAGE_SRID, WGS84

FieldType = Literal["string", "integer", "number", "date"]


class InvalidLayerRequest(ValueError):
    """A request the layer cannot answer (unknown filter, malformed bbox, ...): a 400."""

    status = 400


def land_use_filter(text: str) -> str:
    """Return the code a `land_use=` filter names, read as a deed's; refuse one off the list.

    Refused rather than answered with nothing, which would look like a register without
    such parcels.
    """
    profile = get_profile()
    try:
        return profile.parse_land_use(text)
    except UnknownLandUse as unknown:
        raise InvalidLayerRequest(
            f"land_use={quote_input(unknown.text)} is not a land-use code of this register; "
            f"the codes are {', '.join(sorted(profile.land_use_codes))}."
        ) from None


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of a layer."""

    name: str  # in GeoJSON, GeoPackage, FlatGeobuf, CSV, KML and the OGC API
    short: str  # in a Shapefile (dBase allows 10 characters): the documented mapping
    type: FieldType
    sql: str  # an expression over the layer's FROM clause
    description: str
    queryable: bool = True  # may be used as a simple property filter (?name=value)

    def __post_init__(self) -> None:
        if len(self.short) > 10:
            raise ValueError(f"Shapefile field name {self.short!r} is over 10 characters.")


@dataclass(frozen=True, slots=True)
class Layer:
    """A public layer: its rows, their attributes, and how it answers a date."""

    name: str
    title: str
    description: str
    from_sql: str  # FROM ... (and JOINs); the parameters %(as_of)s, %(start)s, %(end)s may appear
    id_sql: str  # a unique, stable feature id
    geometry_sql: str  # in the storage CRS
    geometry_type: str  # "MultiPolygon" for every layer today
    fields: tuple[Field, ...]
    # Conditions (over the FROM clause) for rows in force today and on %(as_of)s;
    # None when the layer has no lifespan.
    current_sql: str | None = None
    as_of_sql: str | None = None
    # Named filters a planner chooses (admin unit, land use, zoning); the value is
    # bound as %(filter_<name>)s.
    filters: Mapping[str, str] = field(default_factory=dict)
    # The changes layer needs a period (start and end dates) rather than a day.
    needs_period: bool = False
    # The same FROM for reading a whole selection at once (an export, a count): joins that
    # the planner runs once over the selection instead of once per row. `{selected}`
    # stands for the conditions over the layer's main table; None: use `from_sql`.
    bulk_from_sql: str | None = None
    # The FROM that picks a page's rows (what every condition and queryable field
    # needs, none of the per-row joins): a page's ids are chosen here first and only
    # they are joined, so a deep page skips earlier rows without computing their
    # joins. None: `from_sql` itself is that cheap.
    page_from_sql: str | None = None
    # The type of `id_sql`: what the keyset cursor of a page (`after`) is compared to.
    id_type: Literal["integer", "string"] = "integer"

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise InvalidLayerRequest(
            f"Layer {self.name} has no attribute {name!r}; it has "
            f"{', '.join(f.name for f in self.fields)}."
        )


_LIFESPAN_CURRENT = "{t}.valid_to IS NULL"
_LIFESPAN_AS_OF = (
    "{t}.valid_from <= %(as_of)s AND ({t}.valid_to IS NULL OR {t}.valid_to > %(as_of)s)"
)
# An administrative unit and every unit below it (a province takes its districts'
# communes): the filter value is a unit code.
_IN_UNIT = """{column} IN (
    WITH RECURSIVE below(id) AS (
        SELECT id FROM parcels_administrativeunit WHERE code = %(filter_admin_unit)s
        UNION ALL
        SELECT u.id FROM parcels_administrativeunit u JOIN below b ON u.parent_id = b.id
    )
    SELECT id FROM below
)"""

PARCELS = Layer(
    name="parcels",
    title="Parcels",
    description=(
        "Land parcels with their identifier, land use, areas, administrative unit, zoning, "
        "latest official land price and the kinds of right on them. Holders are counted, "
        "never named."
    ),
    from_sql="""
        parcels_parcel p
        JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
        LEFT JOIN LATERAL (
            SELECT lp.year, lp.price_per_m2, lp.currency FROM parcels_landprice lp
            WHERE lp.parcel_id = p.id AND lp.year <= extract(year FROM %(day)s::date)
            ORDER BY lp.year DESC LIMIT 1
        ) price ON true
        LEFT JOIN LATERAL (
            SELECT string_agg(DISTINCT z.code, ',' ORDER BY z.code) AS codes
            FROM parcels_zoningzone z
            WHERE ST_Intersects(z.boundary, p.boundary)
              AND NOT ST_Touches(z.boundary, p.boundary)
              AND z.valid_from <= %(day)s AND (z.valid_to IS NULL OR z.valid_to > %(day)s)
        ) zoning ON true
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE r.kind = 'ownership') AS holders,
                   string_agg(DISTINCT r.kind, ',' ORDER BY r.kind) AS kinds
            FROM transactions_right r
            WHERE r.parcel_id = p.id AND r.voided_by_id IS NULL
              AND r.valid_from <= %(day)s AND (r.valid_to IS NULL OR r.valid_to > %(day)s)
        ) rights ON true
    """,
    # Per row, the zoning join tests each zone against one parcel: GEOS builds the zone
    # anew for every test (40 µs), 4/5 of a whole export's time. Zone by zone over the
    # selection instead, PostGIS keeps the zone prepared between tests, and the prices
    # and rights are read in one pass each rather than by an index probe per parcel.
    bulk_from_sql="""
        parcels_parcel p
        JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
        LEFT JOIN (
            SELECT DISTINCT ON (lp.parcel_id) lp.parcel_id, lp.year, lp.price_per_m2, lp.currency
            FROM parcels_landprice lp
            WHERE lp.year <= extract(year FROM %(day)s::date)
              AND lp.parcel_id IN (SELECT p.id FROM parcels_parcel p WHERE {selected})
            ORDER BY lp.parcel_id, lp.year DESC
        ) price ON price.parcel_id = p.id
        LEFT JOIN (
            SELECT p.id AS parcel_id, string_agg(DISTINCT z.code, ',' ORDER BY z.code) AS codes
            FROM parcels_zoningzone z
            -- A parcel inside the zone shares interior with it: the prepared zone says
            -- so at once, and only the parcels across its edge need ST_Touches.
            JOIN parcels_parcel p ON ST_Intersects(z.boundary, p.boundary)
                                 AND (ST_Contains(z.boundary, p.boundary)
                                      OR NOT ST_Touches(z.boundary, p.boundary))
            WHERE z.valid_from <= %(day)s AND (z.valid_to IS NULL OR z.valid_to > %(day)s)
              AND {selected}
            GROUP BY p.id
        ) zoning ON zoning.parcel_id = p.id
        LEFT JOIN (
            SELECT r.parcel_id,
                   count(*) FILTER (WHERE r.kind = 'ownership') AS holders,
                   string_agg(DISTINCT r.kind, ',' ORDER BY r.kind) AS kinds
            FROM transactions_right r
            WHERE r.voided_by_id IS NULL
              AND r.valid_from <= %(day)s AND (r.valid_to IS NULL OR r.valid_to > %(day)s)
              AND r.parcel_id IN (SELECT p.id FROM parcels_parcel p WHERE {selected})
            GROUP BY r.parcel_id
        ) rights ON rights.parcel_id = p.id
    """,
    page_from_sql="parcels_parcel p JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id",
    id_sql="p.id",
    geometry_sql="p.boundary",
    geometry_type="MultiPolygon",
    fields=(
        Field("identifier", "identifier", "string", "p.identifier", "Canonical parcel identifier."),
        Field("land_use", "land_use", "string", "p.land_use", "Land-use code of the profile."),
        Field(
            "registered_area",
            "reg_area",
            "number",
            "p.registered_area::float8",
            "Area on the certificate, m².",
        ),
        Field(
            "computed_area",
            "comp_area",
            "number",
            "round(ST_Area(p.boundary)::numeric, 2)::float8",
            "Area of the boundary in the storage CRS, m².",
            queryable=False,
        ),
        Field("address", "address", "string", "p.address", "Address of the parcel."),
        Field("unit_code", "unit_code", "string", "u.code", "Code of the administrative unit."),
        Field("unit_name", "unit_name", "string", "u.name", "Name of the administrative unit."),
        Field(
            "zoning",
            "zoning",
            "string",
            "coalesce(zoning.codes, '')",
            "Codes of the zoning zones the parcel lies in, comma-separated.",
            queryable=False,
        ),
        Field(
            "price_year",
            "price_year",
            "integer",
            "price.year::int",
            "Year of the latest official land price.",
            queryable=False,
        ),
        Field(
            "price_per_m2",
            "price_m2",
            "number",
            "price.price_per_m2::float8",
            "Latest official land price per m².",
            queryable=False,
        ),
        Field(
            "currency",
            "currency",
            "string",
            "price.currency",
            "ISO 4217 code of the price.",
            queryable=False,
        ),
        Field(
            "right_kinds",
            "rights",
            "string",
            "coalesce(rights.kinds, '')",
            "Kinds of right in force (ownership, mortgage, ...), comma-separated.",
            queryable=False,
        ),
        Field(
            "holders",
            "holders",
            "integer",
            "coalesce(rights.holders, 0)::int",
            "Number of holders of the land-use right (never their names).",
            queryable=False,
        ),
        Field("valid_from", "valid_from", "date", "p.valid_from", "First day in law."),
        Field("valid_to", "valid_to", "date", "p.valid_to", "Day retired; empty while current."),
    ),
    current_sql=_LIFESPAN_CURRENT.format(t="p"),
    as_of_sql=_LIFESPAN_AS_OF.format(t="p"),
    filters={
        "admin_unit": _IN_UNIT.format(column="p.admin_unit_id"),
        "land_use": "p.land_use = %(filter_land_use)s",
        "zoning": """EXISTS (
            SELECT 1 FROM parcels_zoningzone fz
            WHERE fz.code = %(filter_zoning)s AND ST_Intersects(fz.boundary, p.boundary)
              AND NOT ST_Touches(fz.boundary, p.boundary)
              AND fz.valid_from <= %(day)s AND (fz.valid_to IS NULL OR fz.valid_to > %(day)s))""",
    },
)

ZONING = Layer(
    name="zoning",
    title="Zoning zones",
    description="Zones of the land-use plans in force.",
    from_sql="parcels_zoningzone z",
    id_sql="z.id",
    geometry_sql="z.boundary",
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "code", "string", "z.code", "Zone code."),
        Field("name", "name", "string", "z.name", "Zone name."),
        Field("plan", "plan", "string", "z.plan", "The plan that sets the zone."),
        Field("valid_from", "valid_from", "date", "z.valid_from", "First day in force."),
        Field("valid_to", "valid_to", "date", "z.valid_to", "Last day + 1; empty while in force."),
    ),
    current_sql=_LIFESPAN_CURRENT.format(t="z"),
    as_of_sql=_LIFESPAN_AS_OF.format(t="z"),
    filters={
        "zoning": "z.code = %(filter_zoning)s",
        "admin_unit": """ST_Intersects(z.boundary, (
            SELECT boundary FROM parcels_administrativeunit WHERE code = %(filter_admin_unit)s
        ))""",
    },
)

LAND_PRICES = Layer(
    name="land_prices",
    title="Official land prices",
    description="Official land prices per parcel and year (the parcel's boundary).",
    from_sql="""
        parcels_landprice lp
        JOIN parcels_parcel p ON p.id = lp.parcel_id
        JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
    """,
    id_sql="lp.id",
    geometry_sql="p.boundary",
    geometry_type="MultiPolygon",
    fields=(
        Field("identifier", "identifier", "string", "p.identifier", "Parcel identifier."),
        Field("year", "year", "integer", "lp.year::int", "Year of the price."),
        Field("price_per_m2", "price_m2", "number", "lp.price_per_m2::float8", "Price per m²."),
        Field("currency", "currency", "string", "lp.currency", "ISO 4217 code."),
        Field("land_use", "land_use", "string", "p.land_use", "Land-use code."),
        Field("unit_code", "unit_code", "string", "u.code", "Administrative unit code."),
    ),
    # A price belongs to its year: "as of" a day means the prices of parcels in force
    # that day, up to that year.
    current_sql="p.valid_to IS NULL",
    as_of_sql=_LIFESPAN_AS_OF.format(t="p") + " AND lp.year <= extract(year FROM %(as_of)s::date)",
    filters={
        "admin_unit": _IN_UNIT.format(column="p.admin_unit_id"),
        "land_use": "p.land_use = %(filter_land_use)s",
    },
)

ADMIN_UNITS = Layer(
    name="admin_units",
    title="Administrative units",
    description="Provinces, districts, communes and villages with their official codes.",
    from_sql="""
        parcels_administrativeunit a
        LEFT JOIN parcels_administrativeunit ap ON ap.id = a.parent_id
    """,
    id_sql="a.id",
    geometry_sql="a.boundary",
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "code", "string", "a.code", "Official code."),
        Field("name", "name", "string", "a.name", "Name."),
        Field("name_en", "name_en", "string", "a.name_en", "Name in English."),
        Field("level", "level", "integer", "a.level::int", "1 province .. 4 village."),
        Field("parent_code", "parent", "string", "ap.code", "Code of the unit above."),
    ),
    filters={"admin_unit": _IN_UNIT.format(column="a.id")},
)

# What happened to parcels between %(start)s and %(end)s (both included): made by a
# deed (created), retired, or transferred. One row per parcel and change.
CHANGES = Layer(
    name="changes",
    title="Changes",
    description=(
        "Parcels created, retired or transferred between two dates (start and end, "
        "included), with the journal entry that did it."
    ),
    from_sql="""
        (
            SELECT p.id AS parcel_id, 'created' AS change, p.valid_from AS day,
                   p.created_by_id AS entry
            FROM parcels_parcel p
            WHERE p.valid_from BETWEEN %(start)s AND %(end)s AND p.created_by_id IS NOT NULL
            UNION ALL
            SELECT p.id, 'retired', p.valid_to, p.retired_by_id
            FROM parcels_parcel p
            WHERE p.valid_to BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT DISTINCT r.parcel_id, 'transferred', e.effective_date, e.sequence
            FROM transactions_journalentry e
            JOIN transactions_right r ON r.begun_by_id = e.sequence
            WHERE e.kind = 'transfer' AND e.effective_date BETWEEN %(start)s AND %(end)s
        ) c
        JOIN parcels_parcel p ON p.id = c.parcel_id
        JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
        LEFT JOIN transactions_journalentry je ON je.sequence = c.entry
    """,
    id_sql="c.change || '-' || c.parcel_id || '-' || coalesce(c.entry, 0)",
    geometry_sql="p.boundary",
    geometry_type="MultiPolygon",
    fields=(
        Field("identifier", "identifier", "string", "p.identifier", "Parcel identifier."),
        Field("change", "change", "string", "c.change", "created, retired or transferred."),
        Field("date", "date", "date", "c.day", "Day the change took legal effect."),
        Field("entry", "entry", "integer", "c.entry::int", "Journal entry (sequence)."),
        Field("deed", "deed", "string", "coalesce(je.kind, '')", "Kind of deed."),
        Field("land_use", "land_use", "string", "p.land_use", "Land-use code."),
        Field("unit_code", "unit_code", "string", "u.code", "Administrative unit code."),
    ),
    filters={
        "admin_unit": _IN_UNIT.format(column="p.admin_unit_id"),
        "land_use": "p.land_use = %(filter_land_use)s",
    },
    needs_period=True,
    id_type="string",
)

LAYERS: dict[str, Layer] = {
    layer.name: layer for layer in (PARCELS, ZONING, LAND_PRICES, ADMIN_UNITS, CHANGES)
}


@dataclass(frozen=True, slots=True)
class Query:
    """A statement and its parameters: bind them with a DB-API cursor, or `mogrify` them."""

    sql: str
    params: dict[str, Any]


def get_layer(name: str) -> Layer:
    """Return the layer called `name`; raise InvalidLayerRequest naming the layers otherwise."""
    try:
        return LAYERS[name]
    except KeyError:
        raise InvalidLayerRequest(
            f"There is no layer {name!r}; the layers are {', '.join(LAYERS)}."
        ) from None


def _selection(
    layer: Layer,
    *,
    srid: int,
    bbox: tuple[float, float, float, float] | None,
    bbox_srid: int,
    as_of: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    filters: Mapping[str, str] | None,
    properties: Mapping[str, str] | None,
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Return the conditions, those of them on properties, and the parameters they bind."""
    # %(day)s: the day attributes (zoning, prices, rights) are read on.
    params: dict[str, Any] = {
        "as_of": as_of,
        "day": as_of or timezone.localdate(),
        "start": start,
        "end": end,
        "srid": srid,
    }
    where: list[str] = []
    if layer.needs_period:
        if start is None or end is None:
            raise InvalidLayerRequest(
                f"Layer {layer.name} needs a period: give start and end dates (YYYY-MM-DD)."
            )
        if start > end:
            raise InvalidLayerRequest("The period's start is after its end.")
    if as_of is not None and layer.as_of_sql:
        where.append(layer.as_of_sql)
    elif layer.current_sql:
        where.append(layer.current_sql)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        if not (minx < maxx and miny < maxy):
            raise InvalidLayerRequest("A bbox is minx,miny,maxx,maxy with min below max.")
        params.update(bbox_minx=minx, bbox_miny=miny, bbox_maxx=maxx, bbox_maxy=maxy)
        params["bbox_srid"] = bbox_srid
        # The envelope is transformed once (a constant), so the GiST index on the
        # storage geometry finds the candidates.
        where.append(
            f"ST_Intersects({layer.geometry_sql}, ST_Transform(ST_MakeEnvelope("
            "%(bbox_minx)s, %(bbox_miny)s, %(bbox_maxx)s, %(bbox_maxy)s, %(bbox_srid)s), "
            f"{STORAGE_SRID}))"
        )
    for name, value in (filters or {}).items():
        if name not in layer.filters:
            raise InvalidLayerRequest(
                f"Layer {layer.name} cannot be filtered by {name!r}; it can by "
                f"{', '.join(layer.filters) or 'nothing'}."
            )
        params[f"filter_{name}"] = land_use_filter(value) if name == "land_use" else value
        where.append(layer.filters[name])
    property_conditions: list[str] = []
    for position, (name, value) in enumerate((properties or {}).items()):
        chosen = layer.field(name)
        if not chosen.queryable:
            raise InvalidLayerRequest(f"Attribute {name!r} of {layer.name} is not queryable.")
        params[f"property_{position}"] = value
        property_conditions.append(f"({chosen.sql})::text = %(property_{position})s")
    return where + property_conditions, property_conditions, params


def query(
    layer: Layer,
    *,
    srid: int = STORAGE_SRID,
    bbox: tuple[float, float, float, float] | None = None,
    bbox_srid: int = WGS84,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    feature_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    after: int | str | None = None,
) -> Query:
    """Return the SELECT of `layer`: id, one column per field, and `geom` in `srid`.

    - `bbox` (minx, miny, maxx, maxy in `bbox_srid`, axis order x/y: longitude first
      for WGS84) keeps the features whose geometry intersects it;
    - `as_of` keeps the rows in force that day (the current ones when None);
    - `start`/`end` bound the changes layer's period (required there);
    - `filters` are the layer's named filters (admin_unit, land_use, zoning);
    - `properties` are simple equality filters on queryable fields (OGC API);
    - `feature_id` selects one feature; `limit`/`offset` page in id order, from the
      first id above `after` (a keyset cursor: the last id of the previous page).

    A page picks its ids on `page_from_sql` first and joins only those: the cost of a
    page does not grow with its offset by the joins of the rows it skips.
    """
    where, property_conditions, params = _selection(
        layer,
        srid=srid,
        bbox=bbox,
        bbox_srid=bbox_srid,
        as_of=as_of,
        start=start,
        end=end,
        filters=filters,
        properties=properties,
    )
    if feature_id is not None:
        params["feature_id"] = feature_id
        where.append(f"({layer.id_sql})::text = %(feature_id)s")
    columns = ",\n       ".join(f'{f.sql} AS "{f.name}"' for f in layer.fields)
    select = (
        f"SELECT {layer.id_sql} AS id,\n       {columns},\n"
        f"       ST_Transform({layer.geometry_sql}, %(srid)s) AS geom\n"
    )
    if limit is not None:
        params.update(limit=limit, offset=offset)
        if after is not None:
            params["after"] = after
            where.append(f"{layer.id_sql} > %(after)s")
        page = (
            f"SELECT {layer.id_sql} FROM {layer.page_from_sql or layer.from_sql}\n"  # noqa: S608
            f"WHERE {' AND '.join(where) if where else 'true'}\n"
            f"ORDER BY {layer.id_sql} LIMIT %(limit)s OFFSET %(offset)s"
        )
        if layer.page_from_sql is not None:
            # A layer with costly joins per row pages on a plain table: its chosen ids
            # drive the joins row by row (LATERAL). With `id IN (page)` the planner was
            # free to join every row first and filter last, and did on small or freshly
            # changed tables, so a page's cost depended on its statistics.
            sql = (
                f"SELECT f.* FROM ({page}) AS chosen(id)\n"  # noqa: S608 - the layer's own SQL
                f"CROSS JOIN LATERAL (\n{select}FROM {layer.from_sql}\n"
                f"WHERE {layer.id_sql} = chosen.id\n) f\n"
                "ORDER BY f.id"
            )
        else:
            # A layer whose rows are computed (changes: events of a union) has no index on
            # its id to look rows up one at a time: the page filters the rows it computes.
            sql = (
                f"{select}FROM {layer.from_sql}\n"
                f"WHERE {layer.id_sql} IN ({page})\n"
                f"ORDER BY {layer.id_sql}"
            )
        return Query(sql=sql, params=params)
    from_sql = layer.from_sql
    if layer.bulk_from_sql is not None and feature_id is None:
        # One feature is one row: per row is cheaper there. The bulk joins see every
        # condition but the properties' (which may name other tables): a superset of
        # the rows, joined on the row's id, so the result is the same.
        selected = [c for c in where if c not in property_conditions]
        from_sql = layer.bulk_from_sql.replace(
            "{selected}", " AND ".join(f"({c})" for c in selected) if selected else "true"
        )
    sql = (
        f"{select}FROM {from_sql}\n"
        f"WHERE {' AND '.join(where) if where else 'true'}\n"
        f"ORDER BY {layer.id_sql}"
    )
    return Query(sql=sql, params=params)


def count_query(
    layer: Layer,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    bbox_srid: int = WGS84,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    srid: int = STORAGE_SRID,
) -> Query:
    """Return the statement counting the features `query` selects with the same arguments."""
    where, _properties, params = _selection(
        layer,
        srid=srid,
        bbox=bbox,
        bbox_srid=bbox_srid,
        as_of=as_of,
        start=start,
        end=end,
        filters=filters,
        properties=properties,
    )
    sql = (
        f"SELECT count(*) FROM {layer.page_from_sql or layer.from_sql}\n"  # noqa: S608
        f"WHERE {' AND '.join(where) if where else 'true'}"
    )
    return Query(sql=sql, params=params)
