"""The register's write side: one function per act, each one durable transaction.

Every act follows the same steps (`_register`):

1. an Idempotency-Key seen before returns the entry it made (or is refused when the
   request differs);
2. the rows of every parcel the deed touches are locked, in id order, so two deeds on
   one parcel run one after the other and two deeds on many parcels cannot deadlock;
3. a deed made against an older state of those parcels (`expected_last_entry`) is
   refused as stale (409), and one dated before a parcel existed is refused (422);
4. the act checks the deed against the register and builds its payload
   (transactions/deeds/payloads.py), refusing with a message a notary can act on; a deed
   is never dated before what it acts on: a right it ends began earlier, the holders
   who grant a mortgage held the land by then, a correction is not older than the
   entry it corrects;
5. the entry is appended to the journal (transactions/journal/append.py) and applied to the
   current-state tables (transactions/journal/projection.py).

Nothing here edits a journal entry: a mistake is corrected by `record_correction`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any, Literal, Protocol

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, WKTWriter
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from landinfo.dates import register_day
from landinfo.formats import register_area, register_number
from landinfo.profiles import InvalidNationalId, InvalidParcelIdentifier, get_profile
from landinfo.profiles.base import LONG_TERM
from landinfo.profiles.text import fold_text, normalize_text, quote_input
from landinfo.sql import table
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from parcels.overlaps import lock_ground, overlaps_with_register, taken_from_register
from transactions import people
from transactions.deeds import payloads
from transactions.deeds.payloads import (
    MORTGAGE,
    OWNERSHIP,
    CorrectionMode,
    NewParcel,
    NewRight,
    Particulars,
    PartyStatement,
    TransferType,
)
from transactions.exceptions import (
    CorrectionRefused,
    DeedConflict,
    DeedRefused,
    IdempotencyKeyReused,
    NotFound,
    ParcelRetired,
    StaleDeed,
    TransferRefused,
    UnreadableInput,
)
from transactions.journal import append as journal
from transactions.journal import projection
from transactions.journal.head import LAST_ENTRY_SQL
from transactions.models import JournalEntry, Party, Right
from transactions.shares import LARGEST_TERM, Share
from transactions.words import deed_label

# The permissions the acts need: every deed but a correction is a notary's.
RECORD = "transactions.record_deed"
CORRECT = "transactions.correct_deed"
# The tolerance of gaps and overlaps between a parent and its children, m², when the
# deed does not state one: a tenth of a square metre, below what a survey resolves.
DEFAULT_SUBDIVISION_TOLERANCE_M2 = Decimal("0.1")
# Boundaries made by deeds are written on a millimetre grid, the same text in the
# payload and in the row, so a replay reproduces the row's coordinates exactly.
_GRID = WKTWriter(dim=2, trim=True, precision=3)
# Deeds whose effect a correction can reverse or amend. Subdivisions and merges are
# undone by a new merge or subdivision, which keeps both parcels' histories.
_CORRECTABLE = {"first_registration", "transfer", "mortgage", "discharge"}
_AMENDABLE = {"first_registration", "transfer"}

# The refusals whose words depend on a code, one whole sentence each (a translator sees
# the sentence, not a word spliced into one), read in the language active at the refusal.
_NO_PRICE = {
    TransferType.GIFT: gettext_lazy("A gift has no price; leave the price empty or 0."),
    TransferType.INHERITANCE: gettext_lazy(
        "An inheritance has no price; leave the price empty or 0."
    ),
}
_NAMES_NONE = {
    "holders": gettext_lazy("The deed names no holders."),
    "recipients": gettext_lazy("The deed names no recipients."),
}
_TWICE = {
    "holders": gettext_lazy("A party appears twice among the holders; give each one share."),
    "recipients": gettext_lazy("A party appears twice among the recipients; give each one share."),
}
_SUM = {
    "holders": gettext_lazy(
        "The holders' shares add up to %(total)s; they must add up to %(whole)s."
    ),
    "recipients": gettext_lazy(
        "The recipients' shares add up to %(total)s; they must add up to %(whole)s."
    ),
}
_TWO_RIGHTS = {
    OWNERSHIP: gettext_lazy(
        "Party %(party)s would hold two ownership rights on parcel %(parcel)s at once: one "
        "from %(since)s (entry #%(entry)s) and this deed's from %(start)s. Check the deed's "
        "date and parties, or correct entry #%(entry)s first."
    ),
    MORTGAGE: gettext_lazy(
        "Party %(party)s would hold two mortgages on parcel %(parcel)s at once: one from "
        "%(since)s (entry #%(entry)s) and this deed's from %(start)s. Check the deed's date "
        "and parties, or correct entry #%(entry)s first."
    ),
}
# What a subdivision's new parcels leave of their parent, or take beyond it.
_GAP = gettext_lazy("a gap of %(area)s")
_OVERLAP = gettext_lazy("an overlap of %(area)s")
_EXCESS = gettext_lazy("an excess of %(area)s")


@dataclass(frozen=True, slots=True)
class DeedInput:
    """What every deed carries besides its own terms."""

    effective_date: dt.date
    recorded_by: AbstractUser
    # The last journal entry that touched the deed's parcels when the notary loaded them
    # (`last_entry` of the parcel sheet, 0 when it had none; for a merge the largest of
    # its parcels'): what the deed acts on. A deed made against another state is stale.
    # Required, without a default: a deed that changes rights must say which state of
    # the register it was made against, or two sales of one parcel both go through.
    expected_last_entry: int
    # The SHA-256 of the signed deed document the notary uploaded ("" when none).
    document_sha256: str = ""
    idempotency_key: str | None = None
    request_sha256: str = ""
    # Filed as an application (transactions.applications): at receipt the deed is checked
    # against the register and not recorded (`check_only`: ChecksPassed rolls its
    # transaction back); at its registration `application` takes its turn among the
    # applications on the deed's parcels and records its decision with the entry.
    check_only: bool = False
    application: ApplicationStep | None = None


class ApplicationStep(Protocol):
    """The application a deed registers (transactions.applications.decisions.Registration)."""

    receipt_number: int

    def take_turn(self, parcels: Sequence[Parcel]) -> None:
        """Refuse unless the application is open and first in the queue of `parcels`."""

    def registered(self, entry: JournalEntry) -> None:
        """Record that the application was registered as `entry`."""


class ChecksPassed(Exception):
    """The deed passed every check of the register (raised by a `check_only` deed)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__("The deed passed the register's checks.")
        self.payload = payload


@dataclass(frozen=True, slots=True)
class PartyInput:
    """A party named by a deed who may not be in the register yet."""

    kind: str  # "" when holder_kind says it
    name: str
    national_id: str = ""
    birth_year: int | None = None
    address: str = ""
    email: str = ""  # contact for alerts; stored on the party, never in the journal
    holder_kind: str = ""  # the profile's kind of holder (landinfo.profiles.base.HolderKind)


# An existing party by id, or one described by the deed.
PartyRef = int | PartyInput


@dataclass(frozen=True, slots=True)
class ChildParcel:
    """A parcel a subdivision makes: its surveyed boundary (any CRS, stated by its SRID)."""

    boundary: GEOSGeometry
    land_use: str = ""  # default: the parent's
    address: str = ""  # default: the parent's


def document_sha256(document: bytes) -> str:
    """Return the hex SHA-256 of a deed document, as the journal entry records it."""
    return hashlib.sha256(document).hexdigest()


# --- the acts ---------------------------------------------------------------------------


