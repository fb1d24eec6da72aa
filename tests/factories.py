"""factory_boy factories for the register. Geometry is built in the storage SRID."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.gis.geos import MultiPolygon, Polygon

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import AdministrativeUnit, LandPrice, Parcel, ZoningZone
from transactions.models import Party

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
    national_id = factory.Sequence(lambda n: f"0010{n:08d}")


def api_token_for(user, *, second_factor: bool = True) -> str:
    """Return the key of a new API token of `user`, made as the token page makes one.

    `second_factor`: made from a session verified with the authenticator (as the page
    requires of notaries and registrars when LANDINFO_NOTARY_OTP_REQUIRED is on).
    """
    from landinfo.accounts.tokens import issue_token

    _token, key = issue_token(user=user, second_factor=second_factor, session_ref="")
    return key
