"""The register's acts, each recorded through transactions.services against real PostGIS."""

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon

from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel, ParcelLineage
from tests.factories import ORIGIN_X, ORIGIN_Y, ParcelFactory, PartyFactory
from transactions import services
from transactions.exceptions import DeedRefused, StaleDeed, TransferRefused
from transactions.models import JournalEntry, Right
from transactions.services import ChildParcel, DeedInput, PartyInput

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 3, 1)


@pytest.fixture
def notary():
    user = User.objects.create_user("notary-test", password="x")
    user.groups.add(Group.objects.get(name="notary"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def registrar():
    user = User.objects.create_user("registrar-test", password="x")
    user.groups.add(Group.objects.get(name="registrar"))
    return User.objects.get(pk=user.pk)


def deed(user, day=DAY, **extra):
    return DeedInput(effective_date=day, recorded_by=user, **extra)


def person(name, national_id):
    return PartyInput(kind="person", name=name, national_id=national_id)


def current(parcel):
    return {
        (r.holder.name, Fraction(r.share_numerator, r.share_denominator))
        for r in Right.objects.filter(
            parcel=parcel, kind="ownership", valid_to__isnull=True, voided_by__isnull=True
        ).select_related("holder")
    }


def test_first_registration_then_share_transfer_keeps_the_parcel_whole(notary):
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person("Nguyễn Văn An", "001080000001"), Fraction(1, 2)),
                 (person("Trần Thị Bình", "001080000002"), Fraction(1, 2))],
        deed=deed(notary, dt.date(2020, 1, 1)),
    )
    an = Right.objects.get(holder__name="Nguyễn Văn An").holder_id
    entry = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(an, Fraction(1, 4))],
        recipients=[(person("Lê Văn Cường", "001080000003"), Fraction(1, 4))],
        transfer_type="sale",
        price=Decimal("1000000000"),
        deed=deed(notary),
    )
    assert current(parcel) == {
        ("Nguyễn Văn An", Fraction(1, 4)),
        ("Trần Thị Bình", Fraction(1, 2)),
        ("Lê Văn Cường", Fraction(1, 4)),
    }
    payload = json.loads(entry.payload)
    assert payload["transferred"] == "1/4"
    assert {p["name"] for p in payload["parties"]} == {"Nguyễn Văn An", "Lê Văn Cường"}
    assert entry.sequence == 2 and entry.prev_hash == JournalEntry.objects.get(sequence=1).entry_hash


def test_stale_deed_is_refused(notary):
    parcel = ParcelFactory()
    first = services.record_first_registration(
        parcel_id=parcel.pk, holders=[(person("A B", "1"), 1)], deed=deed(notary, dt.date(2020, 1, 1))
    )
    services.record_transfer(
        parcel_id=parcel.pk, recipients=[(person("C D", "2"), 1)], transfer_type="gift",
        deed=deed(notary, expected_last_entry=first.sequence),
    )
    with pytest.raises(StaleDeed):
        services.record_transfer(
            parcel_id=parcel.pk, recipients=[(person("E F", "3"), 1)], transfer_type="gift",
            deed=deed(notary, expected_last_entry=first.sequence),
        )
    with pytest.raises(TransferRefused):
        services.record_transfer(
            parcel_id=parcel.pk, transferors=[(Right.objects.get(holder__name="A B").holder_id, 1)],
            recipients=[(person("E F", "3"), 1)], transfer_type="gift", deed=deed(notary),
        )


def test_subdivide_merge_mortgage_and_correct(notary, registrar):
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk, holders=[(person("A B", "1"), 1)], deed=deed(notary, dt.date(2020, 1, 1))
    )
    services.record_mortgage(
        parcel_id=parcel.pk, lender=PartyInput(kind="organisation", name="Bank"), amount=10,
        deed=deed(notary, dt.date(2021, 1, 1)),
    )
    x0, y0 = parcel.boundary.extent[:2]
    halves = [
        ChildParcel(MultiPolygon(Polygon.from_bbox((x0, y0, x0 + 10, y0 + 20)), srid=STORAGE_SRID)),
        ChildParcel(MultiPolygon(Polygon.from_bbox((x0 + 10, y0, x0 + 20, y0 + 20)), srid=STORAGE_SRID)),
    ]
    split = services.subdivide_parcel(parcel_id=parcel.pk, children=halves, deed=deed(notary, dt.date(2022, 1, 1)))
    parcel.refresh_from_db()
    assert parcel.valid_to == dt.date(2022, 1, 1) and parcel.retired_by_id == split.sequence
    children = list(Parcel.objects.filter(created_by=split).order_by("identifier"))
    assert len(children) == 2
    assert sum(c.registered_area for c in children) == parcel.registered_area
    assert ParcelLineage.objects.filter(parent=parcel).count() == 2
    assert all(current(c) == {("A B", 1)} for c in children)
    merged = services.merge_parcels(parcel_ids=[c.pk for c in children], deed=deed(notary, dt.date(2023, 1, 1)))
    new = Parcel.objects.get(created_by=merged)
    assert abs(new.boundary.area - parcel.boundary.area) < 0.01
    transfer = services.record_transfer(
        parcel_id=new.pk, recipients=[(person("C D", "2"), 1)], transfer_type="inheritance",
        deed=deed(notary),
    )
    assert current(new) == {("C D", 1)}
    services.record_correction(
        corrects=transfer.sequence, mode="reverse", reason="Wrong heir", deed=deed(registrar)
    )
    assert current(new) == {("A B", 1)}
    with pytest.raises(DeedRefused):
        services.subdivide_parcel(parcel_id=new.pk, children=halves[:1] * 2, deed=deed(notary))
