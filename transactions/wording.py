"""Words whose choice is the profile's: the first registration, as each country's law names it.

Korea's law names a parcel's first registration of ownership 소유권보존 (부동산등기법
제65조), Vietnam's đăng ký lần đầu (Land Law 2024 art. 132); English says "First
registration" for both. Each name has a plain msgid and one in the profile's context
(`JurisdictionProfile.first_registration_context`), chosen when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from landinfo.profiles import get_profile


def by_profile(variants: Mapping[str, Promise]) -> Promise:
    """Return lazy text: the variant of the profile's context, the plain one ("") otherwise."""

    def text() -> str:
        context = get_profile().first_registration_context
        return str(variants.get(context, variants[""]))

    return cast(Promise, lazy(text, str)())


FIRST_REGISTRATION = by_profile(
    {
        "": gettext_lazy("First registration"),
        "kr deed": pgettext_lazy("kr deed", "First registration"),
    }
)
RECORD_FIRST_REGISTRATION = by_profile(
    {
        "": gettext_lazy("Record a first registration"),
        "kr deed": pgettext_lazy("kr deed", "Record a first registration"),
    }
)
# The history's and certificate's word for the deed (lower case, as the others there).
FIRST_REGISTRATION_DEED = by_profile(
    {
        "": pgettext_lazy("deed", "first registration"),
        "kr deed": pgettext_lazy("kr deed", "first registration"),
    }
)
