"""Parcel certificates: the sheet on paper, and the code that proves it.

A certificate states what the register held about one parcel at one position of the
journal: its descriptive data (area, land use, zoning, official prices), the rights in
force with their holders, and the deeds that made its history. It carries a code, printed
as a QR code with a link to `/verify/<code>`, from which anyone can check it:

- the code is signed by the register's Ed25519 key (transactions.journal.checkpoints), so a code
  altered by one character, or made up, is refused;
- it names the journal position N and the first bytes of entry N's hash, so a journal
  rewritten since is detected;
- it carries two digests. The *record* digest covers what the journal decides: the rights
  in force on the day of issue as the journal stood at entry N (holder, share, kind, the
  entry that began each) and the entries that touched the parcel up to N. Anyone can
  recompute it from the journal at N, however many deeds came later, and it must match.
  The *data* digest covers what the register keeps beside the journal (registered area,
  land use, address, unit, boundary, zoning and prices of that day); it is compared with
  the register now, and a difference is reported as a change of data, not a forgery;
- entries after N that touched the parcel make the certificate superseded: it was true
  when issued, and the verify page says which deed changed the parcel since.

The code is the URL-safe base64 (no padding) of, in order (big-endian):

    version  1 byte   (CODE_VERSION)
    key      4 bytes  the first bytes of the signing key's id
    flags    1 byte   bit 0: holders shown in full to a signed-in officer
    parcel   8 bytes  parcel id
    sequence 8 bytes  journal position N
    issued   8 bytes  issue moment, whole seconds since 1970 (UTC)
    head     8 bytes  the first bytes of entry N's hash
    record   16 bytes the record digest
    data     8 bytes  the data digest
    language 2 bytes  ASCII, e.g. "vi"
    signature 64 bytes Ed25519 over "landinfo-certificate-v1\\n" followed by everything above

The digests are SHA-256 over canonical JSON (transactions.journal.hashing.canonical_json).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal, TypedDict

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from landinfo.profiles import InvalidParcelIdentifier, JurisdictionProfile, get_profile
from landinfo.profiles.text import is_invisible, normalize_text
from landinfo.sql import alive, fetch_rows, read_cursor
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from transactions.audit import record_personal_data_access
from transactions.journal import hashing
from transactions.journal.checkpoints import key_id, public_keys, signing_key
from transactions.journal.head import journal_head
from transactions.masking import PUBLIC_KINDS, mask_party_name
from transactions.models import JournalEntry, Right
from transactions.selectors import HistoryEntry, Sheet, parcel_sheet, parcel_timeline
from transactions.shares import Share

# --- what a certificate shows ----------------------------------------------------------------

# The words a certificate and the verify page print for the register's codes of rights
# and holders (those of deeds: transactions.words); lazy, so each is read in the
# language active where it is printed.
RIGHT_KINDS = {
    "ownership": pgettext_lazy("right kind", "ownership / land-use right"),
    "mortgage": pgettext_lazy("right kind", "mortgage"),
    "lease": pgettext_lazy("right kind", "lease"),
    "easement": pgettext_lazy("right kind", "easement"),
}
HOLDER_KINDS = {
    "person": pgettext_lazy("holder kind", "person"),
    "organisation": pgettext_lazy("holder kind", "organisation"),
    "state": pgettext_lazy("holder kind", "the State"),
}


@dataclass(frozen=True, slots=True)
class CertificateHolder:
    """The holder of a right, as this certificate prints it."""

    name: str  # masked unless `full`
    kind: str  # Party.Kind value: person, organisation, state
    full: bool  # shown unmasked (to a registrar, or the notary who recorded the holder's deed)
    holder_kind: str = ""  # the profile's kind of holder ("" when the deeds stated none)


@dataclass(frozen=True, slots=True)
class CertificateRight:
    """A right in force on the day of issue."""

    kind: str  # Right.Kind value: ownership, mortgage, lease, easement
    share: str  # "n/d"
    holder: CertificateHolder
    valid_from: dt.date
    valid_to: dt.date | None  # the registered end of the term, if any
    certificate_number: str  # "" when none was registered
    begun_by: int  # the entry that registered it
    # What the certificate states of the right ("" when not stated): the profile's codes
    # of its origin and form of use, its term ("long_term" or "YYYY-MM-DD"), the assets
    # attached to the land, and the paper's serial (VN: số phát hành).
    origin: str = ""
    use_form: str = ""
    term: str = ""
    attached_assets: str = ""
    certificate_serial: str = ""


@dataclass(frozen=True, slots=True)
class CertificateEntry:
    """A deed in the parcel's history, oldest first; holders always masked."""

    sequence: int
    kind: str  # JournalEntry.Kind value
    transfer_type: str | None  # sale, gift, inheritance: transfers only
    effective_date: dt.date
    recorded_at: dt.datetime
    holders_before: list[str]  # masked, one per party (two persons may mask alike)
    holders_after: list[str]
    made_from: list[str]  # display identifiers of the parcels this one was made from
    made_into: list[str]  # display identifiers of the parcels made from this one


