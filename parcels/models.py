"""Where and what: the spatial units of the register (LADM LA_SpatialUnit, LA_BAUnit).

Boundaries are stored in the profile's projected CRS so that areas are in m²; a
Web Mercator copy is a generated column (PostgreSQL computes it on every write), so
tiles never transform at read time and no code path can forget to maintain it.
"""

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q

from landinfo.srid import STORAGE_SRID, WEB_MERCATOR


class AdministrativeUnit(models.Model):
    """A province, district or commune (Vietnam); a si/do, si/gun/gu or dong/ri (Korea)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, "province / si-do"
        DISTRICT = 2, "district / si-gun-gu"
        COMMUNE = 3, "commune / eup-myeon-dong"
        VILLAGE = 4, "village / ri"

    code = models.CharField(max_length=16, unique=True, help_text="Official code of the unit.")
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    boundary = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True)
    boundary_3857 = models.GeneratedField(
        expression=Transform("boundary", WEB_MERCATOR),
        output_field=models.MultiPolygonField(srid=WEB_MERCATOR, null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent", "level"]),
            GistIndex(fields=["boundary_3857"], name="adminunit_boundary_3857_gist"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isnull=True) | Q(boundary__isvalid=True),
                name="adminunit_boundary_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AdministrativeUnitName(models.Model):
    """A name a unit was known by before a merger or renaming, and what it was part of then.

    Vietnam's 2025 reform merged provinces and communes and abolished districts; every
    certificate issued before it carries the old names, which people keep typing. Search
    reads a former name as the unit it became, and a former parent's name as a place
    that contained it (parcels.search.places).
    """

    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="former_names"
    )
    name = models.CharField(max_length=200)
    parent_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The unit it was part of under this name, e.g. a district abolished in 2025.",
    )
    valid_to = models.DateField(help_text="First day the name was no longer in use.")

    class Meta:
        ordering = ["unit", "valid_to", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name", "parent_name"], name="adminunitname_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (until {self.valid_to})"


class SearchWord(models.Model):
    """A word of some parcel's address or some unit's name, as search folds it.

    The small table search completes the word being typed from (btree prefix) and
    corrects a mistyped word against (trigram); the parcels themselves are found by the
    GIN index on their words (migration 0007). New words are added by a trigger in the
    transaction that writes them; `manage.py rebuild_search_index` recounts and prunes.
    """

    word = models.TextField(primary_key=True)
    parcels = models.IntegerField(
        default=0, help_text="Current parcels whose address had the word at the last rebuild."
    )
    # Whether the word is in a unit's name (current or former, or a former parent's):
    # a place being typed after a lot ("..., Phường Mẫ") is told from words that name
    # no place ("..., Phường Không Có").
    in_place_name = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.word


class Parcel(models.Model):
    """A land parcel (thửa đất, 필지) with its lifespan and lineage.

    A parcel is never deleted: subdivision and merge retire it by setting `valid_to`,
    and the new parcels name it among their parents.
    """

    identifier = models.CharField(
        max_length=32, help_text="Canonical identifier in the profile's format."
    )
    admin_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="parcels"
    )
    land_use = models.CharField(max_length=8, help_text="Code from the profile's code list.")
    registered_area = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Area on the certificate, m²."
    )
    address = models.CharField(max_length=300, blank=True)
    boundary = models.MultiPolygonField(srid=STORAGE_SRID)
    boundary_3857 = models.GeneratedField(
        expression=Transform("boundary", WEB_MERCATOR),
        output_field=models.MultiPolygonField(srid=WEB_MERCATOR),
        db_persist=True,
    )
    # Null: the profile's usual scale (JurisdictionProfile.default_map_scale). Nullable
    # without a default, so adding it to a table of millions of rows rewrites none.
    map_scale = models.IntegerField(
        null=True,
        blank=True,
        help_text="Scale denominator M of the cadastral map (1:M) the boundary was drawn "
        "on; it sets how far the registered area may differ from the boundary's.",
    )
    valid_from = models.DateField(help_text="First day the parcel exists in law.")
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text="Day the parcel was retired (split or merged); null while current.",
    )
    # The deeds that made and retired the parcel (subdivision, merge); null for parcels of
    # the cadastral survey (import) and while current. Set only by transactions.deeds.services.
    created_by = models.ForeignKey(
        "transactions.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_by = models.ForeignKey(
        "transactions.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    parents: "models.ManyToManyField[Parcel, ParcelLineage]" = models.ManyToManyField(
        "self",
        through="ParcelLineage",
        # The lineage row's `child` is this parcel; its `parent` is one of `parents`.
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        blank=True,
    )

    class Meta:
        ordering = ["identifier"]
        permissions = [("export_layers", "Can run large exports of GIS layers (planner)")]
        indexes = [
            models.Index(fields=["admin_unit", "land_use"]),
            models.Index(fields=["identifier", "valid_from"]),
            # Tiles read the Web Mercator copy; GeoDjango indexes only real geometry fields.
            GistIndex(fields=["boundary_3857"], name="parcel_boundary_3857_gist"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier"],
                condition=Q(valid_to__isnull=True),
                name="parcel_one_current_per_identifier",
            ),
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="parcel_boundary_valid"
            ),
            models.CheckConstraint(
                condition=Q(registered_area__gt=0), name="parcel_registered_area_positive"
            ),
            models.CheckConstraint(
                condition=Q(map_scale__isnull=True) | Q(map_scale__gt=0),
                name="parcel_map_scale_positive",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="parcel_lifespan_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class ParcelLineage(models.Model):
    """One edge of the parcel family tree: `child` was made (in part) from `parent`."""

    parent = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="+")
    # The deed that made the child; nullable only for lineage imported from older registers.
    entry = models.ForeignKey(
        "transactions.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="lineage_unique_edge"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="lineage_not_self"),
        ]


class ZoningZone(models.Model):
    """An area of a land-use plan (quy hoạch sử dụng đất, 용도지역) in force for a time."""

    code = models.CharField(max_length=16)
    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=200, blank=True, help_text="The plan that sets the zone.")
    boundary = models.MultiPolygonField(srid=STORAGE_SRID)
    boundary_3857 = models.GeneratedField(
        expression=Transform("boundary", WEB_MERCATOR),
        output_field=models.MultiPolygonField(srid=WEB_MERCATOR),
        db_persist=True,
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code", "name"]
        indexes = [GistIndex(fields=["boundary_3857"], name="zoning_boundary_3857_gist")]
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="zoning_boundary_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="zoning_lifespan_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LandPrice(models.Model):
    """The official land price of a parcel for a year (bảng giá đất, 개별공시지가)."""

    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="prices")
    year = models.PositiveSmallIntegerField()
    price_per_m2 = models.DecimalField(max_digits=16, decimal_places=0)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code.")

    class Meta:
        ordering = ["parcel", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "year"], name="landprice_one_per_parcel_year"
            ),
            models.CheckConstraint(condition=Q(price_per_m2__gte=0), name="landprice_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.parcel_id} {self.year}: {self.price_per_m2} {self.currency}/m²"


class ExportJob(models.Model):
    """A large export a planner asked for, run by `manage.py export_worker` (parcels.publishing.jobs).

    The queue is this table: a worker takes the oldest queued row with SELECT ... FOR
    UPDATE SKIP LOCKED, so several workers never take the same job and PostgreSQL is the
    only service to run. The row outlives its file (deleted after the retention period).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    # PROTECT: who asked for which data stays known while the row exists.
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="export_jobs"
    )
    layer = models.CharField(max_length=32)
    format = models.CharField(max_length=16)
    params = models.JSONField(default=dict, blank=True, help_text="Query parameters as given.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, 0..100.")
    features = models.BigIntegerField(null=True, blank=True)
    bytes = models.BigIntegerField(null=True, blank=True)
    file = models.CharField(
        max_length=300, blank=True, help_text="Path relative to MEDIA_ROOT/exports/."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="exportjob_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="exportjob_progress_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} {self.layer}.{self.format} ({self.status})"
