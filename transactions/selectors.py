"""Read side of rights and the journal, as the public may see them: a parcel's sheet
(the parcel with its rights in force and the journal's last entry on it), its history.

Every holder leaves here masked (`transactions.masking`); party rows are read with
their name and kind only, so a national ID, a birth year or an address never leaves
the database on these paths.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from landinfo import sql
from landinfo.profiles import get_profile
from landinfo.profiles.base import LONG_TERM
from parcels.models import Parcel, ParcelLineage
from parcels.selectors import (
    ParcelRef,
    ParcelSheet,
    parcel_ref,
    sheet_from_row,
    sheet_parameters,
    sheet_row,
    sheet_statement,
)
from transactions.journal.head import LAST_ENTRY_SQL
from transactions.masking import mask_party_name
from transactions.models import Application, JournalEntry, Right
from transactions.shares import Share
from transactions.words import ENTRY_KINDS, TRANSFER_TYPES, choice_label, word

# The order rights are listed in on a parcel sheet: what the land is, then what burdens it.
_KIND_ORDER = {kind: position for position, kind in enumerate(Right.Kind.values)}
# The fields of a right and its holder that the public sees; nothing else is read.
_PUBLIC_RIGHT_FIELDS = (
    "kind",
    "share_numerator",
    "share_denominator",
    "valid_from",
    "valid_to",
    "begun_by_id",
    "ended_by_id",
    "voided_by_id",
    "holder__name",
    "holder__kind",
)


class PublicHolder(TypedDict):
    name: str  # masked for a person, in full for an organisation or the State
    kind: str
    holder_kind: str  # the profile's code ("" when not stated)
    holder_kind_label: str  # its name in the request's language


class PublicRight(TypedDict):
    kind: str
    share: str  # "n/d" as registered
    holder: PublicHolder
    valid_from: str
    valid_to: str | None
    # What the certificate states of the right, codes with their names in the request's
    # language ("" / None when not stated). The certificate's serial and number are not
    # here: they identify the holder's paper, which the public has no use for and which
    # a forger would (they stay on the certificate and in the notary's pages).
    origin: str
    origin_label: str
    use_form: str
    use_form_label: str
    term: str | None  # "long_term", or the last day of use "YYYY-MM-DD"
    attached_assets: str


class HistoryEntry(TypedDict):
    sequence: int
    kind: str
    effective_date: str
    recorded_at: str
    summary: str
    transfer_type: str | None  # sale, gift, inheritance: for transfers only
    holders_before: list[str]  # masked, one per party (two persons may mask alike)
    holders_after: list[str]
    made_from: list[str]  # identifiers of the parcels a subdivision or merge made this one from
    made_into: list[str]  # identifiers of the parcels it made from this one


class Timeline(TypedDict):
    entries: list[HistoryEntry]
    rights: list[PublicRight]


class PendingApplication(TypedDict):
    receipt_number: int
    kind: str
    received_at: str
    status: str


def pending_applications(rows: Any) -> list[PendingApplication]:
    """Return the sheet's undecided applications, their times in ISO 8601 with the offset."""
    found = json.loads(rows) if isinstance(rows, str) else rows
    return [
        {
            "receipt_number": row["receipt_number"],
            "kind": row["kind"],
            "received_at": dt.datetime.fromisoformat(row["received_at"]).isoformat(),
            "status": row["status"],
        }
        for row in found
    ]


class Sheet(ParcelSheet):
    """The parcel sheet of the API: the parcel's, with its rights and the journal's news."""

    rights: list[PublicRight]
    known_at: str | None
    last_entry: int | None  # the deed a new deed on this parcel follows (expected_last_entry)
    pending_applications: list[PendingApplication]
    also_at_point: NotRequired[list[int]]


class ParcelHistory(TypedDict):
    parcel: ParcelRef
    as_of: str | None
    known_at: str | None
    entries: list[HistoryEntry]
    rights: list[PublicRight]