@dataclass(frozen=True, slots=True)
class CertificateZone:
    code: str
    name: str
    plan: str
    share: float  # of the parcel's area, 0..1


@dataclass(frozen=True, slots=True)
class CertificatePrice:
    year: int
    price_per_m2: int
    currency: str


@dataclass(frozen=True, slots=True)
class MapParcel:
    """A parcel drawn on the location map, in the storage CRS (metres)."""

    label: str  # the short number printed inside it ("345", "12-3")
    wkb: bytes  # MultiPolygon, storage CRS
    subject: bool  # the certified parcel


@dataclass(frozen=True, slots=True)
class LocationMap:
    """The parcel and its neighbours, to draw at scale; coordinates in metres."""

    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy of the frame
    parcels: list[MapParcel]
    srid: int


@dataclass(frozen=True, slots=True)
class Certificate:
    """Everything a certificate prints, in the register's words; the renderer only lays out."""

    parcel_id: int
    identifier: str
    display: str  # as certificates print it ("Tờ 12, thửa 345")
    address: str
    lot_address: str  # where it lies by lot number (profile.lot_address)
    admin_unit: str  # the unit and those above it, as the profile writes places
    land_use_code: str
    land_use_name: str  # in the profile's language
    land_use_name_en: str
    registered_area: float  # m²
    computed_area: float  # m², from the boundary
    valid_from: dt.date
    valid_to: dt.date | None
    retired: bool
    zoning: list[CertificateZone]
    prices: list[CertificatePrice]  # newest first
    rights: list[CertificateRight]
    parents: list[str]  # display identifiers
    children: list[str]
    history: list[CertificateEntry]
    location_map: LocationMap
    # Where in the journal it was issued, and how to check it.
    sequence: int  # N: the journal's head when issued
    head_hash: str  # entry N's hash, 64 hex
    issued_at: dt.datetime  # UTC, whole seconds
    issued_on: dt.date  # the register's day of issue (local date): rights in force that day
    language: str  # vi, ko, en
    profile: str  # vn, kr
    full: bool  # some holder is shown unmasked
    code: str
    verify_url: str


# --- the code ---------------------------------------------------------------------------

CODE_VERSION = 1
MESSAGE_PREFIX = b"landinfo-certificate-v1\n"
# version, key, flags, parcel, sequence, issued, head, record, data, language.
_SIGNED = struct.Struct(">B4sBqqq8s16s8s2s")
_SIGNATURE_SIZE = 64
_CODE_SIZE = _SIGNED.size + _SIGNATURE_SIZE
_FULL = 0x01
LANGUAGES = ("vi", "ko", "en")


class InvalidCode(ValueError):
    """Raised when a code was not issued by this register as it stands; the message says why."""


def _unreadable() -> str:
    """Return why a code that cannot be decoded is refused, in the active language."""
    return gettext("This is not a certificate code of this register: it cannot be read.")


@dataclass(frozen=True, slots=True)
class CodeFields:
    """What a certificate code states (see the module doc for the layout)."""

    key_prefix: bytes
    full: bool
    parcel_id: int
    sequence: int
    issued_at: dt.datetime
    head_prefix: bytes
    record_digest: bytes
    data_digest: bytes
    language: str

    def signed_bytes(self) -> bytes:
        return _SIGNED.pack(
            CODE_VERSION,
            self.key_prefix,
            _FULL if self.full else 0,
            self.parcel_id,
            self.sequence,
            int(self.issued_at.timestamp()),
            self.head_prefix,
            self.record_digest,
            self.data_digest,
            self.language.encode("ascii"),
        )


