"""The known jurisdiction profiles, by key. Importable before Django is configured."""

from landinfo.profiles.base import JurisdictionProfile
from landinfo.profiles.korea import KoreaProfile
from landinfo.profiles.vietnam import VietnamProfile

PROFILES: dict[str, JurisdictionProfile] = {
    profile.key: profile for profile in (VietnamProfile(), KoreaProfile())
}
