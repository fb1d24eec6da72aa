"""Who holds which right (LADM LA_Party, LA_RRR) and the journal of registered deeds.

The journal is the only source of truth for rights: `Right` rows are a projection of
it, each begun (and possibly ended) by a journal entry. Nothing here cascades on
delete toward a legal record.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.indexes import GinIndex
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
    # The kind of holder as the profile's register distinguishes them (its code, e.g.
    # "individual", "household", "corporation": landinfo.profiles.base.HolderKind); ""
    # when the deeds that stated the party said none (those before it was recorded).
    holder_kind = models.CharField(max_length=32, blank=True, db_default="")
    name = models.CharField(max_length=300)
    # Personal data: never public, never in a tile, an export or a log.
    # NULL, not "", when unknown: the unique constraint must ignore parties without one.
    national_id = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    # Contact, not law (not in any deed's payload): where the register alerts a holder or a
    # lender of applications on their parcels (transactions.alerts). Personal data.
    email = models.EmailField(max_length=254, blank=True, db_default="")

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
    # The certificate's entry number in the issuance book (VN: số vào sổ cấp GCN).
    certificate_number = models.CharField(max_length=32, blank=True)
    # What the certificate states of the right, as the deeds stated it ("" / NULL / False:
    # not stated, as for every right recorded before these columns): the profile's code
    # of its origin and form of use, its term, the assets attached to the land, and the
    # certificate paper's serial (VN: số phát hành). The term is two columns so that a
    # query finds rights by the day their term ends: long-term (VN: lâu dài), or until
    # `term_end`, never both.
    origin = models.CharField(max_length=32, blank=True, db_default="")
    use_form = models.CharField(max_length=16, blank=True, db_default="")
    long_term = models.BooleanField(db_default=False)
    term_end = models.DateField(null=True, blank=True)
    attached_assets = models.TextField(blank=True, db_default="")
    certificate_serial = models.CharField(max_length=32, blank=True, db_default="")
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
            models.CheckConstraint(
                condition=Q(long_term=False) | Q(term_end__isnull=True),
                name="right_term_long_or_until",
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
    Since the transparency log, a checkpoint also states the Merkle tree's root at `size`
    as a C2SP checkpoint (`note`: the signed note with the witnesses' cosignatures it
    collected before it was stored); older ones have neither and keep verifying as before.
    """

    size = models.BigIntegerField(help_text="Number of entries covered: 1..size.")
    head_hash = models.CharField(max_length=64, help_text="entry_hash of entry `size`.")
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=64, help_text="SHA-256 of the raw public key, hex.")
    signature = models.CharField(max_length=128, help_text="Ed25519 signature, hex.")
    root_hash = models.CharField(
        max_length=64, blank=True, db_default="", help_text="RFC 9162 root at `size`, hex."
    )
    note = models.TextField(
        blank=True, db_default="", help_text="The C2SP checkpoint: signed note with cosignatures."
    )
    cosignatures = models.PositiveSmallIntegerField(
        db_default=0, help_text="Witnesses whose cosignature the note carries."
    )

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


