"""Exports of the public layers (parcels/publishing/layers.py) in the formats planners open in GIS.

GDAL writes every file straight from PostGIS: `write_export` runs `ogr2ogr` in a child
process on the layer's SELECT (its parameters bound by psycopg2's `mogrify`, never
joined as text). The PostgreSQL driver reads through a server-side cursor a few hundred
rows at a time and each driver writes feature by feature, so neither this process nor
the child holds the layer in memory: memory is flat in the number of features
(tests/parcels/publishing/test_exports.py measures it at 10,000 and 100,000 parcels).

The core knows Django only for the database settings and the profile; the view
(parcels/publishing/export_views.py), the `export_layer` command and the background jobs of the
planner page all call `export_params`, `estimate` and `write_export`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import shutil
import subprocess
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, router
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from landinfo.dates import parse_day
from landinfo.sql import read_cursor
from landinfo.srid import STORAGE_SRID, WGS84
from parcels.models import AdministrativeUnit, Parcel, ZoningZone
from parcels.publishing.layers import InvalidLayerRequest, Layer, Query, get_layer, land_use_filter
from parcels.publishing.layers import query as layer_query

OGR2OGR = shutil.which("ogr2ogr") or "ogr2ogr"
OGRINFO = shutil.which("ogrinfo") or "ogrinfo"

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Format:
    """An export format: the GDAL driver that writes it and how the file is delivered."""

    key: str  # in the URL: /exports/<layer>.<key>
    driver: str  # the GDAL driver; only the drivers of FORMATS are ever run
    extension: str  # of the file GDAL writes
    media_type: str
    title: str
    layer_options: tuple[str, ...] = ()
    dataset_options: tuple[str, ...] = ()
    # Shapefile: dBase field names (10 characters) are the layer fields' `short` names,
    # and the parts (.shp .shx .dbf .prj .cpg) are delivered in one zip.
    short_names: bool = False
    zipped: bool = False
    geometry_name: str = "geom"
    dates_as_text: bool = False
    # A format defined in one CRS (KML: WGS84 longitude/latitude); None takes any.
    only_srid: int | None = None

    @property
    def local_title(self) -> str:
        """Return the title in the request's language (a format's own name stays as it is)."""
        return _(self.title)

    @property
    def download_extension(self) -> str:
        return "zip" if self.zipped else self.extension


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("gpkg", "GPKG", "gpkg", "application/geopackage+sqlite3", "GeoPackage"),
        Format(
            "shp",
            "ESRI Shapefile",
            "shp",
            "application/zip",
            gettext_noop("Shapefile (zipped)"),
            # Writes the .cpg that tells readers the .dbf is UTF-8 (Vietnamese, Korean).
            layer_options=("ENCODING=UTF-8",),
            short_names=True,
            zipped=True,
        ),
        # GDAL writes a "crs" member when the CRS is not WGS84 (GeoJSON 2008 style):
        # RFC 7946 would force WGS84, and a planner asked for the CRS they chose.
        Format("geojson", "GeoJSON", "geojson", "application/geo+json", "GeoJSON"),
        Format(
            "fgb",
            "FlatGeobuf",
            "fgb",
            "application/vnd.flatgeobuf",
            "FlatGeobuf",
            # GDAL builds the packed R-tree from every feature's entry held in memory
            # (≈0.5 KB a feature with GDAL 3.6: 50 MB per 100,000), which is not flat in N;
            # without it the file streams, and QGIS reads it whole just the same.
            layer_options=("SPATIAL_INDEX=NO",),
        ),
        Format(
            "csv",
            "CSV",
            "csv",
            "text/csv; charset=utf-8",
            gettext_noop("CSV (geometry as WKT)"),
            layer_options=("GEOMETRY=AS_WKT",),
            # GDAL (and so QGIS) reads a column called WKT back as the geometry; dates
            # are written ISO 8601 rather than GDAL's CSV form 2024/03/01.
            geometry_name="WKT",
            dates_as_text=True,
        ),
        Format(
            "kml",
            "KML",
            "kml",
            "application/vnd.google-earth.kml+xml",
            "KML",
            only_srid=WGS84,  # OGC KML 2.2 §6.2: coordinates are WGS84 longitude, latitude
        ),
    )
}
# Lines of ogr2ogr's error output kept for the message of a failure.
_STDERR_LINES = 40
# The parts of a Shapefile that go into its zip, in the order readers expect them.
_SHAPEFILE_PARTS = ("shp", "shx", "dbf", "prj", "cpg")


class ExportFailed(RuntimeError):
    """GDAL could not write the export; the message carries ogr2ogr's own error."""

    status = 500