def encode_code(fields: CodeFields, private_key: Ed25519PrivateKey) -> str:
    """Return the signed code of `fields`: URL-safe base64 without padding."""
    signed = fields.signed_bytes()
    signature = private_key.sign(MESSAGE_PREFIX + signed)
    return base64.urlsafe_b64encode(signed + signature).rstrip(b"=").decode("ascii")


# What copying a link out of a text tends to bring along at its end: the sentence's
# full stop, a bracket or quote around it, the path's slash. None is in the code's
# alphabet (URL-safe base64: letters, digits, "-" and "_").
_TRAILING = "/.,;:)]}>'\"»”’"
# Every code has the same length (a fixed layout and signature): the run of the code's
# alphabet at least that long in a pasted text is the code, whatever surrounds it.
_CODE_LENGTH = len(base64.urlsafe_b64encode(bytes(_CODE_SIZE)).rstrip(b"="))
_CODE_RUN = re.compile(rf"[A-Za-z0-9_-]{{{_CODE_LENGTH},}}")


def pasted_code(text: str) -> str:
    """Return the code in a link or code as people paste it: "" when there is none.

    A link copied from a printed certificate spans lines: the breaks come back as spaces
    or newlines (the PDF cuts it only after a letter or digit), or as a soft hyphen or
    zero-width space a reader put there; none of them is code. Around it may be the
    link's address, quotes, brackets or a sentence's punctuation in any script ("!",
    "…", "。"): the code is the last run of its alphabet long enough to be one, cut to a
    code's length when only dashes follow it (a "-" or "_" is in the alphabet), in the last word
    that holds one, else in the words joined. Text holding no such run gives what
    follows its last "/", which the verify page then refuses by name.
    """
    # Read as seen: full-width letters are letters (NFKC), and a character nobody sees
    # is nothing, not a break ("<code><ZWSP>A" reads as the code with an A after it).
    # A link copied out of another link or a log comes percent-encoded ("%2Fverify%2F").
    text = urllib.parse.unquote(text) if "%" in text else text
    seen = "".join(char for char in unicodedata.normalize("NFKC", text) if not is_invisible(char))
    words = normalize_text(seen).split()
    # A word at a time first ("See <code>, then sign"), then the words joined again: a
    # code broken over lines.
    for candidate in (*reversed(words), "".join(words)):
        runs = list(_CODE_RUN.finditer(candidate))
        if runs:
            # A code starts with "A" (its version byte) and never ends in "-" or "_":
            # those around it are punctuation ("_<code>_", "<code>-").
            run = runs[-1].group().lstrip("-_")
            code, extra = run[:_CODE_LENGTH], run[_CODE_LENGTH:]
            after = candidate[runs[-1].end() : runs[-1].end() + 1]
            # A dash after it is punctuation; a letter or digit of any script after it
            # makes another code, which must fail as one.
            return code if not extra.strip("-_") and not after.isalnum() else run + after
    return "".join(words).rstrip(_TRAILING).rsplit("/", 1)[-1]


def decode_code(code: str, keys: Mapping[str, Ed25519PublicKey]) -> CodeFields:
    """Return what `code` states, once its signature is checked against `keys` (by key id).

    Raise InvalidCode when the code cannot be read, names a key the register does not
    know, or its signature does not match: it was altered, or made by someone else.
    """
    code = pasted_code(code) if len(code) <= 4 * _CODE_SIZE else code
    if len(code) > 2 * _CODE_SIZE or not code.isascii():
        raise InvalidCode(_unreadable())
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCode(_unreadable()) from None
    if len(raw) != _CODE_SIZE or raw[0] != CODE_VERSION:
        raise InvalidCode(
            gettext(
                "This is not a certificate code of this register: it has the wrong length or "
                "version. Type it again from the certificate, or scan its QR code."
            )
        )
    signed, signature = raw[: _SIGNED.size], raw[_SIGNED.size :]
    (_, key_prefix, flags, parcel_id, sequence, issued, head, record, data, language) = (
        _SIGNED.unpack(signed)
    )
    public = next((key for kid, key in keys.items() if bytes.fromhex(kid)[:4] == key_prefix), None)
    if public is None:
        raise InvalidCode(
            gettext(
                "The code is signed with a key this register does not know: it was not issued "
                "here, or was altered."
            )
        )
    try:
        public.verify(signature, MESSAGE_PREFIX + signed)
    except InvalidSignature:
        raise InvalidCode(
            gettext(
                "The code's signature does not match its content: the code was altered or forged."
            )
        ) from None
    return CodeFields(
        key_prefix=key_prefix,
        full=bool(flags & _FULL),
        parcel_id=parcel_id,
        sequence=sequence,
        issued_at=dt.datetime.fromtimestamp(issued, tz=dt.UTC),
        head_prefix=head,
        record_digest=record,
        data_digest=data,
        language=language.decode("ascii", errors="replace"),
    )


