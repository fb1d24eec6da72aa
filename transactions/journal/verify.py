"""Verify the journal: its hash chain, its signed checkpoints, and its replay.

Three readings of one journal, each catching what the others cannot:

1. The chain. Entries are streamed in sequence order (a server-side cursor: memory
   stays flat in the journal's length). Each must follow the one before it without a
   gap, name its hash as `prev_hash`, hash to its `entry_hash`, hold a canonical
   payload whose kind and effective date are those of its columns, and be recorded
   no earlier than the entry before it. An edit, a deletion or a reordering of
   entries breaks the chain at the first entry touched.
2. The checkpoints. A rewrite of the tail that recomputes every hash passes (1); the
   signed checkpoints (transactions/journal/checkpoints.py) do not: the entry at each
   checkpoint's size must still have the hash the checkpoint signed. The Merkle tree
   (transactions/journal/tree.py) is recomputed from the entries as they stream by:
   every stored tile hash must be the one the entries make, and every C2SP checkpoint
   must carry the log's valid signature over the root the entries make at its size,
   and valid cosignatures of the witnesses it counts. Each checkpoint's root being the
   current journal's is its inclusion and consistency proof at once: all of them are
   prefixes of one tree, the one the journal holds.
3. The replay. Every payload is applied, in order, to an in-memory register by this
   module's own reading of the rules in the transactions/deeds/payloads.py docstring (it
   does not import transactions/journal/projection.py: two independent readings, so a mistake
   in either shows), checking each entry against the register it finds: a right
   ended or voided exists and is open, a parcel retired is current, new ids are
   unused, the ownership shares of each parcel it touches sum to 0 or 1. A deed dated
   before what it acts on (a right before its parcel, a mortgage before its grantors'
   rights, a correction before the entry it corrects; a survey parcel's first day is
   read from its table) is named in the notes: refused by the services today, it may
   stand in a journal an older release wrote, and no entry is ever rewritten. The
   result is loaded into temporary tables (COPY) and compared with the current-state
   tables in SQL, both ways (EXCEPT): every right, every parcel a deed made or
   retired, every lineage edge a deed drew, and every party a deed stated (national
   IDs by their digits and letters, whatever their spelling).

Everything is read in one REPEATABLE READ transaction, so deeds recorded meanwhile
neither appear half-way nor make the tables differ from the journal read.

A problem is reported against the entry it implicates: the lowest-numbered entry
involved, so the first line of a report names where to look first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from landinfo.sql import table
from landinfo.srid import STORAGE_SRID
from transactions.journal import checkpoints, hashing, merkle, notes, tree
from transactions.models import Checkpoint, TreeHash

# Rows fetched per round trip from the journal's cursor, and sent per COPY.
_CHUNK = 5_000
# Failures kept in a report (all are counted); differing rows described per table.
MAX_FAILURES = 1_000
_MISDATED_SHOWN = 20
_DIFF_ROWS = 10
_OWNERSHIP = "ownership"


@dataclass(frozen=True, slots=True)
class Failure:
    """One problem, named by the entry it implicates."""

    sequence: int
    message: str

    def __str__(self) -> str:
        return f"entry #{self.sequence}: {self.message}"


@dataclass(slots=True)
class Report:
    """What a verification found and how long it took."""

    entries: int = 0
    checkpoints: int = 0
    # The largest checkpoint that matches, and the entries after it: not yet anchored.
    anchored: int = 0
    unanchored: int = 0
    # The Merkle tree: stored tile hashes compared, C2SP checkpoints and cosignatures checked.
    tiles: int = 0
    checkpoint_notes: int = 0
    cosignatures: int = 0
    replayed: bool = False
    rows_compared: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def fail(self, sequence: int, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(Failure(sequence, message))

    def first_failures(self) -> list[Failure]:
        """Return the failures kept, lowest entry first (stable for one entry)."""
        return sorted(self.failures, key=lambda failure: failure.sequence)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "anchored": self.anchored,
            "unanchored": self.unanchored,
            "tiles": self.tiles,
            "checkpoint_notes": self.checkpoint_notes,
            "cosignatures": self.cosignatures,
            "replayed": self.replayed,
            "rows_compared": self.rows_compared,
            "seconds": round(self.seconds, 3),
            "failure_count": self.failure_count,
            "failures": [dataclasses.asdict(failure) for failure in self.first_failures()],
            "notes": self.notes,
        }


def verify(*, replay: bool = True, using: str = DEFAULT_DB_ALIAS, quorum: int = 0) -> Report:
    """Check the journal's chain, its checkpoints and (with `replay`) its projection.

    A C2SP checkpoint with fewer than `quorum` valid witness cosignatures anchors nothing:
    its signer alone vouches for it, and the signer is who a rewrite would be made by.
    """
    started = time.perf_counter()
    report = Report()
    connection = connections[using]
    keys = checkpoints.public_keys()
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost:
            # One snapshot for the journal, the checkpoints and the tables.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        marks = list(Checkpoint.objects.using(using).order_by("size", "signed_at"))
        chain = _Chain(report, {mark.size for mark in marks})
        merkle_tree = _Tree(report, {mark.size for mark in marks if mark.note}, connection)
        register = _Register(report) if replay else None
        for row in _journal(connection):
            payload = chain.check(row)
            merkle_tree.add(row[0], row[8])
            if register is not None:
                register.apply(row[0], payload)
        report.entries = chain.count
        merkle_tree.finish()
        witnesses = _witnesses(report)
        cosigned = {mark.pk: _cosignatures(mark, witnesses) for mark in marks if mark.note}
        unwitnessed = {pk for pk, found in cosigned.items() if found.valid < quorum}
        _check_checkpoints(report, marks, keys, chain, unwitnessed)
        _check_notes(
            report, [mark for mark in marks if mark.note], keys, merkle_tree, cosigned, witnesses
        )
        if register is not None:
            if register.stopped_at is None:
                register.compare(connection)
                report.replayed = True
            else:
                report.notes.append(
                    f"The replay stopped at entry #{register.stopped_at}; the tables were "
                    "not compared."
                )
    report.seconds = time.perf_counter() - started
    return report


_JOURNAL = (
    "SELECT sequence, kind, payload, effective_date, recorded_at, recorded_by_id, "
    "document_sha256, prev_hash, entry_hash FROM transactions_journalentry ORDER BY sequence"
)


def _journal(connection: BaseDatabaseWrapper) -> Iterator[tuple[Any, ...]]:
    """Yield the journal's rows in sequence order through a server-side cursor."""
    connection.ensure_connection()
    with connection.connection.cursor(name="landinfo_verify_journal") as cursor:
        cursor.itersize = _CHUNK
        cursor.execute(_JOURNAL)
        yield from cursor


