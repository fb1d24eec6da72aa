"""factory_boy factories for the register. Geometry is built in the storage SRID."""

import datetime as dt
import json
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

import factory
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon

from landinfo.profiles import get_profile
from landinfo.profiles.korea import brn_check_digit, rrn_check_digit
from landinfo.profiles.vietnam import mst_check_digit
from landinfo.srid import STORAGE_SRID
from parcels.models import AdministrativeUnit, LandPrice, Parcel, ZoningZone
from transactions.deeds import services
from transactions.models import JournalEntry, Party, Right

# A point inside the profile's country, in the storage SRID (metres), for test geometry.
ORIGINS = {5897: (585_000.0, 2_325_000.0), 5186: (200_000.0, 550_000.0)}
ORIGIN_X, ORIGIN_Y = ORIGINS[STORAGE_SRID]


def square(col: int, row: int, size: float = 20.0) -> MultiPolygon:
    """Return a `size`-metre square parcel at grid cell (col, row) near the origin."""
    x0, y0 = ORIGIN_X + col * size, ORIGIN_Y + row * size
    ring = ((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size), (x0, y0))
    return MultiPolygon(Polygon(ring), srid=STORAGE_SRID)


def unit_code(n: int) -> str:
    """Return a unit code of the profile's length (VN commune: 5 digits; KR dong: 10)."""
    return f"{n:05d}" if get_profile().key == "vn" else f"{1111010100 + n * 100:010d}"


def national_id(n: int, kind: str = "person", *, series: int = 8) -> str:
    """Return the `n`-th valid identity number of the profile for a party of `kind` (n < 10^5).

    Persons: Vietnam "001080000001" (a căn cước of Hà Nội, a man born in 1980; `series`
    is the decade digit of the year); Korea "800101-1000018" (a man born on 1 January
    1980, with its check digit). Organisations: a tax code (Vietnam) or a business
    registration number (Korea) with its check digit. Distinct `n` (and `series`) give
    distinct numbers.
    """
    if get_profile().key == "vn":
        if kind == "person":
            return f"001{series // 10}{series % 10}0{n:06d}"
        for province in range(1, 100):  # some nine digits have no tenth: the next province
            check = mst_check_digit(f"{province:02d}{n:07d}")
            if check is not None:
                return f"{province:02d}{n:07d}{check}"
        raise AssertionError(n)
    if kind == "person":
        digits = f"{series}00101{1 + series % 2}{n:05d}"
        return f"{digits}{rrn_check_digit(digits)}"
    digits = f"{101 + n // 10_000:03d}81{n % 10_000:04d}"
    return f"{digits}{brn_check_digit(digits)}"


# The password of every user made by `user_with_role` (hashed with MD5 in tests: conftest).
PASSWORD = "correct horse battery staple"
# The day deeds take effect unless a test says otherwise: after the registrations tests
# make (2020), before today.
DEED_DAY = dt.date(2024, 3, 1)


def user_with_role(role: str | None, username: str | None = None) -> User:
    """Return a new user in the group of `role` (transactions/roles.py; None: in no group).

    The user signs in with PASSWORD. Read back from the database: Django caches
    permissions per instance, and a fresh one sees the group's.
    """
    user = User.objects.create_user(
        username or f"{role or 'user'}-{uuid.uuid4().hex[:6]}", password=PASSWORD
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def deed(user: User, parcels: Any, day: dt.date = DEED_DAY, **extra: Any) -> services.DeedInput:
    """Return a deed's common terms, made by `user` against `parcels` as they stand now."""
    extra.setdefault("expected_last_entry", current_entry(parcels))
    return services.DeedInput(effective_date=day, recorded_by=user, **extra)


def current_entry(*parcels: Parcel | int | list[int]) -> int:
    """Return the last entry of the parcels as their sheet shows it (0 when none): a test's
    `expected_last_entry` for a deed made against the register as it stands."""
    ids: list[int] = []
    for parcel in parcels:
        if isinstance(parcel, list | tuple):
            ids += [int(pk) for pk in parcel]
        else:
            ids.append(parcel if isinstance(parcel, int) else parcel.pk)
    return services.last_entry(ids) or 0


def entry_parcel(sequence: int) -> int:
    """Return the parcel of journal entry `sequence` (0 when there is none): what a
    correction of it acts on."""
    entry = JournalEntry.objects.filter(sequence=sequence).first()
    return int(json.loads(entry.payload)["parcel"]["id"]) if entry else 0


def holders_now(parcel: Parcel | int) -> list[tuple[int, Fraction]]:
    """Return every current holder of the parcel with all they hold: a transfer's
    transferors when everyone gives everything."""
    rights = Right.objects.filter(
        parcel_id=parcel if isinstance(parcel, int) else parcel.pk,
        kind="ownership",
        valid_to__isnull=True,
        voided_by__isnull=True,
    ).order_by("pk")
    return [(r.holder_id, Fraction(r.share_numerator, r.share_denominator)) for r in rights]


def mortgage_now(parcel: Parcel | int) -> int:
    """Return the id of the parcel's current mortgage (0 when it has none): the right a
    discharge names."""
    right = (
        Right.objects.filter(
            parcel_id=parcel if isinstance(parcel, int) else parcel.pk,
            kind="mortgage",
            valid_to__isnull=True,
            voided_by__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    return right.pk if right else 0


class AdministrativeUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: unit_code(n + 1))
    name = factory.Sequence(lambda n: f"Phường Thử {n + 1}")
    level = AdministrativeUnit.Level.COMMUNE


class ParcelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Parcel

    class Params:
        cell = factory.Sequence(lambda n: (n % 100, n // 100))

    admin_unit = factory.SubFactory(AdministrativeUnitFactory)
    identifier = factory.LazyAttributeSequence(
        lambda o, n: get_profile().format_identifier(
            get_profile().parse_identifier(
                f"tờ 1 thửa {n + 1}" if get_profile().key == "vn" else f"{n + 1}",
                unit_code=o.admin_unit.code,
            )
        )
    )
    land_use = factory.LazyFunction(lambda: get_profile().land_uses[0].code)
    boundary = factory.LazyAttribute(lambda o: square(*o.cell))
    registered_area = factory.LazyAttribute(lambda o: Decimal(str(round(o.boundary.area, 2))))
    valid_from = dt.date(2000, 1, 1)


class ZoningZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoningZone

    code = "R1"
    name = "Residential"
    boundary = factory.LazyFunction(lambda: square(0, 0, size=200.0))
    valid_from = dt.date(2010, 1, 1)


class LandPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LandPrice

    parcel = factory.SubFactory(ParcelFactory)
    year = 2025
    price_per_m2 = Decimal("50000000")
    currency = "VND"


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    kind = Party.Kind.PERSON
    name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    # Distinct from the tests' own numbers (series 8): persons born in 1900 (or 2000).
    national_id = factory.Sequence(lambda n: national_id(n, series=0))


def api_token_for(user, *, second_factor: bool = True) -> str:
    """Return the key of a new API token of `user`, made as the token page makes one.

    `second_factor`: made from a session verified with the authenticator (as the page
    requires of notaries and registrars when LANDINFO_NOTARY_OTP_REQUIRED is on).
    """
    from landinfo.accounts.tokens import issue_token, session_for_script

    _token, key = issue_token(
        user=user, second_factor=second_factor, session=session_for_script(user)
    )
    return key