# --- what the journal decides: the record at entry N ------------------------------------------

# The rights on a parcel in force on %(day)s as the journal stood at entry %(n)s: begun by
# then, not voided by then, and not ended by then (a right ended by a later entry was still
# in force for an observer at N, whatever its end date now says).
_RIGHTS_AT_ENTRY_SQL = """
SELECT r.id, r.kind, r.holder_id, h.name AS holder_name, h.kind AS holder_kind,
       h.holder_kind AS holder_holder_kind,
       r.share_numerator, r.share_denominator, r.valid_from,
       CASE WHEN r.ended_by_id > %(n)s THEN NULL ELSE r.valid_to END AS valid_to,
       r.certificate_number, r.begun_by_id, b.recorded_by_id,
       r.origin, r.use_form, r.long_term, r.term_end, r.attached_assets, r.certificate_serial
FROM transactions_right r
JOIN transactions_party h ON h.id = r.holder_id
JOIN transactions_journalentry b ON b.sequence = r.begun_by_id
WHERE r.parcel_id = %(parcel)s AND r.begun_by_id <= %(n)s
  AND (r.voided_by_id IS NULL OR r.voided_by_id > %(n)s)
  AND r.valid_from <= %(day)s
  AND (r.valid_to IS NULL OR r.valid_to > %(day)s OR r.ended_by_id > %(n)s)
ORDER BY r.id
"""

# The parcel's making and retirement, and its lineage, as the journal stood at entry N;
# lineage without an entry came with an import and is always there.
_PARCEL_AT_ENTRY_SQL = """
SELECT p.identifier,
       CASE WHEN p.created_by_id <= %(n)s THEN p.created_by_id END AS created_by,
       CASE WHEN p.retired_by_id <= %(n)s THEN p.retired_by_id END AS retired_by,
       (SELECT coalesce(array_agg(l.parent_id ORDER BY l.parent_id), '{}')
          FROM parcels_parcellineage l
         WHERE l.child_id = p.id AND (l.entry_id IS NULL OR l.entry_id <= %(n)s)) AS parents,
       (SELECT coalesce(array_agg(l.child_id ORDER BY l.child_id), '{}')
          FROM parcels_parcellineage l
         WHERE l.parent_id = p.id AND (l.entry_id IS NULL OR l.entry_id <= %(n)s)) AS children
FROM parcels_parcel p
WHERE p.id = %(parcel)s
"""

# Entries after N that touched the parcel: what makes a certificate superseded.
_LATER_ENTRIES_SQL = """
SELECT e.sequence, e.kind, e.effective_date, e.recorded_at
FROM transactions_journalentry e
WHERE e.sequence > %(n)s AND e.sequence IN (
    SELECT r.begun_by_id FROM transactions_right r WHERE r.parcel_id = %(parcel)s
    UNION SELECT r.ended_by_id FROM transactions_right r WHERE r.parcel_id = %(parcel)s
    UNION SELECT r.voided_by_id FROM transactions_right r WHERE r.parcel_id = %(parcel)s
    UNION SELECT l.entry_id FROM parcels_parcellineage l
           WHERE l.parent_id = %(parcel)s OR l.child_id = %(parcel)s
    UNION SELECT p.created_by_id FROM parcels_parcel p WHERE p.id = %(parcel)s
    UNION SELECT p.retired_by_id FROM parcels_parcel p WHERE p.id = %(parcel)s
)
ORDER BY e.sequence
"""


def _particulars(right: dict[str, Any]) -> list[str]:
    """Return what a right row states of its certificate: origin, use form, term, assets, serial."""
    term = (
        "long_term"
        if right["long_term"]
        else right["term_end"].isoformat()
        if right["term_end"]
        else ""
    )
    return [
        right["origin"],
        right["use_form"],
        term,
        right["attached_assets"],
        right["certificate_serial"],
    ]


@dataclass(frozen=True, slots=True)
class _Record:
    """What the journal at entry N says of a parcel: the rights and history a certificate prints."""

    sequence: int
    rights: list[dict[str, Any]]
    history: list[HistoryEntry]
    parents: list[int]
    children: list[int]
    retired_by: int | None
    digest: bytes


