"""The public GIS layers of the register: a registry of SQL for exports and the OGC API.

Every layer is a SELECT over the register with the same columns whatever reads it:
`/exports/<layer>.<format>` hands the statement to GDAL, `/ogc/` wraps it in a
GeoJSON aggregate made by PostGIS. Nothing personal is ever selected: the parcels
layer counts holders and names the kinds of right, it never reads a party's name,
number, birth year or address, and no other layer joins a party at all.

`parcels` owns the registry and the layers of its own tables. What a layer shows of
another app's tables is contributed by that app (`register_layer`, `add_columns`)
from its AppConfig.ready(), so that dependencies run one way: the rights columns of
the parcels layer and the changes layer are declared in the app of rights and deeds.

A query is built by `query(layer, ...)` from our own SQL and bound parameters only;
a filter value never becomes SQL text. Geometry is selected in the CRS asked for
(default: the profile's storage CRS) and coordinates are never converted by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import shapely
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pyproj import Transformer

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.profiles.text import quote_input
from landinfo.sql import alive, alive_during, table
from landinfo.srid import STORAGE_SRID, WGS84
from landinfo.translation import pgettext_noop
from parcels.models import AdministrativeUnit, LandPrice, Parcel, ZoningZone

FieldType = Literal["string", "integer", "number", "date"]
Box = tuple[float, float, float, float]


def layer_text(text: str) -> str:
    """Return a layer's title or description, or a column's, in the request's language."""
    return pgettext("GIS layer", text)


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
            _("land_use=%(text)s is not a land-use code of this register; the codes are %(codes)s.")
            % {
                "text": quote_input(unknown.text),
                "codes": ", ".join(sorted(profile.land_use_codes)),
            }
        ) from None


@dataclass(frozen=True, slots=True)
class Column:
    """One attribute of a layer."""

    name: str  # in GeoJSON, GeoPackage, FlatGeobuf, CSV, KML and the OGC API
    short: str  # in a Shapefile (dBase allows 10 characters): the documented mapping
    type: FieldType
    sql: str  # an expression over the layer's FROM clause
    description: str
    queryable: bool = True  # may be used as a simple property filter (?name=value)

    @property
    def local_description(self) -> str:
        """Return the description in the request's language."""
        return layer_text(self.description)

    def __post_init__(self) -> None:
        if len(self.short) > 10:
            raise ValueError(f"Shapefile field name {self.short!r} is over 10 characters.")


@dataclass(frozen=True, slots=True)
class Columns:
    """Columns an app adds to a layer it does not own, with the joins that read them."""

    columns: tuple[Column, ...]
    joins: str  # appended to the layer's FROM: one row's values
    # Appended to the layer's bulk FROM (see Layer.bulk_from_sql; `{selected}` as
    # there); "" when the layer has no bulk FROM.
    bulk_joins: str = ""
    before: str | None = None  # the column they are published before; None: at the end


@dataclass(eq=False, slots=True)
class Layer:
    """A public layer: its rows, their attributes, and how it answers a date.

    Its columns are a list that apps may extend (`add_columns`): the layer object is the
    same before and after, so a reference taken at import sees every column.
    """

    name: str
    title: str
    description: str
    from_sql: str  # FROM ... (and JOINs); the parameters %(as_of)s, %(start)s, %(end)s may appear
    id_sql: str  # a unique, stable feature id
    geometry_sql: str  # in the storage CRS
    geometry_type: str  # "MultiPolygon" for every layer today
    columns: list[Column]
    # Conditions (over the FROM clause) for rows in force today and on %(as_of)s;
    # None when the layer has no lifespan.
    current_sql: str | None = None
    as_of_sql: str | None = None
    # The condition for rows in force at any time from %(start)s to %(end)s (both
    # included); None when the layer has no lifespan or reads a period itself.
    during_sql: str | None = None
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
    added: list[Columns] = field(default_factory=list)  # by other apps, in order

    @property
    def local_title(self) -> str:
        """Return the title in the request's language."""
        return layer_text(self.title)

    @property
    def local_description(self) -> str:
        """Return the description in the request's language."""
        return layer_text(self.description)

    @property
    def fields(self) -> tuple[Column, ...]:
        """Return the columns in the order every format publishes them."""
        return tuple(self.columns)

    def source(self, *, bulk: bool = False) -> str:
        """Return the FROM clause with the joins of the added columns (bulk: over a selection)."""
        if bulk and self.bulk_from_sql is not None:
            return self.bulk_from_sql + "".join(added.bulk_joins for added in self.added)
        return self.from_sql + "".join(added.joins for added in self.added)

    def field(self, name: str) -> Column:
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        raise InvalidLayerRequest(
            _("Layer %(layer)s has no attribute %(name)s; it has %(names)s.")
            % {
                "layer": repr(self.name),
                "name": quote_input(name),
                "names": ", ".join(f.name for f in self.columns),
            }
        )