def record_first_registration(
    *,
    parcel_id: int,
    holders: Sequence[tuple[PartyRef, Fraction]],
    deed: DeedInput,
    particulars: Particulars | None = None,
    certificate_number: str = "",
) -> JournalEntry:
    """Register the first holders of the land-use right on a parcel nobody holds yet.

    `particulars` are what the certificate states of the right (its origin, term, form
    of use, attached assets, the paper's serial) and `certificate_number` its entry in the
    book of certificates issued; the origin is the profile's for a first
    registration when the deed states none (Korea: 소유권보존).
    """
    stated = particulars or Particulars()
    if not stated.origin:
        stated = stated.replace(origin=get_profile().first_registration_origin)

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        (parcel,) = parcels
        if _current(parcel.pk, OWNERSHIP):
            raise DeedConflict(
                gettext("Parcel %(parcel)s is already registered; record a transfer instead.")
                % {"parcel": parcel.identifier}
            )
        shares = _holders(holders, what="holders", first=True)
        rights = _new_rights(
            [(party.pk, share) for party, share in shares],
            OWNERSHIP,
            _checked(stated, deed.effective_date),
            _certificate_number(certificate_number),
        )
        return payloads.first_registration_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=deed.effective_date,
            rights=rights,
            parties=_statements(party for party, _ in shares),
        )

    return _register(deed, [parcel_id], RECORD, act)


def record_transfer(
    *,
    parcel_id: int,
    recipients: Sequence[tuple[PartyRef, Fraction]],
    transfer_type: TransferType | str,
    price: Decimal | int = 0,
    currency: str | None = None,
    transferors: Sequence[tuple[int, Fraction]],
    deed: DeedInput,
    particulars: Particulars | None = None,
    certificate_number: str = "",
) -> JournalEntry:
    """Register the transfer of a land-use right, whole or a share, to one or more parties.

    `transferors` are (party id, share of the parcel) pairs, each holder who gives
    named with what they give: nobody's land passes without the deed saying whose it
    is. Each share is a fraction of the whole parcel. The recipients' shares must add
    up to what the transferors give; a recipient who already holds a share ends up
    with one right for the sum.

    What the transferors keep keeps its particulars. The recipients' right carries over
    the term, form of use and attached assets of the right it came from (Land Law 2024
    art. 27: the recipient uses the land for the rest of the term), and takes its origin
    from the transfer (the profile's `transfer_origins`: VN "Nhận chuyển nhượng ...",
    KR 매매); what `particulars` states (e.g. the new certificate's serial) wins over
    both, and `certificate_number` is the recipients' certificate's.
    """

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        (parcel,) = parcels
        kind = _transfer_type(transfer_type)
        # One query for both: the holders, and the mortgages that pin them to a day.
        on_parcel = _current(parcel.pk)
        held = {right.holder_id: right for right in on_parcel if right.kind == OWNERSHIP}
        if not held:
            raise TransferRefused(
                gettext(
                    "Parcel %(parcel)s has no registered holder: record its first "
                    "registration before a transfer."
                )
                % {"parcel": parcel.identifier}
            )
        given = _given(parcel, held, transferors)
        received = _holders(recipients, what="recipients", whole=None)
        transferred = _check_received(given, received)
        after, ended = _holders_after(held, given, received)
        rights = _transferred_rights(
            after,
            held,
            given,
            received,
            kind,
            _over(_carried(held[given[0][0]], kind), particulars or Particulars()),
            _certificate_number(certificate_number),
            deed.effective_date,
        )
        price_amount = _price(kind, price)
        _check_after(ended, deed.effective_date)
        _check_no_later_mortgage(
            parcel, [right for right in on_parcel if right.kind == MORTGAGE], deed.effective_date
        )
        parties = _statements(
            [party for party, _ in received]
            + list(Party.objects.filter(pk__in=[h for h in after if h in held]))
        )
        return payloads.transfer_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=deed.effective_date,
            transfer_type=kind,
            price=price_amount,
            currency=currency or get_profile().currency,
            rights_ended=[right.pk for right in ended],
            ended_share=sum((_share(right) for right in ended), Fraction(0)),
            transferred=transferred,
            rights=rights,
            parties=parties,
        )

    return _register(deed, [parcel_id], RECORD, act)


def _carried(source: Right, kind: TransferType) -> Particulars:
    """Return what a transfer's recipients hold of the right `source` they receive from."""
    held = Particulars.of(source)
    return Particulars(
        origin=get_profile().transfer_origins.get(str(kind), ""),
        use_form=held.use_form,
        term=held.term,
        attached_assets=held.attached_assets,
    )


def _transferred_rights(
    after: dict[int, Fraction],
    held: dict[int, Right],
    given: Sequence[tuple[int, Fraction]],
    received: Sequence[tuple[Party, Fraction]],
    kind: TransferType,
    particulars: Particulars,
    certificate_number: str,
    day: dt.date,
) -> list[NewRight]:
    """Return the rights after a transfer: the recipients' with `particulars`, the rest kept.

    A transferor who keeps a share keeps what the certificate states of it.
    """
    recipients = _checked(particulars, day)
    receiving = {party.pk for party, _ in received}
    rights = _new_rights(list(after.items()), OWNERSHIP)
    return [
        dataclasses.replace(right, certificate_number=certificate_number, particulars=recipients)
        if right.holder_id in receiving
        else dataclasses.replace(
            right,
            certificate_number=held[right.holder_id].certificate_number,
            particulars=Particulars.of(held[right.holder_id]),
        )
        for right in rights
    ]


def _over(carried: Particulars, stated: Particulars) -> Particulars:
    """Return `carried` with what the deed states instead, field by field."""
    return Particulars(
        **{
            field: getattr(stated, field) or getattr(carried, field)
            for field in ("origin", "use_form", "term", "attached_assets", "certificate_serial")
        }
    )


def _transfer_type(transfer_type: TransferType | str) -> TransferType:
    try:
        return TransferType(transfer_type)
    except ValueError:
        raise DeedRefused(
            gettext("Unknown transfer type %(type)s: sale, gift or inheritance.")
            % {"type": quote_input(str(transfer_type))}
        ) from None


def _given(
    parcel: Parcel, held: dict[int, Right], transferors: Sequence[tuple[int, Fraction]]
) -> list[tuple[int, Fraction]]:
    """Return what each transferor gives, refusing a share they do not hold."""
    given = [(int(holder), Fraction(share)) for holder, share in transferors]
    if not given:
        raise DeedRefused(gettext("A transfer names at least one transferor."))
    if len({holder for holder, _ in given}) != len(given):
        raise DeedRefused(gettext("A transferor is named twice; give each one share."))
    for holder, share in given:
        if holder not in held:
            raise TransferRefused(
                gettext(
                    "Party %(party)s holds no share of parcel %(parcel)s; reload the parcel "
                    "and check its holders."
                )
                % {"party": holder, "parcel": parcel.identifier}
            )
        if not 0 < share <= _share(held[holder]):
            raise TransferRefused(
                gettext(
                    "Party %(party)s holds %(held)s of parcel %(parcel)s and cannot "
                    "transfer %(share)s."
                )
                % {
                    "party": holder,
                    "held": Share.text(_share(held[holder])),
                    "parcel": parcel.identifier,
                    "share": Share.text(share),
                }
            )
    return given


def _check_received(
    given: Sequence[tuple[int, Fraction]], received: Sequence[tuple[Party, Fraction]]
) -> Fraction:
    """Refuse recipients who do not receive what is given, or who give; return the share."""
    transferred = sum((share for _, share in given), Fraction(0))
    total = sum((share for _, share in received), Fraction(0))
    if total != transferred:
        raise DeedRefused(
            gettext(
                "The recipients' shares add up to %(total)s, but the transferors give "
                "%(given)s; the shares must add up."
            )
            % {"total": Share.text(total), "given": Share.text(transferred)}
        )
    if {holder for holder, _ in given} & {party.pk for party, _ in received}:
        raise DeedRefused(gettext("A party cannot transfer a share to themselves."))
    return transferred