def _record_at(parcel_id: int, sequence: int, day: dt.date) -> _Record | None:
    """Return the record of the parcel at journal position `sequence` (None: no such parcel)."""
    params = {"parcel": parcel_id, "n": sequence, "day": day}
    parcel = fetch_rows(Parcel, _PARCEL_AT_ENTRY_SQL, params)
    if not parcel:
        return None
    rights = fetch_rows(Parcel, _RIGHTS_AT_ENTRY_SQL, params)
    history = parcel_timeline(parcel_id, through=sequence)["entries"]
    row = parcel[0]
    stated = {
        "v": 1,
        "parcel": parcel_id,
        "identifier": row["identifier"],
        "created_by": row["created_by"],
        "retired_by": row["retired_by"],
        "parents": row["parents"],
        "children": row["children"],
        "rights": [
            [
                right["id"],
                right["kind"],
                right["holder_id"],
                right["share_numerator"],
                right["share_denominator"],
                right["valid_from"].isoformat(),
                right["begun_by_id"],
                right["certificate_number"],
                # What the certificate states of the right, only when stated: a record
                # of rights that state none is digested as before (migration 0008), so
                # certificates issued then keep verifying.
                *([particulars] if any(particulars := _particulars(right)) else []),
            ]
            for right in rights
        ],
        "entries": [entry["sequence"] for entry in history],
    }
    return _Record(
        sequence=sequence,
        rights=rights,
        history=history,
        parents=row["parents"],
        children=row["children"],
        retired_by=row["retired_by"],
        digest=_digest(stated)[:16],
    )


def _data_digest(sheet: Sheet, boundary_wkb: bytes) -> bytes:
    """Return the digest of what the register keeps about the parcel beside the journal."""
    stated = {
        "v": 1,
        "registered_area": repr(sheet["registered_area"]),
        "land_use": sheet["land_use"]["code"],
        "address": sheet["address"],
        "unit": sheet["admin_unit"]["code"],
        "valid_from": sheet["valid_from"],
        "boundary": hashlib.sha256(boundary_wkb).hexdigest(),
        "zoning": [[z["code"], z["plan"], repr(z["share"])] for z in sheet["zoning"]],
        "prices": [[p["year"], p["price_per_m2"], p["currency"]] for p in sheet["prices"]],
    }
    return _digest(stated)[:8]


def _digest(stated: dict[str, Any]) -> bytes:
    return hashlib.sha256(hashing.canonical_json(stated).encode("utf-8")).digest()


# --- the location map ---------------------------------------------------------------------------

# The map's frame, width over height (the renderer draws it 174 mm × 92 mm), and how much
# of it the parcel takes at most: enough of the neighbours to find it on the ground.
MAP_ASPECT = 174 / 92
_MAP_ZOOM_OUT = 2.6
_MAP_MIN_WIDTH_M = 60.0
# A map of more parcels than this is unreadable on paper and slow to draw; the nearest win.
_MAP_MAX_PARCELS = 400

# The subject and the parcels in force on the day inside the frame, nearest first, cut to
# the frame (a forest parcel around a village need not be drawn whole).
_MAP_SQL = f"""
WITH frame AS (
    SELECT ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, {STORAGE_SRID}) AS box
)
SELECT id, identifier, ST_AsBinary(shape) AS wkb
FROM (
    SELECT p.id, p.identifier, p.boundary <-> ST_Centroid(frame.box) AS distance,
           CASE WHEN p.id = %(parcel)s THEN p.boundary
                -- Clipping can leave slivers of lower dimension: keep the polygons.
                ELSE ST_CollectionExtract(ST_ClipByBox2D(p.boundary, frame.box), 3) END AS shape
    FROM parcels_parcel p, frame
    WHERE p.boundary && frame.box
      AND (p.id = %(parcel)s
           OR ({alive("p")}))
) clipped
WHERE NOT ST_IsEmpty(shape)
ORDER BY id <> %(parcel)s, distance
LIMIT %(most)s
"""  # noqa: S608 - formats the storage SRID (an int from the profile) and the lifespan test

_SUBJECT_SQL = """
SELECT ST_AsBinary(boundary) AS wkb, ST_XMin(boundary) AS minx, ST_YMin(boundary) AS miny,
       ST_XMax(boundary) AS maxx, ST_YMax(boundary) AS maxy
FROM parcels_parcel WHERE id = %(parcel)s
"""