# --- the registry -------------------------------------------------------------------------

# In the order of every listing (OGC collections, the planner's page).
LAYERS: dict[str, Layer] = {}


def register_layer(layer: Layer) -> Layer:
    """Publish `layer` after those registered before it; the same name again replaces it.

    Replacing rather than refusing: Django may run an AppConfig.ready() twice.
    """
    LAYERS[layer.name] = layer
    return layer


def add_columns(layer_name: str, added: Columns) -> None:
    """Add another app's columns to a registered layer (once: the same again is ignored)."""
    layer = LAYERS[layer_name]
    if added in layer.added:
        return
    names = {column.name for column in layer.columns}
    if clash := names & {column.name for column in added.columns}:
        raise ImproperlyConfigured(f"Layer {layer_name} has columns {sorted(clash)} already.")
    if layer.page_from_sql is not None and any(c.queryable for c in added.columns):
        # A page picks its rows on page_from_sql, which has none of the added joins.
        raise ImproperlyConfigured(f"Columns added to {layer_name} cannot be queryable.")
    if (layer.bulk_from_sql is None) != (not added.bulk_joins):
        raise ImproperlyConfigured(
            f"Columns added to {layer_name}: bulk_joins goes with bulk_from_sql."
        )
    position = len(layer.columns)
    if added.before is not None:
        position = layer.columns.index(layer.field(added.before))
    layer.columns[position:position] = added.columns
    layer.added.append(added)


def get_layer(name: str) -> Layer:
    """Return the layer called `name`; raise InvalidLayerRequest naming the layers otherwise."""
    try:
        return LAYERS[name]
    except KeyError:
        raise InvalidLayerRequest(
            _("There is no layer %(name)s; the layers are %(layers)s.")
            % {"name": quote_input(name), "layers": ", ".join(LAYERS)}
        ) from None


# --- the layers of parcels' own tables ------------------------------------------------------


def current(alias: str) -> str:
    """Return the condition that a row of `alias` is in force today (still open)."""
    return f"{alias}.valid_to IS NULL"


def in_unit(column: str) -> str:
    """Return the filter: `column` is the administrative unit %(filter_admin_unit)s or below it.

    A province takes its districts' communes: the filter value is a unit code.
    """
    units = table(AdministrativeUnit)
    return f"""{column} IN (
    WITH RECURSIVE below(id) AS (
        SELECT id FROM {units} WHERE code = %(filter_admin_unit)s
        UNION ALL
        SELECT u.id FROM {units} u JOIN below b ON u.parent_id = b.id
    )
    SELECT id FROM below
)"""  # noqa: S608  (table names from Django, the value bound)


LAND_USE = "p.land_use = %(filter_land_use)s"  # the land-use filter of a layer over parcels p

_PARCEL = table(Parcel)
_UNIT = table(AdministrativeUnit)
_PRICE = table(LandPrice)
_ZONE = table(ZoningZone)

# Columns of the layers over a parcel p and its unit u that are not the parcels layer
# (land prices here, changes in the app of deeds).
PARCEL_IDENTIFIER = Column(
    "identifier",
    "identifier",
    "string",
    "p.identifier",
    pgettext_noop("GIS layer", "Parcel identifier."),
)
PARCEL_LAND_USE = Column(
    "land_use", "land_use", "string", "p.land_use", pgettext_noop("GIS layer", "Land-use code.")
)
PARCEL_UNIT_CODE = Column(
    "unit_code",
    "unit_code",
    "string",
    "u.code",
    pgettext_noop("GIS layer", "Administrative unit code."),
)

