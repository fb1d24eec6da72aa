"""`manage.py import_parcels PATH`: the command-line face of parcels.importing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from tqdm import tqdm

from landinfo.profiles import get_profile
from parcels.importing import (
    DEFAULT_BATCH_SIZE,
    ImportAborted,
    ImportOptions,
    ImportResult,
    ParcelFileError,
    import_parcels,
    parse_map_scale,
)

_EPILOG = """\
Fields are guessed when not given (names compared ignoring case, accents and "_"):
  identifier  identifier, parcel_id, pnu, ma_thua, id_thua, so_hieu, jibun, ...;
              else composed from maXa/commune + soTo/sheet + soThua/parcel
              (without a commune field: --commune CODE)
  land use    land_use, loai_dat, muc_dich, jimok, ...   (required)
  address     address, dia_chi, addr, juso, ...          (else left blank)
  area        registered_area, reg_area, registered, area, dien_tich, ...
              (else the boundary's area)
  map scale   map_scale, scale, ty_le, chukcheok, ...    (else --map-scale, else the
              country's usual scale: 1:1000 in Vietnam, 1:1200 in Korea)

Nothing is repaired. Each rejected feature is listed in a CSV report
(fid,identifier,field,reason), written whenever something is rejected or noted, to a new
file in LANDINFO_IMPORT_REPORT_DIR, or always to --report. Parcels already registered with
the same boundary and attributes are skipped as unchanged, so running the same file again
adds nothing; a different boundary or attribute is a conflict, which needs a deed.

Every boundary must lie in the country (its land and islands, 10 km beyond) and, where the
administrative unit it is imported into has a boundary, in that unit. When a whole file
lies out of place, the import names the CRS that puts it in place (one message, exit 1).
A registered area that differs from the boundary's by more than the map scale permits
(Vietnam: Circular 25/2014/TT-BTNMT; Korea: 공간정보관리법 시행령 제19조) is imported as
registered and listed in the report as a note.

Only local files are read, and only in the formats parcels come in: GeoPackage,
Shapefile (or a .zip of one), GeoJSON, FlatGeobuf, KML, GML, CSV, FileGDB, MapInfo.
Refused before GDAL opens them: URLs, /vsi... paths and connection strings; VRT and
other files that point at other data; XML with a DTD; GeoJSON crs links; tar, gzip
and other archives; zips with ../ or absolute names, links, nested archives, or that
would unpack beyond LANDINFO_IMPORT_MAX_UNPACKED_BYTES or compress more than
LANDINFO_IMPORT_MAX_COMPRESSION_RATIO. A boundary with more than
LANDINFO_IMPORT_MAX_VERTICES vertices is rejected like any other bad feature.

Exit status:
  0  features were imported (or, with --dry-run, would be); when some were rejected,
     a warning says so and the report lists them. Also when every feature is already
     registered unchanged: the register holds the file.
  1  nothing was imported: every feature was rejected, --strict and something was
     rejected, the file, layer, CRS, encoding or fields cannot be used (said in one
     message), the report cannot be written, or the database refused the write
  2  the command line cannot be read (an unknown option; a date, map scale or batch
     size of the wrong form)
"""


def _map_scale(value: str) -> int:
    """Return the denominator of "1:1000", "1/1000" or "1000" (argparse's type)."""
    try:
        return parse_map_scale(value, get_profile())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _positive(value: str) -> int:
    """Return a whole number of at least 1 (argparse's type)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


# The command's options, in --help's order: (flags, argparse settings).
_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--layer",), {"help": "The layer to import, when the file has several."}),
    (
        ("--id-field",),
        {
            "help": "The field holding the parcel identifier, or the fields of its parts "
            "separated by commas (Vietnam: commune,sheet,parcel or sheet,parcel)."
        },
    ),
    (
        ("--commune", "--unit"),
        {
            "dest": "unit_code",
            "metavar": "CODE",
            "help": "The commune (Korea: legal dong) of identifiers that leave it out.",
        },
    ),
    (
        ("--srs",),
        {"help": "The CRS of the coordinates when the file has none, e.g. EPSG:3405."},
    ),
    (
        ("--override-srs",),
        {
            "action": "store_true",
            "help": "Read the coordinates in --srs even though the file names another CRS.",
        },
    ),
    (("--land-use-field",), {"help": "The field holding the land-use code."}),
    (("--address-field",), {"help": "The field holding the address."}),
    (("--area-field",), {"help": "The field holding the registered area in m²."}),
    (
        ("--map-scale-field",),
        {"help": "The field holding the scale of each parcel's cadastral map (1:1000 or 1000)."},
    ),
    (
        ("--map-scale",),
        {
            "type": _map_scale,
            "metavar": "1:M",
            "help": "The scale of the file's cadastral map, for every parcel (e.g. 1:500); it "
            "sets how far a registered area may differ from its boundary's.",
        },
    ),
    (
        ("--encoding",),
        {
            "help": "The encoding of the file's text, when its .cpg is missing or wrong "
            "(e.g. UTF-8, cp1258)."
        },
    ),
    (
        ("--valid-from",),
        {
            "type": dt.date.fromisoformat,
            "metavar": "YYYY-MM-DD",
            "help": "The first day the imported parcels exist in law (default: today).",
        },
    ),
    (
        ("--create-units",),
        {
            "action": "store_true",
            "help": "Create missing communes (named by their code) instead of rejecting "
            "their parcels.",
        },
    ),
    (
        ("--strict",),
        {"action": "store_true", "help": "Import nothing, and fail, if any feature is rejected."},
    ),
    (
        ("--dry-run",),
        {
            "action": "store_true",
            "help": "Check everything, including the database's constraints; write nothing "
            "but the report.",
        },
    ),
    (("--report",), {"type": Path, "help": "Where to write the CSV report."}),
    (
        ("--batch-size",),
        {
            "type": _positive,
            "default": DEFAULT_BATCH_SIZE,
            "help": f"Features read at a time (default {DEFAULT_BATCH_SIZE}).",
        },
    ),
)


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's table as written."""


class _Progress:
    """A tqdm bar on stderr, made when the import says how many features there are."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: tqdm[Any] | None = None

    def read(self, done: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, unit=" features", file=self.stream, dynamic_ncols=True)
        self.bar.update(done - self.bar.n)

    def step(self, description: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(description)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Import parcels from a GIS file (GeoPackage, Shapefile or zipped Shapefile, "
        "GeoJSON, GML, KML, FlatGeobuf, CSV, FileGDB, MapInfo), transformed to the storage CRS. "
        "Valid features are imported in one transaction; the others are reported."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs.setdefault("epilog", _EPILOG)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The file (or a .zip holding a Shapefile).")
        for flags, settings in _OPTIONS:
            parser.add_argument(*flags, **settings)

    def handle(self, *args: Any, **options: Any) -> None:
        import_options = ImportOptions(
            layer=options["layer"],
            id_fields=tuple(
                name.strip() for name in (options["id_field"] or "").split(",") if name.strip()
            ),
            unit_code=options["unit_code"],
            srs=options["srs"],
            override_srs=options["override_srs"],
            land_use_field=options["land_use_field"],
            address_field=options["address_field"],
            area_field=options["area_field"],
            map_scale_field=options["map_scale_field"],
            map_scale=options["map_scale"],
            encoding=options["encoding"],
            valid_from=options["valid_from"],
            create_units=options["create_units"],
            strict=options["strict"],
            dry_run=options["dry_run"],
            report_path=options["report"],
            batch_size=options["batch_size"],
        )
        # The bar goes to the terminal only: piped or logged output stays clean.
        progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
        try:
            result = import_parcels(options["path"], options=import_options, progress=progress)
        except (ParcelFileError, ImportAborted) as error:
            raise CommandError(str(error)) from error
        finally:
            if progress is not None:
                progress.close()
        self._print_summary(result)
        if result.rejected and result.strict:
            raise CommandError(
                f"--strict: {result.rejected} of {result.read} features were rejected, so "
                f"nothing was imported; the report lists them: {result.report_path}"
            )
        if result.rejected and not result.imported:
            raise CommandError(
                f"Nothing was imported: {result.rejected} of {result.read} features were "
                f"rejected"
                + (f" and {result.unchanged} are registered already" if result.unchanged else "")
                + f"; the report lists them: {result.report_path}"
            )
        if result.rejected:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: {result.rejected} of {result.read} features were rejected and "
                    f"not imported; see {result.report_path}"
                )
            )

    def _print_summary(self, result: ImportResult) -> None:
        write = self.stdout.write
        write(f"File:      {result.path} ({result.driver}), layer {result.layer}")
        write(f"CRS:       {result.source_crs} → EPSG:{result.storage_srid}")
        write(f"Text:      {result.text_encoding}")
        for position, line in enumerate(result.mapping.describe()):
            write(f"{'Fields:' if position == 0 else '':<10} {line}")
        if result.map_scale:
            write(f"Scale:     {result.map_scale}")
        for note in result.notes:
            write(f"Note:      {note}")
        if result.created_units:
            verb = "Would create" if not result.committed else "Created"
            write(f"{verb} {len(result.created_units)} units: {', '.join(result.created_units)}")
        if result.committed:
            outcome = f"imported {result.imported}"
        elif result.dry_run and not (result.strict and result.rejected):
            outcome = f"would import {result.imported} (dry run: nothing written)"
        else:
            outcome = "imported 0"
        write(
            f"Read {result.read} · {outcome} · unchanged {result.unchanged} · "
            f"rejected {result.rejected}"
        )
        if result.problems:
            write("Rejected features by reason:")
            for kind, count in result.problems.items():
                write(f"  {kind:<30} {count}")
            write(f"First problems (of {result.rejected} features):")
            for problem in result.first_problems:
                write(
                    f"  FID {problem.fid} {problem.identifier or '-'} [{problem.field}] "
                    f"{problem.reason}"
                )
        if result.area_notes:
            write(
                f"Area notes: {result.area_notes} parcels' registered area differs from the "
                f"boundary's by more than the map scale permits; imported as registered, "
                f"listed in the report"
            )
        if result.report_path is not None:
            write(f"Report:    {result.report_path}")