# --- 1. the chain -----------------------------------------------------------------------


class _Chain:
    """Check each entry against the one before it, and keep the hashes checkpoints name."""

    def __init__(self, report: Report, sizes: set[int]) -> None:
        self.report = report
        self.sizes = sizes
        self.hash_at: dict[int, str] = {}
        self.count = 0
        self.last = 0
        self.last_hash = hashing.GENESIS_HASH
        self.last_recorded_at: dt.datetime | None = None

    def check(self, row: tuple[Any, ...]) -> dict[str, Any] | None:
        """Check one entry; return its payload, or None when it cannot be read."""
        (sequence, kind, text, effective_date, recorded_at, recorded_by, document, prev, own) = row
        fail = self.report.fail
        self.count += 1
        gap = sequence != self.last + 1
        if gap:
            missing = (
                f"#{self.last + 1}"
                if sequence == self.last + 2
                else f"#{self.last + 1} to #{sequence - 1}"
            )
            where = f"after #{self.last}" if self.last else "at the start"
            fail(self.last + 1, f"missing: the journal skips {missing} {where}")
        if prev != self.last_hash and not gap:
            fail(
                sequence,
                f"prev_hash is not the hash of entry #{self.last}"
                if self.last
                else "prev_hash of the first entry is not the genesis hash",
            )
        recomputed = hashing.entry_hash(
            prev,
            sequence,
            text,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
            document_sha256=document,
        )
        if recomputed != own:
            fail(
                sequence,
                "its content does not hash to its entry_hash: the payload, position, time, "
                "author or document hash changed after it was recorded",
            )
        if self.last_recorded_at is not None and recorded_at < self.last_recorded_at:
            fail(
                sequence,
                f"recorded at {hashing.hashed_time(recorded_at)}, before entry #{self.last} "
                f"({hashing.hashed_time(self.last_recorded_at)}): recording time went back",
            )
        payload = _payload(sequence, text, kind, effective_date, self.report)
        if sequence in self.sizes:
            self.hash_at[sequence] = own
        self.last, self.last_hash, self.last_recorded_at = sequence, own, recorded_at
        return payload


def _payload(
    sequence: int, text: str, kind: str, effective_date: dt.date, report: Report
) -> dict[str, Any] | None:
    """Return the entry's payload after checking its form against its columns."""
    try:
        payload = json.loads(text)
    except ValueError:
        report.fail(sequence, "the payload is not JSON")
        return None
    if not isinstance(payload, dict):
        report.fail(sequence, "the payload is not a JSON object")
        return None
    try:
        canonical = hashing.canonical_json(payload) == text
    except ValueError:  # NaN or infinity: never canonical
        canonical = False
    if not canonical:
        report.fail(sequence, "the payload is not canonical JSON (sorted keys, no spaces)")
    if payload.get("kind") != kind:
        report.fail(sequence, f"its kind column says {kind!r}, its payload {payload.get('kind')!r}")
    if payload.get("effective_date") != effective_date.isoformat():
        report.fail(
            sequence,
            f"its effective_date column says {effective_date.isoformat()}, its payload "
            f"{payload.get('effective_date')!r}",
        )
    return payload


# --- 2. the checkpoints -------------------------------------------------------------------


def _check_checkpoints(
    report: Report,
    marks: Sequence[Checkpoint],
    keys: Mapping[str, Ed25519PublicKey],
    chain: _Chain,
    unwitnessed: set[int],
) -> None:
    """Check each checkpoint's signature, and that the journal still has the head it signed.

    Checkpoints in `unwitnessed` (ids) are checked but anchor nothing.
    """
    report.checkpoints = len(marks)
    if marks and not keys:
        report.notes.append(
            "No public key is configured (LANDINFO_SIGNING_KEY_FILE, LANDINFO_VERIFY_KEY_FILES): "
            "no checkpoint can be verified."
        )
    good = 0
    first_bad: Checkpoint | None = None
    later_bad = 0
    for mark in marks:
        signed = hashing.hashed_time(mark.signed_at)
        if mark.key_id not in keys:
            report.fail(
                mark.size,
                f"the checkpoint signed at {signed} names key {mark.key_id[:16]}…, which is "
                "not among the known public keys (add it to LANDINFO_VERIFY_KEY_FILES)",
            )
            continue
        if not checkpoints.verify_signature(mark, keys):
            report.fail(
                mark.size,
                f"the checkpoint of #{mark.size} signed at {signed} has an invalid signature: "
                "it was altered or forged",
            )
            continue
        actual = chain.hash_at.get(mark.size) if mark.size else hashing.GENESIS_HASH
        if actual == mark.head_hash:
            if mark.pk not in unwitnessed:
                good = max(good, mark.size)
            continue
        if first_bad is not None:
            later_bad += 1
            continue
        first_bad = mark
        if mark.size > chain.last:
            what = (
                f"entries up to #{mark.size} no longer match the checkpoint signed at "
                f"{signed}: the journal ends at #{chain.last}; entries after #{good} were "
                "deleted or rewritten"
            )
        else:
            what = (
                f"entries up to #{mark.size} no longer match the checkpoint signed at "
                f"{signed}; the journal was rewritten after #{good}"
            )
        report.fail(mark.size, what)
    if later_bad:
        report.notes.append(f"{later_bad} later checkpoint(s) fail as well (the same rewrite).")
    report.anchored = good
    report.unanchored = max(chain.last - good, 0)