PARCELS = register_layer(
    Layer(
        name="parcels",
        title=pgettext_noop("GIS layer", "Parcels"),
        description=(
            pgettext_noop(
                "GIS layer",
                "Land parcels with their identifier, land use, areas, administrative unit, zoning, "
                "latest official land price and the kinds of right on them. Holders are counted, "
                "never named.",
            )
        ),
        from_sql=f"""
        {_PARCEL} p
        JOIN {_UNIT} u ON u.id = p.admin_unit_id
        LEFT JOIN LATERAL (
            SELECT lp.year, lp.price_per_m2, lp.currency FROM {_PRICE} lp
            WHERE lp.parcel_id = p.id AND lp.year <= extract(year FROM %(day)s::date)
            ORDER BY lp.year DESC LIMIT 1
        ) price ON true
        LEFT JOIN LATERAL (
            SELECT string_agg(DISTINCT z.code, ',' ORDER BY z.code) AS codes
            FROM {_ZONE} z
            WHERE ST_Intersects(z.boundary, p.boundary)
              AND NOT ST_Touches(z.boundary, p.boundary)
              AND {alive("z")}
        ) zoning ON true
    """,  # noqa: S608  (table names from Django)
        # Per row, the zoning join tests each zone against one parcel: GEOS builds the zone
        # anew for every test (40 µs), 4/5 of a whole export's time. Zone by zone over the
        # selection instead, PostGIS keeps the zone prepared between tests, and the prices
        # (and the columns other apps add) are read in one pass each rather than by an
        # index probe per parcel.
        bulk_from_sql=f"""
        {_PARCEL} p
        JOIN {_UNIT} u ON u.id = p.admin_unit_id
        LEFT JOIN (
            SELECT DISTINCT ON (lp.parcel_id) lp.parcel_id, lp.year, lp.price_per_m2, lp.currency
            FROM {_PRICE} lp
            WHERE lp.year <= extract(year FROM %(day)s::date)
              AND lp.parcel_id IN (SELECT p.id FROM {_PARCEL} p WHERE {{selected}})
            ORDER BY lp.parcel_id, lp.year DESC
        ) price ON price.parcel_id = p.id
        LEFT JOIN (
            SELECT p.id AS parcel_id, string_agg(DISTINCT z.code, ',' ORDER BY z.code) AS codes
            FROM {_ZONE} z
            -- A parcel inside the zone shares interior with it: the prepared zone says
            -- so at once, and only the parcels across its edge need ST_Touches.
            JOIN {_PARCEL} p ON ST_Intersects(z.boundary, p.boundary)
                                 AND (ST_Contains(z.boundary, p.boundary)
                                      OR NOT ST_Touches(z.boundary, p.boundary))
            WHERE {alive("z")}
              AND {{selected}}
            GROUP BY p.id
        ) zoning ON zoning.parcel_id = p.id
    """,  # noqa: S608  (table names from Django)
        page_from_sql=f"{_PARCEL} p JOIN {_UNIT} u ON u.id = p.admin_unit_id",
        id_sql="p.id",
        geometry_sql="p.boundary",
        geometry_type="MultiPolygon",
        columns=[
            Column(
                "identifier",
                "identifier",
                "string",
                "p.identifier",
                pgettext_noop("GIS layer", "Canonical parcel identifier."),
            ),
            Column(
                "land_use",
                "land_use",
                "string",
                "p.land_use",
                pgettext_noop("GIS layer", "Land-use code of the profile."),
            ),
            Column(
                "registered_area",
                "reg_area",
                "number",
                "p.registered_area::float8",
                pgettext_noop("GIS layer", "Area on the certificate, m²."),
            ),
            Column(
                "computed_area",
                "comp_area",
                "number",
                "round(ST_Area(p.boundary)::numeric, 2)::float8",
                pgettext_noop("GIS layer", "Area of the boundary in the storage CRS, m²."),
                queryable=False,
            ),
            Column(
                "address",
                "address",
                "string",
                "p.address",
                pgettext_noop("GIS layer", "Address of the parcel."),
            ),
            Column(
                "unit_code",
                "unit_code",
                "string",
                "u.code",
                pgettext_noop("GIS layer", "Code of the administrative unit."),
            ),
            Column(
                "unit_name",
                "unit_name",
                "string",
                "u.name",
                pgettext_noop("GIS layer", "Name of the administrative unit."),
            ),
            Column(
                "zoning",
                "zoning",
                "string",
                "coalesce(zoning.codes, '')",
                pgettext_noop(
                    "GIS layer", "Codes of the zoning zones the parcel lies in, comma-separated."
                ),
                queryable=False,
            ),
            Column(
                "price_year",
                "price_year",
                "integer",
                "price.year::int",
                pgettext_noop("GIS layer", "Year of the latest official land price."),
                queryable=False,
            ),
            Column(
                "price_per_m2",
                "price_m2",
                "number",
                "price.price_per_m2::float8",
                pgettext_noop("GIS layer", "Latest official land price per m²."),
                queryable=False,
            ),
            Column(
                "currency",
                "currency",
                "string",
                "price.currency",
                pgettext_noop("GIS layer", "ISO 4217 code of the price."),
                queryable=False,
            ),
            # The kinds of right and the count of holders are added here by the app of
            # rights (Columns before="valid_from").
            Column(
                "valid_from",
                "valid_from",
                "date",
                "p.valid_from",
                pgettext_noop("GIS layer", "First day in law."),
            ),
            Column(
                "valid_to",
                "valid_to",
                "date",
                "p.valid_to",
                pgettext_noop("GIS layer", "Day retired; empty while current."),
            ),
        ],
        current_sql=current("p"),
        as_of_sql=alive("p", "as_of"),
        during_sql=alive_during("p"),
        filters={
            "admin_unit": in_unit("p.admin_unit_id"),
            "land_use": LAND_USE,
            "zoning": f"""EXISTS (
            SELECT 1 FROM {_ZONE} fz
            WHERE fz.code = %(filter_zoning)s AND ST_Intersects(fz.boundary, p.boundary)
              AND NOT ST_Touches(fz.boundary, p.boundary)
              AND {alive("fz")})""",  # noqa: S608  (table names from Django)
        },
    )
)

