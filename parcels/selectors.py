"""Read side of the parcel register."""

import json

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import Count, Q

from landinfo.srid import WGS84
from parcels.models import AdministrativeUnit, Parcel


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