# The rights on the parcel whose id is `{parcel}` in force on %(day)s, as the register
# now knows them (voided rights never were), as the text of a JSON array: an expression
# to embed in a query on parcels (the parcel sheet is one statement, held to a few
# milliseconds; see parcels.selectors). Only what the public sees is read from the
# party. Index: transactions_right_parcel_id_470fd6a1.
RIGHTS_AS_OF_JSON = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'kind', r.kind,
               'numerator', r.share_numerator,
               'denominator', r.share_denominator,
               'valid_from', r.valid_from,
               'valid_to', r.valid_to,
               'holder_name', h.name,
               'holder_kind', h.kind,
               'holder_holder_kind', h.holder_kind,
               'origin', r.origin,
               'use_form', r.use_form,
               'long_term', r.long_term,
               'term_end', r.term_end,
               'attached_assets', r.attached_assets
           ) ORDER BY r.valid_from, r.id), '[]')::text
    FROM transactions_right r
    JOIN transactions_party h ON h.id = r.holder_id
    WHERE r.parcel_id = {parcel} AND r.voided_by_id IS NULL
      AND {alive}
)""".replace("{alive}", sql.alive("r"))

# The same, as the register knew it at %(known_at)s (the second timeline): a right
# counts once the entry that began it was recorded, until the entry that voided it
# was; its end counts once the entry that ended it was recorded.
RIGHTS_KNOWN_AT_JSON = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'kind', r.kind,
               'numerator', r.share_numerator,
               'denominator', r.share_denominator,
               'valid_from', r.valid_from,
               'valid_to', CASE WHEN e.recorded_at > %(known_at)s THEN NULL ELSE r.valid_to END,
               'holder_name', h.name,
               'holder_kind', h.kind,
               'holder_holder_kind', h.holder_kind,
               'origin', r.origin,
               'use_form', r.use_form,
               'long_term', r.long_term,
               'term_end', r.term_end,
               'attached_assets', r.attached_assets
           ) ORDER BY r.valid_from, r.id), '[]')::text
    FROM transactions_right r
    JOIN transactions_party h ON h.id = r.holder_id
    JOIN transactions_journalentry b ON b.sequence = r.begun_by_id
    LEFT JOIN transactions_journalentry e ON e.sequence = r.ended_by_id
    LEFT JOIN transactions_journalentry v ON v.sequence = r.voided_by_id
    WHERE r.parcel_id = {parcel}
      AND b.recorded_at <= %(known_at)s
      AND (v.recorded_at IS NULL OR v.recorded_at > %(known_at)s)
      AND r.valid_from <= %(day)s
      AND (r.valid_to IS NULL OR r.valid_to > %(day)s OR e.recorded_at > %(known_at)s)
)"""


def rights_as_of(
    parcel_id: int, *, as_of: dt.date | None = None, known_at: dt.datetime | None = None
) -> list[PublicRight]:
    """Return the rights on the parcel in force on `as_of` (today when None), holders masked.

    "Today" rather than "not ended": a lease registered with its end date is in force
    until that date, though its `valid_to` is set. With `known_at`, as the register
    knew them at that moment (before later deeds and corrections were recorded);
    otherwise as it knows them now. One query.
    """
    rights = RIGHTS_KNOWN_AT_JSON if known_at is not None else RIGHTS_AS_OF_JSON
    with sql.read_cursor(Right) as cursor:
        cursor.execute(
            f"SELECT {rights.format(parcel='%(parcel)s')}",
            {"parcel": parcel_id, "day": as_of or timezone.localdate(), "known_at": known_at},
        )
        (text,) = cursor.fetchone()
    return public_rights(text)


def public_rights(rights_json: str) -> list[PublicRight]:
    """Return the rights selected by RIGHTS_AS_OF_JSON as the public sees them."""
    profile = get_profile()
    rights: list[PublicRight] = [
        {
            "kind": right["kind"],
            "share": Share.as_registered(right["numerator"], right["denominator"]),
            "holder": {
                "name": mask_party_name(right["holder_name"], right["holder_kind"]),
                "kind": right["holder_kind"],
                "holder_kind": right["holder_holder_kind"],
                "holder_kind_label": choice_label(
                    profile.holder_kinds, right["holder_holder_kind"]
                ),
            },
            "valid_from": right["valid_from"],
            "valid_to": right["valid_to"],
            "origin": right["origin"],
            "origin_label": choice_label(profile.right_origins, right["origin"]),
            "use_form": right["use_form"],
            "use_form_label": choice_label(profile.use_forms, right["use_form"]),
            "term": LONG_TERM if right["long_term"] else right["term_end"],
            "attached_assets": right["attached_assets"],
        }
        for right in json.loads(rights_json)
    ]
    # Stable sort: within a kind, the order of the query (oldest first).
    return sorted(rights, key=lambda right: _KIND_ORDER.get(right["kind"], len(_KIND_ORDER)))


