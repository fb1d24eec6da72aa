"""The storage SRID, fixed by the jurisdiction profile for the life of a database."""

from django.conf import settings

from landinfo.profiles.registry import PROFILES

WEB_MERCATOR = 3857
WGS84 = 4326


def storage_srid() -> int:
    """Return the projected SRID (metres) that boundaries are stored in."""
    return PROFILES[settings.LANDINFO["PROFILE"]].storage_srid


STORAGE_SRID = storage_srid()
