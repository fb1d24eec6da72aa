"""The kinds of deed, one row each: every piece that differs from one kind to the next.

In the manner of contrib.gis's `gis_operators`, a table of small declarative objects
instead of `if kind == ...` in each place that cares: the deed API reads a body with
the kind's serializer and checks its permission (transactions.deeds.submit), records
it by the kind's act (transactions.deeds.acts), and documents the kinds in its schema;
the notary pages take the kind's form, its page and its label, and list the pages a
user may open.

A new kind of deed is a row here, with its own serializer, act, form and page, and
its path in transactions/urls.py; and, since it is a new act of the register: its
`JournalEntry.Kind` (a migration), its payload (deeds/payloads.py), its service
function (deeds/services.py), how the journal's verification replays it
(journal/verify.py) and how a certificate's history names it (certificates/issue.py).

The order of the rows is the API's (its schema lists the kinds so, the register's
acts from a parcel's first registration on); `menu` orders the pages offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy, pgettext_lazy

from transactions.deeds import acts, forms, serializers
from transactions.deeds.services import CORRECT, RECORD, DeedInput
from transactions.models import JournalEntry

if TYPE_CHECKING:
    from transactions.deeds.pages import DeedPage

_NOTARIES = gettext_lazy("Recording deeds is for notaries.")


@dataclass(frozen=True, slots=True)
class DeedKind:
    """What makes one kind of deed: how it is read, recorded, typed, shown and allowed."""

    # Reads the JSON body; names the kind (`kind_name`, the schema's discriminator).
    serializer: type[serializers.DeedSerializer]
    # Records the checked terms as one journal entry.
    act: Callable[[dict[str, Any], DeedInput], JournalEntry]
    form: type[forms.DeedForm]
    # The page's class by its dotted path: pages read this table (the pages a user may
    # open), so the table names them as Django's settings name views, without importing.
    page: str
    permission: str
    forbidden: Promise  # why a user without the permission is refused (403)
    label: Promise  # the kind as the pages name it, in the language of the request
    url: str  # the page's URL name
    menu: int  # its place among the pages offered: the common deeds first

    @property
    def name(self) -> str:
        """Return the kind's name: the API's `kind`, the journal entry's."""
        return self.serializer.kind_name

    @property
    def page_class(self) -> type[DeedPage]:
        """Return the class of the kind's page (imported when first asked for)."""
        page: type[DeedPage] = import_string(self.page)
        return page


KINDS: dict[str, DeedKind] = {
    kind.name: kind
    for kind in (
        DeedKind(
            serializer=serializers.FirstRegistrationSerializer,
            act=acts.first_registration,
            form=forms.FirstRegistrationForm,
            page="transactions.deeds.pages.FirstRegistrationPage",
            permission=RECORD,
            forbidden=_NOTARIES,
            label=gettext_lazy("First registration"),
            url="transactions:deed-first-registration",
            menu=6,
        ),
        DeedKind(
            serializer=serializers.TransferSerializer,
            act=acts.transfer,
            form=forms.TransferForm,
            page="transactions.deeds.pages.TransferPage",
            permission=RECORD,
            forbidden=_NOTARIES,
            label=gettext_lazy("Transfer"),
            url="transactions:deed-transfer",
            menu=1,
        ),
        DeedKind(
            serializer=serializers.MortgageSerializer,
            act=acts.mortgage,
            form=forms.MortgageForm,
            page="transactions.deeds.pages.MortgagePage",
            permission=RECORD,
            forbidden=_NOTARIES,
            # The deed that registers a mortgage, not the right (as the map says it).
            label=pgettext_lazy("deed", "Mortgage"),
            url="transactions:deed-mortgage",
            menu=2,
        ),
        DeedKind(
            serializer=serializers.DischargeSerializer,
            act=acts.discharge,
            form=forms.DischargeForm,
            page="transactions.deeds.pages.DischargePage",
            permission=RECORD,
            forbidden=_NOTARIES,
            label=gettext_lazy("Mortgage discharge"),
            url="transactions:deed-discharge",
            menu=3,
        ),
        DeedKind(
            serializer=serializers.SubdivisionSerializer,
            act=acts.subdivision,
            form=forms.SubdivisionForm,
            page="transactions.deeds.pages.SubdivisionPage",
            permission=RECORD,
            forbidden=_NOTARIES,
            label=gettext_lazy("Subdivision"),
            url="transactions:deed-subdivision",
            menu=4,
        ),
        DeedKind(
            serializer=serializers.MergeSerializer,
            act=acts.merge,
            form=forms.MergeForm,
            page="transactions.deeds.pages.MergePage",
            permission=RECORD,
            forbidden=_NOTARIES,
            label=gettext_lazy("Merge"),
            url="transactions:deed-merge",
            menu=5,
        ),
        DeedKind(
            serializer=serializers.CorrectionSerializer,
            act=acts.correction,
            form=forms.CorrectionForm,
            page="transactions.deeds.pages.CorrectionPage",
            permission=CORRECT,
            forbidden=gettext_lazy("Corrections are recorded by registrars."),
            label=gettext_lazy("Correction"),
            url="transactions:deed-correction",
            menu=7,
        ),
    )
}


def deed_links(user: Any, parcel_id: int | None = None) -> list[dict[str, str]]:
    """Return the deed pages `user` may open, each for the parcel when one is given."""
    suffix = f"?parcel={parcel_id}" if parcel_id else ""
    return [
        {"kind": kind.name, "label": str(kind.label), "url": reverse(kind.url) + suffix}
        for kind in sorted(KINDS.values(), key=lambda kind: kind.menu)
        if user.has_perm(kind.permission)
    ]


def labels() -> dict[str, str]:
    """Return the kinds of deed as the pages name them, in the language of the request."""
    return {name: str(kind.label) for name, kind in KINDS.items()}
