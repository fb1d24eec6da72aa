"""Mapbox vector tiles of the register, made by PostGIS in one statement per tile.

Each tile is `ST_AsMVT` over the maintained Web Mercator copies (`boundary_3857`,
GiST-indexed), so nothing is transformed at read time and Python never loops over
features: the view validates z/x/y, runs one parameterised statement and returns
its bytes. Tiles carry identifiers, land use, zoning and administrative units:
the statement reads no party, right or journal table, so nothing personal can leak.

The zoom policy is the table `LAYERS`. Parcels appear from z16, where a median urban
lot (≈300 m², ≈18 m a side) is ≈8 px wide on a 256 px tile and its outline can be
read; at z15 it would be ≈4 px, a texture four times as dense per tile. Below z16
the map shows administrative units (provinces always, districts from z7, communes
from z11, villages from z13) and zoning from z12. `ST_AsMVTGeom` snaps to the
4096 grid and drops what collapses below it, and every layer has a feature cap, so
a tile stays under its budget (512 KB; the densest demo tile is ≈70 KB).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from landinfo.dates import parse_day
from landinfo.sql import alive, read_cursor, table
from parcels.models import AdministrativeUnit, Parcel, ZoningZone

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
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
class Layer:
    """One layer of the tile: its rows, their properties, from which zoom, at most how many.

    `rows_from_zoom` pairs a zoom with a condition of our own (never user input); a
    row is in the tile when any condition whose zoom is reached holds. `limit` guards
    the budget: reaching it means the zoom policy does not fit the data. A condition
    of None takes every row.
    """

    name: str
    table: str
    properties: tuple[str, ...]
    rows_from_zoom: tuple[tuple[int, str | None], ...]
    limit: int
    dated: bool  # has a lifespan (valid_from, valid_to) and answers `as_of`

    def conditions_at(self, z: int) -> list[str | None]:
        """Return the row conditions in force at zoom `z` (none: the layer is absent)."""
        return [condition for minzoom, condition in self.rows_from_zoom if z >= minzoom]


LAYERS: tuple[Layer, ...] = (
    Layer(
        name="admin_units",
        table=table(AdministrativeUnit),
        properties=("code", "name", "level"),
        rows_from_zoom=(
            (0, f"level = {_Level.PROVINCE:d}"),
            (7, f"level = {_Level.DISTRICT:d}"),  # a district is ≈20-50 px wide at z7
            (11, f"level = {_Level.COMMUNE:d}"),  # a commune is ≈30-60 px wide at z11
            (13, f"level = {_Level.VILLAGE:d}"),
        ),
        limit=1_000,
        dated=False,
    ),
    Layer(
        name="zoning",
        table=table(ZoningZone),
        properties=("code", "name"),
        # Kept at parcel zooms too: which zone a parcel lies in is what a planner asks,
        # and a zone clipped to one tile costs a few dozen bytes.
        rows_from_zoom=((12, None),),
        limit=2_000,
        dated=True,
    ),
    Layer(
        name="parcels",
        table=table(Parcel),
        properties=("identifier", "land_use"),
        rows_from_zoom=((16, None),),
        limit=5_000,  # 50-100 bytes a parcel (demo: 60): 250-500 KB at most
        dated=True,
    ),
)

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
            raise InvalidTileRequest(f"Zoom {self.z} is outside 0..{MAX_ZOOM}.")
        last = 2**self.z - 1
        if not (0 <= self.x <= last and 0 <= self.y <= last):
            raise InvalidTileRequest(
                f"Tile {self.x}/{self.y} does not exist at zoom {self.z}: "
                f"x and y run from 0 to {last}."
            )


def parse_as_of(text: str | None) -> dt.date | None:
    """Return the date of an `as_of` parameter (YYYY-MM-DD), or None when it is absent."""
    if text is None or text == "":
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise InvalidTileRequest(f"as_of={text!r} is not a date written YYYY-MM-DD.") from None


def _layer_sql(layer: Layer, z: int, *, dated: bool) -> str | None:
    """Return the SQL expression of one layer's MVT bytes at zoom `z`, or None if absent."""
    conditions = layer.conditions_at(z)
    if not conditions:
        return None
    where = [f"boundary_3857 && {_SEARCH_ENVELOPE}"]
    if None not in conditions:
        where.append(f"({' OR '.join(c for c in conditions if c is not None)})")
    if layer.dated:
        where.append(f"({_AS_OF})" if dated else _CURRENT)
    # `id` twice: ST_AsMVT takes the first as the feature id and keeps the second as a
    # property, for clients that read only properties.
    columns = ", ".join(("id", "id", *layer.properties))
    # Only names and conditions from LAYERS go into the text; z/x/y/as_of are bound.
    return (
        f"(SELECT ST_AsMVT(t, '{layer.name}', {EXTENT}, 'geom', 'id') FROM ("  # noqa: S608
        f"SELECT {columns}, "
        f"ST_AsMVTGeom(boundary_3857, {_ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM {layer.table} WHERE {' AND '.join(where)} LIMIT {layer.limit}) AS t)"
    )


def tile_sql(z: int, *, dated: bool) -> str:
    """Return the one statement that makes a tile at zoom `z` (parameters z, x, y, as_of)."""
    parts = [sql for layer in LAYERS if (sql := _layer_sql(layer, z, dated=dated)) is not None]
    # Layers with no feature add no bytes, so an empty tile is an empty bytea.
    return "SELECT " + (" || ".join(parts) if parts else "''::bytea")


# Built once: a request only chooses a statement and binds its parameters.
_STATEMENTS = {
    (z, dated): tile_sql(z, dated=dated) for z in range(MAX_ZOOM + 1) for dated in (False, True)
}


def render_tile(tile: Tile, *, as_of: dt.date | None = None) -> bytes:
    """Return the MVT bytes of `tile` (current state, or as of a date); b"" when empty."""
    statement = _STATEMENTS[tile.z, as_of is not None]
    params = {"z": tile.z, "x": tile.x, "y": tile.y, "as_of": as_of}
    # Tiles are reads: a router may send them to a replica.
    with read_cursor(Parcel) as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _cache_control(as_of: dt.date | None) -> str:
    past = as_of is not None and as_of < timezone.localdate()
    return f"public, max-age={MAX_AGE_PAST if past else MAX_AGE_CURRENT}"


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

    data = render_tile(tile, as_of=as_of)
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