class _Tree:
    """Rebuild the Merkle tree from the entries as they stream by, in O(log n) memory
    (beside the stored tile hashes it compares, one per 256 entries).

    `stack` holds the roots of the perfect subtrees of the leaves so far, largest first
    (a compact range); each one completing a tile is compared with the stored hash.
    """

    def __init__(self, report: Report, sizes: set[int], connection: BaseDatabaseWrapper) -> None:
        self.report = report
        self.sizes = sizes
        self.root_at: dict[int, bytes] = {}
        self.stack: list[tuple[int, bytes]] = []  # (tree level, hash)
        self.count = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT level, index, hash FROM {table(TreeHash)}")  # noqa: S608
            self.stored = {(level, index): bytes(value) for level, index, value in cursor}

    def add(self, sequence: int, entry_hash: str) -> None:
        if sequence != self.count + 1:  # a gap: the chain has reported it
            return
        self.count = sequence
        level, value = 0, tree.leaf(entry_hash)
        while self.stack and self.stack[-1][0] == level:
            value = merkle.node_hash(self.stack.pop()[1], value)
            level += 1
            if level % tree.TILE_HEIGHT == 0:
                self._compare(level // tree.TILE_HEIGHT, (sequence >> level) - 1, value)
        self.stack.append((level, value))
        if sequence in self.sizes:
            self.root_at[sequence] = self.root()

    def _compare(self, tile_level: int, index: int, value: bytes) -> None:
        self.report.tiles += 1
        stored = self.stored.pop((tile_level, index), None)
        first = index * tree.TILE_WIDTH**tile_level + 1
        if stored is None:
            self.report.fail(
                first,
                f"the Merkle tree lacks the hash of tile {tile_level}/{index} (entries "
                f"#{first} on): the tree is behind the journal",
            )
        elif stored != value:
            self.report.fail(
                first,
                f"the Merkle tree's stored hash of tile {tile_level}/{index} (entries #{first} "
                "on) is not the one the entries make: the tree or the journal was altered",
            )

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = merkle.node_hash(left, value)
        return value

    def finish(self) -> None:
        for tile_level, index in sorted(self.stored):
            self.report.fail(
                index * tree.TILE_WIDTH**tile_level + 1,
                f"the Merkle tree stores tile {tile_level}/{index}, beyond the journal's "
                f"{self.count} entries: entries were deleted, or the tree was forged",
            )


def _check_notes(
    report: Report,
    marks: Sequence[Checkpoint],
    keys: Mapping[str, Ed25519PublicKey],
    merkle_tree: _Tree,
    cosigned: Mapping[int, _Cosigned],
    witnesses: Sequence[notes.Verifier],
) -> None:
    """Check each C2SP checkpoint: the log's signature, its root, the witnesses' cosignatures."""
    later_bad = 0  # roots after the first that the journal no longer makes: the same rewrite
    origins: set[str] = set()
    for mark in marks:
        signed = hashing.hashed_time(mark.signed_at)
        where = f"the C2SP checkpoint of #{mark.size} signed at {signed}"
        try:
            body = notes.parse_checkpoint(notes.split_note(mark.note)[0])
            log_keys = [notes.Verifier(body.origin, notes.ED25519, key) for key in keys.values()]
            notes.open_note(mark.note, log_keys)
        except notes.NoteError as error:
            report.fail(mark.size, f"{where} does not verify with the log's keys: {error}")
            continue
        report.checkpoint_notes += 1
        origins.add(body.origin)
        actual = merkle.EMPTY_ROOT if mark.size == 0 else merkle_tree.root_at.get(mark.size)
        if body.size != mark.size or body.root.hex() != mark.root_hash:
            report.fail(mark.size, f"{where} states another size or root than its row")
        elif body.root != actual:
            if later_bad:
                later_bad += 1
            else:
                later_bad = 1
                report.fail(
                    mark.size,
                    f"{where} signed a Merkle root the journal's first {mark.size} entries no "
                    "longer make: the journal was rewritten or forked since"
                    if actual is not None
                    else f"{where} covers entries the journal no longer has",
                )
        _check_cosignatures(report, mark, cosigned[mark.pk], known=bool(witnesses), where=where)
    if later_bad > 1:
        report.notes.append(
            f"{later_bad - 1} later C2SP checkpoint(s) fail as well (the same rewrite)."
        )
    if len(origins) > 1:
        report.notes.append(
            f"The C2SP checkpoints name {len(origins)} origins ({', '.join(sorted(origins))}): "
            "a log's origin never changes (LANDINFO_LOG_ORIGIN); witnesses of one do not "
            "vouch for the others."
        )


class _Cosigned(NamedTuple):
    valid: int  # witnesses this register knows whose cosignature verifies
    errors: list[str]  # cosignatures by a known witness that do not verify


def _cosignatures(mark: Checkpoint, witnesses: Sequence[notes.Verifier]) -> _Cosigned:
    """Return which of the witnesses this register knows validly cosigned `mark`'s note."""
    try:
        text, signatures = notes.split_note(mark.note)
    except notes.NoteError:
        return _Cosigned(0, [])  # _check_notes reports the note itself
    valid: set[str] = set()
    errors = []
    for signature in signatures:
        for witness in witnesses:
            if signature.made_by(witness):
                try:
                    notes.verify_cosignature(text, signature.line, witness)
                except notes.NoteError as error:
                    errors.append(str(error))
                else:
                    valid.add(witness.vkey)
    return _Cosigned(len(valid), errors)


def _witnesses(report: Report) -> list[notes.Verifier]:
    found = []
    for item in settings.LANDINFO.get("WITNESSES", []):
        try:
            found.append(notes.parse_vkey(item.split()[-1]))
        except (notes.NoteError, IndexError) as error:
            report.notes.append(f"The witness {item!r} in LANDINFO_WITNESSES is not read: {error}")
    return found


def _check_cosignatures(
    report: Report, mark: Checkpoint, cosigned: _Cosigned, *, known: bool, where: str
) -> None:
    """Report the bad cosignatures of a checkpoint, and a count its row overstates."""
    for error in cosigned.errors:
        report.fail(mark.size, f"{where} carries a bad cosignature: {error}")
    report.cosignatures += cosigned.valid
    if known and cosigned.valid < mark.cosignatures:
        report.fail(
            mark.size,
            f"{where} counts {mark.cosignatures} cosignatures, but {cosigned.valid} verify "
            "with the witnesses' keys (LANDINFO_WITNESSES)",
        )


# --- 3. the replay --------------------------------------------------------------------------


@dataclass(slots=True)
class _Right:
    parcel: int
    holder: int
    kind: str
    share: tuple[int, int]  # numerator, denominator in lowest terms, as the table has them
    certificate: str
    # origin, use_form, long_term ("t"/"f" as COPY writes it), term_end, attached_assets,
    # certificate_serial: what the certificate states, "" / "f" / None when not stated
    particulars: tuple[str, str, str, str | None, str, str]
    valid_from: str
    valid_to: str | None
    begun_by: int
    ended_by: int | None = None
    voided_by: int | None = None


@dataclass(slots=True)
class _Parcel:
    """A parcel a deed made (every field) or retired (a survey parcel: lifespan only)."""

    made: dict[str, Any] | None  # the payload's parcel; None for a survey parcel
    valid_from: str | None
    created_by: int | None
    valid_to: str | None = None
    retired_by: int | None = None


class _Refused(Exception):
    """An entry the register it finds cannot take."""


class _Register:
    """The register as the journal alone describes it, rebuilt entry by entry."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.rights: dict[int, _Right] = {}
        # Open, non-voided ownership rights of each parcel: right id -> share.
        self.owners: dict[int, dict[int, tuple[int, int]]] = {}
        self.parcels: dict[int, _Parcel] = {}
        self.lineage: list[tuple[int, int, int]] = []
        # The last statement of each party: kind, name, national id, holder kind, stating entry.
        self.parties: dict[int, tuple[str, str, str, str, int]] = {}
        self.stopped_at: int | None = None
        self.misdated = 0  # entries dated before what they act on (notes, not failures)
        # The rights the entry being replayed ended (its sequence, them): what it may carry
        # over onto the parcels it makes (_carried_over).
        self.ended: tuple[int, list[_Right]] = (0, [])
        self.mortgages: dict[int, list[int]] = {}  # every mortgage right of each parcel

    def apply(self, sequence: int, payload: dict[str, Any] | None) -> None:
        """Apply one entry; at the first it cannot take, stop and report it."""
        if self.stopped_at is not None:
            return
        if payload is None:  # the chain check reported it
            self.stopped_at = sequence
            return
        try:
            self._apply(sequence, payload)
            return
        except _Refused as refusal:
            problem = str(refusal)
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as error:
            problem = f"the replay cannot read its payload ({type(error).__name__}: {error})"
        self.report.fail(sequence, problem)
        self.stopped_at = sequence

    def _apply(self, sequence: int, payload: dict[str, Any]) -> None:
        """Apply one entry's payload, raising _Refused at the first thing it cannot take."""
        day = _date(payload["effective_date"])
        deed_parcel = int(payload["parcel"]["id"])
        corrects = payload.get("corrects")
        touched: set[int] = set()
        for right_id in payload.get("rights_voided", []):
            touched.add(self._void(sequence, right_id, corrects, day))
        if payload.get("kind") == "transfer":
            self._check_mortgages_since(sequence, deed_parcel, day)
        for right_id in payload["rights_ended"]:
            touched.add(self._end(sequence, right_id, day))
        retired = [int(parcel_id) for parcel_id in payload.get("parcels_retired", [])]
        for parcel_id in retired:
            self._retire(sequence, parcel_id, day)
        created = [self._make(sequence, made, day) for made in payload.get("parcels_created", [])]
        touched.update(retired, created)
        self.lineage.extend((parent, child, sequence) for parent in retired for child in created)
        for begun in payload["rights_begun"]:
            if payload.get("kind") == "mortgage":
                self._check_grantors(sequence, begun, deed_parcel, day)
            self._begin(sequence, begun, deed_parcel, day)
            touched.add(int(begun.get("parcel", deed_parcel)))
        for party in payload.get("parties", []):
            self.parties[int(party["id"])] = (
                str(party["kind"]),
                str(party["name"]),
                str(party["national_id"]),
                str(party.get("holder_kind", "")),  # stated by deeds since 0008
                sequence,
            )
        for parcel_id in sorted(touched):
            self._check_shares(parcel_id)

    def _void(self, sequence: int, right_id: int, corrects: int | None, day: str) -> int:
        """Void a right (a correction); return its parcel."""
        right = self._right(right_id, "voids")
        if right.voided_by is not None:
            raise _Refused(f"voids right {right_id}, which entry #{right.voided_by} voided")
        # The corrected entry's date is the day its rights began or ended.
        corrected_on = (
            right.valid_from
            if right.begun_by == corrects
            else right.valid_to
            if right.ended_by == corrects
            else None
        )
        if corrected_on is not None and day < corrected_on:
            self._misdated(
                sequence,
                f"corrects entry #{corrects} of {corrected_on} on {day}, an earlier day",
            )
        right.voided_by = sequence
        self._close(right_id, right)
        return right.parcel

    def _end(self, sequence: int, right_id: int, day: str) -> int:
        """End an open right on `day`; return its parcel."""
        right = self._right(right_id, "ends")
        if right.voided_by is not None:
            raise _Refused(f"ends right {right_id}, which entry #{right.voided_by} voided")
        if right.valid_to is not None:
            by = f"entry #{right.ended_by}" if right.ended_by else "the deed that began it"
            raise _Refused(f"ends right {right_id}, which {by} ended on {right.valid_to}")
        if day <= right.valid_from:
            raise _Refused(
                f"ends right {right_id} on {day}, not after it began ({right.valid_from})"
            )
        right.valid_to, right.ended_by = day, sequence
        if self.ended[0] != sequence:
            self.ended = (sequence, [])
        self.ended[1].append(right)
        self._close(right_id, right)
        return right.parcel

    def _retire(self, sequence: int, parcel_id: int, day: str) -> None:
        parcel = self.parcels.get(parcel_id)
        if parcel is None:
            # A parcel of the survey: the comparison checks that the table has it.
            parcel = self.parcels[parcel_id] = _Parcel(None, None, None)
        elif parcel.retired_by is not None:
            raise _Refused(f"retires parcel {parcel_id}, which entry #{parcel.retired_by} retired")
        elif parcel.valid_from is not None and day < parcel.valid_from:
            raise _Refused(
                f"retires parcel {parcel_id} on {day}, before entry #{parcel.created_by} "
                f"made it ({parcel.valid_from})"
            )
        parcel.valid_to, parcel.retired_by = day, sequence

    def _make(self, sequence: int, made: dict[str, Any], day: str) -> int:
        """Add a parcel a deed made; return its id."""
        parcel_id = int(made["id"])
        if parcel_id in self.parcels:
            earlier = self.parcels[parcel_id]
            used = earlier.created_by or earlier.retired_by
            raise _Refused(f"makes parcel {parcel_id}, an id entry #{used} already used")
        _check_made(made)
        self.parcels[parcel_id] = _Parcel(made, day, sequence)
        return parcel_id

    def _check_shares(self, parcel_id: int) -> None:
        """Refuse an entry that leaves a parcel's ownership shares summing to neither 0 nor 1."""
        # Integers, not Fractions: the sum is 0 or 1 exactly when numerator is 0 or den.
        numerator, denominator = 0, 1
        for n, d in self.owners.get(parcel_id, {}).values():
            numerator, denominator = numerator * d + n * denominator, denominator * d
        if numerator and numerator != denominator:
            raise _Refused(
                f"leaves the ownership shares of parcel {parcel_id} summing to "
                f"{Fraction(numerator, denominator)}, not 1 (nor 0)"
            )

    def _right(self, right_id: int, verb: str) -> _Right:
        right = self.rights.get(int(right_id))
        if right is None:
            raise _Refused(f"{verb} right {right_id}, which no earlier entry began")
        return right

    def _check_grantors(
        self, sequence: int, begun: dict[str, Any], deed_parcel: int, day: str
    ) -> None:
        """Note a mortgage dated before its grantors, the parcel's holders, held it."""
        parcel_id = int(begun.get("parcel", deed_parcel))
        for right_id in self.owners.get(parcel_id, {}):
            held_from = self.rights[right_id].valid_from
            if day < held_from:
                self._misdated(
                    sequence,
                    f"mortgages parcel {parcel_id} on {day}, before its holder's right "
                    f"{right_id} began ({held_from})",
                )

    def _check_mortgages_since(self, sequence: int, parcel_id: int, day: str) -> None:
        """Note a transfer dated before a mortgage its parcel's holders granted since."""
        for right_id in self.mortgages.get(parcel_id, ()):
            right = self.rights[right_id]
            if right.valid_to is None and right.voided_by is None and day < right.valid_from:
                self._misdated(
                    sequence,
                    f"transfers parcel {parcel_id} on {day}, before its holders granted "
                    f"mortgage right {right_id} ({right.valid_from})",
                )

    def _carried_over(
        self, sequence: int, parcel: _Parcel, begun: dict[str, Any], valid_from: str
    ) -> bool:
        """Return whether a right on a parcel this entry made is one it carried over.

        A subdivision or merge copies each right of the parcels it retires onto those it
        makes, registered on the day the right was (a mortgage keeps its rank): such a
        copy begins before its parcel existed, on the day of a right of the same holder
        and kind that this very entry ended.
        """
        if parcel.created_by != sequence or self.ended[0] != sequence:
            return False
        return any(
            right.holder == int(begun["holder"])
            and right.kind == begun["kind"]
            and right.valid_from == valid_from
            for right in self.ended[1]
        )

    def _misdated(self, sequence: int, message: str) -> None:
        """Note a deed dated before what it acts on, without failing the journal.

        The services refuse such dates (transactions/deeds/services.py), but releases before
        them recorded some, and a journal's entries are never rewritten: failing them
        would leave an honest register failing verification for ever, and stopping at
        them would leave every later entry unchecked. They are named, in the notes.
        """
        self.misdated += 1
        if self.misdated <= _MISDATED_SHOWN:
            self.report.notes.append(f"entry #{sequence}: {message} (a date refused now)")
        elif self.misdated == _MISDATED_SHOWN + 1:
            self.report.notes.append("... and more entries dated before what they act on")

    def _close(self, right_id: int, right: _Right) -> None:
        self.owners.get(right.parcel, {}).pop(int(right_id), None)

    def _begin(self, sequence: int, begun: dict[str, Any], deed_parcel: int, day: str) -> None:
        right_id = int(begun["id"])
        if right_id in self.rights:
            raise _Refused(
                f"begins right {right_id}, an id entry #{self.rights[right_id].begun_by} "
                "already used"
            )
        share = _share(begun["share"])
        parcel_id = int(begun.get("parcel", deed_parcel))
        parcel = self.parcels.get(parcel_id)
        if parcel is not None and parcel.retired_by is not None:
            raise _Refused(
                f"begins right {right_id} on parcel {parcel_id}, which entry "
                f"#{parcel.retired_by} retired"
            )
        valid_from = _date(begun["valid_from"]) if "valid_from" in begun else day
        if (
            parcel is not None
            and parcel.valid_from is not None
            and valid_from < parcel.valid_from
            and not self._carried_over(sequence, parcel, begun, valid_from)
        ):
            self._misdated(
                sequence,
                f"begins right {right_id} on parcel {parcel_id} on {valid_from}, before entry "
                f"#{parcel.created_by} made the parcel ({parcel.valid_from})",
            )
        valid_to = _date(begun["valid_to"]) if begun.get("valid_to") else None
        if valid_to is not None and valid_to <= valid_from:
            raise _Refused(f"begins right {right_id} ending on {valid_to}, not after {valid_from}")
        right = _Right(
            parcel=parcel_id,
            holder=int(begun["holder"]),
            kind=str(begun["kind"]),
            share=share,
            certificate=str(begun["certificate_number"]),
            particulars=_particulars(begun),
            valid_from=valid_from,
            valid_to=valid_to,
            begun_by=sequence,
        )
        self.rights[right_id] = right
        if right.kind == _OWNERSHIP and valid_to is None:
            self.owners.setdefault(parcel_id, {})[right_id] = share
        elif right.kind == "mortgage":
            self.mortgages.setdefault(parcel_id, []).append(right_id)

    # --- the comparison with the tables ---

    def compare(self, connection: BaseDatabaseWrapper) -> None:
        """Load the replayed register into temporary tables and diff it with the real ones."""
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for name, columns in _TEMPORARY.items():
                raw.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
            _copy(raw, "pg_temp.landinfo_replay_right", self._right_rows())
            _copy(raw, "pg_temp.landinfo_replay_parcel", self._parcel_rows())
            _copy(raw, "pg_temp.landinfo_replay_lineage", self.lineage)
            _copy(
                raw,
                "pg_temp.landinfo_replay_party",
                ((party_id, *statement) for party_id, statement in self.parties.items()),
            )
            for name in _TEMPORARY:
                raw.execute(f"ANALYZE {name}")  # autovacuum never sees temporary tables
            # The full joins' estimates are huge, so PostgreSQL would spend longer compiling
            # them (JIT) than running them; off for these statements only.
            raw.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            (jit, _) = raw.fetchone()
            for comparison in _COMPARISONS:
                self._diff(raw, comparison)
            self._check_lifespans(raw)
            raw.execute("SELECT set_config('jit', %s, true)", [jit])
            # Gone at commit anyway; dropped now for a caller's transaction that goes on.
            raw.execute(f"DROP TABLE {', '.join(_TEMPORARY)}")

    def _check_lifespans(self, cursor: Any) -> None:
        """Note rights that begin before their survey parcel existed.

        The replay knows the lifespans of parcels deeds made; a survey parcel's is the
        survey's, read from the table here.
        """
        cursor.execute(_BEFORE_PARCEL)
        for begun_by, right_id, parcel_id, valid_from, parcel_from in cursor.fetchall():
            self._misdated(
                begun_by,
                f"begins right {right_id} on parcel {parcel_id} on {valid_from.isoformat()}, "
                f"before the parcel existed ({parcel_from.isoformat()})",
            )

    def _right_rows(self) -> Iterator[str]:
        # One f-string per row: the rights are the bulk of the register. Text from a
        # payload is escaped; ints and the dates _date() checked need no escaping.
        for right_id, r in self.rights.items():
            yield (
                f"{right_id}\t{r.parcel}\t{r.holder}\t{_text(r.kind)}\t{r.share[0]}\t"
                f"{r.share[1]}\t{_text(r.certificate)}\t{_particulars_line(r.particulars)}\t"
                f"{r.valid_from}\t{_null(r.valid_to)}\t"
                f"{r.begun_by}\t{_null(r.ended_by)}\t{_null(r.voided_by)}\n"
            )

    def _parcel_rows(self) -> Iterator[tuple[Any, ...]]:
        for parcel_id, p in self.parcels.items():
            made = p.made or {}
            yield (
                parcel_id,
                made.get("identifier"),
                made.get("admin_unit"),
                made.get("land_use"),
                made.get("registered_area"),
                made.get("address"),
                made.get("boundary"),
                p.valid_from,
                p.valid_to,
                p.created_by,
                p.retired_by,
            )

    def _diff(self, cursor: Any, comparison: _Comparison) -> None:
        srid = {"srid": STORAGE_SRID}
        counted = f"SELECT count(*) FROM ({comparison.table}) AS t"  # noqa: S608 - constants
        cursor.execute(counted, srid)
        self.report.rows_compared[comparison.name] = cursor.fetchone()[0]
        cursor.execute(comparison.diff_sql(), srid)
        rows = cursor.fetchall()
        if not rows:
            return
        total = rows[0][3]
        for implicated, replayed, stored, _ in rows:
            self.report.fail(int(implicated or 0), comparison.describe(replayed, stored))
        if total > len(rows):
            self.report.notes.append(
                f"{total} {comparison.noun} rows differ from the journal; the first "
                f"{len(rows)} are listed."
            )


def _date(text: Any) -> str:
    """Return an ISO date of a payload, refusing anything else."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date")
    return dt.date.fromisoformat(text).isoformat()


def _share(text: Any) -> tuple[int, int]:
    """Return a share "n/d" in (0, 1] in lowest terms, refusing anything else."""
    if not isinstance(text, str) or text.count("/") != 1:
        raise _Refused(f"writes a share as {text!r}, not n/d")
    numerator, denominator = (int(part) for part in text.split("/"))
    if denominator <= 0 or not 0 < numerator <= denominator:
        raise _Refused(f"writes a share {text!r} outside (0, 1]")
    common = math.gcd(numerator, denominator)
    return numerator // common, denominator // common


def _particulars(begun: dict[str, Any]) -> tuple[str, str, str, str | None, str, str]:
    """Return what a payload's right states of the certificate; absent keys: not stated."""
    values = [
        begun.get(key, "")
        for key in ("origin", "use_form", "term", "attached_assets", "certificate_serial")
    ]
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"right {begun['id']}: a particular of its certificate is not text")
    origin, use_form, term, assets, serial = values
    long_term = term == "long_term"
    term_end = _date(term) if term and not long_term else None
    return origin, use_form, "t" if long_term else "f", term_end, assets, serial


