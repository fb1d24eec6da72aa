"""The six-monthly statement of a parcel: what was filed, what was registered, who read whom.

Hong Kong's Land Registry sends owners a half-yearly summary; the issue asks the same
of every subscribed parcel. A statement holds, for one parcel and one half-year:

- the applications received on it (receipt number, kind, status), no party named;
- the registrations (journal entries) that touched it;
- how many times the full names of its holders were read by staff, counted by role
  (the reader's group) and by office. The register has one office per installation
  (users carry no office), so the office is the register's own name. Readers are not
  named: a staff member's name is personal data too, and the statement goes to anyone
  subscribed to the parcel. Who read what stays in the audit (PersonalDataAccess) for
  the supervisory authority and the holder's own access request.

`queue_statements(half)` writes one outbox message per recipient and parcel (purpose
`statement`, key unique per address, parcel and half), so running it twice sends each
statement once; the mail worker (transactions.alerts.outbox) sends them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from landinfo.dates import register_day
from landinfo.profiles import get_profile
from parcels.models import Parcel
from transactions.alerts import outbox
from transactions.alerts.receipts import recipients
from transactions.applications import selectors
from transactions.certificates.pdf import register_name
from transactions.deeds.kinds import labels
from transactions.models import (
    AlertSubscription,
    Application,
    JournalEntry,
    OutboxMessage,
    PersonalDataAccess,
    Right,
)
from transactions.selectors import parcel_timeline

STATEMENT = "statement"
_HALF = re.compile(r"^([0-9]{4})-([12])$")
# The roles as a statement names them; an account in no role is "other staff".
ROLES = ("notary", "registrar", "planner", "auditor")


class InvalidHalf(ValueError):
    """Not a half-year written YYYY-1 or YYYY-2."""


@dataclass(frozen=True, slots=True)
class Half:
    year: int
    number: int  # 1: January to June, 2: July to December

    @classmethod
    def read(cls, text: str) -> Half:
        match = _HALF.match(text.strip())
        if match is None:
            raise InvalidHalf(f"Write the half-year as YYYY-1 or YYYY-2, not {text!r}.")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year}-{self.number}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 1 if self.number == 1 else 7, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.number == 1 else dt.date(self.year, 12, 31)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Return the half's start and end as moments in the register's time zone."""
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = dt.datetime.combine(self.first_day, dt.time(), zone)
        end = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), zone)
        return start, end


@dataclass(frozen=True, slots=True)
class Statement:
    parcel_id: int
    parcel: str  # as people read it
    half: Half
    applications: list[tuple[int, str, str]]  # receipt number, kind, status (worded)
    registrations: list[tuple[int, str, dt.date]]  # entry, kind, effective date
    reads_by_role: dict[str, int]
    office: str


def statement(parcel_id: int, half: Half) -> Statement:
    """Return the parcel's statement for the half-year, worded in the active language."""
    start, end = half.bounds()
    parcel = Parcel.objects.only("identifier").get(pk=parcel_id)
    kinds = labels()
    applications = Application.objects.filter(
        parcels__contains=[parcel_id], received_at__gte=start, received_at__lt=end
    ).order_by("receipt_number")
    touched = [entry["sequence"] for entry in parcel_timeline(parcel_id)["entries"]]
    registrations = [
        (sequence, kinds.get(kind, kind), day)
        for sequence, kind, day in JournalEntry.objects.filter(
            sequence__in=touched, recorded_at__gte=start, recorded_at__lt=end
        )
        .order_by("sequence")
        .values_list("sequence", "kind", "effective_date")
    ]
    return Statement(
        parcel_id=parcel_id,
        parcel=get_profile().display_stored(parcel.identifier),
        half=half,
        applications=[
            (a.receipt_number, kinds.get(a.kind, a.kind), selectors.status_label(a.status))
            for a in applications
        ],
        registrations=registrations,
        reads_by_role=_reads_by_role(parcel_id, start, end),
        office=register_name(get_profile().key),
    )


def _reads_by_role(parcel_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Count the readings of the names of those who held a right on the parcel in the half."""
    holders = Right.objects.filter(
        Q(parcel_id=parcel_id, voided_by__isnull=True, valid_from__lt=end.date())
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=start.date()))
    ).values("holder_id")
    reads = PersonalDataAccess.objects.filter(
        party_id__in=holders, at__gte=start, at__lt=end, fields__contains="name"
    ).values_list("user__groups__name", flat=True)
    counted = Counter(name if name in ROLES else "" for name in reads)
    return {role: counted[role] for role in (*ROLES, "") if counted[role]}


_ROLE_NAMES = {
    "notary": lambda: gettext("Notaries"),
    "registrar": lambda: gettext("Registrars"),
    "planner": lambda: gettext("Planners"),
    "auditor": lambda: gettext("Auditors"),
    "": lambda: gettext("Other staff"),
}


def render_statement(statement: Statement, language: str) -> tuple[str, str]:
    """Return the subject and text of the statement in `language`."""
    with translation.override(language):
        subject = gettext("Statement for parcel %(parcel)s, %(first)s – %(last)s") % {
            "parcel": statement.parcel,
            "first": register_day(statement.half.first_day),
            "last": register_day(statement.half.last_day),
        }
        body = render_to_string(
            "applications/statement.txt",
            {
                "statement": statement,
                "first": register_day(statement.half.first_day),
                "last": register_day(statement.half.last_day),
                "registrations": [
                    (sequence, kind, register_day(day))
                    for sequence, kind, day in statement.registrations
                ],
                "reads": [
                    (_ROLE_NAMES[role](), count) for role, count in statement.reads_by_role.items()
                ],
            },
        )
    return subject, body


def statement_parcels() -> list[int]:
    """Return the parcels someone receives statements of: subscribers, holders with an address."""
    subscribed = AlertSubscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).values_list("parcel_id", flat=True)
    held = (
        Right.objects.filter(valid_to__isnull=True, voided_by__isnull=True)
        .exclude(holder__email="")
        .values_list("parcel_id", flat=True)
    )
    return sorted(set(subscribed) | set(held))


def queue_statements(half: Half) -> int:
    """Queue one statement message per recipient and parcel; return how many were new."""
    now = timezone.now()
    created = 0
    for parcel_id in statement_parcels():
        worded: dict[str, tuple[str, str]] = {}
        messages = []
        for recipient in recipients([parcel_id]):
            if recipient.language not in worded:
                worded[recipient.language] = render_statement(
                    statement(parcel_id, half), recipient.language
                )
            subject, body = worded[recipient.language]
            messages.append(
                OutboxMessage(
                    key=statement_key(recipient.email, parcel_id, half),
                    address=recipient.email,
                    purpose=STATEMENT,
                    language=recipient.language,
                    subject=subject,
                    body=body,
                    parcel_id=parcel_id,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        # A statement queued by an earlier run is not queued again (the key is unique).
        queued = set(
            OutboxMessage.objects.filter(key__in=[m.key for m in messages]).values_list(
                "key", flat=True
            )
        )
        new = [message for message in messages if message.key not in queued]
        OutboxMessage.objects.bulk_create(new, ignore_conflicts=True)
        created += len(new)
    if created:
        outbox.notify()
    return created


def statement_key(address: str, parcel_id: int, half: Half) -> str:
    """Return the outbox key of a statement: one per address, parcel and half-year."""
    # The address is hashed: the key is logged and shown where the address should not be.
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"{STATEMENT}:{half}:{parcel_id}:{digest}"
