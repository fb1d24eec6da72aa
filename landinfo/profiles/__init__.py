"""Jurisdiction profiles: one code base, several national cadastres."""

from landinfo.profiles.base import (
    Bounds,
    InvalidNationalId,
    InvalidParcelIdentifier,
    JurisdictionProfile,
    LandUse,
    ParcelIdentifier,
    UnknownLandUse,
)
from landinfo.profiles.registry import PROFILES


def get_profile(key: str | None = None) -> JurisdictionProfile:
    """Return the profile named `key`, or the one chosen by settings.LANDINFO["PROFILE"]."""
    if key is None:
        from django.conf import settings

        key = settings.LANDINFO["PROFILE"]
    return PROFILES[key]


__all__ = [
    "PROFILES",
    "Bounds",
    "InvalidNationalId",
    "InvalidParcelIdentifier",
    "JurisdictionProfile",
    "LandUse",
    "ParcelIdentifier",
    "UnknownLandUse",
    "get_profile",
]
