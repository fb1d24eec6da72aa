"""Mapbox vector tiles of the register, made by PostGIS in one statement per tile.

Each tile is `ST_AsMVT` over the maintained Web Mercator copies (`boundary_3857`,
GiST-indexed), so nothing is transformed at read time and Python never loops over
features: the view validates z/x/y, runs one parameterised statement and returns
its bytes. Tiles carry identifiers, land use, zoning and administrative units:
the statement reads no party, right or journal table, so nothing personal can leak.
The grid is the OGC WebMercatorQuad tile matrix set, read from `morecantile`
(`TILE_MATRIX_SET`); the OGC API – Tiles (ogc/tiles.py) serves the same bytes.

The zoom policy is the table `LAYERS`. Parcels appear from z15, the zoom of QGIS at
1:9,600: a median urban lot (≈300 m², ≈18 m a side) is ≈4 px wide there, so its
outline and land-use colour show the fabric of a quarter but its number cannot be
read. At z15 a parcel is therefore simplified to half a pixel and carries its id and
land use only, ≈35 bytes instead of ≈60: the densest synthetic tile (9,201 lots of a
dense centre) is 314 KB, the densest demo tile 104 KB. From z16, where the lot is
≈8 px wide, parcels carry their identifier and every vertex. Below z15 the map shows
administrative units (provinces always, districts from z7, communes from z11, villages
from z13) and zoning from z12. `ST_AsMVTGeom` snaps to the 4096 grid and drops what
collapses below it, and every layer has a feature cap at each level of detail, so a
tile stays under its budget (512 KB; `bench/tile_sizes.py` measures it).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

import morecantile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from landinfo.dates import parse_day
from landinfo.sql import alive, read_cursor, table
from parcels.models import AdministrativeUnit, Parcel, ZoningZone

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# The OGC tile matrix set of every web map (z/x/y with y growing southwards).
TILE_MATRIX_SET = morecantile.tms.get("WebMercatorQuad")
MAX_ZOOM = 22
EXTENT = 4096  # tile coordinates per side, the MVT default
BUFFER = 64  # tile coordinates drawn past each edge, so strokes meet across seams
TILE_BUDGET_BYTES = 512 * 1024  # what any tile must stay under (tests hold dense data to it)

# A current tile can change with the next deed; a tile of a past date changes only
# with a correction, so caches may keep it for a day.
MAX_AGE_CURRENT = 300
MAX_AGE_PAST = 86_400

_Level = AdministrativeUnit.Level


@dataclass(frozen=True, slots=True)
class Detail:
    """What a layer's features carry from some zoom on.

    `simplify` is the tolerance of Douglas-Peucker in pixels of a 256-pixel tile (0: the
    outline as stored, snapped to the 4096 grid). `limit` guards the budget: reaching it
    means the zoom policy does not fit the data.
    """

    properties: tuple[str, ...]
    limit: int
    simplify: float = 0.0


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of the tile: its rows, and what they carry at each zoom.

    `rows_from_zoom` pairs a zoom with a condition of our own (never user input); a
    row is in the tile when any condition whose zoom is reached holds. A condition of
    None takes every row. `detail_from_zoom` pairs a zoom with the Detail in force
    from it on, in increasing zoom, the first no later than the first row condition.
    """

    name: str
    table: str
    rows_from_zoom: tuple[tuple[int, str | None], ...]
    detail_from_zoom: tuple[tuple[int, Detail], ...]
    dated: bool  # has a lifespan (valid_from, valid_to) and answers `as_of`

    @property
    def minzoom(self) -> int:
        """Return the lowest zoom whose tiles carry this layer."""
        return min(zoom for zoom, _ in self.rows_from_zoom)

    @property
    def properties(self) -> tuple[str, ...]:
        """Return every property the layer carries at some zoom, in table order."""
        every = (
            name for _, detail in reversed(self.detail_from_zoom) for name in detail.properties
        )
        return tuple(dict.fromkeys(every))

    def conditions_at(self, z: int) -> list[str | None]:
        """Return the row conditions in force at zoom `z` (none: the layer is absent)."""
        return [condition for minzoom, condition in self.rows_from_zoom if z >= minzoom]

    def detail_at(self, z: int) -> Detail:
        """Return the Detail in force at zoom `z` (that of the highest zoom reached)."""
        return [detail for minzoom, detail in self.detail_from_zoom if z >= minzoom][-1]

    def property_minzoom(self, name: str) -> int:
        """Return the lowest zoom whose tiles carry property `name` of this layer."""
        return max(
            self.minzoom,
            min(zoom for zoom, detail in self.detail_from_zoom if name in detail.properties),
        )


