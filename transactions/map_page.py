"""What rights and deeds add to the map page (parcels.views.contribute_to_map).

The sheet's endpoints (the parcel at a point, its sheet, history and certificate), and,
for a notary or registrar, the deed forms the parcel sheet offers ("Record a deed").
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.urls import reverse

from parcels.views import url_template
from transactions.deeds.kinds import deed_links
from transactions.deeds.services import RECORD


def map_contribution(user: AbstractUser | AnonymousUser | None) -> dict[str, Any]:
    """Return the sheet's endpoints; and the deed forms `user` may open, for a page's user."""
    contribution: dict[str, Any] = {
        "urls": {
            "at": reverse("transactions:at-point"),
            "detail": url_template("transactions:detail", "pk"),
            "history": url_template("transactions:history", "pk"),
            "certificate": url_template("transactions:certificate", "pk"),
            "alerts": reverse("alerts:subscribe"),
        }
    }
    if user is not None:
        contribution["deeds"] = deed_forms(user)
    return contribution


def deed_forms(user: AbstractUser | AnonymousUser) -> dict[str, str] | None:
    """Return the deed forms `user` may open, by kind, in the order the sheet lists them;
    None for everyone who records no deeds (the public, planners, auditors).
    """
    if not user.has_perm(RECORD):
        return None
    return {link["kind"]: link["url"] for link in deed_links(user)}