class TreeHash(models.Model):
    """One stored hash of the journal's Merkle tree (RFC 9162): a tile's hash at `level` ≥ 1.

    In tlog-tiles terms, the hash of index `index` at tile level `level` is the Merkle
    tree hash of entries `index * 256**level + 1` to `(index + 1) * 256**level`. Level 0
    is the journal itself (a leaf is SHA-256(0x00 ‖ the entry's 32-byte entry_hash)), so
    only one row in 256 entries is stored; `transactions.journal.tree` writes them as the
    journal reaches each boundary and computes every other node from them.
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(index__gte=0), name="treehash_level_index"
            ),
            models.CheckConstraint(
                condition=Q(Exact(Length("hash"), 32)), name="treehash_hash_32_bytes"
            ),
        ]

    def __str__(self) -> str:
        return f"tree hash {self.level}/{self.index}"


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


class Application(models.Model):
    """A deed filed for registration: its receipt fixes its place in the queue of its parcels.

    The columns up to `office` are written once, at receipt, and never change (a trigger
    refuses it); `status`, `decided_at` and `entry` are the projection of the
    application's events (ApplicationEvent), which hold the history, chained and
    append-only. Of the applications on a parcel, a later one is never registered before
    an earlier one is decided (transactions.applications.decisions).
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "received"
        ON_HOLD = "on_hold", "on hold"
        REGISTERED = "registered", "registered"
        REFUSED = "refused", "refused"
        WITHDRAWN = "withdrawn", "withdrawn"

    receipt_number = models.BigIntegerField(
        primary_key=True, help_text="1, 2, 3, ... in order of receipt, with no gaps."
    )
    received_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=JournalEntry.Kind.choices)
    # The request's body as filed (canonical JSON: the deed, its contract, its documents),
    # and its SHA-256, which the receipt event chains.
    body = models.TextField()
    request_sha256 = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    document_sha256 = models.CharField(max_length=64, blank=True)
    parcels = ArrayField(models.BigIntegerField(), help_text="The parcels the deed acts on.")
    expected_last_entry = models.BigIntegerField()
    # Who certified the contract, as alerts and the registrar name it (no personal data).
    office = models.CharField(max_length=300, blank=True)
    # Printed on the notary's receipt: with the receipt number it opens the public status page.
    status_code = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )

    class Meta:
        ordering = ["receipt_number"]
        permissions = [
            ("decide_application", "Can decide applications for registration (registrar)"),
        ]
        indexes = [
            GinIndex(fields=["parcels"], name="application_parcels"),
            models.Index(
                fields=["receipt_number"],
                condition=Q(status__in=["received", "on_hold"]),
                name="application_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(receipt_number__gt=0), name="application_receipt_positive"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="application_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["received", "on_hold", "registered", "refused", "withdrawn"]
                ),
                name="application_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="registered", entry__isnull=False)
                | (~Q(status="registered") & Q(entry__isnull=True)),
                name="application_registered_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"application {self.receipt_number} {self.kind} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.ON_HOLD)


class ApplicationEvent(models.Model):
    """One step of an application (its receipt, a hold, a decision): append-only, chained.

    `payload` is canonical JSON as hashed; `event_hash` chains it to the event before it
    with the journal's own hash (transactions.journal.hashing.entry_hash), so a changed,
    removed or reordered event breaks the chain that `verify_ledger` checks.
    """

    sequence = models.BigIntegerField(primary_key=True, help_text="1, 2, 3, ... with no gaps.")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=16, choices=Application.Status.choices)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = models.TextField(help_text="Canonical JSON of the event, as hashed.")
    prev_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["application", "sequence"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(sequence__gt=0), name="application_event_sequence_positive"
            ),
            models.UniqueConstraint(fields=["event_hash"], name="application_event_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"event {self.sequence}: application {self.application_id} {self.status}"


class AlertSubscription(models.Model):
    """An e-mail address that asked to be told of every application filed on a parcel.

    Anyone may subscribe (double opt-in: `confirmed_at` is set by the link mailed to the
    address). Holders and lenders with an address on file are subscribed without a row;
    a row with `unsubscribed_at` records that one of them, or a subscriber, opted out.
    """

    email = models.EmailField(max_length=254)
    parcel = models.ForeignKey(
        "parcels.Parcel", on_delete=models.PROTECT, related_name="alert_subscriptions"
    )
    language = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "parcel"], name="alert_subscription_unique"),
            # Stored folded (lower case), so one address is one subscriber.
            models.CheckConstraint(
                condition=Q(email=models.functions.Lower("email")),
                name="alert_subscription_email_folded",
            ),
        ]
        indexes = [models.Index(fields=["parcel", "email"], name="alert_subscription_parcel")]

    def __str__(self) -> str:
        return f"alerts on parcel {self.parcel_id}"


class OutboxMessage(models.Model):
    """A message to send (an alert, a confirmation, a statement): the outbox of the mail worker.

    Written in the transaction of what it tells of, so a receipt and its alerts commit
    together; the worker (transactions.alerts.outbox) sends it and marks it sent. The
    message is fixed when queued (subject, body, address), so a retry sends the same
    message with the same Message-ID. `key` makes a message queued twice one row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    key = models.CharField(max_length=200, help_text="What the message is about, once.")
    channel = models.CharField(max_length=16, default="email")
    address = models.CharField(max_length=320)
    purpose = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    parcel = models.ForeignKey(
        "parcels.Parcel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The SHA-256 of the message's one-time link token (confirm, object, unsubscribe): the
    # token itself is only in the body, which the worker empties once the message is sent.
    token_sha256 = models.CharField(max_length=64, blank=True)
    # The "I did not agree to this" link of an alert works once: set when it was used.
    objected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key"], name="outbox_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="outbox_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["token_sha256"], name="outbox_token"),
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbox_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk} ({self.status})"