def get_format(key: str) -> Format:
    """Return the format called `key`; raise InvalidLayerRequest naming the formats otherwise."""
    try:
        return FORMATS[key]
    except KeyError:
        raise InvalidLayerRequest(
            _("There is no export format %(key)s; the formats are %(formats)s.")
            % {"key": repr(key), "formats": ", ".join(FORMATS)}
        ) from None


# --- parameters -------------------------------------------------------------------------

# EPSG:5897, urn:ogc:def:crs:EPSG::5897, http://www.opengis.net/def/crs/EPSG/0/5897, 5897
_EPSG = re.compile(
    r"(?:EPSG:|urn:ogc:def:crs:EPSG:[\d.]*:|https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/)?"
    r"(\d{3,6})",
    re.IGNORECASE,
)
_CRS84 = {
    "crs84",
    "ogc:crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "https://www.opengis.net/def/crs/ogc/1.3/crs84",
}
_FILTERS = ("admin_unit", "land_use", "zoning")
PARAMETERS = ("srs", "bbox", "bbox-crs", *_FILTERS, "as_of", "start", "end")


@dataclass(frozen=True, slots=True)
class ExportParams:
    """What a planner asked for, checked: the CRS, area, date or period and filters."""

    srid: int = STORAGE_SRID
    bbox: tuple[float, float, float, float] | None = None
    bbox_srid: int = WGS84  # longitude first (CRS84 axis order) when WGS84
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    filters: dict[str, str] = field(default_factory=dict)

    def query(self, layer: Layer) -> Query:
        """Return the layer's SELECT for these parameters; refuse what the layer cannot take."""
        if layer.needs_period:
            if self.as_of is not None:
                raise InvalidLayerRequest(
                    _(
                        "Layer %(layer)s lists changes over a period: give start and end "
                        "(YYYY-MM-DD) instead of as_of."
                    )
                    % {"layer": repr(layer.name)}
                )
        elif self.start is not None or self.end is not None:
            raise InvalidLayerRequest(
                _("start and end apply to the changes layer only; for %(layer)s give as_of.")
                % {"layer": repr(layer.name)}
            )
        if self.as_of is not None and layer.as_of_sql is None and not layer.needs_period:
            raise InvalidLayerRequest(
                _(
                    "Layer %(layer)s has no history: it is always the current state; leave as_of out."
                )
                % {"layer": repr(layer.name)}
            )
        return layer_query(
            layer,
            srid=self.srid,
            bbox=self.bbox,
            bbox_srid=self.bbox_srid,
            as_of=self.as_of,
            start=self.start,
            end=self.end,
            filters=self.filters,
        )

    def filename(self, layer: Layer, fmt: Format) -> str:
        """Return the download name: `<layer>[-<as_of>].<ext>` (a period for changes)."""
        stem = layer.name
        if self.as_of is not None:
            stem += f"-{self.as_of.isoformat()}"
        if layer.needs_period and self.start is not None and self.end is not None:
            stem += f"-{self.start.isoformat()}_{self.end.isoformat()}"
        return f"{stem}.{fmt.download_extension}"


def _one(params: Mapping[str, Any], name: str) -> str | None:
    """Return the parameter's text (the last one when repeated), None when absent or empty."""
    getlist = getattr(params, "getlist", None)
    value: Any = getlist(name)[-1:] or [None] if getlist else [params.get(name)]
    text = value[0]
    if text is None:
        return None
    text = str(text).strip()
    return text or None


def parse_srid(text: str, *, parameter: str = "srs") -> int:
    """Return the EPSG code of `text` if PostGIS knows it; raise InvalidLayerRequest otherwise."""
    if text.strip().lower() in _CRS84:
        return WGS84
    match = _EPSG.fullmatch(text.strip())
    if not match:
        raise InvalidLayerRequest(
            _(
                "%(parameter)s=%(text)s is not an EPSG code: write e.g. 5897, EPSG:5897 or "
                "http://www.opengis.net/def/crs/EPSG/0/5897."
            )
            % {"parameter": parameter, "text": repr(text)}
        )
    srid = int(match.group(1))
    with read_cursor(Parcel) as cursor:
        cursor.execute(
            "SELECT 1 FROM spatial_ref_sys WHERE srid = %s AND auth_name = 'EPSG'", [srid]
        )
        known = cursor.fetchone() is not None
    if not known:
        raise InvalidLayerRequest(
            _(
                "%(parameter)s=%(text)s: EPSG:%(srid)s is not a CRS PostGIS knows; check the "
                "code (e.g. at https://epsg.io)."
            )
            % {"parameter": parameter, "text": repr(text), "srid": srid}
        )
    return srid