def _holders_after(
    held: dict[int, Right],
    given: Sequence[tuple[int, Fraction]],
    received: Sequence[tuple[Party, Fraction]],
) -> tuple[dict[int, Fraction], list[Right]]:
    """Return the holders after a transfer and the rights it ends.

    What the transferors keep, plus what recipients get on top of what they already held:
    one right each for the sum.
    """
    after: dict[int, Fraction] = {}
    for holder, share in given:
        if _share(held[holder]) > share:
            after[holder] = _share(held[holder]) - share
    for party, share in received:
        after[party.pk] = share + (_share(held[party.pk]) if party.pk in held else 0)
    giving = {holder for holder, _ in given}  # the set's order is the payload's
    ended = [held[holder] for holder in giving] + [
        held[party.pk] for party, _ in received if party.pk in held
    ]
    return after, ended


def _price(kind: TransferType, price: Decimal | int) -> Decimal:
    """Return the price of a sale; refuse a sale without one, or a gift with one."""
    amount = Decimal(price)
    if kind is not TransferType.SALE and amount:
        raise DeedRefused(str(_NO_PRICE[kind]))
    if kind is TransferType.SALE and amount <= 0:
        raise DeedRefused(gettext("A sale states its price."))
    return amount


def record_mortgage(
    *,
    parcel_id: int,
    lender: PartyRef,
    amount: Decimal | int,
    currency: str | None = None,
    deed: DeedInput,
) -> JournalEntry:
    """Register a mortgage of the whole parcel to `lender`, securing `amount`."""

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        (parcel,) = parcels
        owners = _current(parcel.pk, OWNERSHIP)
        if not owners:
            raise DeedConflict(
                gettext("Parcel %(parcel)s has no registered holder to mortgage it.")
                % {"parcel": parcel.identifier}
            )
        # The holders grant the mortgage: not before they held the land (the same day
        # is theirs: a purchase is often financed by a mortgage signed with it).
        _check_not_before(owners, deed.effective_date)
        if Decimal(amount) <= 0:
            raise DeedRefused(gettext("A mortgage states the amount it secures."))
        party = _party(lender)
        if any(right.holder_id == party.pk for right in _current(parcel.pk, MORTGAGE)):
            raise DeedConflict(
                gettext(
                    "%(lender)s already holds a mortgage on parcel %(parcel)s; discharge it "
                    "first or correct it."
                )
                % {"lender": party.name, "parcel": parcel.identifier}
            )
        (right,) = _new_rights([(party.pk, Fraction(1))], MORTGAGE)
        return payloads.mortgage_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=deed.effective_date,
            right=right,
            amount=Decimal(amount),
            currency=currency or get_profile().currency,
            parties=_statements([party]),
        )

    return _register(deed, [parcel_id], RECORD, act)


def record_discharge(*, parcel_id: int, mortgage_id: int, deed: DeedInput) -> JournalEntry:
    """Register the discharge of the mortgage right `mortgage_id` on the parcel.

    The deed names the mortgage it ends, as a transfer names its transferors: "the only
    one" would end whichever mortgage was registered meanwhile.
    """

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        (parcel,) = parcels
        mortgages = [right for right in _current(parcel.pk, MORTGAGE) if right.pk == mortgage_id]
        if not mortgages:
            raise DeedConflict(
                gettext("Parcel %(parcel)s has no current mortgage %(mortgage)s to discharge.")
                % {"parcel": parcel.identifier, "mortgage": mortgage_id}
            )
        _check_after(mortgages, deed.effective_date)
        return payloads.discharge_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=deed.effective_date,
            rights_ended=[mortgages[0].pk],
        )

    return _register(deed, [parcel_id], RECORD, act)


def subdivide_parcel(
    *,
    parcel_id: int,
    children: Sequence[ChildParcel],
    tolerance_m2: Decimal | float | None = None,
    deed: DeedInput,
) -> JournalEntry:
    """Split a parcel into children that cover it, within `tolerance_m2` of gap or overlap.

    The parent is retired, not deleted; the children get new identifiers in its series
    (the profile's numbering), shares of its registered area in proportion to their
    surveyed areas, and copies of its current rights (holders and mortgages).
    """
    tolerance = Decimal(
        str(DEFAULT_SUBDIVISION_TOLERANCE_M2 if tolerance_m2 is None else tolerance_m2)
    )

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        (parent,) = parcels
        if len(children) < 2:
            raise DeedRefused(gettext("A subdivision makes at least two parcels."))
        if tolerance < 0:
            raise DeedRefused(
                gettext("The tolerance is an area, %(zero)s or more.")
                % {"zero": register_area(0, decimals=0)}
            )
        surveyed = [
            _surveyed(child.boundary, gettext("new parcel %(n)s") % {"n": n})
            for n, child in enumerate(children, 1)
        ]
        boundaries = [geometry for geometry, _ in surveyed]
        _check_cover(parent, boundaries, tolerance)
        _check_neighbours(parent, boundaries)
        land_uses = [child.land_use or parent.land_use for child in children]
        _check_land_uses(land_uses)
        identifiers = _new_identifiers(parent.identifier, len(children))
        ids = _next_ids("parcels_parcel", len(children))
        areas = _apportion(parent.registered_area, [b.area for b in boundaries])
        made = [
            NewParcel(
                id=ids[n],
                identifier=identifiers[n],
                admin_unit_id=parent.admin_unit_id,
                land_use=land_uses[n],
                registered_area=areas[n],
                address=_text(
                    child.address,
                    what=gettext("The address of new parcel %(n)s") % {"n": n + 1},
                )
                or parent.address,
                boundary_wkt=surveyed[n][1],
            )
            for n, child in enumerate(children)
        ]
        ended = _current(parent.pk)
        _check_after(ended, deed.effective_date)
        return payloads.subdivision_payload(
            parent_id=parent.pk,
            identifier=parent.identifier,
            effective_date=deed.effective_date,
            children=made,
            tolerance_m2=tolerance,
            rights_ended=[right.pk for right in ended],
            rights=_copied(ended, [child.id for child in made]),
        )

    return _register(deed, [parcel_id], RECORD, act)


def merge_parcels(*, parcel_ids: Sequence[int], deed: DeedInput, address: str = "") -> JournalEntry:
    """Merge adjacent parcels of one unit, land use and holder set into one new parcel."""

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        if len(parcels) < 2:
            raise DeedRefused(gettext("A merge joins two or more parcels."))
        names = ", ".join(parcel.identifier for parcel in parcels)
        if len({parcel.admin_unit_id for parcel in parcels}) > 1:
            raise DeedRefused(
                gettext("Parcels %(parcels)s lie in different units and cannot be merged.")
                % {"parcels": names}
            )
        if len({parcel.land_use for parcel in parcels}) > 1:
            raise DeedRefused(
                gettext("Parcels %(parcels)s have different land uses; change the land use first.")
                % {"parcels": names}
            )
        holder_sets = {
            frozenset((r.holder_id, _share(r)) for r in _current(parcel.pk, OWNERSHIP))
            for parcel in parcels
        }
        if len(holder_sets) > 1:
            raise DeedConflict(
                gettext("Parcels %(parcels)s do not have the same holders with the same shares.")
                % {"parcels": names}
            )
        lender_sets = {
            frozenset(r.holder_id for r in _current(parcel.pk, MORTGAGE)) for parcel in parcels
        }
        if len(lender_sets) > 1:
            raise DeedConflict(
                gettext(
                    "Parcels %(parcels)s are not mortgaged to the same lenders; discharge or "
                    "extend the mortgages first."
                )
                % {"parcels": names}
            )
        union: GEOSGeometry = parcels[0].boundary
        for parcel in parcels[1:]:
            union = union.union(parcel.boundary)
        if union.geom_type != "Polygon" and union.num_geom > 1:
            raise DeedRefused(
                gettext("Parcels %(parcels)s are not adjacent: their union is in pieces.")
                % {"parcels": names}
            )
        _, boundary_wkt = _on_grid(union, gettext("the merged parcel"))
        first = min(parcels, key=lambda parcel: parcel.identifier)
        (merged_id,) = _next_ids("parcels_parcel", 1)
        merged = NewParcel(
            id=merged_id,
            identifier=_new_identifiers(first.identifier, 1)[0],
            admin_unit_id=first.admin_unit_id,
            land_use=first.land_use,
            registered_area=sum((parcel.registered_area for parcel in parcels), Decimal(0)),
            address=_text(address, what=gettext("The address of the merged parcel"))
            or first.address,
            boundary_wkt=boundary_wkt,
        )
        ended = [right for parcel in parcels for right in _current(parcel.pk)]
        _check_after(ended, deed.effective_date)
        # One right per holder (and lender) of the set the parents share, registered on
        # the earliest day the holder's rights on the parents were (latest first, so the
        # earliest stays).
        latest_first = sorted(ended, key=lambda right: right.valid_from, reverse=True)
        kept = {(right.kind, right.holder_id): right for right in latest_first}
        return payloads.merge_payload(
            parent_ids=[parcel.pk for parcel in parcels],
            effective_date=deed.effective_date,
            merged=merged,
            rights_ended=[right.pk for right in ended],
            rights=_copied(list(kept.values()), [merged.id]),
        )

    return _register(deed, list(parcel_ids), RECORD, act)


