"""Who holds which right (LADM LA_Party, LA_RRR) and the journal of registered deeds.

The journal is the only source of truth for rights: `Right` rows are a projection of
it, each begun (and possibly ended) by a journal entry. Nothing here cascades on
delete toward a legal record.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact


class Party(models.Model):
    """A person, an organisation or the State."""

    class Kind(models.TextChoices):
        PERSON = "person", "person"
        ORGANISATION = "organisation", "organisation"
        STATE = "state", "the State"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=300)
    # Personal data: never public, never in a tile, an export or a log.
    # NULL, not "", when unknown: the unique constraint must ignore parties without one.
    national_id = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(
                fields=["national_id"],
                condition=Q(national_id__isnull=False),
                name="party_unique_national_id",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["person", "organisation", "state"]), name="party_kind_known"
            ),
        ]

    def __str__(self) -> str:
        # Masking for the public is the selectors' job; admin users see the name.
        return self.name


class JournalEntry(models.Model):
    """A registered deed: append-only, gap-free, hash-chained to the entry before it.

    `payload` is the canonical JSON of the deed (sorted keys, no insignificant
    whitespace, UTF-8) exactly as hashed. `entry_hash` covers the previous hash, the
    sequence, recorded_at, recorded_by, document_sha256 and the payload
    (`transactions.journal.hashing.entry_hash`). Storing the text, not jsonb, keeps the hashed bytes.
    """

    class Kind(models.TextChoices):
        FIRST_REGISTRATION = "first_registration", "first registration"
        TRANSFER = "transfer", "transfer"
        MORTGAGE = "mortgage", "mortgage"
        DISCHARGE = "discharge", "mortgage discharge"
        SUBDIVISION = "subdivision", "subdivision"
        MERGE = "merge", "merge"
        CORRECTION = "correction", "correction"

    sequence = models.BigIntegerField(primary_key=True, help_text="1, 2, 3, ... with no gaps.")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    payload = models.TextField(help_text="Canonical JSON of the deed, as hashed.")
    effective_date = models.DateField(help_text="The day the deed takes legal effect.")
    recorded_at = models.DateTimeField(help_text="When the register learnt of the deed.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Transport, not law: the API's Idempotency-Key and the SHA-256 of the request it
    # came with, so a retry returns this entry and a reused key with another body is refused.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    request_sha256 = models.CharField(max_length=64, blank=True, db_default="")
    document_sha256 = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "journal entries"
        ordering = ["sequence"]
        # The roles (see transactions/migrations/0004_roles.py) are made of these.
        permissions = [
            ("record_deed", "Can record deeds (notary)"),
            ("correct_deed", "Can record corrections of deeds (registrar)"),
            ("verify_ledger", "Can verify the journal and read its checkpoints (auditor)"),
            ("view_personal_data", "Can read holders' unmasked personal data"),
        ]
        indexes = [models.Index(fields=["effective_date"]), models.Index(fields=["recorded_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(sequence__gt=0), name="journal_sequence_positive"),
            # Unique constraints, not unique=True: no unused varchar_pattern_ops index.
            models.UniqueConstraint(fields=["entry_hash"], name="journal_entry_hash_unique"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="journal_idempotency_key_unique",
            ),
            # 64 lowercase hex digits, written without a regex: 10x cheaper per row on COPY.
            models.CheckConstraint(
                condition=Q(Exact(Length("entry_hash"), 64))
                & Q(Exact(Length("prev_hash"), 64))
                & ~Q(entry_hash__regex=r"[^0-9a-f]")
                & ~Q(prev_hash__regex=r"[^0-9a-f]"),
                name="journal_hashes_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.effective_date}"


class DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class Right(models.Model):
    """A right, restriction or responsibility on a parcel held by a party, for a time.

    The legal term is [valid_from, valid_to); `begun_by` and `ended_by` are the journal
    entries that registered its start and end.
    """

    class Kind(models.TextChoices):
        OWNERSHIP = "ownership", "ownership / land-use right"
        MORTGAGE = "mortgage", "mortgage"
        LEASE = "lease", "lease"
        EASEMENT = "easement", "easement"

    parcel = models.ForeignKey("parcels.Parcel", on_delete=models.PROTECT, related_name="rights")
    holder = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="rights")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    share_numerator = models.PositiveIntegerField(default=1)
    share_denominator = models.PositiveIntegerField(default=1)
    certificate_number = models.CharField(max_length=32, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    begun_by = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="rights_begun"
    )
    ended_by = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="rights_ended"
    )
    # Set by a correction: from that entry's registration on, the register holds that this
    # right, as recorded, never was. The row stays, so "as the register knew it at T" works.
    voided_by = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="rights_voided"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["parcel", "kind"],
                condition=Q(valid_to__isnull=True, voided_by__isnull=True),
                name="right_current",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_numerator__gt=0) & Q(share_numerator__lte=F("share_denominator")),
                name="right_share_is_fraction",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="right_term_ordered",
            ),
            models.CheckConstraint(
                condition=Q(ended_by__isnull=True) | Q(valid_to__isnull=False),
                name="right_ended_has_end_date",
            ),
            # One party cannot hold two overlapping rights of the same kind on a parcel
            # (a voided right never was, so it does not count).
            ExclusionConstraint(
                name="right_no_overlap_same_holder_kind",
                expressions=[
                    ("parcel", RangeOperators.EQUAL),
                    ("holder", RangeOperators.EQUAL),
                    ("kind", RangeOperators.EQUAL),
                    (
                        DateRange("valid_from", "valid_to", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(voided_by__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        share = f"{self.share_numerator}/{self.share_denominator}"  # as registered
        return f"{self.kind} {share} on {self.parcel_id}"


class Checkpoint(models.Model):
    """A signed statement of the journal's size and head hash at a moment (Ed25519).

    Copies held outside the database (a notary's office, an auditor, a newspaper) let
    anyone prove that the first `size` entries were not rewritten since `signed_at`.
    The signed message is `transactions.journal.checkpoints.message(size, head_hash, signed_at)`.
    """

    size = models.BigIntegerField(help_text="Number of entries covered: 1..size.")
    head_hash = models.CharField(max_length=64, help_text="entry_hash of entry `size`.")
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=64, help_text="SHA-256 of the raw public key, hex.")
    signature = models.CharField(max_length=128, help_text="Ed25519 signature, hex.")

    class Meta:
        ordering = ["size", "signed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="checkpoint_size_not_negative"),
            models.CheckConstraint(
                condition=Q(Exact(Length("head_hash"), 64))
                & Q(Exact(Length("key_id"), 64))
                & Q(Exact(Length("signature"), 128)),
                name="checkpoint_fields_hex_lengths",
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.size} at {self.signed_at:%Y-%m-%d %H:%M}"


class PersonalDataAccess(models.Model):
    """One reading of a party's unmasked personal data by a signed-in user: who, what, when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    fields = models.CharField(max_length=200, help_text="The fields shown, comma-separated.")
    purpose = models.CharField(max_length=200, help_text="The page or endpoint that showed them.")
    at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "personal data accesses"
        indexes = [models.Index(fields=["party", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} read party {self.party_id} at {self.at:%Y-%m-%d %H:%M}"