def parse_date(text: str, *, parameter: str) -> dt.date:
    """Return the date of a YYYY-MM-DD parameter; raise InvalidLayerRequest otherwise."""
    try:
        return parse_day(text)
    except ValueError:
        raise InvalidLayerRequest(
            _("%(parameter)s=%(text)s is not a date written YYYY-MM-DD.")
            % {"parameter": parameter, "text": repr(text)}
        ) from None


def parse_bbox(text: str, srid: int) -> tuple[float, float, float, float]:
    """Return minx, miny, maxx, maxy of a `bbox` parameter in `srid`; refuse a malformed one."""
    parts = text.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidLayerRequest(
            _(
                "bbox=%(text)s is not four numbers minx,miny,maxx,maxy "
                "(longitude first in WGS84, e.g. 105.8,21.0,105.9,21.1)."
            )
            % {"text": repr(text)}
        )
    minx, miny, maxx, maxy = numbers
    if not (minx < maxx and miny < maxy):
        raise InvalidLayerRequest(
            _("bbox=%(text)s: write minx,miny,maxx,maxy with each minimum below its maximum.")
            % {"text": repr(text)}
        )
    if srid == WGS84 and not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise InvalidLayerRequest(
            _(
                "bbox=%(text)s is outside longitude -180..180 / latitude -90..90; in another "
                "CRS say which with bbox-crs."
            )
            % {"text": repr(text)}
        )
    return minx, miny, maxx, maxy