# The last entry that touched the parcel `p`: a deed sends it back as expected_last_entry.
# Always the present.
_LAST_ENTRY = LAST_ENTRY_SQL.format(
    parcel="p.id", made="p.created_by_id", retired="p.retired_by_id"
)

# The applications filed on the parcel `p` and not decided yet, in order of receipt: what
# a Korean 등기사항증명서 marks as "신청사건 처리중". Always the present (GIN on parcels).
_PENDING = f"""(
    SELECT coalesce(json_agg(json_build_object(
               'receipt_number', a.receipt_number, 'kind', a.kind,
               'received_at', a.received_at, 'status', a.status)
           ORDER BY a.receipt_number), '[]'::json)
    FROM {sql.table(Application)} a
    WHERE a.parcels @> ARRAY[p.id]::bigint[] AND a.status IN ('received', 'on_hold'))"""  # noqa: S608

# What the journal adds to the parcels' sheet statement (parcels.selectors.sheet_statement).
_SHEET = sheet_statement(
    "sheet",
    f""",
       {RIGHTS_AS_OF_JSON.format(parcel="p.id")} AS rights,
       {_LAST_ENTRY} AS last_entry,
       {_PENDING} AS pending_applications""",
)
# The sheet as the register knew it at a moment (the second timeline): rights recorded
# by then, and when the register learnt that the parcel was made and retired.
_SHEET_KNOWN_AT = sheet_statement(
    "sheet_known_at",
    f""",
       {RIGHTS_KNOWN_AT_JSON.format(parcel="p.id")} AS rights,
       {_LAST_ENTRY} AS last_entry,
       {_PENDING} AS pending_applications,
       (SELECT recorded_at FROM transactions_journalentry WHERE sequence = p.created_by_id)
           AS created_recorded_at,
       (SELECT recorded_at FROM transactions_journalentry WHERE sequence = p.retired_by_id)
           AS retired_recorded_at""",  # noqa: S608 - SQL of this module only
    {"known_at": "timestamptz"},
)


def parcel_sheet(
    pk: int, *, as_of: dt.date | None = None, known_at: dt.datetime | None = None
) -> Sheet | None:
    """Return the parcel sheet as it stood on `as_of` (today when None).

    None when no parcel has `pk` or it did not exist yet on `as_of`. Zoning in force
    on the day, prices of the day's year and before, rights in force on the day,
    lineage both ways. With `known_at`, the rights and the parcel's making and
    retirement as the register knew them at that moment (None when the deed that made
    the parcel was recorded later). `last_entry` is always the present one. One query.
    """
    parameters = sheet_parameters(pk, as_of)
    if known_at is None:
        row = sheet_row(_SHEET, parameters)
    else:
        row = sheet_row(_SHEET_KNOWN_AT, parameters | {"known_at": known_at})
    if row is None:
        return None
    valid_to = row["valid_to"]
    if known_at is not None:
        if row["created_recorded_at"] is not None and row["created_recorded_at"] > known_at:
            return None  # made by a deed the register had not recorded yet
        if row["retired_recorded_at"] is not None and row["retired_recorded_at"] > known_at:
            valid_to = None  # its retirement was not known yet
    parcel = sheet_from_row(row, as_of=as_of, valid_to=valid_to)
    # In the order the API has always given: rights after prices, the journal's after as_of.
    sheet: dict[str, Any] = {}
    for key, value in parcel.items():
        if key == "parents":
            sheet["rights"] = public_rights(row["rights"])
        sheet[key] = value
        if key == "as_of":
            sheet["known_at"] = known_at.isoformat() if known_at else None
            sheet["last_entry"] = row["last_entry"]
            sheet["pending_applications"] = pending_applications(row["pending_applications"])
    return sheet  # type: ignore[return-value]  # a Sheet, built in its key order


