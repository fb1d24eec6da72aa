"""Reading holders' personal data, and the record that it was read.

The public sees holders masked (transactions.selectors). A signed-in notary or
registrar sees them unmasked on the deed forms and through `/api/parcels/<id>/holders`;
every such showing leaves one PersonalDataAccess row per party shown: who saw what of
whom, when, and on which page (the data protection decree: Nghị định 13/2023/NĐ-CP,
art. 27; PIPA art. 29 in Korea). `current_holders` is the only reader of unmasked
holders, and it writes those rows itself, so no page can show them without the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from transactions.models import Party, PersonalDataAccess, Right
from transactions.shares import Share

# What a deed form and the holders endpoint show of a party.
HOLDER_FIELDS = ("name", "national_id")


@dataclass(frozen=True, slots=True)
class Holder:
    """A current right on a parcel and its holder, unmasked."""

    right_id: int
    kind: str  # of the right: ownership, mortgage, ...
    share: Fraction
    valid_from: dt.date
    party_id: int
    party_kind: str
    name: str
    national_id: str

    @property
    def share_text(self) -> str:
        return Share.text(self.share)


def record_personal_data_access(
    user: AbstractBaseUser | AnonymousUser,
    parties: Iterable[Party | int],
    fields: Sequence[str],
    purpose: str,
) -> list[PersonalDataAccess]:
    """Record that `user` was shown `fields` of each of `parties` (each once) for `purpose`."""
    if not user.is_authenticated:
        # Anonymous users are never shown personal data; a caller that tries is a bug.
        raise ValueError("Personal data is shown to signed-in users only.")
    ids = dict.fromkeys(party if isinstance(party, int) else party.pk for party in parties)
    if not ids:
        return []
    now = timezone.now()
    return PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user_id=user.pk,
            party_id=party_id,
            fields=",".join(fields)[:200],
            purpose=purpose[:200],
            at=now,
        )
        for party_id in ids
    )


def current_holders(
    parcel_id: int,
    *,
    user: AbstractBaseUser | AnonymousUser,
    purpose: str,
    kinds: Sequence[str] = (),
) -> list[Holder]:
    """Return the rights in force on the parcel with their holders unmasked, and record the read.

    Ownership first, then the burdens, each oldest first; `kinds` narrows them. Two
    queries: the rights with their holders, and the audit rows.
    """
    rights = (
        Right.objects.filter(parcel_id=parcel_id, valid_to__isnull=True, voided_by__isnull=True)
        .select_related("holder")
        .order_by("pk")
    )
    if kinds:
        rights = rights.filter(kind__in=kinds)
    order = {kind: position for position, kind in enumerate(Right.Kind.values)}
    holders = sorted(
        (
            Holder(
                right_id=right.pk,
                kind=right.kind,
                share=Share.of(right.share_numerator, right.share_denominator),
                valid_from=right.valid_from,
                party_id=right.holder_id,
                party_kind=right.holder.kind,
                name=right.holder.name,
                national_id=right.holder.national_id or "",
            )
            for right in rights
        ),
        key=lambda holder: order.get(holder.kind, len(order)),
    )
    record_personal_data_access(user, [h.party_id for h in holders], HOLDER_FIELDS, purpose)
    return holders
