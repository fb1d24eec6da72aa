"""Time the public read paths on the demo database, in one process.

    .venv/bin/python bench/demo_read_paths.py

A quick check on the demo district, not the benchmark of the benchmark issue: the
Django test client (full middleware) against `render_tile()` for the densest z16
tile, and the identifier, address, point and sheet lookups; 200 runs each.
"""

import os
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
django.setup()

from django.contrib.gis.db.models.functions import PointOnSurface, Transform  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from landinfo.srid import WGS84  # noqa: E402
from parcels.models import Parcel  # noqa: E402
from parcels.publishing.tiles import Tile, render_tile  # noqa: E402

RUNS = 200

DENSEST_Z16_TILE = """
SELECT floor((ST_X(c) + 20037508.34) / (40075016.68 / 65536))::int,
       floor((20037508.34 - ST_Y(c)) / (40075016.68 / 65536))::int,
       count(*)
FROM (SELECT ST_Centroid(boundary_3857) AS c FROM parcels_parcel WHERE valid_to IS NULL) s
GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1
"""


def timed(label: str, call: Callable[[], object]) -> None:
    """Print p50 and p95 of `RUNS` calls, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{label:<34} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")


@override_settings(ALLOWED_HOSTS=["testserver"])
def main() -> None:
    client = Client()
    with connection.cursor() as cursor:
        cursor.execute(DENSEST_Z16_TILE)
        x, y, count = cursor.fetchone()
    url = f"/tiles/parcels/16/{x}/{y}.mvt"
    print(f"densest z16 tile 16/{x}/{y}: {count} parcels, {len(client.get(url).content)} bytes")
    timed("tile over HTTP (test client)", lambda: client.get(url))
    timed("tile, render_tile() alone", lambda: render_tile(Tile(16, x, y), as_of=None))

    parcel = Parcel.objects.filter(valid_to__isnull=True).order_by("identifier").first()
    assert parcel is not None, "load the demo first: manage.py load_demo"
    point = (
        Parcel.objects.annotate(p=Transform(PointOnSurface("boundary"), WGS84)).get(pk=parcel.pk).p
    )
    search = "/api/parcels/search"
    timed("search by identifier", lambda: client.get(search, {"q": parcel.identifier}))
    timed("search by address 'pho hue'", lambda: client.get(search, {"q": "pho hue"}))
    at = {"lon": point.x, "lat": point.y}
    timed("parcel at a point (sheet)", lambda: client.get("/api/parcels/at", at))
    timed("sheet by id", lambda: client.get(f"/api/parcels/{parcel.pk}"))


if __name__ == "__main__":
    main()