def parcel_history(
    pk: int, *, as_of: dt.date | None = None, known_at: dt.datetime | None = None
) -> ParcelHistory | None:
    """Return the deeds that touched the parcel, oldest first, and its rights on `as_of`.

    With `known_at`, only the deeds recorded by then, and the rights as the register
    knew them at that moment. None when no parcel has `pk`. Five queries, whatever
    the length of the history.
    """
    row = Parcel.objects.filter(pk=pk).values("id", "identifier").first()
    if row is None:
        return None
    timeline = parcel_timeline(pk, as_of=as_of, known_at=known_at)
    return {
        "parcel": parcel_ref(get_profile(), row["id"], row["identifier"]),
        "as_of": as_of.isoformat() if as_of else None,
        "known_at": known_at.isoformat() if known_at else None,
        "entries": timeline["entries"],
        "rights": timeline["rights"],
    }


def parcel_timeline(
    parcel_id: int,
    *,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    through: int | None = None,
) -> Timeline:
    """Return the deeds that touched the parcel, oldest first, and its rights on `as_of`.

    A deed touched the parcel if it began, ended or voided a right on it, or made or
    retired the parcel (a subdivision or merge, through the lineage). With `as_of`,
    only deeds in effect by then (effective_date ≤ as_of) are listed; with `known_at`,
    only deeds the register had recorded by then; with `through`, only entries up to
    that sequence (a certificate's journal position). Four queries, whatever the
    length of the history.
    """
    begun, ended, lineage_by_entry = _what_entries_did(parcel_id)
    sequences = set(begun) | set(ended) | set(lineage_by_entry)
    entries = JournalEntry.objects.filter(sequence__in=sequences).only(
        "sequence", "kind", "effective_date", "recorded_at", "payload"
    )
    if as_of is not None:
        entries = entries.filter(effective_date__lte=as_of)
    if known_at is not None:
        entries = entries.filter(recorded_at__lte=known_at)
    if through is not None:
        entries = entries.filter(sequence__lte=through)
    return {
        "entries": [
            _history_entry(
                entry,
                parcel_id=parcel_id,
                before=ended[entry.sequence],
                after=begun[entry.sequence],
                lineage=lineage_by_entry[entry.sequence],
            )
            for entry in (entries.order_by("effective_date", "sequence") if sequences else [])
        ],
        "rights": rights_as_of(parcel_id, as_of=as_of, known_at=known_at),
    }


def _what_entries_did(
    parcel_id: int,
) -> tuple[dict[int, list[Right]], dict[int, list[Right]], dict[int, list[Mapping[str, Any]]]]:
    """Return, by journal entry: the rights on the parcel it began, those it ended or voided,
    and the lineage it made (subdivisions and merges). Two queries.
    """
    rights = list(
        Right.objects.filter(parcel_id=parcel_id)
        .select_related("holder")
        .only(*_PUBLIC_RIGHT_FIELDS)
        .order_by("pk")
    )
    lineage = list(
        ParcelLineage.objects.filter(Q(parent_id=parcel_id) | Q(child_id=parcel_id))
        .filter(entry__isnull=False)
        .values("entry_id", "parent_id", "child_id", "parent__identifier", "child__identifier")
    )
    begun: dict[int, list[Right]] = defaultdict(list)
    ended: dict[int, list[Right]] = defaultdict(list)
    for right in rights:
        begun[right.begun_by_id].append(right)
        if right.ended_by_id is not None:
            ended[right.ended_by_id].append(right)
        if right.voided_by_id is not None:
            # What a correction undid reads, for that entry, as holders before it.
            ended[right.voided_by_id].append(right)
    lineage_by_entry: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for edge in lineage:
        lineage_by_entry[edge["entry_id"]].append(edge)
    return begun, ended, lineage_by_entry