def record_correction(
    *,
    corrects: int,
    mode: CorrectionMode | str,
    reason: str,
    holders: Sequence[tuple[PartyRef, Fraction]] = (),
    deed: DeedInput,
) -> JournalEntry:
    """Correct entry `corrects` by a new entry: reverse it, or amend its holders and shares.

    The rights the entry began are voided (and, for a reversal, the rights it ended
    are voided and restored as they were), so the register reads as if the deed had
    been right, while "as the register knew it at T" still shows what was recorded.
    A right a later deed changed cannot be corrected here: correct that deed first.
    """
    target = JournalEntry.objects.filter(sequence=corrects).first()
    if target is None:
        raise NotFound(gettext("There is no journal entry #%(entry)s.") % {"entry": corrects})
    # The parcel of a subdivision is retired: such an entry is refused for its kind (in
    # `act`), not as a deed on a retired parcel, so nothing is locked for it.
    parcel_ids = (
        [int(json.loads(target.payload)["parcel"]["id"])] if target.kind in _CORRECTABLE else []
    )

    def act(parcels: list[Parcel]) -> dict[str, Any]:
        how = _check_correctable(target, mode, holders, deed.effective_date)
        (parcel,) = parcels
        begun = _begun_unchanged(target)
        if how is CorrectionMode.REVERSE:
            gone, restored, parties = _reversal(target)
            voided = begun + gone
        else:
            restored, parties = _amendment(target, begun, holders)
            voided = begun
        if not voided:
            raise CorrectionRefused(
                gettext("Entry #%(entry)s left no rights to correct.") % {"entry": target.sequence}
            )
        return payloads.correction_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=deed.effective_date,
            corrects=target.sequence,
            mode=how,
            reason=_text(reason, what="The reason", required=True, max_length=500),
            rights_voided=[right.pk for right in voided],
            rights=restored,
            parties=parties,
        )

    return _register(deed, parcel_ids, CORRECT, act)


def _check_correctable(
    target: JournalEntry,
    mode: CorrectionMode | str,
    holders: Sequence[tuple[PartyRef, Fraction]],
    day: dt.date,
) -> CorrectionMode:
    """Return how `target` is corrected, refusing a correction its kind or date forbids."""
    try:
        how = CorrectionMode(mode)
    except ValueError:
        raise DeedRefused(
            gettext("Unknown correction mode %(mode)s: reverse or amend.")
            % {"mode": quote_input(str(mode))}
        ) from None
    if target.kind not in _CORRECTABLE:
        raise CorrectionRefused(
            gettext(
                "Entry #%(entry)s is a %(kind)s; a subdivision or merge is undone by a new "
                "merge or subdivision, a correction by a new correction of the original entry."
            )
            % {"entry": target.sequence, "kind": deed_label(target.kind)}
        )
    if day < target.effective_date:
        raise DeedRefused(
            gettext(
                "The correction takes effect on %(day)s, before entry #%(entry)s it corrects "
                "(%(entry_day)s); the date must be that day or later."
            )
            % {
                "day": register_day(day),
                "entry": target.sequence,
                "entry_day": register_day(target.effective_date),
            }
        )
    if how is CorrectionMode.REVERSE and holders:
        raise DeedRefused(
            gettext(
                "A reversal restores the holders the entry ended; it names no holders. "
                "Name them with an amendment instead."
            )
        )
    if how is CorrectionMode.AMEND and target.kind not in _AMENDABLE:
        raise CorrectionRefused(
            gettext(
                "Entry #%(entry)s is a %(kind)s: only the holders of a first registration or "
                "transfer are amended; reverse it and record it anew."
            )
            % {"entry": target.sequence, "kind": deed_label(target.kind)}
        )
    return how


def _begun_unchanged(target: JournalEntry) -> list[Right]:
    """Return the rights `target` began, refusing when a later deed changed one."""
    begun = list(Right.objects.filter(begun_by=target).order_by("pk"))
    for right in begun:
        if right.voided_by_id is not None or right.ended_by_id is not None:
            later = right.voided_by_id or right.ended_by_id
            raise CorrectionRefused(
                gettext(
                    "Right %(right)s begun by entry #%(entry)s was changed by entry "
                    "#%(later)s; correct that entry first."
                )
                % {"right": right.pk, "entry": target.sequence, "later": later}
            )
    return begun


def _reversal(target: JournalEntry) -> tuple[list[Right], list[NewRight], list[PartyStatement]]:
    """Return the rights `target` ended, their restored copies, and their holders."""
    gone = list(Right.objects.filter(ended_by=target, voided_by__isnull=True))
    ids = _next_ids("transactions_right", len(gone))
    restored = [
        NewRight(
            id=new_id,
            holder_id=right.holder_id,
            kind=right.kind,
            share=_share(right),
            certificate_number=right.certificate_number,
            valid_from=right.valid_from,
            particulars=Particulars.of(right),
        )
        for new_id, right in zip(ids, sorted(gone, key=lambda r: r.pk), strict=True)
    ]
    parties = _statements(Party.objects.filter(pk__in=[r.holder_id for r in gone]))
    return gone, restored, parties


def _amendment(
    target: JournalEntry, begun: list[Right], holders: Sequence[tuple[PartyRef, Fraction]]
) -> tuple[list[NewRight], list[PartyStatement]]:
    """Return the rights `target` should have begun, from its day, and their holders."""
    whole = sum((_share(right) for right in begun), Fraction(0))
    shares = _holders(
        holders, what="holders", whole=whole, first=target.kind == "first_registration"
    )
    # The amended holders hold the right the entry began, with what its certificate states.
    source = begun[0] if begun else None
    rights = [
        NewRight(
            id=right.id,
            holder_id=right.holder_id,
            kind=OWNERSHIP,
            share=right.share,
            certificate_number=source.certificate_number if source else "",
            valid_from=target.effective_date,
            particulars=Particulars.of(source) if source else None,
        )
        for right in _new_rights([(p.pk, s) for p, s in shares], OWNERSHIP)
    ]
    return rights, _statements(party for party, _ in shares)


# --- the steps every act shares ---------------------------------------------------------