ZONING = register_layer(
    Layer(
        name="zoning",
        title=pgettext_noop("GIS layer", "Zoning zones"),
        description=pgettext_noop("GIS layer", "Zones of the land-use plans in force."),
        from_sql=f"{_ZONE} z",
        id_sql="z.id",
        geometry_sql="z.boundary",
        geometry_type="MultiPolygon",
        columns=[
            Column("code", "code", "string", "z.code", pgettext_noop("GIS layer", "Zone code.")),
            Column("name", "name", "string", "z.name", pgettext_noop("GIS layer", "Zone name.")),
            Column(
                "plan",
                "plan",
                "string",
                "z.plan",
                pgettext_noop("GIS layer", "The plan that sets the zone."),
            ),
            Column(
                "valid_from",
                "valid_from",
                "date",
                "z.valid_from",
                pgettext_noop("GIS layer", "First day in force."),
            ),
            Column(
                "valid_to",
                "valid_to",
                "date",
                "z.valid_to",
                pgettext_noop("GIS layer", "Last day + 1; empty while in force."),
            ),
        ],
        current_sql=current("z"),
        as_of_sql=alive("z", "as_of"),
        during_sql=alive_during("z"),
        filters={
            "zoning": "z.code = %(filter_zoning)s",
            "admin_unit": f"""ST_Intersects(z.boundary, (
            SELECT boundary FROM {_UNIT} WHERE code = %(filter_admin_unit)s
        ))""",  # noqa: S608  (table name from Django)
        },
    )
)

