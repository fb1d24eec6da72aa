"""The storage SRID, fixed by the jurisdiction profile for the life of a database."""

import functools

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper
from pyproj import CRS

from landinfo.profiles.registry import PROFILES

WEB_MERCATOR = 3857
WGS84 = 4326


def storage_srid() -> int:
    """Return the projected SRID (metres) that boundaries are stored in."""
    return PROFILES[settings.LANDINFO["PROFILE"]].storage_srid


STORAGE_SRID = storage_srid()


@functools.cache
def is_geographic(srid: int) -> bool:
    """Tell whether EPSG:`srid` is in degrees (PROJ says; asked once per SRID)."""
    return bool(CRS.from_epsg(srid).is_geographic)


class ProfileMismatch(ImproperlyConfigured):
    """The database was made under another jurisdiction profile than the one configured."""


def check_storage_srid(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Refuse a database whose boundaries are stored in another profile's CRS.

    Connected to `connection_created`: the profile is fixed for a database's life (its
    geometry columns carry the SRID), and a process started with another profile (a
    checkout whose .env says vn, next to a database made with LANDINFO_PROFILE=kr) would
    read and write Korean boundaries as Vietnamese ones, or refuse every parcel as
    abroad. Once per connection: one catalogue lookup, none for a database not migrated.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT srid FROM geometry_columns "
            "WHERE f_table_name = 'parcels_parcel' AND f_geometry_column = 'boundary'"
        )
        row = cursor.fetchone()
    if row is not None and row[0] != STORAGE_SRID:
        raise ProfileMismatch(
            f"The database {connection.settings_dict['NAME']!r} stores boundaries in "
            f"EPSG:{row[0]}, but LANDINFO_PROFILE={settings.LANDINFO['PROFILE']!r} stores "
            f"them in EPSG:{STORAGE_SRID}: it was made under another profile. Set "
            "LANDINFO_PROFILE (in .env or the environment) to the database's profile."
        )
