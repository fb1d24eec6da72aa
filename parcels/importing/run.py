"""One run of the import: open the layer, check it batch by batch, stage, check, write.

`import_parcels` opens the file (parcels.importing.safe_files), chooses its layer, text
decoding (encodings), CRS (crs) and field mapping (fields), then reads the layer in
Arrow batches (batches), so memory stays flat in its size, COPYing each into the staging
table (staging). All of it is one transaction: either every accepted parcel is in the
register or none is. A cause that is the whole file's (its CRS, its encoding, a field
mapping) refuses the whole file in one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyogrio
import pyogrio.errors
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from pyogrio import raw as ogr_raw

from landinfo.profiles import get_profile
from parcels.importing import crs, placement, report, staging
from parcels.importing.batches import Batches
from parcels.importing.encodings import text_decoding
from parcels.importing.fields import FieldMapping, map_fields, used_fields
from parcels.importing.options import ImportOptions
from parcels.importing.problems import ImportAborted, ParcelFileError, Problem
from parcels.importing.report import ReportedProblem
from parcels.importing.safe_files import (
    UnsafeFileError,
    check_driver,
    check_source,
    gdal_reading,
)
from parcels.importing.staging import Status
from parcels.models import AdministrativeUnit


@dataclass(slots=True)
class ImportResult:
    """What an import read, wrote and refused."""

    path: str
    layer: str
    driver: str
    source_crs: str
    storage_srid: int
    mapping: FieldMapping
    text_encoding: str
    notes: list[str] = field(default_factory=list)  # mappings a reader should know about
    read: int = 0
    imported: int = 0  # written; with --dry-run, that would have been written
    unchanged: int = 0
    rejected: int = 0  # features, each counted once
    area_notes: int = 0  # imported (or unchanged) with a registered area beyond tolerance
    map_scale: str = ""  # where the map scale of the area check comes from
    problems: dict[str, int] = field(default_factory=dict)  # Problem value → features
    first_problems: list[ReportedProblem] = field(default_factory=list)
    created_units: list[str] = field(default_factory=list)
    report_path: Path | None = None
    committed: bool = False
    dry_run: bool = False
    strict: bool = False


class Progress(Protocol):
    """Where a running import reports how far it got."""

    def read(self, done: int, total: int | None) -> None:
        """Take the number of features read so far, and in the layer if GDAL knows it."""

    def step(self, description: str) -> None:
        """Take what the import does once the file is read."""


@dataclass(frozen=True, slots=True)
class _Layer:
    name: str
    driver: str
    crs: str | None
    fields: tuple[str, ...]
    field_types: dict[str, str]  # field → numpy dtype name
    features: int | None
    geometry_type: str | None


def _open_layer(path: str, layer: str | None, encoding: str | None = None) -> _Layer:
    """Return the layer to import: the one named, or the file's only spatial layer.

    `encoding` is pyogrio's, for the field names: see _TextDecoding.
    """
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ParcelFileError(f"{path}: GDAL cannot read it as a vector file: {error}") from error
    names = [str(name) for name, _ in layers]
    spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
    if layer is None:
        if len(spatial) != 1:
            listing = ", ".join(
                f"{name} ({geometry_type or 'no geometry'})" for name, geometry_type in layers
            )
            raise ParcelFileError(
                f"{path} has {len(spatial)} layers with geometry; choose one with --layer. "
                f"Its layers: {listing or '(none)'}."
            )
        layer = spatial[0]
    elif layer not in names:
        raise ParcelFileError(
            f"{path} has no layer {layer!r}; its layers are: {', '.join(names) or '(none)'}."
        )
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ParcelFileError(f"{path}, layer {layer}: {error}") from error
    try:
        check_driver(path, str(info["driver"]))
    except UnsafeFileError as error:
        raise ParcelFileError(str(error)) from error
    if info["geometry_type"] is None:
        raise ParcelFileError(f"{path}, layer {layer}: the layer has no geometry column.")
    fields = tuple(str(name) for name in info["fields"])
    return _Layer(
        name=layer,
        driver=str(info["driver"]),
        crs=info["crs"],
        fields=fields,
        field_types={name: str(dtype) for name, dtype in zip(fields, info["dtypes"], strict=True)},
        features=info["features"] if info["features"] >= 0 else None,
        geometry_type=info["geometry_type"],
    )


def import_parcels(
    path: str | Path,
    *,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the parcels of a GIS file into the register in one transaction.

    Return what was read, imported, found unchanged and rejected, and the report's path.
    Raise ParcelFileError when the file cannot be imported at all, and ImportAborted
    when the database refused the write; nothing is imported then. With
    `options.strict`, one rejected feature is enough for nothing to be imported.
    """
    path = str(path)
    try:
        check_source(path)
    except UnsafeFileError as error:
        raise ParcelFileError(str(error)) from error
    try:
        with gdal_reading(path):
            run = _Import(path, options)
            with transaction.atomic(durable=True):
                run.execute(progress)
    except DatabaseError as error:
        raise ImportAborted(
            f"The database refused the import, so nothing was imported: {error}".strip()
        ) from error
    return run.result