def _masked_holders(rights: list[Right]) -> list[str]:
    """Return the masked name of each party holding one of `rights`, once, in order.

    One name per party, not per masked name: several persons may mask alike (two
    "Nguyễn V. A."), and each is a holder the history counts. A party with two of the
    rights (land and a mortgage on it) is one holder.
    """
    parties = {right.holder_id: right.holder for right in rights}
    return [mask_party_name(party.name, party.kind) for party in parties.values()]


def _history_entry(
    entry: JournalEntry,
    *,
    parcel_id: int,
    before: list[Right],
    after: list[Right],
    lineage: list[Mapping[str, Any]],
) -> HistoryEntry:
    holders_before = _masked_holders(before)
    holders_after = _masked_holders(after)
    transfer_type = _transfer_type(entry)
    made_from = sorted(e["parent__identifier"] for e in lineage if e["child_id"] == parcel_id)
    made_into = sorted(e["child__identifier"] for e in lineage if e["parent_id"] == parcel_id)
    return {
        "sequence": entry.sequence,
        "kind": entry.kind,
        "effective_date": entry.effective_date.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "summary": _summary(
            entry, transfer_type, holders_before, holders_after, made_from, made_into
        ),
        "transfer_type": transfer_type,
        "holders_before": holders_before,
        "holders_after": holders_after,
        "made_from": made_from,
        "made_into": made_into,
    }


def _transfer_type(entry: JournalEntry) -> str | None:
    """Return the kind of transfer (sale, gift, inheritance) a transfer deed recorded."""
    if entry.kind != JournalEntry.Kind.TRANSFER:
        return None
    transfer_type = json.loads(entry.payload).get("transfer_type")
    return str(transfer_type) if transfer_type else None


def _summary(
    entry: JournalEntry,
    transfer_type: str | None,
    holders_before: list[str],
    holders_after: list[str],
    made_from: list[str],
    made_into: list[str],
) -> str:
    """Return one line, in the active language, that says what the deed did to this parcel.

    E.g. "Sale: 2 holders → 1 holder", "Subdivision: into 3 parcels"; in Vietnamese
    "Chuyển nhượng: 2 người → 1 người", in Korean "매매: 2명 → 1명". A transfer is named
    by its kind (a sale, a gift), as the land office names the contract. No journal
    number: the entry's `sequence` is beside it for whoever needs the proof.
    """
    label = word(ENTRY_KINDS, entry.kind)
    if transfer_type:
        label = word(TRANSFER_TYPES, transfer_type)
    elif entry.kind == JournalEntry.Kind.CORRECTION:
        mode = json.loads(entry.payload).get("mode")
        if mode in _CORRECTION_MODES:
            label = str(_CORRECTION_MODES[mode])
    if made_from:
        detail = _parcels(
            made_from,
            _("from %(parcel)s"),
            ngettext("from %(count)s parcel", "from %(count)s parcels", len(made_from)),
        )
    elif made_into:
        detail = _parcels(
            made_into,
            _("into %(parcel)s"),
            ngettext("into %(count)s parcel", "into %(count)s parcels", len(made_into)),
        )
    elif holders_before and holders_after:
        detail = _("%(before)s → %(after)s") % {
            "before": _holders(len(holders_before)),
            "after": _holders(len(holders_after)),
        }
    elif holders_after:
        detail = _holders(len(holders_after))
    elif holders_before:
        detail = _("%(holders)s released") % {"holders": _holders(len(holders_before))}
    else:
        return capfirst(label)
    return _("%(deed)s: %(detail)s") % {"deed": capfirst(label), "detail": detail}


# What a correction did, in place of "correction": the deed undone, or its holders amended.
_CORRECTION_MODES = {
    "reverse": pgettext_lazy("deed", "correction (deed undone)"),
    "amend": pgettext_lazy("deed", "correction (holders amended)"),
}


def _holders(count: int) -> str:
    """Return "3 holders" in the active language ("3 người", "3명")."""
    return ngettext("%(count)s holder", "%(count)s holders", count) % {"count": count}


def _parcels(identifiers: list[str], one: str, many: str) -> str:
    """Return "from 12-3" for one parcel, "from 3 parcels" for several."""
    if len(identifiers) == 1:
        return one % {"parcel": identifiers[0]}
    return many % {"count": len(identifiers)}