def _location_map(parcel_id: int, day: dt.date) -> tuple[LocationMap, bytes]:
    """Return the map of the parcel among its neighbours, and the parcel's exact boundary."""
    subject = fetch_rows(Parcel, _SUBJECT_SQL, {"parcel": parcel_id})[0]
    centre_x = (subject["minx"] + subject["maxx"]) / 2
    centre_y = (subject["miny"] + subject["maxy"]) / 2
    width = max(
        (subject["maxx"] - subject["minx"]) * _MAP_ZOOM_OUT,
        (subject["maxy"] - subject["miny"]) * _MAP_ZOOM_OUT * MAP_ASPECT,
        _MAP_MIN_WIDTH_M,
    )
    height = width / MAP_ASPECT
    bounds = (
        centre_x - width / 2,
        centre_y - height / 2,
        centre_x + width / 2,
        centre_y + height / 2,
    )
    rows = fetch_rows(
        Parcel,
        _MAP_SQL,
        {
            "parcel": parcel_id,
            "minx": bounds[0],
            "miny": bounds[1],
            "maxx": bounds[2],
            "maxy": bounds[3],
            "day": day,
            "most": _MAP_MAX_PARCELS,
        },
    )
    profile = get_profile()
    parcels = [
        MapParcel(
            label=_map_label(profile, row["identifier"]),
            wkb=bytes(row["wkb"]),
            subject=row["id"] == parcel_id,
        )
        for row in rows
        if row["wkb"] is not None
    ]
    return LocationMap(bounds=bounds, parcels=parcels, srid=STORAGE_SRID), bytes(subject["wkb"])


def _map_label(profile: JurisdictionProfile, identifier: str) -> str:
    try:
        return profile.map_label(profile.parse_identifier(identifier))
    except InvalidParcelIdentifier:
        return identifier


# --- issuing ---------------------------------------------------------------------------------

REGISTRAR_PERMISSIONS = ("transactions.view_personal_data", "transactions.correct_deed")
NOTARY_PERMISSION = "transactions.view_personal_data"


def _shown_in_full(user: AbstractUser | AnonymousUser, rights: list[dict[str, Any]]) -> set[int]:
    """Return the ids of the rights whose holder `user` may see unmasked on a certificate.

    All of them for a registrar; for a notary, those begun by a deed the notary recorded
    (the holder's notary); none for anyone else. The public sees every person masked.
    """
    if not user.is_authenticated:
        return set()
    if all(user.has_perm(permission) for permission in REGISTRAR_PERMISSIONS):
        return {right["id"] for right in rights}
    if user.has_perm(NOTARY_PERMISSION):
        return {right["id"] for right in rights if right["recorded_by_id"] == user.pk}
    return set()


def issue_certificate(
    parcel_id: int,
    *,
    user: AbstractUser | AnonymousUser,
    language: str,
    verify_url: Callable[[str], str],
) -> Certificate | None:
    """Return the certificate of the parcel at the journal's head, signed; None if no such parcel.

    Holders are masked except those `user` may see in full (`_shown_in_full`); showing
    them is recorded as a personal-data access. `verify_url` makes the link of a code.
    """
    if language not in LANGUAGES:
        raise ValueError(f"A certificate is issued in {', '.join(LANGUAGES)}; got {language!r}.")
    if not 0 < parcel_id < 2**63:
        return None
    with read_cursor(JournalEntry) as cursor:
        sequence, head_hash, _ = journal_head(cursor)
    issued_at = timezone.now().replace(microsecond=0)
    day = timezone.localdate(issued_at)
    sheet = parcel_sheet(parcel_id, as_of=day)
    record = _record_at(parcel_id, sequence, day)
    if sheet is None or record is None:
        return None
    location_map, boundary_wkb = _location_map(parcel_id, day)
    full_ids = _shown_in_full(user, record.rights)
    if full_ids:
        _record_full_names(user, record, full_ids, sheet["identifier"])
    private_key = signing_key()
    fields = CodeFields(
        key_prefix=bytes.fromhex(key_id(private_key.public_key()))[:4],
        full=bool(full_ids),
        parcel_id=parcel_id,
        sequence=sequence,
        issued_at=issued_at,
        head_prefix=bytes.fromhex(head_hash)[:8],
        record_digest=record.digest,
        data_digest=_data_digest(sheet, boundary_wkb),
        language=language,
    )
    code = encode_code(fields, private_key)
    profile = get_profile()
    return Certificate(
        parcel_id=parcel_id,
        **_sheet_fields(sheet),
        rights=_rights(record.rights, full_ids),
        parents=_displays(profile, record.parents),
        children=_displays(profile, record.children),
        history=_history(profile, record.history),
        location_map=location_map,
        sequence=sequence,
        head_hash=head_hash,
        issued_at=issued_at,
        issued_on=day,
        language=language,
        profile=profile.key,
        full=bool(full_ids),
        code=code,
        verify_url=verify_url(code),
    )