LAND_PRICES = register_layer(
    Layer(
        name="land_prices",
        title=pgettext_noop("GIS layer", "Official land prices"),
        description=pgettext_noop(
            "GIS layer", "Official land prices per parcel and year (the parcel's boundary)."
        ),
        from_sql=f"""
        {_PRICE} lp
        JOIN {_PARCEL} p ON p.id = lp.parcel_id
        JOIN {_UNIT} u ON u.id = p.admin_unit_id
    """,
        id_sql="lp.id",
        geometry_sql="p.boundary",
        geometry_type="MultiPolygon",
        columns=[
            PARCEL_IDENTIFIER,
            Column(
                "year",
                "year",
                "integer",
                "lp.year::int",
                pgettext_noop("GIS layer", "Year of the price."),
            ),
            Column(
                "price_per_m2",
                "price_m2",
                "number",
                "lp.price_per_m2::float8",
                pgettext_noop("GIS layer", "Price per m²."),
            ),
            Column(
                "currency",
                "currency",
                "string",
                "lp.currency",
                pgettext_noop("GIS layer", "ISO 4217 code."),
            ),
            PARCEL_LAND_USE,
            PARCEL_UNIT_CODE,
        ],
        # A price belongs to its year: "as of" a day means the prices of parcels in force
        # that day, up to that year.
        current_sql=current("p"),
        as_of_sql=alive("p", "as_of") + " AND lp.year <= extract(year FROM %(as_of)s::date)",
        during_sql=alive_during("p") + " AND lp.year <= extract(year FROM %(end)s::date)",
        filters={"admin_unit": in_unit("p.admin_unit_id"), "land_use": LAND_USE},
    )
)

ADMIN_UNITS = register_layer(
    Layer(
        name="admin_units",
        title=pgettext_noop("GIS layer", "Administrative units"),
        description=pgettext_noop(
            "GIS layer", "Provinces, districts, communes and villages with their official codes."
        ),
        from_sql=f"""
        {_UNIT} a
        LEFT JOIN {_UNIT} ap ON ap.id = a.parent_id
    """,
        id_sql="a.id",
        geometry_sql="a.boundary",
        geometry_type="MultiPolygon",
        columns=[
            Column(
                "code", "code", "string", "a.code", pgettext_noop("GIS layer", "Official code.")
            ),
            Column("name", "name", "string", "a.name", pgettext_noop("GIS layer", "Name.")),
            Column(
                "name_en",
                "name_en",
                "string",
                "a.name_en",
                pgettext_noop("GIS layer", "Name in English."),
            ),
            Column(
                "level",
                "level",
                "integer",
                "a.level::int",
                pgettext_noop("GIS layer", "1 province .. 4 village."),
            ),
            Column(
                "parent_code",
                "parent",
                "string",
                "ap.code",
                pgettext_noop("GIS layer", "Code of the unit above."),
            ),
        ],
        filters={"admin_unit": in_unit("a.id")},
    )
)

# The changes layer (what deeds did to parcels over a period) is registered after these
# by the app of the journal, which owns the deeds it reads.


