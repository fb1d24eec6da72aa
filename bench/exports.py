"""Exports and imports: LandInfo's GIS file paths beside ogr2ogr on the same data.

Export: `manage.py export_layer parcels gpkg|fgb` writes every current parcel of the
parcels layer (its SQL joins the unit, the zoning, the latest price and the rights) in
the storage CRS. The floor is ogr2ogr itself, from the same table to the same format
with the same layer options and session settings (JIT off, as export_layer sets), of the
same rows (current parcels) and only the plain columns of `parcels_parcel` with the
geometry: no joins, no computed attributes. Both write into the run's scratch folder,
with the same GDAL, each timed best of a few runs (interleaved: the machine is shared,
so the best run is the least disturbed one) and under GNU time for its peak RSS
(export_layer's is the larger of Python and its ogr2ogr child). Each file is read back
by `ogrinfo -so -al`: a feature count other than the register's current parcels is an
error. "Memory flat in N" is the GeoPackage export's peak at N beside the same export
of about N/10 parcels (a bbox over the westmost tenth).

Import: `manage.py import_parcels` of a GeoPackage of the bench register's current
parcels (identifier, land use, address, registered area, boundary; written by ogr2ogr),
into a scratch database `landinfo_bench_import_<N>` made from template1 and migrated,
holding the bench register's administrative units only: every parcel is new, so the
import checks and inserts all of them, as a first import of a district would. The floor
is `ogr2ogr -f PostgreSQL` of the same file into a new table of the same database (plain
append by COPY, with the spatial index ogr2ogr makes by default). The scratch database is
dropped at the end, so the bench register the other sections read is never written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from bench.harness import ROOT, Context, Measure, Row, peak_rss_of, with_database

GNU_TIME = Path("/usr/bin/time")
OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"
OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"

# (format key of parcels/publishing/exports.py, GDAL driver, extension, layer creation options): the
# floor writes with the options export_layer uses, so both make the same kind of file.
EXPORT_FORMATS = (
    ("gpkg", "GPKG", "gpkg", ()),
    ("fgb", "FlatGeobuf", "fgb", ("SPATIAL_INDEX=NO",)),
)
# The floor's rows: the current parcels, the table's plain columns and the geometry.
FLOOR_EXPORT_SQL = (
    "SELECT id, identifier, land_use, registered_area, address, valid_from, valid_to, "
    "admin_unit_id, created_by_id, retired_by_id, boundary "
    "FROM parcels_parcel WHERE valid_to IS NULL"
)
# The import's input: the fields import_parcels guesses (identifier, land_use,
# address, registered_area), in the storage CRS the file declares.
IMPORT_INPUT_SQL = (
    "SELECT identifier, land_use, address, registered_area, boundary "
    "FROM parcels_parcel WHERE valid_to IS NULL ORDER BY id"
)
_VALID_FROM = ("--valid-from", "2024-01-01")
_PARCELS_LAYER = ("-nln", "parcels", "-nlt", "MULTIPOLYGON")
SUBSET_FRACTION = 0.1  # the smaller export of "memory flat in N"


def run(ctx: Context) -> list[Row]:
    """Measure the exports, then the import; return their rows."""
    if not GNU_TIME.exists():
        raise RuntimeError(
            "bench exports needs GNU time (/usr/bin/time) for peak memory: install the "
            "Debian package `time` (add it to scripts/setup)."
        )
    return [*_export_rows(ctx), *_import_rows(ctx)]


# --- connections ---------------------------------------------------------------------------


def _gdal_source(url: str) -> tuple[str, dict[str, str]]:
    """Return the `PG:` data source of libpq URL `url` and the environment with its password.

    The password goes through PGPASSWORD, so it is never on a command line.
    """
    keywords = psycopg2.extensions.parse_dsn(url)
    password = keywords.pop("password", "")
    source = "PG:" + " ".join(f"{key}='{value}'" for key, value in keywords.items())
    env = {**os.environ, "PGPASSWORD": password, "LC_ALL": "C.UTF-8"}
    return source, env


def _current_parcels(ctx: Context) -> int:
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL")
        return int(cursor.fetchone()[0])


def _feature_count(path: Path) -> int:
    """Return the features GDAL reads back from `path` (every layer's, summed)."""
    finished = subprocess.run(
        [OGRINFO, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    )
    return sum(int(n) for n in re.findall(r"^Feature Count: (\d+)", finished.stdout, re.M))


def _timed(command: list[str], **kwargs: Any) -> tuple[float, float]:
    """Run `command` under GNU time; return (wall seconds, peak RSS in MiB)."""
    seconds, peak_mib, _ = peak_rss_of(command, **kwargs)
    return seconds, peak_mib


# --- export -------------------------------------------------------------------------------


def _export_rows(ctx: Context) -> list[Row]:
    expected = _current_parcels(ctx)
    source, gdal_env = _gdal_source(ctx.database_url)
    # The session export_layer's ogr2ogr gets (parcels/publishing/exports.py): no JIT.
    gdal_env["PGOPTIONS"] = f"{gdal_env.get('PGOPTIONS', '')} -c jit=off".strip()
    folder = ctx.work / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    repeats = ctx.scaled(2, 1)
    rows: list[Row] = []
    peak_full = 0.0
    for key, driver, extension, layer_options in EXPORT_FORMATS:
        ours_path = folder / f"ours.{extension}"
        floor_path = folder / f"floor.{extension}"
        ours_command = [
            str(ctx.python),
            str(ROOT / "manage.py"),
            "export_layer",
            "parcels",
            key,
            "--output",
            str(ours_path),
        ]
        floor_command = [OGR2OGR, "-f", driver, str(floor_path), source, "-sql", FLOOR_EXPORT_SQL]
        floor_command += _PARCELS_LAYER
        for option in layer_options:
            floor_command += ["-lco", option]
        ours_runs: list[tuple[float, float]] = []
        floor_runs: list[tuple[float, float]] = []
        for _ in range(repeats):  # interleaved, so both see the same load
            for path in (ours_path, floor_path):
                path.unlink(missing_ok=True)
            floor_runs.append(_timed(floor_command, env=gdal_env))
            ours_runs.append(_timed(ours_command, env=ctx.env, cwd=ROOT))
        ours_count, floor_count = _feature_count(ours_path), _feature_count(floor_path)
        ours_seconds, floor_seconds = min(r[0] for r in ours_runs), min(r[0] for r in floor_runs)
        ours_peak, floor_peak = max(r[1] for r in ours_runs), max(r[1] for r in floor_runs)
        if key == "gpkg":
            peak_full = ours_peak
        note = (
            f"best of {repeats}; parcels layer (joins: unit, zoning, latest price, rights) "
            f"vs the bare table's columns; {ours_path.stat().st_size / 2**20:.0f} MiB vs "
            f"{floor_path.stat().st_size / 2**20:.0f} MiB"
        )
        if ours_count != expected or floor_count != expected:
            note += f"; FEATURE COUNT ours {ours_count}, ogr2ogr {floor_count}, expected {expected}"
        rows.append(
            Row(
                section="export",
                what=f"{driver}, {expected:,} parcels",
                ours=_rate(ours_count, ours_seconds, ours_peak, ok=ours_count == expected),
                floor_name="ogr2ogr of parcels_parcel (no joins)",
                floor=_rate(floor_count, floor_seconds, floor_peak, ok=floor_count == expected),
                ratio_of="per_second",
                target="≥ 0.8",
                note=note,
            )
        )
        ours_path.unlink(missing_ok=True)
        floor_path.unlink(missing_ok=True)
    rows.append(_memory_row(ctx, folder, expected, peak_full))
    return rows


def _rate(count: int, seconds: float, peak_mib: float, *, ok: bool) -> Measure:
    return Measure(
        count=count,
        per_second=count / seconds if seconds > 0 else None,
        seconds=seconds,
        peak_mib=peak_mib,
        errors=0 if ok else 1,
    )


def _memory_row(ctx: Context, folder: Path, full: int, peak_full: float) -> Row:
    """Export about a tenth of the parcels (a bbox) and compare its peak with the full one's."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(ST_XMin(boundary)), min(ST_YMin(boundary)),
                   percentile_disc(%s) WITHIN GROUP (ORDER BY ST_XMax(boundary)),
                   max(ST_YMax(boundary)), ST_SRID(min(boundary))
            FROM parcels_parcel WHERE valid_to IS NULL
            """,
            [SUBSET_FRACTION],
        )
        minx, miny, maxx, maxy, srid = cursor.fetchone()
    path = folder / "subset.gpkg"
    path.unlink(missing_ok=True)
    command = [str(ctx.python), str(ROOT / "manage.py"), "export_layer", "parcels", "gpkg"]
    command += ["--output", str(path), "--bbox", f"{minx},{miny},{maxx},{maxy}"]
    command += ["--bbox-crs", str(srid)]
    seconds, peak_subset = _timed(command, env=ctx.env, cwd=ROOT)
    subset = _feature_count(path)
    path.unlink(missing_ok=True)
    ratio = peak_full / peak_subset if peak_subset else float("nan")
    return Row(
        section="export",
        what=f"GeoPackage peak memory, {full:,} vs {subset:,} parcels",
        ours=Measure(count=full, peak_mib=peak_full),
        floor_name=f"the same export of {subset:,} parcels (bbox)",
        floor=Measure(count=subset, peak_mib=peak_subset, seconds=seconds),
        ratio_of="peak_mib",
        target="≤ 1.2",
        note=(
            f"peak(N)/peak(N/10) = {peak_full:.0f}/{peak_subset:.0f} MiB = {ratio:.2f} "
            "(largest of Python and its ogr2ogr child)"
        ),
    )


# --- import -------------------------------------------------------------------------------


def _import_rows(ctx: Context) -> list[Row]:
    name = f"landinfo_bench_import_{ctx.parcels}"
    folder = ctx.work / "import"
    folder.mkdir(parents=True, exist_ok=True)
    source, gdal_env = _gdal_source(ctx.database_url)
    # The input file: the bench register's current parcels as a surveyor would send them.
    given = folder / "parcels.gpkg"
    subprocess.run(
        [OGR2OGR, "-f", "GPKG", str(given), source, "-sql", IMPORT_INPUT_SQL, *_PARCELS_LAYER],
        env=gdal_env,
        check=True,
        capture_output=True,
    )
    expected = _feature_count(given)
    admin_url = with_database(ctx.superuser_url, "postgres")
    scratch_url = with_database(ctx.database_url, name)
    owner = urlsplit(ctx.database_url).username
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}" OWNER "{owner}" TEMPLATE template1')
        env = {
            **ctx.env,
            "DATABASE_URL": with_database(ctx.env["DATABASE_URL"], name),
            "LANDINFO_IMPORT_REPORT_DIR": str(folder),
        }
        subprocess.run(
            [str(ctx.python), str(ROOT / "manage.py"), "migrate", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        _copy_units(ctx, scratch_url)
        floor_source, floor_env = _gdal_source(scratch_url)
        floor_seconds, floor_peak = _timed(
            [OGR2OGR, "-f", "PostgreSQL", floor_source, str(given), "-nln", "floor_parcels"],
            env=floor_env,
        )
        ours_seconds, ours_peak = _timed(
            [str(ctx.python), str(ROOT / "manage.py"), "import_parcels", str(given), *_VALID_FROM],
            env=env,
            cwd=ROOT,
        )
        with closing(psycopg2.connect(scratch_url)) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL")
            imported = int(cursor.fetchone()[0])
            cursor.execute("SELECT count(*) FROM floor_parcels")
            copied = int(cursor.fetchone()[0])
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        given.unlink(missing_ok=True)
    note = "every feature checked (geometry, identifier, unit, duplicates) in one transaction"
    if imported != expected or copied != expected:
        note += f"; ROWS ours {imported}, ogr2ogr {copied}, expected {expected}"
    return [
        Row(
            section="import",
            what=f"GeoPackage, {expected:,} new parcels",
            ours=_rate(imported, ours_seconds, ours_peak, ok=imported == expected),
            floor_name="ogr2ogr -f PostgreSQL (append, spatial index)",
            floor=_rate(copied, floor_seconds, floor_peak, ok=copied == expected),
            ratio_of="per_second",
            target="≥ 0.5",
            note=note,
        )
    ]


def _copy_units(ctx: Context, scratch_url: str) -> None:
    """Copy the bench register's administrative units (ids kept) into the scratch database."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, code, name, name_en, level, ST_AsEWKB(boundary), parent_id "
            "FROM parcels_administrativeunit ORDER BY level, id"
        )
        units = cursor.fetchall()
    with (
        closing(psycopg2.connect(scratch_url)) as connection,
        connection,  # one transaction: the parents' deferred keys are checked at its end
        connection.cursor() as cursor,
    ):
        psycopg2.extras.execute_values(
            cursor,
            "INSERT INTO parcels_administrativeunit "
            "(id, code, name, name_en, level, boundary, parent_id) VALUES %s",
            units,
            template="(%s, %s, %s, %s, %s, ST_GeomFromEWKB(%s), %s)",
        )