@transaction.atomic(durable=True)
def _register(
    deed: DeedInput,
    parcel_ids: Sequence[int],
    permission: str,
    act: Callable[[list[Parcel]], dict[str, Any]],
) -> JournalEntry:
    if not deed.recorded_by.has_perm(permission):
        raise PermissionDenied(
            gettext("Recording this deed needs the permission %(permission)s.")
            % {"permission": permission}
        )
    if deed.idempotency_key and not deed.check_only:
        earlier = _earlier(deed)
        if earlier is not None:
            return earlier
    if deed.effective_date > timezone.localdate():
        raise DeedRefused(
            gettext(
                "The deed takes effect on %(day)s, after today; record it on or after that day."
            )
            % {"day": register_day(deed.effective_date)}
        )
    parcels = _lock(parcel_ids)
    if deed.application is not None:
        deed.application.take_turn(parcels)
    _check_fresh(parcels, deed)
    _check_parcels_exist(parcels, deed.effective_date)
    payload = act(parcels)
    _check_one_right_at_a_time(payload, deed.effective_date)
    if deed.check_only:
        raise ChecksPassed(payload)
    if deed.application is not None:
        # The entry names the application it registers (a key the replay does not read).
        payload["application"] = deed.application.receipt_number
    try:
        entry = journal.append(
            payload,
            recorded_by=deed.recorded_by,
            document_sha256=deed.document_sha256,
            idempotency_key=deed.idempotency_key or None,
            request_sha256=deed.request_sha256,
        )
    except IntegrityError as error:  # pragma: no cover - the lock above prevents it
        raise DeedConflict(
            gettext("The journal refused the entry: %(error)s") % {"error": error}
        ) from error
    projection.apply(entry, payload)
    if deed.application is not None:
        deed.application.registered(entry)
    return entry


