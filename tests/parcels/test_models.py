"""The database itself keeps the register's invariants, whatever code writes to it."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from landinfo.srid import STORAGE_SRID, WEB_MERCATOR
from parcels.models import Parcel
from tests.factories import ORIGIN_X, ORIGIN_Y, LandPriceFactory, ParcelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


def test_boundary_is_stored_in_the_profiles_srid_and_mercator_copy_is_maintained():
    parcel = ParcelFactory()
    # An UPDATE that bypasses every model method still moves the generated copy.
    new_boundary = MultiPolygon(
        Polygon.from_bbox((ORIGIN_X + 5000, ORIGIN_Y, ORIGIN_X + 5010, ORIGIN_Y + 10)),
        srid=STORAGE_SRID,
    )
    Parcel.objects.filter(pk=parcel.pk).update(boundary=new_boundary)
    parcel.refresh_from_db()
    assert parcel.boundary.srid == STORAGE_SRID
    assert parcel.boundary_3857.srid == WEB_MERCATOR
    expected = new_boundary.transform(WEB_MERCATOR, clone=True)
    assert parcel.boundary_3857.equals_exact(expected, tolerance=0.01)


def test_self_intersecting_boundary_is_refused_by_the_database():
    bowtie = Polygon(
        (
            (ORIGIN_X, ORIGIN_Y),
            (ORIGIN_X + 10, ORIGIN_Y + 10),
            (ORIGIN_X + 10, ORIGIN_Y),
            (ORIGIN_X, ORIGIN_Y + 10),
            (ORIGIN_X, ORIGIN_Y),
        )
    )
    with pytest.raises(IntegrityError, match="parcel_boundary_valid"), transaction.atomic():
        ParcelFactory(boundary=MultiPolygon(bowtie, srid=STORAGE_SRID), registered_area=1)


def test_two_current_parcels_cannot_share_an_identifier():
    first = ParcelFactory()
    with (
        pytest.raises(IntegrityError, match="parcel_one_current_per_identifier"),
        transaction.atomic(),
    ):
        ParcelFactory(identifier=first.identifier, admin_unit=first.admin_unit)


def test_a_retired_parcel_leaves_its_identifier_free_for_history():
    first = ParcelFactory(valid_to=dt.date(2020, 1, 1))
    again = ParcelFactory(
        identifier=first.identifier, admin_unit=first.admin_unit, valid_from=dt.date(2020, 1, 1)
    )
    assert Parcel.objects.filter(identifier=again.identifier).count() == 2


def test_a_parcel_with_legal_records_cannot_be_deleted():
    price = LandPriceFactory()
    with pytest.raises(ProtectedError):
        price.parcel.delete()