class _Import:
    """One run of the import: the layer, how it maps onto parcels, and what came of it."""

    def __init__(self, path: str, options: ImportOptions) -> None:
        self.path = path
        self.options = options
        self.profile = profile = get_profile()
        self.layer = layer = _open_layer(path, options.layer)
        self.text = text_decoding(path, layer.name, layer.driver, options.encoding)
        if self.text.transport is not None:
            # GDAL decoded the field names too: read them again, passed through.
            self.layer = layer = _open_layer(path, layer.name, self.text.transport)
        # With bytes passed through as ISO-8859-1, field names arrive that way too.
        self.columns = {self.text.field_name(name): name for name in layer.fields}
        self.mapping = mapping = map_fields(list(self.columns), options, profile)
        source = crs.source_crs(layer.crs, options.srs, options.override_srs)
        self.frame = crs.frame(source, profile)
        self.result = ImportResult(
            path=path,
            layer=layer.name,
            driver=layer.driver,
            source_crs=self.frame.source_name,
            storage_srid=profile.storage_srid,
            mapping=mapping,
            text_encoding=self.text.origin,
            dry_run=options.dry_run,
            strict=options.strict,
        )
        if mapping.area is None:
            self.result.notes.append(
                "registered area = area of the boundary on the ellipsoid, rounded to 0.01 m² "
                "(the file has no area field)"
            )
        elif options.map_scale is not None:
            self.result.map_scale = f"1:{options.map_scale} (--map-scale)"
        elif mapping.map_scale is not None:
            self.result.map_scale = (
                f"{mapping.map_scale}; 1:{profile.default_map_scale} where it is empty"
            )
        else:
            self.result.map_scale = f"1:{profile.default_map_scale} ({profile.name}'s usual)"
        self.file_has_crs = bool(layer.crs)

    def execute(self, progress: Progress | None) -> None:
        """Stage, check and write the layer; run inside the import's transaction."""
        cursor = connection.cursor()
        # Compiling the checks' plans (their costs are those of joins over the whole file)
        # took longer than running them: 0.15 s of a 0.6 s import of 5,000 parcels.
        cursor.execute("SET LOCAL jit = off")
        staging.create_tables(cursor, self.profile.storage_srid)
        self._stage(cursor, progress)
        if progress is not None:
            progress.step("checking duplicates and the register")
        staging.check_staged(
            cursor,
            mapping=self.mapping,
            profile=self.profile,
            create_units=self.options.create_units,
        )
        accepted = self._summarise(cursor)
        refusal = self._whole_file_cause(cursor, accepted)
        if self.result.rejected or self.result.area_notes or self.options.report_path is not None:
            self.result.report_path = report.write_report(
                cursor, self.path, self.options.report_path
            )
        if refusal is not None:
            raise ParcelFileError(
                f"{self.path}: nothing was imported. {refusal} The report lists every "
                f"feature: {self.result.report_path}"
            )
        if self.options.strict and self.result.rejected:
            transaction.set_rollback(True)
            return
        if progress is not None:
            progress.step(f"writing {accepted} parcels")
        self._write(cursor, accepted)
        staging.drop_tables(cursor)
        if self.options.dry_run:
            transaction.set_rollback(True)
            return
        self.result.committed = True

    def _stage(self, cursor: CursorWrapper, progress: Progress | None) -> None:
        """Read the layer batch by batch into the staging and problem tables."""
        layer, mapping = self.layer, self.mapping
        integer_fields = frozenset(
            name
            for name, column in self.columns.items()
            if layer.field_types[column].startswith(("int", "uint"))
        )
        read = 0
        if progress is not None:
            progress.read(read, layer.features)
        try:
            with ogr_raw.open_arrow(
                self.path,
                layer=layer.name,
                encoding=self.text.transport,
                columns=[self.columns[name] for name in dict.fromkeys(used_fields(mapping))],
                return_fids=True,
                batch_size=self.options.batch_size,
                use_pyarrow=True,
            ) as (meta, reader):
                batches = Batches(
                    profile=self.profile,
                    mapping=mapping,
                    frame=self.frame,
                    text=self.text,
                    columns=self.columns,
                    integer_fields=integer_fields,
                    geometry_column=meta["geometry_name"] or "wkb_geometry",
                    fid_column=meta["fid_column"],
                    map_scale=self.options.map_scale,
                )
                self.batches = batches
                for batch in reader:
                    staging.copy_batch(cursor, *batches.check(batch, read))
                    read += batch.num_rows
                    if progress is not None:
                        progress.read(read, layer.features)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as error:
            # OSError: Arrow's stream reports GDAL's failure on a truncated file that way.
            raise ParcelFileError(
                f"{self.path}, layer {layer.name}: GDAL failed while reading it (a truncated "
                f"or damaged file?): {error}"
            ) from error
        if read == 0:
            raise ParcelFileError(
                f"{self.path}, layer {layer.name}: the layer has no features; there is "
                f"nothing to import (an empty export, or the wrong layer?)."
            )
        self.result.read = read
        if batches.with_z:
            self.result.notes.append(
                f"Z coordinates dropped from {batches.with_z} features: the register keeps "
                f"boundaries in 2D"
            )

    def _summarise(self, cursor: CursorWrapper) -> int:
        """Fill in the counts and first problems; return how many features are accepted."""
        result = self.result
        counts = report.counts(cursor)
        result.rejected = counts.rejected
        result.area_notes = counts.noted
        result.problems = counts.problems
        result.first_problems = counts.first_problems
        result.unchanged = counts.statuses.get(Status.UNCHANGED, 0)
        accepted = counts.statuses.get(Status.ACCEPTED, 0)
        if result.read != accepted + result.unchanged + result.rejected:
            raise ImportAborted(
                f"Internal error: {result.read} features read, but {accepted} accepted, "
                f"{result.unchanged} unchanged and {result.rejected} rejected; nothing was "
                f"imported."
            )
        return accepted

    def _whole_file_cause(self, cursor: CursorWrapper, accepted: int) -> str | None:
        """Return why the file as a whole cannot be imported, or None.

        Its CRS, when features lie out of place and the profile's usual CRSs tell that the
        file, not they, is off (parcels.importing.placement); otherwise, when no feature can be
        imported and one problem is every feature's, that problem and the option to fix it.
        """
        profile = self.profile
        batches = self.batches
        if batches.misplaced:
            diagnosis = placement.diagnose(
                batches.sample, self.frame.source, profile, batches.units
            )
            if placement.whole_file_missed(diagnosis):
                return placement.describe(
                    diagnosis,
                    source=self.frame.source,
                    source_name=self.frame.source_name,
                    profile=profile,
                    file_has_crs=self.file_has_crs,
                )
        result = self.result
        if accepted or result.unchanged or not result.read:
            return None
        for problem, advice in self._whole_file_advice().items():
            if result.problems.get(problem.value) == result.read:
                examples = "; ".join(report.examples_of(cursor, problem))
                return (
                    f"Every one of the {result.read} features has the same problem, so it is "
                    f"the file's: {advice}. For example: {examples}."
                )
        return None

    def _whole_file_advice(self) -> dict[Problem, str]:
        """Return, for each problem that can be a whole file's, what would fix it; in order."""
        mapping, profile = self.mapping, self.profile
        units = profile.units_noun
        return {
            Problem.OUTSIDE_AREA: (
                f"none lies in {profile.name} read in {self.frame.source_name}; give the "
                f"file's CRS with --srs"
            ),
            Problem.WRONG_ENCODING: (
                f"the text is not in the encoding it was read in ({self.text.origin}); "
                f"pass --encoding with the file's own (UTF-8, cp1258, cp949, ...)"
            ),
            Problem.NOT_POLYGONAL: (
                f"layer {self.layer.name} holds no parcel boundaries (polygons); choose the "
                f"parcel layer with --layer"
            ),
            Problem.MISSING_GEOMETRY: (
                "no feature has a boundary; in a CSV file it is read from a column named WKT"
            ),
            Problem.MISSING_IDENTIFIER: (
                f"{mapping.identifier_source} holds no identifiers; name the identifier "
                f"field(s) with --id-field"
            ),
            Problem.UNREADABLE_IDENTIFIER: (
                f"{mapping.identifier_source} holds no parcel identifiers of {profile.name}; "
                f"name the identifier field(s) with --id-field, and the {profile.unit_noun} "
                f"with --commune when they leave it out"
            ),
            Problem.UNKNOWN_LAND_USE: (
                f"{mapping.land_use} holds no land-use codes of {profile.name}; name the "
                f"land-use field with --land-use-field"
            ),
            Problem.BAD_AREA: (
                f"{mapping.area or 'the boundary'} holds no areas in m²; name the area field "
                f"with --area-field"
            ),
            Problem.BAD_MAP_SCALE: (
                f"{mapping.map_scale} holds no map scales; name the field with "
                f"--map-scale-field, or give the scale with --map-scale"
            ),
            Problem.OVERLAP: (
                "each lies on ground that current parcels of the register (or other features "
                "of the file) hold, alone or with others: the file is registered already under "
                "other identifiers, or it is shifted (it is read in "
                f"{self.frame.source_name}: is that its CRS?), or its features take, together, "
                "more of a parcel than its map permits"
            ),
            Problem.UNKNOWN_UNIT: (
                f"none of its {units} is in the register; load the administrative units "
                f"first, or pass --create-units"
            ),
        }

    def _write(self, cursor: CursorWrapper, accepted: int) -> None:
        """Create the missing units if asked, then insert the accepted parcels at once."""
        if self.options.create_units:
            self.result.created_units = staging.missing_units(cursor)
            AdministrativeUnit.objects.bulk_create(
                AdministrativeUnit(code=code, name=code, level=AdministrativeUnit.Level.COMMUNE)
                for code in self.result.created_units
            )
        valid_from = self.options.valid_from or timezone.localdate()
        self.result.imported = staging.insert_parcels(cursor, valid_from)
        if self.result.imported != accepted:
            raise ImportAborted(
                f"Internal error: {accepted} features accepted but {self.result.imported} "
                f"inserted; nothing was imported."
            )