def _earlier(deed: DeedInput) -> JournalEntry | None:
    """Return the entry an earlier request with this Idempotency-Key made, if any.

    Requests with one key wait for each other here (an advisory lock on the key), so
    of twenty at once, one records and nineteen find its entry.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"idempotency:{deed.idempotency_key}"],
        )
    found = list(
        JournalEntry.objects.raw(
            "SELECT * FROM transactions_journalentry WHERE idempotency_key = %s",
            [deed.idempotency_key],
        )
    )
    if not found:
        return None
    (earlier,) = found
    if (
        earlier.request_sha256 != deed.request_sha256
        or earlier.recorded_by_id != deed.recorded_by.pk
    ):
        raise IdempotencyKeyReused(
            gettext(
                "This Idempotency-Key was used for a different request; use a new key for a "
                "new deed."
            )
        )
    earlier.replayed = True  # type: ignore[attr-defined]
    return earlier


def _lock(parcel_ids: Sequence[int]) -> list[Parcel]:
    """Lock the parcels' rows in id order and return them in the order asked.

    In SQL rather than a queryset: it runs on every deed, and compiling the queryset
    cost more than running it (bench/transfers.py).
    """
    wanted = list(dict.fromkeys(int(pk) for pk in parcel_ids))
    found = {
        parcel.pk: parcel
        for parcel in Parcel.objects.raw(
            "SELECT * FROM parcels_parcel WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [wanted]
        )
    }
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise NotFound(
            ngettext(
                "There is no parcel with id %(ids)s.",
                "There are no parcels with ids %(ids)s.",
                len(missing),
            )
            % {"ids": ", ".join(map(str, missing))}
        )
    parcels = [found[pk] for pk in wanted]
    for parcel in parcels:
        if parcel.valid_to is not None:
            raise ParcelRetired(
                gettext(
                    "Parcel %(parcel)s was retired on %(day)s; record the deed on the "
                    "parcels that replaced it."
                )
                % {"parcel": parcel.identifier, "day": register_day(parcel.valid_to)}
            )
    return parcels


_LAST_ENTRY = (
    "SELECT max("  # noqa: S608 - Django's table name and the journal's own fragment
    + LAST_ENTRY_SQL.format(parcel="p.id", made="p.created_by_id", retired="p.retired_by_id")
    + f") FROM {table(Parcel)} p WHERE p.id = ANY(%(ids)s)"
)


def last_entry(parcel_ids: Sequence[int]) -> int | None:
    """Return the sequence of the last journal entry that touched any of the parcels.

    On the primary, in the caller's transaction: the deed checks it under its row locks.
    """
    with connection.cursor() as cursor:
        cursor.execute(_LAST_ENTRY, {"ids": list(parcel_ids)})
        (sequence,) = cursor.fetchone()
    return sequence


def _check_fresh(parcels: list[Parcel], deed: DeedInput) -> None:
    if not parcels:  # a correction of an entry no correction can undo: refused by its act
        return
    now = last_entry([parcel.pk for parcel in parcels])
    if (now or 0) != deed.expected_last_entry:
        names = ", ".join(parcel.identifier for parcel in parcels)
        words = {"parcels": names, "now": now, "expected": deed.expected_last_entry}
        if now is not None and now > deed.expected_last_entry:
            raise StaleDeed(
                ngettext(
                    "Parcel %(parcels)s changed since you loaded it (entry #%(now)s was "
                    "recorded after #%(expected)s); reload it and check the holders.",
                    "Parcels %(parcels)s changed since you loaded them (entry #%(now)s was "
                    "recorded after #%(expected)s); reload them and check the holders.",
                    len(parcels),
                )
                % words
            )
        # Behind the sheet, not ahead of it: the number did not come from this parcel.
        if now is None:
            raise StaleDeed(
                ngettext(
                    "Parcel %(parcels)s was not at entry #%(expected)s (it has no entry yet); "
                    "reload it and check the holders.",
                    "Parcels %(parcels)s were not at entry #%(expected)s (they have no entry "
                    "yet); reload them and check the holders.",
                    len(parcels),
                )
                % words
            )
        raise StaleDeed(
            ngettext(
                "Parcel %(parcels)s was not at entry #%(expected)s (its last entry is "
                "#%(now)s); reload it and check the holders.",
                "Parcels %(parcels)s were not at entry #%(expected)s (their last entry is "
                "#%(now)s); reload them and check the holders.",
                len(parcels),
            )
            % words
        )


def _check_one_right_at_a_time(payload: dict[str, Any], day: dt.date) -> None:
    """Refuse a deed that would give a party two rights of one kind on a parcel at once.

    The exclusion constraint right_no_overlap_same_holder_kind refuses the same rows; this
    says why, before anything is written. Deeds may take effect before earlier-recorded
    ones (a backdated transfer of another share), and a correction restores rights from
    their first day, so a right the party held before, or holds again, can overlap.
    """
    begun = payload["rights_begun"]
    if not begun:
        return
    parcel_id = payload["parcel"]["id"]
    ending = set(payload["rights_ended"])
    held = Right.objects.filter(
        parcel_id__in={right.get("parcel", parcel_id) for right in begun},
        holder_id__in={right["holder"] for right in begun},
        voided_by__isnull=True,
    ).exclude(pk__in=payload.get("rights_voided", []))
    for old in held:
        until = day if old.pk in ending else old.valid_to
        for right in begun:
            if (right.get("parcel", parcel_id), right["holder"], right["kind"]) != (
                old.parcel_id,
                old.holder_id,
                old.kind,
            ):
                continue
            start = dt.date.fromisoformat(right.get("valid_from", day.isoformat()))
            end = dt.date.fromisoformat(right["valid_to"]) if right.get("valid_to") else None
            if (end is None or old.valid_from < end) and (until is None or start < until):
                refusal = CorrectionRefused if payload["kind"] == "correction" else DeedConflict
                raise refusal(
                    str(_TWO_RIGHTS[old.kind])
                    % {
                        "party": old.holder_id,
                        "parcel": payload["parcel"]["identifier"],
                        "since": register_day(old.valid_from),
                        "entry": old.begun_by_id,
                        "start": register_day(start),
                    }
                )


def _check_parcels_exist(parcels: Sequence[Parcel], day: dt.date) -> None:
    """Refuse a deed dated before a parcel it acts on existed (its `valid_from`).

    Every deed, a first registration included: a right cannot be held on land the
    register does not have yet. A parcel's lifespan is the survey's (import_parcels
    --valid-from) or the deed's that made it; a right older than the survey is
    registered after importing the parcels with the day they came to exist in law.
    """
    for parcel in parcels:
        if day < parcel.valid_from:
            raise DeedRefused(
                gettext(
                    "The deed takes effect on %(day)s, but parcel %(parcel)s exists only "
                    "since %(since)s; the date must be that day or later."
                )
                % {
                    "day": register_day(day),
                    "parcel": parcel.identifier,
                    "since": register_day(parcel.valid_from),
                }
            )


def _check_not_before(rights: Sequence[Right], day: dt.date) -> None:
    """Refuse a deed dated before a right it relies on began (a mortgage's holders')."""
    for right in rights:
        if day < right.valid_from:
            raise DeedRefused(
                gettext(
                    "The deed takes effect on %(day)s, but the holders who grant it hold the "
                    "parcel only since %(since)s; the date must be that day or later."
                )
                % {"day": register_day(day), "since": register_day(right.valid_from)}
            )


def _check_no_later_mortgage(parcel: Parcel, mortgages: Sequence[Right], day: dt.date) -> None:
    """Refuse a transfer dated before a mortgage the parcel's holders granted since.

    The holders of the day a mortgage began granted it (record_mortgage checks they held
    the land then). A transfer dated earlier would have them give the land away before
    granting it: the journal would say a mortgage was granted by someone who no longer
    held. Deeds may otherwise take effect before earlier-recorded ones (a late
    registration of another share's sale): only a mortgage pins the holders of its day.
    """
    for mortgage in mortgages:
        if day < mortgage.valid_from:
            raise DeedRefused(
                gettext(
                    "The transfer takes effect on %(day)s, but the holders of parcel "
                    "%(parcel)s granted a mortgage on %(since)s, which a transfer before it "
                    "would take from them; the date must be that day or later."
                )
                % {
                    "day": register_day(day),
                    "parcel": parcel.identifier,
                    "since": register_day(mortgage.valid_from),
                }
            )


def _check_after(rights: Sequence[Right], day: dt.date) -> None:
    """Refuse a deed that would end a right on or before the day it began."""
    for right in rights:
        if day <= right.valid_from:
            raise DeedRefused(
                gettext(
                    "The deed takes effect on %(day)s, but a right it ends began on "
                    "%(since)s; the date must be later."
                )
                % {"day": register_day(day), "since": register_day(right.valid_from)}
            )


def _current(parcel_id: int, kind: str | None = None) -> list[Right]:
    """Return the rights on the parcel that no deed has ended or voided, oldest first."""
    # Every deed runs this on the write path, where compiling the equivalent queryset
    # cost more than running it (bench/transfers.py). Index: right_current.
    return list(
        Right.objects.raw(
            "SELECT * FROM transactions_right WHERE parcel_id = %s AND valid_to IS NULL "
            "AND voided_by_id IS NULL AND (%s::text IS NULL OR kind = %s) ORDER BY id",
            [parcel_id, kind, kind],
        )
    )


def _share(right: Right) -> Share:
    return Share.of(right.share_numerator, right.share_denominator)


def _holders(
    holders: Sequence[tuple[PartyRef, Fraction]],
    *,
    what: Literal["holders", "recipients"],
    whole: Fraction | None = Fraction(1),
    first: bool = False,
) -> list[tuple[Party, Fraction]]:
    """Return the parties and shares of a deed, refusing duplicates and shares that do not add up.

    They hold the land-use right (ownership): the State only where the profile's law lets
    it, and a kind of holder the law keeps only from before (VN households) only by a
    `first` registration of the right they held, or its correction.
    """
    if not holders:
        raise DeedRefused(str(_NAMES_NONE[what]))
    shares = []
    for ref, share in holders:
        share = Fraction(share)
        if not 0 < share <= 1:
            raise DeedRefused(
                gettext("A share is a fraction of the parcel above 0 and at most 1; got %(share)s.")
                % {"share": Share.text(share)}
            )
        party = _party(ref)
        _check_holder(party, first=first)
        shares.append((party, share))
    ids = [party.pk for party, _ in shares]
    if len(set(ids)) != len(ids):
        raise DeedRefused(str(_TWICE[what]))
    total = sum((share for _, share in shares), Fraction(0))
    if whole is not None and total != whole:
        raise DeedRefused(
            str(_SUM[what]) % {"total": Share.text(total), "whole": Share.text(Fraction(whole))}
        )
    return shares


def _check_holder(party: Party, *, first: bool) -> None:
    """Refuse a party the profile's law does not let hold a land-use right by this deed."""
    profile = get_profile()
    if party.kind == Party.Kind.STATE and not profile.state_may_hold:
        # Land Law 2024 art. 4: the State allocates and recognises land, it uses none.
        raise DeedRefused(
            gettext(
                "%(name)s is the State, which is not a land user: it allocates, leases and "
                "recognises land and holds no certificate. Name the organisation that uses "
                "the land."
            )
            % {"name": party.name}
        )
    if first or not party.holder_kind:
        return
    try:
        holder = profile.holder_kind(party.holder_kind)
    except KeyError:
        return  # a kind of another profile's list: the register keeps what was stated
    if not holder.new_holders:
        raise DeedRefused(
            gettext(
                "%(name)s is registered as a %(kind)s, which the law keeps only for rights "
                "held before; a transfer names its members or another holder."
            )
            % {"name": party.name, "kind": gettext(holder.label).lower()}
        )


def _checked(particulars: Particulars, day: dt.date) -> Particulars:
    """Return what a deed states of a right's certificate, refusing what the profile has not.

    Each profile says what its certificate states (landinfo.profiles.base): Vietnam's the
    origin, form of use, term, attached assets and serial (Circular 10/2024/TT-BTNMT),
    Korea's the cause of registration (등기원인) only.
    """
    profile = get_profile()
    refusals = []
    if particulars.origin and particulars.origin not in {o.code for o in profile.right_origins}:
        refusals.append(
            gettext("%(code)s is not an origin of a right in this register (%(known)s).")
            % {
                "code": quote_input(particulars.origin),
                "known": ", ".join(o.code for o in profile.right_origins),
            }
        )
    if particulars.use_form and particulars.use_form not in {u.code for u in profile.use_forms}:
        refusals.append(
            gettext("%(code)s is not a form of use in this register.")
            % {"code": quote_input(particulars.use_form)}
        )
    if particulars.term and not profile.right_terms:
        refusals.append(gettext("A right of this register has no term."))
    if particulars.term not in ("", LONG_TERM) and dt.date.fromisoformat(particulars.term) <= day:
        refusals.append(
            gettext("The term ends on %(end)s, not after the deed takes effect (%(day)s).")
            % {
                "end": register_day(dt.date.fromisoformat(particulars.term)),
                "day": register_day(day),
            }
        )
    if particulars.attached_assets and not profile.attached_assets:
        refusals.append(gettext("This register's certificate states no attached assets."))
    if particulars.certificate_serial and not profile.certificate_serial:
        refusals.append(gettext("This register's certificate has no serial besides its number."))
    if refusals:
        raise DeedRefused(" ".join(refusals))
    return dataclasses.replace(
        particulars,
        attached_assets=_text(
            particulars.attached_assets, what="The attached assets", max_length=500
        ),
        certificate_serial=_text(
            particulars.certificate_serial,
            what="The certificate's serial",
            max_length=32,
        ),
    )


def _certificate_number(text: str) -> str:
    return _text(text, what="The certificate's number", max_length=32)


def _party(ref: PartyRef) -> Party:
    """Return the party `ref` names, making it when the deed describes a new one."""
    if isinstance(ref, int):
        party = Party.objects.filter(pk=ref).first()
        if party is None:
            raise NotFound(gettext("There is no party with id %(id)s.") % {"id": ref})
        return party
    try:
        kind, holder_kind = people.holder_kind(
            ref.holder_kind, kind=ref.kind, birth_year=ref.birth_year
        )
    except people.InvalidHolderKind as error:
        raise DeedRefused(str(error)) from error
    ref = dataclasses.replace(ref, kind=kind, holder_kind=holder_kind)
    try:
        name = people.party_name(ref.name)
        address = people.person_text(ref.address, what="The address", required=False)
        national_id = people.national_id(ref.national_id, kind=ref.kind)
        email = people.email_address(ref.email) if ref.email else ""
    except (people.UnreadableText, InvalidNationalId, people.InvalidEmail) as error:
        raise UnreadableInput(str(error)) from error
    if ref.kind == Party.Kind.PERSON and not national_id:
        raise DeedRefused(
            gettext("%(name)s is a person: the deed needs their national ID number.")
            % {"name": name}
        )
    # One statement makes the party unless its national ID is registered already (the
    # partial unique index party_unique_national_id decides, also against a concurrent
    # deed, which it waits for); no savepoint, no lookup first.
    made = list(
        Party.objects.raw(
            """
            INSERT INTO transactions_party
                (kind, holder_kind, name, national_id, birth_year, address, email)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (national_id) WHERE national_id IS NOT NULL DO NOTHING
            RETURNING *
            """,
            [ref.kind, ref.holder_kind, name, national_id or None, ref.birth_year, address, email],
        )
    )
    if made:
        return made[0]
    existing = Party.objects.get(national_id=national_id)
    if not _same_name(existing.name, name) or existing.kind != ref.kind:
        raise DeedRefused(
            gettext(
                "National ID %(number)s is registered to another party; check the name and "
                "number on the deed."
            )
            % {"number": national_id}
        )
    if ref.holder_kind and existing.holder_kind != ref.holder_kind:
        if existing.holder_kind:
            raise DeedRefused(
                gettext(
                    "National ID %(number)s is registered to a holder of another kind "
                    "(%(kind)s); check the kind on the deed."
                )
                % {"number": national_id, "kind": existing.holder_kind}
            )
        # The first deed to say what kind of holder a party registered before is: this
        # deed's statement of the party says it, and the row follows its last statement.
        Party.objects.filter(pk=existing.pk).update(holder_kind=ref.holder_kind)
        existing.holder_kind = ref.holder_kind
    return existing


def _same_name(stored: str, stated: str) -> bool:
    """Return whether a deed's name is the name the register holds, written alike.

    Word breaks are left out of the comparison: a name stored before invisible
    characters were word breaks ("TrầnAn" from "Trần<ZWJ>An") is the same name.
    """

    def letters(name: str) -> str:
        return "".join(fold_text(normalize_text(name)).split())

    return letters(stored) == letters(stated)


def _text(text: str, *, what: str, required: bool = False, max_length: int = 300) -> str:
    """Return free text of a deed normalised (transactions.people); refuse what cannot be read."""
    try:
        return people.person_text(text, what=what, required=required, max_length=max_length)
    except people.UnreadableText as error:
        raise UnreadableInput(str(error)) from error


def _statements(parties: Any) -> list[PartyStatement]:
    return [
        PartyStatement(party.pk, party.kind, party.name, party.national_id or "", party.holder_kind)
        for party in parties
    ]


def _next_ids(table: str, count: int) -> list[int]:
    """Reserve ids for new rows: a payload names its rows before they are inserted."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _new_rights(
    shares: Sequence[tuple[int, Fraction]],
    kind: str,
    particulars: Particulars | None = None,
    certificate_number: str = "",
) -> list[NewRight]:
    for _, share in shares:
        if share.denominator > LARGEST_TERM:
            raise DeedRefused(
                gettext(
                    "A share of %(share)s is finer than the register can hold; state the "
                    "shares with denominators up to %(largest)s."
                )
                % {"share": Share.text(share), "largest": register_number(LARGEST_TERM)}
            )
    ids = _next_ids("transactions_right", len(shares))
    return [
        NewRight(
            id=right_id,
            holder_id=holder,
            kind=kind,
            share=share,
            certificate_number=certificate_number,
            particulars=particulars,
        )
        for right_id, (holder, share) in zip(ids, shares, strict=True)
    ]


def _copied(rights: Sequence[Right], parcel_ids: Sequence[int]) -> list[NewRight]:
    """Return copies of `rights` on each of the new parcels."""
    ids = iter(_next_ids("transactions_right", len(rights) * len(parcel_ids)))
    return [
        NewRight(
            id=next(ids),
            holder_id=right.holder_id,
            kind=right.kind,
            share=_share(right),
            certificate_number=right.certificate_number,
            parcel_id=parcel_id,
            # The right goes on as it was on each new parcel: its origin and term do not
            # change with the land's boundaries, nor the day it was registered, which ranks
            # a mortgage among the others (Korea's 분필 carries the 등기기록's entries
            # over with their 접수일자: 부동산등기법 제35조; 부동산등기규칙 제76조).
            valid_from=right.valid_from,
            particulars=Particulars.of(right),
        )
        for parcel_id in parcel_ids
        for right in rights
    ]


def _new_identifiers(parent: str, count: int) -> list[str]:
    """Return the next `count` numbers of the parent's series (its sheet, its lot).

    The series is locked for the rest of the deed's transaction first: two deeds on two
    parcels of one sheet each read the last number and took the next, and the second
    failed on the unique identifier. Taken after the parcels' row locks, the lock is
    the last any deed waits for, so no two deeds wait on each other.
    """
    profile = get_profile()
    series = profile.identifier_series(parent)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('landinfo.identifier-series'), hashtext(%s))",
            [series],
        )
    taken = Parcel.objects.filter(identifier__startswith=series).values_list(
        "identifier", flat=True
    )
    try:
        return profile.new_identifiers(parent, [t for t in taken if _in_series(t, series)], count)
    except InvalidParcelIdentifier as error:
        raise DeedRefused(str(error)) from error


def _in_series(identifier: str, series: str) -> bool:
    profile = get_profile()
    try:
        return profile.identifier_series(identifier) == series
    except InvalidParcelIdentifier:
        return False


def _check_land_uses(codes: Sequence[str]) -> None:
    known = get_profile().land_use_codes
    unknown = sorted(set(codes) - known)
    if unknown:
        raise DeedRefused(
            ngettext(
                "Unknown land use %(codes)s; use a code of the list.",
                "Unknown land uses %(codes)s; use codes of the list.",
                len(unknown),
            )
            % {"codes": ", ".join(unknown)}
        )


def _on_grid(geometry: GEOSGeometry, what: str) -> tuple[GEOSGeometry, str]:
    """Return `geometry` (storage CRS) as a MultiPolygon on the millimetre grid, and its WKT."""
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if geometry.geom_type != "MultiPolygon":
        raise DeedRefused(
            gettext("The boundary of %(what)s is a %(type)s, not a polygon.")
            % {"what": what, "type": geometry.geom_type}
        )
    text = _GRID.write(geometry).decode()
    snapped = GEOSGeometry(text, srid=STORAGE_SRID)
    if snapped.empty or not snapped.valid:
        raise DeedRefused(
            gettext(
                "The boundary of %(what)s is not a valid polygon (%(reason)s); redraw it "
                "without crossing edges."
            )
            % {"what": what, "reason": snapped.valid_reason}
        )
    return snapped, text


def _surveyed(boundary: GEOSGeometry, what: str) -> tuple[GEOSGeometry, str]:
    """Return a deed's boundary in the storage CRS, on the grid, refusing what is not one."""
    if not boundary.srid:
        raise DeedRefused(
            gettext("The boundary of %(what)s does not say its coordinate system.") % {"what": what}
        )
    try:
        if not boundary.valid:
            raise DeedRefused(
                gettext("The boundary of %(what)s is not a valid polygon (%(reason)s).")
                % {"what": what, "reason": boundary.valid_reason}
            )
        stored = boundary.transform(STORAGE_SRID, clone=True)
    except (GEOSException, GDALException, ValueError) as error:
        raise DeedRefused(
            gettext("The boundary of %(what)s cannot be read: %(error)s")
            % {"what": what, "error": error}
        ) from error
    return _on_grid(stored, what)


def _check_cover(parent: Parcel, children: Sequence[GEOSGeometry], tolerance: Decimal) -> None:
    """Refuse children that leave a gap in the parent, overlap, or reach outside it."""
    union = children[0]
    for child in children[1:]:
        union = union.union(child)
    gap = Decimal(parent.boundary.difference(union).area)
    outside = Decimal(union.difference(parent.boundary).area)
    overlap = Decimal(sum(child.area for child in children) - union.area)
    problems = [
        str(label) % {"area": register_area(area, decimals=2)}
        for label, area in ((_GAP, gap), (_OVERLAP, overlap), (_EXCESS, outside))
        if area > tolerance
    ]
    if problems:
        raise DeedRefused(
            gettext(
                "The new parcels do not cover parcel %(parcel)s: %(problems)s (tolerance "
                "%(tolerance)s). Redraw the boundaries along the parent's."
            )
            % {
                "parcel": parent.identifier,
                "problems": ", ".join(problems),
                # As the deed states it: 0.1 m² is "0.1", not "0.10".
                "tolerance": register_area(tolerance, decimals=_places(tolerance)),
            }
        )
    for n, child in enumerate(children, 1):
        if child.area <= float(tolerance):
            raise DeedRefused(
                gettext("New parcel %(n)s has no area within the tolerance.") % {"n": n}
            )
    _check_children_apart(parent, children)


def _places(value: Decimal) -> int:
    """Return the decimal places `value` is written with (0.1 → 1, 2 → 0)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_children_apart(parent: Parcel, children: Sequence[GEOSGeometry]) -> None:
    """Refuse two new parcels that share more ground than their map permits between them.

    The deed's tolerance bounds the gaps and overlaps of the cover as a whole; a large
    one stated for a rough survey must not let two children take each other's land:
    they become current parcels, held to the rule any two current parcels are
    (parcels.overlaps: k(M)·√P of the smaller, at the parent's map scale).
    """
    profile = get_profile()
    scale = parent.map_scale or profile.default_map_scale
    boxes = [child.extent for child in children]
    for i, first in enumerate(children):
        for j in range(i + 1, len(children)):
            a, b = boxes[i], boxes[j]
            if a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]:
                continue  # apart, or touching along a side
            second = children[j]
            shared = first.intersection(second).area
            allowed = float(profile.permissible_area_error(min(first.area, second.area), scale))
            if shared > allowed:
                raise DeedRefused(
                    gettext(
                        "New parcels %(first)s and %(second)s overlap by %(shared)s, "
                        "beyond the %(allowed)s their map permits between two parcels, "
                        "whatever tolerance the deed states. Redraw their shared side."
                    )
                    % {
                        "first": i + 1,
                        "second": j + 1,
                        "shared": register_area(shared, decimals=2),
                        "allowed": register_area(allowed, decimals=2),
                    }
                )


def _check_neighbours(parent: Parcel, children: Sequence[GEOSGeometry]) -> None:
    """Refuse children that take a current neighbour's ground beyond what the maps permit.

    Each child is held to the tolerance of its pair with the neighbour, and all of them
    together, with what current parcels already overlap of it, to the neighbour's own
    (parcels.overlaps). Only the part of a child beyond
    its parent is new ground: what the parent already shared with a neighbour (a sliver
    of the survey) is not the deed's doing. That part is at most the deed's stated
    tolerance, which may be large: the neighbour's ground passes only by the neighbour's
    own deed.
    """
    beyond = [child.difference(parent.boundary) for child in children]
    reaching = [n for n, part in enumerate(beyond) if part.area > 0]
    if not reaching:
        return
    # Two deeds reaching into one neighbour at once would each measure it without the
    # other's children; they, and imports, measure one at a time. Taken after the row
    # locks and before the series lock (_new_identifiers), as every deed takes them.
    lock_ground()
    parts = [beyond[n] for n in reaching]
    _check_each_neighbour(parent, parts, [children[n].area for n in reaching], reaching)
    _check_neighbours_whole(parent, parts, reaching)


def _check_each_neighbour(
    parent: Parcel, parts: list[GEOSGeometry], areas: list[float], reaching: list[int]
) -> None:
    """Refuse a child that takes more of one neighbour than their pair's tolerance."""
    found = overlaps_with_register(
        parts, areas=areas, map_scale=parent.map_scale, exclude=[parent.pk]
    )
    if not found:
        return
    first = found[0]
    raise DeedRefused(
        gettext(
            "New parcel %(n)s reaches %(area)s into parcel %(neighbour)s, beyond "
            "the %(tolerance)s its map permits: a neighbour's land passes only by a "
            "deed on that parcel. Redraw the boundaries along the parent's."
        )
        % {
            "n": reaching[first.part] + 1,
            "area": register_area(first.area, decimals=2),
            "neighbour": first.identifier,
            "tolerance": register_area(first.tolerance, decimals=2),
        }
    )


def _check_neighbours_whole(parent: Parcel, parts: list[GEOSGeometry], reaching: list[int]) -> None:
    """Refuse children that together take more of a neighbour than its own tolerance.

    Each under its pair's tolerance, narrow pieces may still take, together, more of a
    neighbour than its map permits (parcels.overlaps): the deed answers for them all,
    and for what current parcels already overlap of the neighbour, else a run of deeds,
    each within its own allowance, takes what no one deed may.
    """
    taken = taken_from_register(parts, map_scale=parent.map_scale, exclude=[parent.pk])
    if not taken:
        return
    most = taken[0]
    numbers = ", ".join(str(reaching[part] + 1) for part in most.parts)
    if not most.already:
        raise DeedRefused(
            gettext(
                "New parcels %(parts)s together take %(area)s of parcel %(neighbour)s, "
                "beyond the %(tolerance)s its map permits for it: a neighbour's land "
                "passes only by a deed on that parcel. Redraw the boundaries along the "
                "parent's."
            )
            % {
                "parts": numbers,
                "area": register_area(most.area, decimals=2),
                "neighbour": most.identifier,
                "tolerance": register_area(most.tolerance, decimals=2),
            }
        )
    raise DeedRefused(
        gettext(
            "New parcels %(parts)s take ground of parcel %(neighbour)s, which would then "
            "have lost %(area)s in all, %(already)s of it already to current "
            "parcels, beyond the %(tolerance)s its map permits for it: a neighbour's "
            "land passes only by a deed on that parcel. Redraw the boundaries along the "
            "parent's."
        )
        % {
            "parts": numbers,
            "area": register_area(most.area, decimals=2),
            "already": register_area(most.already, decimals=2),
            "neighbour": most.identifier,
            "tolerance": register_area(most.tolerance, decimals=2),
        }
    )


def _apportion(total: Decimal, areas: Sequence[float]) -> list[Decimal]:
    """Split `total` (m², 2 decimals) in proportion to `areas`; the parts sum to it exactly."""
    cent = Decimal("0.01")
    whole = sum(areas)
    parts = [
        (Decimal(total) * Decimal(area) / Decimal(whole)).quantize(cent, ROUND_HALF_EVEN)
        for area in areas
    ]
    largest = max(range(len(parts)), key=lambda n: areas[n])
    parts[largest] += Decimal(total) - sum(parts)
    if any(part <= 0 for part in parts):
        raise DeedRefused(gettext("A new parcel would have no registered area."))
    return parts


__all__ = [
    "ChildParcel",
    "DeedInput",
    "PartyInput",
    "PartyRef",
    "document_sha256",
    "last_entry",
    "merge_parcels",
    "record_correction",
    "record_discharge",
    "record_first_registration",
    "record_mortgage",
    "record_transfer",
    "subdivide_parcel",
]