def _particulars_line(particulars: tuple[str, str, str, str | None, str, str]) -> str:
    origin, use_form, long_term, term_end, assets, serial = particulars
    return (
        f"{_text(origin)}\t{_text(use_form)}\t{long_term}\t{_null(term_end)}\t"
        f"{_text(assets)}\t{_text(serial)}"
    )


def _check_made(made: dict[str, Any]) -> None:
    """Refuse a parcel whose payload misses a field or has an unreadable one."""
    for key in ("identifier", "land_use", "address", "boundary"):
        if not isinstance(made[key], str):
            raise ValueError(f"parcel {made['id']}: {key} is not text")
    int(made["admin_unit"])
    if not made["boundary"].startswith("MULTIPOLYGON"):
        raise _Refused(f"makes parcel {made['id']} whose boundary is not a MULTIPOLYGON")
    if not Decimal(made["registered_area"]) > 0:
        raise _Refused(f"makes parcel {made['id']} with no registered area")


# --- COPY into temporary tables ------------------------------------------------------------

_TEMPORARY = {
    "pg_temp.landinfo_replay_right": (
        "id bigint, parcel_id bigint, holder_id bigint, kind text, share_numerator bigint, "
        "share_denominator bigint, certificate_number text, origin text, use_form text, "
        "long_term boolean, term_end date, attached_assets text, certificate_serial text, "
        "valid_from date, valid_to date, begun_by_id bigint, ended_by_id bigint, "
        "voided_by_id bigint"
    ),
    "pg_temp.landinfo_replay_parcel": (
        "id bigint, identifier text, admin_unit_id bigint, land_use text, "
        "registered_area numeric, address text, boundary text, valid_from date, "
        "valid_to date, created_by_id bigint, retired_by_id bigint"
    ),
    "pg_temp.landinfo_replay_lineage": "parent_id bigint, child_id bigint, entry_id bigint",
    "pg_temp.landinfo_replay_party": (
        "id bigint, kind text, name text, national_id text, holder_kind text, stated_by bigint"
    ),
}
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