def export_params(params: Mapping[str, Any], fmt: Format | None = None) -> ExportParams:
    """Return the checked parameters of an export (a request's GET or a dict of text).

    `srs` defaults to the storage CRS, or to the only CRS of `fmt` (KML: WGS84), which
    refuses any other. Every refusal is an InvalidLayerRequest (400) naming the parameter
    and how to write it.
    """
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InvalidLayerRequest(
            _("Unknown parameter %(unknown)s; an export takes %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(PARAMETERS)}
        )
    srs = _one(params, "srs")
    only = fmt.only_srid if fmt is not None else None
    srid = parse_srid(srs) if srs else (only or STORAGE_SRID)
    if fmt is not None:
        _check_srid(fmt, srid)
    bbox_crs = _one(params, "bbox-crs")
    bbox_srid = parse_srid(bbox_crs, parameter="bbox-crs") if bbox_crs else WGS84
    bbox_text = _one(params, "bbox")
    bbox = parse_bbox(bbox_text, bbox_srid) if bbox_text else None
    if bbox_crs and bbox is None:
        raise InvalidLayerRequest(_("bbox-crs says the CRS of a bbox; give the bbox too."))
    dates = {
        name: parse_date(text, parameter=name)
        for name in ("as_of", "start", "end")
        if (text := _one(params, name)) is not None
    }
    if ("start" in dates) != ("end" in dates):
        raise InvalidLayerRequest(_("A period needs both start and end (YYYY-MM-DD)."))
    if "start" in dates and dates["start"] > dates["end"]:
        raise InvalidLayerRequest(_("The period's start is after its end."))
    filters = _checked_filters(
        {name: text for name in _FILTERS if (text := _one(params, name)) is not None}
    )
    return ExportParams(
        srid=srid,
        bbox=bbox,
        bbox_srid=bbox_srid,
        as_of=dates.get("as_of"),
        start=dates.get("start"),
        end=dates.get("end"),
        filters=filters,
    )


def _check_srid(fmt: Format, srid: int) -> None:
    if fmt.only_srid is not None and srid != fmt.only_srid:
        raise InvalidLayerRequest(
            _(
                "%(format)s is always in EPSG:%(only)s (WGS84 longitude/latitude); leave srs "
                "out or ask for EPSG:%(only)s, or choose another format for EPSG:%(srid)s."
            )
            % {"format": fmt.local_title, "only": fmt.only_srid, "srid": srid}
        )


def _checked_filters(filters: Mapping[str, str]) -> dict[str, str]:
    """Return the filters, the land use as its code; refuse a value that names nothing.

    Refused rather than answered with an empty file.
    """
    filters = dict(filters)
    if "land_use" in filters:
        filters["land_use"] = land_use_filter(filters["land_use"])
    if (
        "admin_unit" in filters
        and not AdministrativeUnit.objects.filter(code=filters["admin_unit"]).exists()
    ):
        raise InvalidLayerRequest(
            _(
                "admin_unit=%(code)s is not the code of an administrative unit; export the "
                "admin_units layer to find the codes."
            )
            % {"code": repr(filters["admin_unit"])}
        )
    if "zoning" in filters and not ZoningZone.objects.filter(code=filters["zoning"]).exists():
        raise InvalidLayerRequest(
            _(
                "zoning=%(code)s is not the code of a zoning zone; export the zoning layer to "
                "find the codes."
            )
            % {"code": repr(filters["zoning"])}
        )
    return filters


# --- running GDAL -----------------------------------------------------------------------


def estimate(query: Query) -> int:
    """Return the number of features the query selects."""
    with read_cursor(Parcel) as cursor:
        cursor.execute(f"SELECT count(*) FROM ({query.sql}) q", query.params)  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A written export: the file to send, its download name and what it holds."""

    path: Path
    filename: str
    media_type: str
    features: int
    bytes: int


def _conninfo_value(value: object) -> str:
    # libpq conninfo: a value in single quotes, with \ and ' escaped by a backslash.
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _connection() -> tuple[str, dict[str, str]]:
    """Return the `PG:` data source of the read database and the environment for its password.

    The password goes to libpq through PGPASSWORD, so it is never on a command line
    (visible to every user in `ps`) nor in an error message.
    """
    settings_dict = connections[router.db_for_read(Parcel)].settings_dict
    keywords: dict[str, object] = {"dbname": settings_dict["NAME"]}
    for key, keyword in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if settings_dict.get(key):
            keywords[keyword] = settings_dict[key]  # a host starting with / is a socket dir
    options = settings_dict.get("OPTIONS") or {}
    for keyword in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options"):
        if options.get(keyword):
            keywords[keyword] = options[keyword]
    # JIT compiles the statement's expressions for seconds before the first row, and
    # an export's time is spent in PostGIS and GDAL, which it cannot speed up.
    keywords["options"] = f"{keywords.get('options', '')} -c jit=off".strip()
    keywords["application_name"] = "landinfo-export"
    source = "PG:" + " ".join(f"{k}={_conninfo_value(v)}" for k, v in keywords.items())
    env = {**os.environ, "PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    # GDAL's own error messages in English, whatever the server's locale.
    env.setdefault("LC_ALL", "C.UTF-8")
    return source, env


def _literal_sql(query: Query, layer: Layer, fmt: Format) -> str:
    """Return the statement with its parameters made literal by psycopg2 (quoted, not joined).

    The columns are renamed or recast by an outer SELECT where the format needs it.
    """
    with read_cursor(Parcel) as cursor:
        literal = cursor.mogrify(query.sql, query.params)
    sql = literal.decode() if isinstance(literal, bytes) else str(literal)
    if not (fmt.short_names or fmt.dates_as_text or fmt.geometry_name != "geom"):
        return sql
    columns = ["q.id"]
    for f in layer.fields:
        # dBase names have 10 characters; the documented names are the fields' `short`.
        name = f.short if fmt.short_names else f.name
        cast = "::text" if fmt.dates_as_text and f.type == "date" else ""
        columns.append(f'q."{f.name}"{cast} AS "{name}"')
    columns.append(f'q.geom AS "{fmt.geometry_name}"')
    return f"SELECT {', '.join(columns)} FROM ({sql}) q"  # noqa: S608


def _ogr2ogr_args(
    layer: Layer, fmt: Format, destination: Path, sql: str, source: str, srid: int, progress: bool
) -> list[str]:
    args = [OGR2OGR, "-f", fmt.driver, str(destination), source, "-sql", sql]
    args += ["-nln", layer.name, "-nlt", layer.geometry_type.upper(), "-a_srs", f"EPSG:{srid}"]
    for option in fmt.layer_options:
        args += ["-lco", option]
    for option in fmt.dataset_options:
        args += ["-dsco", option]
    if progress:
        args.append("-progress")
    return args


def _feature_count(path: Path, layer: Layer) -> int:
    """Return the number of features GDAL reads back from the written file."""
    # In a child process too: GeoJSON and CSV are counted by reading them through.
    result = subprocess.run(  # noqa: S603
        [OGRINFO, "-ro", "-so", "-nomd", str(path), layer.name],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"^Feature Count: (\d+)", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not match:
        raise ExportFailed(f"GDAL cannot read back {path.name}: {result.stderr.strip()}")
    return int(match.group(1))


def _follow_progress(stream: Any, total: int, progress: Progress) -> None:
    """Report ogr2ogr's -progress output ("0...10...20") as features done of `total`."""
    percent = 0.0
    while chunk := stream.read(1):
        # Each dot is 2.5 % (three between the tens it prints); digits add nothing new.
        if chunk == ".":
            percent = min(percent + 2.5, 100.0)
            progress(min(total, int(total * percent / 100)), total)


def _run_ogr2ogr(
    args: list[str], env: dict[str, str], follow: Callable[[Any], None] | None
) -> tuple[int, str]:
    """Run ogr2ogr; return its exit status and the last lines of its error output.

    `follow` reads its -progress output as it comes. Interrupted (a progress callback
    that raises cancels a job), GDAL is stopped too.
    """
    child = subprocess.Popen(  # noqa: S603  (fixed program, argument list, no shell)
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    # Drain stderr beside stdout, so that neither pipe fills and blocks the child;
    # only the last lines are kept (a warning per feature must not pile up here).
    errors: deque[str] = deque(maxlen=_STDERR_LINES)
    reader = threading.Thread(target=errors.extend, args=(child.stderr,), daemon=True)
    reader.start()
    try:
        if follow is not None:
            follow(child.stdout)
        else:
            child.stdout.read()  # type: ignore[union-attr]
        child.wait()
        reader.join()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, "".join(errors).strip()


def _packaged(written: Path, fmt: Format, delivered: Path) -> Path:
    """Return the file to deliver: the one GDAL wrote, or its Shapefile parts zipped."""
    if not fmt.zipped:
        return written
    with zipfile.ZipFile(delivered, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in _SHAPEFILE_PARTS:
            piece = written.with_suffix(f".{part}")
            if piece.exists():
                archive.write(piece, piece.name)  # copied in blocks, not read whole
    return delivered


def write_export(
    layer: Layer,
    fmt: Format,
    directory: Path,
    *,
    query: Query,
    srid: int,
    progress: Progress | None = None,
    total: int | None = None,
    filename: str | None = None,
) -> ExportResult:
    """Write `query` over `layer` in `fmt` into `directory` with ogr2ogr; return the file.

    GDAL reads PostGIS through a server-side cursor and writes feature by feature, so
    memory is flat in the number of features, here and in the child process.
    `progress(done, total)` is called at the start, as ogr2ogr reports (it counts the
    features first, so asking for progress costs a count), and at the end; `total` saves
    our own count when the caller has one (from `estimate`). On failure nothing is left
    in `directory` and ExportFailed carries ogr2ogr's error output.
    """
    if FORMATS.get(fmt.key) != fmt:  # an allow-list: no other GDAL driver is ever run
        raise InvalidLayerRequest(f"GDAL driver {fmt.driver!r} is not an export format.")
    _check_srid(fmt, srid)
    directory.mkdir(parents=True, exist_ok=True)
    filename = filename or f"{layer.name}.{fmt.download_extension}"
    # GDAL writes into a folder of its own, so a failure is cleaned up by removing it.
    work = directory / f".{layer.name}-{fmt.key}-{os.getpid()}-{threading.get_ident()}"
    work.mkdir()
    try:
        sql = _literal_sql(query, layer, fmt)
        source, env = _connection()
        written = work / f"{layer.name}.{fmt.extension}"
        follow = None
        if progress is not None:
            total = estimate(query) if total is None else total
            progress(0, total)
            if total:
                follow = functools.partial(_follow_progress, total=total, progress=progress)
        args = _ogr2ogr_args(layer, fmt, written, sql, source, srid, progress is not None)
        returncode, errors = _run_ogr2ogr(args, env, follow)
        if returncode != 0 or not written.exists():
            message = errors or f"ogr2ogr exited with {returncode}"
            raise ExportFailed(f"GDAL could not write {layer.name} as {fmt.title}: {message}")
        features = _feature_count(written, layer)
        final = directory / filename
        _packaged(written, fmt, work / filename).replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if progress is not None:
        progress(features, max(features, total or 0))
    return ExportResult(
        path=final,
        filename=filename,
        media_type=fmt.media_type,
        features=features,
        bytes=final.stat().st_size,
    )


def export(
    layer_name: str,
    format_key: str,
    directory: Path,
    params: ExportParams,
    *,
    progress: Progress | None = None,
    total: int | None = None,
) -> ExportResult:
    """Write the export `/exports/<layer_name>.<format_key>?<params>` into `directory`."""
    layer, fmt = get_layer(layer_name), get_format(format_key)
    return write_export(
        layer,
        fmt,
        directory,
        query=params.query(layer),
        srid=params.srid,
        progress=progress,
        total=total,
        filename=params.filename(layer, fmt),
    )
