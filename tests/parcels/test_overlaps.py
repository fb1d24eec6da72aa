"""The overlap two parcels may share: the area error the profile's law permits on a map."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from parcels import overlaps

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