def _record_full_names(
    user: AbstractUser | AnonymousUser, record: _Record, full_ids: set[int], identifier: str
) -> None:
    """Record that `user` read the names of the persons among the rights `full_ids`."""
    # Organisations and the State are public in any case: only persons are recorded.
    record_personal_data_access(
        user,
        [
            right["holder_id"]
            for right in record.rights
            if right["id"] in full_ids and right["holder_kind"] not in PUBLIC_KINDS
        ],
        ("name",),
        f"certificate of parcel {identifier}",
    )


def _sheet_fields(sheet: Sheet) -> dict[str, Any]:
    """Return what a certificate prints of the parcel's sheet, as the Certificate's fields."""
    return {
        "identifier": sheet["identifier"],
        "display": sheet["display"],
        "address": sheet["address"],
        "lot_address": sheet["lot_address"],
        "admin_unit": sheet["admin_unit"]["address"],
        "land_use_code": sheet["land_use"]["code"],
        "land_use_name": sheet["land_use"]["name"],
        "land_use_name_en": sheet["land_use"]["name_en"],
        "registered_area": sheet["registered_area"],
        "computed_area": sheet["computed_area"],
        "valid_from": dt.date.fromisoformat(sheet["valid_from"]),
        "valid_to": dt.date.fromisoformat(sheet["valid_to"]) if sheet["valid_to"] else None,
        "retired": sheet["status"] == "retired",
        "zoning": [
            CertificateZone(z["code"], z["name"], z["plan"], z["share"]) for z in sheet["zoning"]
        ],
        "prices": [
            CertificatePrice(p["year"], p["price_per_m2"], p["currency"]) for p in sheet["prices"]
        ],
    }


_KIND_ORDER = {kind: position for position, kind in enumerate(Right.Kind.values)}


def _rights(rows: list[dict[str, Any]], full_ids: set[int]) -> list[CertificateRight]:
    """Return the rights as printed: ownership first, then burdens, each oldest first."""
    rights = [
        CertificateRight(
            kind=row["kind"],
            share=Share.as_registered(row["share_numerator"], row["share_denominator"]),
            holder=CertificateHolder(
                name=row["holder_name"]
                if row["id"] in full_ids
                else mask_party_name(row["holder_name"], row["holder_kind"]),
                kind=row["holder_kind"],
                full=row["id"] in full_ids and row["holder_kind"] not in PUBLIC_KINDS,
                holder_kind=row["holder_holder_kind"],
            ),
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            certificate_number=row["certificate_number"],
            begun_by=row["begun_by_id"],
            origin=row["origin"],
            use_form=row["use_form"],
            term=_particulars(row)[2],
            attached_assets=row["attached_assets"],
            certificate_serial=row["certificate_serial"],
        )
        for row in rows
    ]
    return sorted(rights, key=lambda right: (_KIND_ORDER.get(right.kind, 99), right.valid_from))


def _history(profile: JurisdictionProfile, entries: list[HistoryEntry]) -> list[CertificateEntry]:
    return [
        CertificateEntry(
            sequence=entry["sequence"],
            kind=entry["kind"],
            transfer_type=entry["transfer_type"],
            effective_date=dt.date.fromisoformat(entry["effective_date"]),
            recorded_at=dt.datetime.fromisoformat(entry["recorded_at"]),
            holders_before=entry["holders_before"],
            holders_after=entry["holders_after"],
            made_from=[profile.display_stored(identifier) for identifier in entry["made_from"]],
            made_into=[profile.display_stored(identifier) for identifier in entry["made_into"]],
        )
        for entry in entries
    ]


def _displays(profile: JurisdictionProfile, parcel_ids: list[int]) -> list[str]:
    identifiers = dict(Parcel.objects.filter(pk__in=parcel_ids).values_list("pk", "identifier"))
    return sorted(profile.display_stored(identifiers[pk]) for pk in parcel_ids if pk in identifiers)