def _null(value: Any) -> str:
    return "\\N" if value is None else str(value)


def _field(value: Any) -> str:
    return "\\N" if value is None else str(value).translate(_ESCAPES)


def _line(row: Sequence[Any]) -> str:
    return "\t".join(map(_field, row)) + "\n"


def _copy(cursor: Any, table: str, rows: Iterable[Sequence[Any] | str]) -> None:
    """COPY `rows` (tuples, or lines already in COPY's text format) into `table`, by chunks."""
    buffer = io.StringIO()
    for count, row in enumerate(rows, 1):
        buffer.write(row if isinstance(row, str) else _line(row))
        if count % _CHUNK == 0:
            _send(cursor, table, buffer)
            buffer = io.StringIO()
    _send(cursor, table, buffer)


def _send(cursor: Any, table: str, buffer: io.StringIO) -> None:
    if buffer.tell():
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)


# --- the comparisons ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Comparison:
    """One table compared both ways with its replay.

    `groups` pairs columns with the entry columns that set them: when a group differs,
    the lowest of those entries is the one implicated. `private` columns are named but
    their values never shown (personal data stays out of logs); `opaque` ones likewise
    (a boundary is too long to print).
    """

    name: str
    noun: str
    replayed: str
    table: str
    key: tuple[str, ...]
    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    hidden: frozenset[str] = frozenset()

    @property
    def columns(self) -> list[str]:
        return [*self.key, *(c for group, _ in self.groups for c in group if c not in self.key)]

    def diff_sql(self) -> str:
        entries = [e for _, group_entries in self.groups for e in group_entries]
        one_side = {side: ", ".join(f"{side}.{e}" for e in entries) for side in "ab"}
        differs = ", ".join(
            f"CASE WHEN ({', '.join(f'a.{c}' for c in columns)}) IS DISTINCT FROM "
            f"({', '.join(f'b.{c}' for c in columns)}) "
            f"THEN LEAST({', '.join(f'a.{e}, b.{e}' for e in group_entries)}) END"
            for columns, group_entries in self.groups
        )
        first = self.key[0]
        implicated = (
            f"CASE WHEN a.{first} IS NULL THEN LEAST({one_side['b']}) "
            f"WHEN b.{first} IS NULL THEN LEAST({one_side['a']}) "
            f"ELSE LEAST({differs}) END"
        )
        joined = " AND ".join(f"a.{k} = b.{k}" for k in self.key)
        order = ", ".join(f"coalesce(a.{k}, b.{k})" for k in self.key)
        # Built from this module's constants only, never from input.
        return (
            f"WITH a AS (({self.replayed}) EXCEPT ({self.table})), "  # noqa: S608
            f"b AS (({self.table}) EXCEPT ({self.replayed})) "
            f"SELECT {implicated} AS implicated, row_to_json(a), row_to_json(b), "
            f"count(*) OVER () FROM a FULL JOIN b ON {joined} "
            f"ORDER BY implicated NULLS FIRST, {order} LIMIT {_DIFF_ROWS}"
        )

    def describe(self, replayed: dict[str, Any] | None, stored: dict[str, Any] | None) -> str:
        row = replayed or stored or {}
        name = f"{self.noun} " + "/".join(str(row.get(k)) for k in self.key)
        if stored is None:
            return f"{name} follows from the journal but is not in the table"
        if replayed is None:
            return f"the table has {name}, which the journal does not account for"
        changes = []
        for column in self.columns:
            if replayed.get(column) == stored.get(column):
                continue
            if column in self.hidden:
                changes.append(f"{column} differs")
            else:
                changes.append(
                    f"{column} is {stored.get(column)!r} in the table, "
                    f"{replayed.get(column)!r} by the journal"
                )
        return f"{name} differs from the journal: " + "; ".join(changes)


