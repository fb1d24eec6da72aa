"""Print the sizes of the map's tiles at the zooms where parcels appear, as Markdown.

    DATABASE_URL=postgis://.../landinfo_demo .venv/bin/python bench/tile_sizes.py [15 16 ...]

Every tile holding the centroid of a current parcel is made by `render_tile()` (the
statement the map and the OGC API – Tiles run) and measured: the densest tile (most
parcels), the median and the largest, against `TILE_BUDGET_BYTES`, and whether the
densest tile holds every parcel it should (the layer's cap was not reached).
"""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
django.setup()

import mapbox_vector_tile  # noqa: E402
from django.db import connection  # noqa: E402

from parcels.publishing.tiles import (  # noqa: E402
    TILE_BUDGET_BYTES,
    TILE_MATRIX_SET,
    Tile,
    render_tile,
)

# The tiles holding a current parcel's centroid, with how many; the grid is the tile
# matrix's own (origin and tile width from morecantile).
TILES_WITH_PARCELS = """
SELECT floor((ST_X(c) - %(left)s) / %(size)s)::int AS x,
       floor((%(top)s - ST_Y(c)) / %(size)s)::int AS y,
       count(*)
FROM (SELECT ST_Centroid(boundary_3857) AS c FROM parcels_parcel WHERE valid_to IS NULL) s
GROUP BY 1, 2 ORDER BY 3 DESC
"""
PARCELS_IN_TILE = """
SELECT count(*) FROM parcels_parcel
WHERE valid_to IS NULL AND boundary_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625)
"""


def measure(z: int) -> None:
    """Print one Markdown row for zoom `z`."""
    matrix = TILE_MATRIX_SET.matrix(z)
    left, top = matrix.pointOfOrigin
    with connection.cursor() as cursor:
        cursor.execute(
            TILES_WITH_PARCELS, {"left": left, "top": top, "size": matrix.cellSize * 256}
        )
        tiles = cursor.fetchall()
        (dx, dy, _) = tiles[0]
        cursor.execute(PARCELS_IN_TILE, {"z": z, "x": dx, "y": dy})
        (expected,) = cursor.fetchone()
    sizes, seconds = [], []
    for x, y, _ in tiles:
        start = time.perf_counter()
        sizes.append(len(render_tile(Tile(z, x, y))))
        seconds.append(time.perf_counter() - start)
    densest = render_tile(Tile(z, dx, dy))
    drawn = len(mapbox_vector_tile.decode(densest).get("parcels", {}).get("features", []))
    print(
        f"| {z} | {len(tiles)} | {z}/{dx}/{dy}: {expected} parcels, {drawn} drawn, "
        f"{len(densest) / 1024:.0f} KB | {statistics.median(sizes) / 1024:.1f} KB "
        f"| {max(sizes) / 1024:.0f} KB | {sum(s >= TILE_BUDGET_BYTES for s in sizes)} "
        f"| {statistics.median(seconds) * 1000:.0f} / {max(seconds) * 1000:.0f} ms |"
    )


def main(zooms: list[int]) -> None:
    print(f"{connection.settings_dict['NAME']}, budget {TILE_BUDGET_BYTES // 1024} KB\n")
    print("| z | tiles | densest tile | median | largest | over budget | time p50 / max |")
    print("|---|---|---|---|---|---|---|")
    for z in zooms:
        measure(z)


if __name__ == "__main__":
    main([int(z) for z in sys.argv[1:]] or [15, 16])