# --- verifying ---------------------------------------------------------------------------------


class LaterEntry(TypedDict):
    sequence: int
    kind: str
    effective_date: dt.date
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Verification:
    """What the register says of a certificate code.

    `status`: "current" (genuine, no deed since), "superseded" (genuine, but deeds
    recorded since changed the parcel: `later`), "mismatch" (signed by the register,
    but the journal no longer says what the certificate says: report it), "invalid"
    (not issued by this register, or altered).
    """

    status: Literal["current", "superseded", "mismatch", "invalid"]
    reason: str
    fields: CodeFields | None = None
    identifier: str = ""
    display: str = ""
    head_hash: str = ""
    rights: list[CertificateRight] = dataclass_field(default_factory=list)
    history: list[CertificateEntry] = dataclass_field(default_factory=list)
    later: list[LaterEntry] = dataclass_field(default_factory=list)
    data_changed: bool = False

    @property
    def genuine(self) -> bool:
        return self.status in ("current", "superseded")


def _entry_hash_at(fields: CodeFields) -> tuple[str, Verification | None]:
    """Return the hash of the entry the certificate was issued at, or why it is refused.

    Refused when the journal no longer has that entry (it was cut short) or the entry's
    hash is not the one the code states (it was rewritten).
    """
    entry = fetch_rows(
        Parcel,
        "SELECT entry_hash FROM transactions_journalentry WHERE sequence = %(n)s",
        {"n": fields.sequence},
    )
    if fields.sequence == 0:
        head_hash = hashing.GENESIS_HASH
    elif entry:
        head_hash = entry[0]["entry_hash"]
    else:
        return "", Verification(
            status="mismatch",
            fields=fields,
            reason=gettext(
                "The journal no longer has the entry this certificate was issued at: the "
                "journal was cut short. Report this certificate to the registrar."
            ),
        )
    if bytes.fromhex(head_hash)[:8] != fields.head_prefix:
        return head_hash, Verification(
            status="mismatch",
            fields=fields,
            head_hash=head_hash,
            reason=gettext(
                "The journal entry this certificate was issued at has changed since: the "
                "journal was rewritten. Report this certificate to the registrar."
            ),
        )
    return head_hash, None


def verify_certificate(code: str) -> Verification:
    """Return whether `code` is a certificate this register issued, and whether it still holds.

    Checks in turn: the signature; that journal entry N still has the hash stated; that
    the record recomputed from the journal at N has the stated digest; which entries after
    N touched the parcel; and whether the register's data beside the journal changed.
    """
    try:
        fields = decode_code(code.strip(), public_keys())
    except InvalidCode as error:
        return Verification(status="invalid", reason=str(error))
    head_hash, refusal = _entry_hash_at(fields)
    if refusal is not None:
        return refusal
    day = timezone.localdate(fields.issued_at)
    record = _record_at(fields.parcel_id, fields.sequence, day)
    if record is None or record.digest != fields.record_digest:
        return Verification(
            status="mismatch",
            fields=fields,
            head_hash=head_hash,
            reason=gettext(
                "The rights and history on this certificate do not match the journal at the "
                "entry it was issued at. Report this certificate to the registrar."
            ),
        )
    profile = get_profile()
    identifier = Parcel.objects.values_list("identifier", flat=True).get(pk=fields.parcel_id)
    later: list[LaterEntry] = [
        {
            "sequence": row["sequence"],
            "kind": row["kind"],
            "effective_date": row["effective_date"],
            "recorded_at": row["recorded_at"],
        }
        for row in fetch_rows(
            Parcel, _LATER_ENTRIES_SQL, {"n": fields.sequence, "parcel": fields.parcel_id}
        )
    ]
    sheet = parcel_sheet(fields.parcel_id, as_of=day)
    boundary = fetch_rows(Parcel, _SUBJECT_SQL, {"parcel": fields.parcel_id})[0]["wkb"]
    data_changed = sheet is None or _data_digest(sheet, bytes(boundary)) != fields.data_digest
    return Verification(
        status="superseded" if later else "current",
        reason="",
        fields=fields,
        identifier=identifier,
        display=profile.display_stored(identifier),
        head_hash=head_hash,
        rights=_rights(record.rights, set()),
        history=_history(profile, record.history),
        later=later,
        data_changed=data_changed,
    )