LAYERS: tuple[Layer, ...] = (
    Layer(
        name="admin_units",
        table=table(AdministrativeUnit),
        rows_from_zoom=(
            (0, f"level = {_Level.PROVINCE:d}"),
            (7, f"level = {_Level.DISTRICT:d}"),  # a district is ≈20-50 px wide at z7
            (11, f"level = {_Level.COMMUNE:d}"),  # a commune is ≈30-60 px wide at z11
            (13, f"level = {_Level.VILLAGE:d}"),
        ),
        detail_from_zoom=((0, Detail(properties=("code", "name", "level"), limit=1_000)),),
        dated=False,
    ),
    Layer(
        name="zoning",
        table=table(ZoningZone),
        # Kept at parcel zooms too: which zone a parcel lies in is what a planner asks,
        # and a zone clipped to one tile costs a few dozen bytes.
        rows_from_zoom=((12, None),),
        detail_from_zoom=((12, Detail(properties=("code", "name"), limit=2_000)),),
        dated=True,
    ),
    Layer(
        name="parcels",
        table=table(Parcel),
        rows_from_zoom=((15, None),),
        detail_from_zoom=(
            # ≈35 bytes a parcel (the densest synthetic tile: 9,201 parcels, 314 KB): at
            # the cap ≈450 KB, room left for the other layers under the budget.
            (15, Detail(properties=("land_use",), limit=13_000, simplify=0.5)),
            (16, Detail(properties=("identifier", "land_use"), limit=5_000)),  # 50-100 bytes
        ),
        dated=True,
    ),
)
LAYER_NAMES = tuple(layer.name for layer in LAYERS)

# Lifespans follow the model: `valid_to` is the first day a row no longer holds.
_CURRENT = "valid_to IS NULL"
_AS_OF = alive(day="as_of")
_ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
# The margin makes the index search cover the buffer that ST_AsMVTGeom keeps.
_SEARCH_ENVELOPE = f"ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT!r})"


class InvalidTileRequest(ValueError):
    """Raised for a tile that cannot exist or a malformed parameter; answered with 400."""

    status = 400


@dataclass(frozen=True, slots=True)
class Tile:
    """A tile address in the XYZ scheme of Web Mercator (y grows southwards)."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise InvalidTileRequest(
                _("Zoom %(z)s is outside 0..%(most)s.") % {"z": self.z, "most": MAX_ZOOM}
            )
        matrix = TILE_MATRIX_SET.matrix(self.z)
        if not (0 <= self.x < matrix.matrixWidth and 0 <= self.y < matrix.matrixHeight):
            raise InvalidTileRequest(
                _("Tile %(x)s/%(y)s does not exist at zoom %(z)s: x and y run from 0 to %(most)s.")
                % {"x": self.x, "y": self.y, "z": self.z, "most": matrix.matrixWidth - 1}
            )


def parse_as_of(text: str | None) -> dt.date | None:
    """Return the date of an `as_of` parameter (YYYY-MM-DD), or None when it is absent."""
    if text is None or text == "":
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise InvalidTileRequest(
            _("%(parameter)s=%(text)s is not a date written YYYY-MM-DD.")
            % {"parameter": "as_of", "text": repr(text)}
        ) from None


def _geometry_sql(detail: Detail, z: int) -> str:
    """Return the geometry the tile encodes at zoom `z`: as stored, or simplified."""
    if not detail.simplify:
        return "boundary_3857"
    # cellSize is the width of a pixel of a 256-pixel tile at z, in metres of EPSG:3857.
    tolerance = detail.simplify * TILE_MATRIX_SET.matrix(z).cellSize
    # Collapsed outlines are kept: ST_AsMVTGeom drops what is too small for the grid.
    return f"ST_Simplify(boundary_3857, {tolerance!r}, true)"


def _layer_sql(layer: Layer, z: int, *, dated: bool) -> str | None:
    """Return the SQL expression of one layer's MVT bytes at zoom `z`, or None if absent."""
    conditions = layer.conditions_at(z)
    if not conditions:
        return None
    detail = layer.detail_at(z)
    where = [f"boundary_3857 && {_SEARCH_ENVELOPE}"]
    if None not in conditions:
        where.append(f"({' OR '.join(c for c in conditions if c is not None)})")
    if layer.dated:
        where.append(f"({_AS_OF})" if dated else _CURRENT)
    # `id` twice: ST_AsMVT takes the first as the feature id and keeps the second as a
    # property, for clients that read only properties.
    columns = ", ".join(("id", "id", *detail.properties))
    geometry = _geometry_sql(detail, z)
    # Only names, conditions and numbers from LAYERS go into the text; z/x/y/as_of are bound.
    return (
        f"(SELECT ST_AsMVT(t, '{layer.name}', {EXTENT}, 'geom', 'id') FROM ("  # noqa: S608
        f"SELECT {columns}, "
        f"ST_AsMVTGeom({geometry}, {_ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM {layer.table} WHERE {' AND '.join(where)} LIMIT {detail.limit}) AS t)"
    )