# Rights the journal begins before the first day of their parcel, first entry first.
_BEFORE_PARCEL = """
SELECT r.begun_by_id, r.id, r.parcel_id, r.valid_from, p.valid_from
FROM pg_temp.landinfo_replay_right r JOIN parcels_parcel p ON p.id = r.parcel_id
WHERE r.valid_from < p.valid_from AND p.created_by_id IS NULL
ORDER BY r.begun_by_id, r.id
LIMIT 10
"""

_PARCEL_COLUMNS = (
    "id, identifier, admin_unit_id, land_use, registered_area, address, boundary, "
    "valid_from, valid_to, created_by_id, retired_by_id"
)
_COMPARISONS = (
    _Comparison(
        name="rights",
        noun="right",
        replayed="SELECT * FROM pg_temp.landinfo_replay_right",
        table=(
            "SELECT id, parcel_id, holder_id, kind::text, share_numerator::bigint, "
            "share_denominator::bigint, certificate_number::text, origin::text, "
            "use_form::text, long_term, term_end, attached_assets, certificate_serial::text, "
            "valid_from, valid_to, begun_by_id, ended_by_id, voided_by_id "
            "FROM transactions_right"
        ),
        key=("id",),
        groups=(
            (
                (
                    "parcel_id",
                    "holder_id",
                    "kind",
                    "share_numerator",
                    "share_denominator",
                    "certificate_number",
                    "origin",
                    "use_form",
                    "long_term",
                    "term_end",
                    "attached_assets",
                    "certificate_serial",
                    "valid_from",
                    "begun_by_id",
                ),
                ("begun_by_id",),
            ),
            (("valid_to", "ended_by_id"), ("ended_by_id",)),
            (("voided_by_id",), ("voided_by_id",)),
        ),
    ),
    _Comparison(
        name="parcels",
        noun="parcel",
        # A parcel the journal made is compared field by field; a survey parcel it
        # retired, by its lifespan only (the rest is the survey's, not the journal's).
        replayed=(
            "SELECT id, identifier, admin_unit_id, land_use, registered_area, address, "
            "ST_GeomFromText(boundary, %(srid)s) AS boundary, valid_from, valid_to, "
            "created_by_id, retired_by_id FROM pg_temp.landinfo_replay_parcel "
            "WHERE created_by_id IS NOT NULL "
            "UNION ALL SELECT r.id, t.identifier::text, t.admin_unit_id, t.land_use::text, "
            "t.registered_area, t.address::text, t.boundary, t.valid_from, r.valid_to, NULL, "
            "r.retired_by_id FROM pg_temp.landinfo_replay_parcel r "
            "LEFT JOIN parcels_parcel t ON t.id = r.id WHERE r.created_by_id IS NULL"
        ),
        table=(
            "SELECT id, identifier::text, admin_unit_id, land_use::text, registered_area, "
            "address::text, boundary, valid_from, valid_to, created_by_id, retired_by_id "
            "FROM parcels_parcel WHERE created_by_id IS NOT NULL OR retired_by_id IS NOT NULL "
            "OR id IN (SELECT id FROM pg_temp.landinfo_replay_parcel)"
        ),
        key=("id",),
        groups=(
            (
                (
                    "identifier",
                    "admin_unit_id",
                    "land_use",
                    "registered_area",
                    "address",
                    "boundary",
                    "valid_from",
                    "created_by_id",
                ),
                ("created_by_id",),
            ),
            (("valid_to", "retired_by_id"), ("retired_by_id",)),
        ),
        hidden=frozenset({"boundary"}),
    ),
    _Comparison(
        name="lineage",
        noun="lineage edge",
        replayed="SELECT parent_id, child_id, entry_id FROM pg_temp.landinfo_replay_lineage",
        table=(
            "SELECT parent_id, child_id, entry_id FROM parcels_parcellineage "
            "WHERE entry_id IS NOT NULL"
        ),
        key=("parent_id", "child_id"),
        groups=((("entry_id",), ("entry_id",)),),
    ),
    _Comparison(
        name="parties",
        noun="party",
        # A national ID is compared by its digits and letters: the register may give a
        # stored number one spelling ("900101-1234568" → "9001011234568", migration 0005
        # of transactions) while the deed that stated it keeps the one it was recorded
        # with. A changed digit or letter is still a difference.
        replayed=(
            "SELECT id, kind, name, "
            "regexp_replace(normalize(national_id, NFKC), '[^0-9A-Za-z]', '', 'g') "
            "AS national_id, holder_kind, stated_by FROM pg_temp.landinfo_replay_party"
        ),
        table=(
            "SELECT p.id, p.kind::text AS kind, p.name::text AS name, regexp_replace("
            "normalize(coalesce(p.national_id, ''), NFKC), '[^0-9A-Za-z]', '', 'g') "
            "AS national_id, p.holder_kind::text AS holder_kind, s.stated_by "
            "FROM transactions_party p "
            "JOIN pg_temp.landinfo_replay_party s ON s.id = p.id"
        ),
        key=("id",),
        groups=((("kind", "name", "national_id", "holder_kind"), ("stated_by",)),),
        # Personal data: a report names what differs, never the values.
        hidden=frozenset({"name", "national_id"}),
    ),
)