# --- queries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """A statement and its parameters: bind them with a DB-API cursor, or `mogrify` them."""

    sql: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a page's order: a column of the page's FROM, ascending or descending.

    Ascending puts empty values last, descending first (PostgreSQL's defaults), and the
    keyset cursor (`after`) follows the same rule.
    """

    column: Column
    descending: bool = False

    def order(self, expression: str) -> str:
        return f"{expression} {'DESC NULLS FIRST' if self.descending else 'ASC NULLS LAST'}"


_SQL_TYPES = {"string": "text", "integer": "bigint", "number": "float8", "date": "date"}


@dataclass(slots=True)
class _Selection:
    """The conditions of a selection and the parameters they bind."""

    where: list[str]
    properties: list[str]  # those of `where` on properties (they may name other tables)
    params: dict[str, Any]

    def conditions(self) -> str:
        return " AND ".join(self.where) if self.where else "true"


def _check_period(layer: Layer, start: dt.date | None, end: dt.date | None) -> None:
    if not layer.needs_period:
        return
    if start is None or end is None:
        raise InvalidLayerRequest(
            _("Layer %(layer)s needs a period: give start and end dates (YYYY-MM-DD).")
            % {"layer": repr(layer.name)}
        )
    if start > end:
        raise InvalidLayerRequest(_("The period's start is after its end."))


def _lifespan(
    layer: Layer, as_of: dt.date | None, start: dt.date | None, end: dt.date | None
) -> list[str]:
    """Return the condition of the rows in force on `as_of`, or at any time from `start`
    to `end`, or today (when neither is given), if the layer is dated."""
    if not layer.needs_period and start is not None and end is not None and layer.during_sql:
        return [layer.during_sql]
    if as_of is not None and layer.as_of_sql:
        return [layer.as_of_sql]
    return [layer.current_sql] if layer.current_sql else []


# Beyond the country's outline (which has its own margin): no parcel lies there.
REGISTER_MARGIN_M = 10_000


@functools.cache
def register_box(srid: int) -> shapely.Geometry:
    """Return the box, in `srid` (x/y order), outside which the register holds nothing.

    The envelope of the profile's outline and a margin, its edges densified as it is
    transformed. A query area is clipped to it before PostGIS projects it into the
    storage CRS: a transverse Mercator zone is only a projection near its meridian, and
    the world's bbox projected into it came back as nothing, so a zoomed-out client got
    an empty layer. Clipping keeps every spatial relation with the parcels as it was:
    what is cut off lies outside all of them.
    """
    minx, miny, maxx, maxy = get_profile().outline.geometry.bounds
    margin = REGISTER_MARGIN_M
    corners = (minx - margin, miny - margin, maxx + margin, maxy + margin)
    if srid == STORAGE_SRID:
        return shapely.box(*corners)
    transformer = Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)
    return shapely.box(*transformer.transform_bounds(*corners, densify_pts=21))


def clip_to_register(geometry: shapely.Geometry, srid: int) -> shapely.Geometry:
    """Return the part of `geometry` (x/y in `srid`) where the register can hold parcels."""
    box = register_box(srid)
    return geometry if box.covers(geometry) else shapely.intersection(geometry, box)


def _bbox_condition(layer: Layer, bbox: Box, bbox_srid: int, params: dict[str, Any]) -> str:
    minx, miny, maxx, maxy = bbox
    if not (minx < maxx and miny < maxy):
        raise InvalidLayerRequest(_("A bbox is minx,miny,maxx,maxy with min below max."))
    clipped = clip_to_register(shapely.box(minx, miny, maxx, maxy), bbox_srid)
    if clipped.is_empty:
        return "false"  # wholly where the register holds nothing
    minx, miny, maxx, maxy = clipped.bounds
    params.update(bbox_minx=minx, bbox_miny=miny, bbox_maxx=maxx, bbox_maxy=maxy)
    params["bbox_srid"] = bbox_srid
    # The envelope is transformed once (a constant), so the GiST index on the
    # storage geometry finds the candidates.
    return (
        f"ST_Intersects({layer.geometry_sql}, ST_Transform(ST_MakeEnvelope("
        "%(bbox_minx)s, %(bbox_miny)s, %(bbox_maxx)s, %(bbox_maxy)s, %(bbox_srid)s), "
        f"{STORAGE_SRID}))"
    )


def _filter_conditions(
    layer: Layer, filters: Mapping[str, str], params: dict[str, Any]
) -> list[str]:
    conditions = []
    for name, value in filters.items():
        if name not in layer.filters:
            raise InvalidLayerRequest(
                _("Layer %(layer)s cannot be filtered by %(name)s; it can by: %(filters)s.")
                % {
                    "layer": repr(layer.name),
                    "name": quote_input(name),
                    "filters": ", ".join(layer.filters) or "—",
                }
            )
        params[f"filter_{name}"] = land_use_filter(value) if name == "land_use" else value
        conditions.append(layer.filters[name])
    return conditions


def _property_conditions(
    layer: Layer, properties: Mapping[str, str], params: dict[str, Any]
) -> list[str]:
    conditions = []
    for position, (name, value) in enumerate(properties.items()):
        chosen = layer.field(name)
        if not chosen.queryable:
            raise InvalidLayerRequest(
                _("Attribute %(name)s of %(layer)s is not queryable.")
                % {"name": quote_input(name), "layer": repr(layer.name)}
            )
        params[f"property_{position}"] = value
        conditions.append(f"({chosen.sql})::text = %(property_{position})s")
    return conditions


def _selection(
    layer: Layer,
    *,
    srid: int,
    bbox: Box | None,
    bbox_srid: int,
    as_of: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    filters: Mapping[str, str] | None,
    properties: Mapping[str, str] | None,
    condition: Query | None = None,
) -> _Selection:
    """Return the conditions, those of them on properties, and the parameters they bind.

    `condition` is SQL of our own over the layer's queryable columns (a CQL2 filter
    translated by ogc/cql.py) with its parameters; it counts as a condition on
    properties (it may name tables other than the main one).
    """
    # %(day)s: the day attributes (zoning, prices, rights) are read on.
    params: dict[str, Any] = {
        "as_of": as_of,
        # Over a period, attributes are read on its last day.
        "day": as_of
        or (end if end is not None and not layer.needs_period else None)
        or timezone.localdate(),
        "start": start,
        "end": end,
        "srid": srid,
    }
    _check_period(layer, start, end)
    where = _lifespan(layer, as_of, start, end)
    if bbox is not None:
        where.append(_bbox_condition(layer, bbox, bbox_srid, params))
    where += _filter_conditions(layer, filters or {}, params)
    on_properties = _property_conditions(layer, properties or {}, params)
    if condition is not None:
        params.update(condition.params)
        on_properties.append(f"({condition.sql})")
    return _Selection(where + on_properties, on_properties, params)


def _select(layer: Layer) -> str:
    """Return the SELECT list: id, one column per field, `geom` in %(srid)s."""
    columns = ",\n       ".join(f'{f.sql} AS "{f.name}"' for f in layer.columns)
    return (
        f"SELECT {layer.id_sql} AS id,\n       {columns},\n"
        f"       ST_Transform({layer.geometry_sql}, %(srid)s) AS geom\n"
    )


def _order_by(layer: Layer, sort: Sequence[SortKey], alias: str | None = None) -> str:
    """Return the ORDER BY list of a page: the sort keys, then the id (`alias`: outer names)."""
    keys = [key.order(f'{alias}."{key.column.name}"' if alias else key.column.sql) for key in sort]
    return ", ".join([*keys, f"{alias}.id" if alias else layer.id_sql])


def _after(
    layer: Layer, sort: Sequence[SortKey], cursor: Sequence[Any], params: dict[str, Any]
) -> str:
    """Return the condition of the rows after `cursor` (the last row's keys, then its id).

    Spelled out key by key (k1 after v1, or k1 equal and k2 after v2, ...): the keys may
    mix directions and be empty, which a row comparison cannot express.
    """
    condition = f"{layer.id_sql} > %(after_id)s"
    params["after_id"] = cursor[-1]
    for position in reversed(range(len(sort))):
        key, value = sort[position], cursor[position]
        column = key.column.sql
        name = f"%(after_{position})s::{_SQL_TYPES[key.column.type]}"
        params[f"after_{position}"] = value
        if value is None:  # empty: last when ascending, first when descending
            later = "false" if not key.descending else f"({column}) IS NOT NULL"
            same = f"({column}) IS NULL"
        else:
            later = (
                f"(({column}) < {name})"
                if key.descending
                else f"(({column}) > {name} OR ({column}) IS NULL)"
            )
            same = f"({column}) = {name}"
        condition = f"({later} OR ({same} AND {condition}))"
    return condition


def _page_sql(layer: Layer, selection: _Selection, sort: Sequence[SortKey] = ()) -> str:
    """Return the statement of one page (%(limit)s rows from %(offset)s, in sort then id order)."""
    page = (
        f"SELECT {layer.id_sql} FROM {layer.page_from_sql or layer.source()}\n"  # noqa: S608
        f"WHERE {selection.conditions()}\n"
        f"ORDER BY {_order_by(layer, sort)} LIMIT %(limit)s OFFSET %(offset)s"
    )
    if layer.page_from_sql is not None:
        # A layer with costly joins per row pages on a plain table: its chosen ids
        # drive the joins row by row (LATERAL). With `id IN (page)` the planner was
        # free to join every row first and filter last, and did on small or freshly
        # changed tables, so a page's cost depended on its statistics.
        return (
            f"SELECT f.* FROM ({page}) AS chosen(id)\n"  # noqa: S608 - the layer's own SQL
            f"CROSS JOIN LATERAL (\n{_select(layer)}FROM {layer.source()}\n"
            f"WHERE {layer.id_sql} = chosen.id\n) f\n"
            f"ORDER BY {_order_by(layer, sort, 'f')}"
        )
    # A layer whose rows are computed (changes: events of a union) has no index on
    # its id to look rows up one at a time: the page filters the rows it computes.
    return (
        f"{_select(layer)}FROM {layer.source()}\n"
        f"WHERE {layer.id_sql} IN ({page})\n"
        f"ORDER BY {_order_by(layer, sort)}"
    )


def _whole_sql(layer: Layer, selection: _Selection, *, one: bool) -> str:
    """Return the statement of every selected row (`one`: a single feature), in id order."""
    from_sql = layer.source()
    if layer.bulk_from_sql is not None and not one:
        # One feature is one row: per row is cheaper there. The bulk joins see every
        # condition but the properties' (which may name other tables): a superset of
        # the rows, joined on the row's id, so the result is the same.
        selected = [c for c in selection.where if c not in selection.properties]
        from_sql = layer.source(bulk=True).replace(
            "{selected}", " AND ".join(f"({c})" for c in selected) if selected else "true"
        )
    return (
        f"{_select(layer)}FROM {from_sql}\nWHERE {selection.conditions()}\nORDER BY {layer.id_sql}"
    )


def query(
    layer: Layer,
    *,
    srid: int = STORAGE_SRID,
    bbox: Box | None = None,
    bbox_srid: int = WGS84,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    condition: Query | None = None,
    feature_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    after: Any = None,
    sort: Sequence[SortKey] = (),
) -> Query:
    """Return the SELECT of `layer`: id, one column per field, and `geom` in `srid`.

    - `bbox` (minx, miny, maxx, maxy in `bbox_srid`, axis order x/y: longitude first
      for WGS84) keeps the features whose geometry intersects it;
    - `as_of` keeps the rows in force that day (the current ones when None);
    - `start`/`end` bound the changes layer's period (required there);
    - `filters` are the layer's named filters (admin_unit, land_use, zoning);
    - `properties` are simple equality filters on queryable fields (OGC API);
    - `condition` is a translated CQL2 filter (SQL of ours and its parameters);
    - `feature_id` selects one feature; `limit`/`offset` page in `sort` order then id
      order, after `after` (a keyset cursor: the last id of the previous page, or with
      `sort` the list of its keys' values then its id).

    A page picks its ids on `page_from_sql` first and joins only those: the cost of a
    page does not grow with its offset by the joins of the rows it skips.
    """
    selection = _selection(
        layer,
        srid=srid,
        bbox=bbox,
        bbox_srid=bbox_srid,
        as_of=as_of,
        start=start,
        end=end,
        filters=filters,
        properties=properties,
        condition=condition,
    )
    if feature_id is not None:
        selection.params["feature_id"] = feature_id
        selection.where.append(f"({layer.id_sql})::text = %(feature_id)s")
    if limit is None:
        sql = _whole_sql(layer, selection, one=feature_id is not None)
        return Query(sql=sql, params=selection.params)
    selection.params.update(limit=limit, offset=offset)
    if after is not None:
        cursor = list(after) if sort else [after]
        if len(cursor) != len(sort) + 1:
            raise InvalidLayerRequest("The page cursor does not fit the sort order.")
        selection.where.append(_after(layer, sort, cursor, selection.params))
    return Query(sql=_page_sql(layer, selection, sort), params=selection.params)


def count_query(
    layer: Layer,
    *,
    bbox: Box | None = None,
    bbox_srid: int = WGS84,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    condition: Query | None = None,
    srid: int = STORAGE_SRID,
) -> Query:
    """Return the statement counting the features `query` selects with the same arguments."""
    selection = _selection(
        layer,
        srid=srid,
        bbox=bbox,
        bbox_srid=bbox_srid,
        as_of=as_of,
        start=start,
        end=end,
        filters=filters,
        properties=properties,
        condition=condition,
    )
    sql = (
        f"SELECT count(*) FROM {layer.page_from_sql or layer.source()}\n"  # noqa: S608
        f"WHERE {selection.conditions()}"
    )
    return Query(sql=sql, params=selection.params)