def tile_sql(z: int, *, dated: bool, layers: tuple[str, ...] = LAYER_NAMES) -> str:
    """Return the one statement that makes a tile at zoom `z` (parameters z, x, y, as_of).

    `layers` names the layers the tile holds (a collection's tiles hold one).
    """
    parts = [
        sql
        for layer in LAYERS
        if layer.name in layers and (sql := _layer_sql(layer, z, dated=dated)) is not None
    ]
    # Layers with no feature add no bytes, so an empty tile is an empty bytea.
    return "SELECT " + (" || ".join(parts) if parts else "''::bytea")


# Built once: a request only chooses a statement and binds its parameters.
_STATEMENTS = {
    (z, dated, layers): tile_sql(z, dated=dated, layers=layers)
    for z in range(MAX_ZOOM + 1)
    for dated in (False, True)
    for layers in (LAYER_NAMES, *((name,) for name in LAYER_NAMES))
}


def render_tile(
    tile: Tile, *, as_of: dt.date | None = None, layers: tuple[str, ...] = LAYER_NAMES
) -> bytes:
    """Return the MVT bytes of `tile` (current state, or as of a date); b"" when empty.

    `layers` is every layer, or the name of one alone.
    """
    statement = _STATEMENTS[tile.z, as_of is not None, layers]
    params = {"z": tile.z, "x": tile.x, "y": tile.y, "as_of": as_of}
    # Tiles are reads: a router may send them to a replica.
    with read_cursor(Parcel) as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _cache_control(as_of: dt.date | None) -> str:
    past = as_of is not None and as_of < timezone.localdate()
    return f"public, max-age={MAX_AGE_PAST if past else MAX_AGE_CURRENT}"


def tile_response(
    request: HttpRequest, tile: Tile, *, as_of: dt.date | None, layers: tuple[str, ...]
) -> HttpResponse:
    """Return the tile as an answer: 200 with MVT bytes, 204 if empty, 304 if unchanged."""
    data = render_tile(tile, as_of=as_of, layers=layers)
    if not data:
        # No ETag: a 304 stands only for a 200 (RFC 9110 §15.4.5).
        response = HttpResponse(status=204)
        del response["Content-Type"]
    else:
        response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
        response["ETag"] = f'"{hashlib.blake2b(data, digest_size=16).hexdigest()}"'
    response["Cache-Control"] = _cache_control(as_of)
    response.language_neutral = True  # type: ignore[attr-defined]  # see LanguageNeutralMiddleware
    return (
        get_conditional_response(request, etag=response.get("ETag"), response=response) or response
    )


# Exempt so that a POST is told 405 rather than 403: the view refuses every unsafe
# method itself and writes nothing.
@csrf_exempt
@require_safe
def parcel_tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """Return the vector tile z/x/y: 200 with MVT bytes, 204 if empty, 304 if unchanged."""
    try:
        tile = Tile(z, x, y)
        as_of = parse_as_of(request.GET.get("as_of"))
    except InvalidTileRequest as refusal:
        return JsonResponse({"detail": str(refusal)}, status=refusal.status)
    return tile_response(request, tile, as_of=as_of, layers=LAYER_NAMES)
