"""The overlap two parcels may share: the area error the profile's law permits on a map."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection

from parcels import overlaps
from tests.factories import ParcelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


def test_the_overlap_tolerated_in_sql_is_the_profiles_area_error_of_the_smaller_parcel(profile):
    cases = list(itertools.product([40.0, 560.0, 10_000.0], [*profile.map_scales, None]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(
                overlaps.tolerance_sql(
                    f"%(area_{n})s::float8",
                    overlaps.map_scale_sql(f"%(scale_{n})s::int"),
                )
                for n in range(len(cases))
            ),
            {
                **overlaps.tolerance_params(),
                **{f"area_{n}": area for n, (area, _) in enumerate(cases)},
                **{f"scale_{n}": scale for n, (_, scale) in enumerate(cases)},
            },
        )
        tolerated = cursor.fetchone()

    expected = [
        profile.permissible_area_error(area, scale or profile.default_map_scale)
        for area, scale in cases
    ]
    assert list(tolerated) == pytest.approx(expected, rel=1e-12)


def test_what_a_deed_takes_of_a_parcel_is_counted_once_against_that_parcels_tolerance(profile):
    neighbour = ParcelFactory(cell=(50, 50))
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    x0, y0, _, y1 = neighbour.boundary.extent

    def strip(start: float, end: float) -> MultiPolygon:
        """Return ground `start`-`end` m inside the neighbour's west side, along all of it."""
        return MultiPolygon(
            Polygon.from_bbox((x0 + start, y0, x0 + end, y1)), srid=neighbour.boundary.srid
        )

    def taken(*geometries: MultiPolygon) -> list[overlaps.Taken]:
        return overlaps.taken_from_register(geometries, map_scale=None, exclude=[])

    # The map permits the 400 m² parcel unit · 20 m²; each strip takes 12 units of it.
    side_by_side = taken(strip(0, 0.6 * unit), strip(0.6 * unit, 1.2 * unit))
    assert side_by_side == [
        overlaps.Taken(
            neighbour.identifier, (0, 1), pytest.approx(24 * unit), pytest.approx(20 * unit)
        )
    ]
    # The same strip twice is taken once.
    assert taken(strip(0, 0.6 * unit), strip(0, 0.6 * unit)) == []


def test_a_parcel_overlapped_beyond_its_tolerance_refuses_only_what_takes_more_of_it(profile):
    """Data older than the rule may leave a parcel over-taken: a deed that takes none of
    it more (a split along its own boundary, floating point's 1e-9 m² aside) passes."""
    neighbour = ParcelFactory(cell=(54, 50))
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    x0, y0, _, y1 = neighbour.boundary.extent

    def strip(start: float, end: float) -> MultiPolygon:
        return MultiPolygon(
            Polygon.from_bbox((x0 + start, y0, x0 + end, y1)), srid=neighbour.boundary.srid
        )

    # An older parcel overlapping it by 30 units, beyond the 20 its map permits.
    ParcelFactory(cell=(53, 50), boundary=strip(-20, 1.5 * unit))

    def taken(*geometries: MultiPolygon) -> list[overlaps.Taken]:
        return overlaps.taken_from_register(geometries, map_scale=None, exclude=[])

    assert taken(strip(0, 1.5 * unit)) == []  # the ground already lost: nothing new
    assert taken(strip(1.5 * unit - 1e-9, 1.5 * unit + 1e-9)) == []  # a rounding sliver
    (more,) = taken(strip(1.5 * unit, 1.6 * unit))  # 2 units more of it: refused
    assert more.identifier == neighbour.identifier
    assert more.already == pytest.approx(30 * unit)
    assert more.area == pytest.approx(32 * unit)
