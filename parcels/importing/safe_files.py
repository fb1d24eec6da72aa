"""Look at a parcel file before GDAL does, and keep GDAL off the network while it reads.

GDAL opens far more than parcel files: a VRT names other files and URLs, `/vsicurl/`
paths fetch over HTTP, a GeoJSON `crs` link is downloaded, a GML file gets a `.gfs`
written beside it, and an XML parser expands the entities of a DTD. A file handed to
the register comes from outside, so every one of those is refused here, from the
file's bytes and names, before GDAL is given the path; the driver GDAL then picks is
checked against the formats the register accepts (ACCEPTED_DRIVERS), and while GDAL
reads, its HTTP client is pointed at a proxy that does not exist (`gdal_reading`).
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

import pyogrio
from django.conf import settings


class UnsafeFileError(Exception):
    """Raised when a file is refused before it is read; the message says why."""


# The formats a land office delivers parcels in, each read from the file(s) given and
# nothing else. Left out on purpose: VRT (names other files and URLs), the database and
# web-service drivers (PostgreSQL, WFS, OAPIF, ...: a "path" is a connection), SQLite
# (can load extensions), and every raster driver.
ACCEPTED_DRIVERS = frozenset(
    {
        "ESRI Shapefile",
        "GPKG",
        "GeoJSON",
        "FlatGeobuf",
        "KML",
        "LIBKML",
        "GML",
        "CSV",
        "OpenFileGDB",
        "MapInfo File",  # TAB files: still how many Vietnamese offices keep cadastral maps
    }
)

# Names that make GDAL read something else than the file: virtual file systems, and the
# "DRIVER:..." connection strings (PG:, WFS:, GPKG:file:table, CSV:..., ...).
_VIRTUAL_PATH = re.compile(r"^\s*(/vsi|[A-Za-z][A-Za-z0-9_]+:)|://")
# Files that describe other data rather than holding it (by name; by content, any name).
# Not .xml: ArcGIS puts its metadata beside every Shapefile as .shp.xml.
_INDIRECT_SUFFIXES = frozenset({".vrt", ".ovf"})
# Archives GDAL would unpack (or refuse to read) from inside another archive.
_ARCHIVE_SUFFIXES = frozenset({".zip", ".kmz", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar"})
_ARCHIVE_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!\x1a\x07": "RAR",
}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# XML roots of GDAL's own description files: opening one opens what it names.
_GDAL_XML_ROOTS = re.compile(
    rb"<\s*(OGRVRTDataSource|VRTDataset|OGRVRTLayer|GDAL_WMS|GDAL_WMTS|WFS_GetCapabilities"
    rb"|OGRWFSDataSource|OGRGMLAS|PAMDataset)\b",
    re.IGNORECASE,
)
# A DTD: external entities (XXE) and entity expansion (billion laughs). No parcel file
# needs one, so one anywhere is refused, whatever the parser would make of it.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# A GeoJSON `crs` of type "link" is fetched by GDAL from its "href".
_JSON_LINK = re.compile(rb'"href"\s*:|"type"\s*:\s*"link"', re.IGNORECASE)

_HEAD_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 20
_OVERLAP_BYTES = 64  # longer than any pattern above, so a match across chunks is seen
_MAX_ZIP_MEMBERS = 10_000
_CPG_MAX_BYTES = 1024  # a .cpg names an encoding in a few characters

# While GDAL reads: a proxy that refuses (the discard port on loopback) for every HTTP
# request it would make, no /vsicurl/ file, no GML schema download or xlink resolution.
GDAL_OFFLINE = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".parcel-files-are-local",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    "GML_SKIP_CORRUPTED_FEATURES": "NO",
    "OSR_USE_NON_DEPRECATED": "YES",
}


def check_source(path: str) -> None:
    """Refuse `path` unless it is a local file or folder GDAL may safely be given.

    Raise UnsafeFileError naming what is wrong: a virtual or remote path, an empty
    file, a VRT or other indirect file, a DTD, a GeoJSON link, a tar or gzip, or a zip
    that escapes its folder, holds links or archives, or inflates beyond the limits.
    """
    if _VIRTUAL_PATH.search(path):
        raise UnsafeFileError(
            f"{path}: only a local file or folder can be imported, not a URL, a GDAL "
            f"virtual path (/vsi...) or a connection string; download the file first."
        )
    location = Path(path)
    if not location.exists():
        raise UnsafeFileError(f"{path}: no such file or directory.")
    if location.is_dir():
        for member in sorted(location.iterdir()):
            if member.is_symlink():
                raise UnsafeFileError(
                    f"{path}: {member.name} is a symbolic link; copy the files it points "
                    f"to into the folder instead."
                )
            if member.is_file():
                _check_file(member, f"{path}: {member.name}")
        return
    _check_file(location, path)


def _check_file(location: Path, label: str) -> None:
    _check_name(location.name, label)
    if location.stat().st_size == 0:
        raise UnsafeFileError(f"{label} is empty (0 bytes): the upload or copy was cut short?")
    with location.open("rb") as file:
        head = file.read(_HEAD_BYTES)
        if head.startswith(_ZIP_MAGIC):
            _check_zip(location, label)
            return
        _check_content(head, file, label)


def _check_name(name: str, label: str) -> None:
    suffix = PurePosixPath(name).suffix.casefold()
    if suffix in _INDIRECT_SUFFIXES:
        raise UnsafeFileError(
            f"{label}: a {suffix} file describes data held elsewhere and is not accepted; "
            f"give the data file itself (GeoPackage, Shapefile, GeoJSON, ...)."
        )


def _check_content(head: bytes, file: IO[bytes], label: str) -> None:
    """Refuse archives, GDAL description files, DTDs and GeoJSON links by the bytes."""
    for magic, kind in _ARCHIVE_MAGIC.items():
        if head.startswith(magic):
            raise UnsafeFileError(
                f"{label} is a {kind} archive; only .zip archives are accepted: unpack it, "
                f"or zip the files."
            )
    if len(head) > 262 and head[257:262] == b"ustar":
        raise UnsafeFileError(
            f"{label} is a tar archive; only .zip archives are accepted: unpack it, or zip "
            f"the files."
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _GDAL_XML_ROOTS.search(head):
        raise UnsafeFileError(
            f"{label} is a GDAL description file (VRT or the like) that makes GDAL open "
            f"other files or URLs; give the data file itself."
        )
    if text.startswith(b"<"):
        _refuse_pattern(head, file, _DTD, label, "a DTD (<!DOCTYPE or <!ENTITY>)")
    elif text.startswith((b"{", b"[")):
        _refuse_pattern(head, file, _JSON_LINK, label, 'a link ("href") for GDAL to fetch')


def _refuse_pattern(
    head: bytes, file: IO[bytes], pattern: re.Pattern[bytes], label: str, what: str
) -> None:
    """Scan the whole file, a chunk at a time, for `pattern`; refuse it if found."""
    chunk = head
    while chunk:
        if pattern.search(chunk):
            raise UnsafeFileError(
                f"{label} contains {what}: external references and entity expansion are "
                f"not accepted in parcel files; export the file again without them."
            )
        more = file.read(_CHUNK_BYTES)
        chunk = chunk[-_OVERLAP_BYTES:] + more if more else b""


def _check_zip(location: Path, label: str) -> None:
    """Refuse a zip that escapes its folder, holds links, archives or indirect files, or
    would inflate beyond LANDINFO's limits — from its directory, before anything is
    unpacked; then look at the head of each member as at a file."""
    try:
        archive = zipfile.ZipFile(location)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafeFileError(f"{label} is not a readable zip archive: {error}") from error
    with archive:
        members = archive.infolist()
        if not members:
            raise UnsafeFileError(f"{label} is an empty zip archive.")
        if len(members) > _MAX_ZIP_MEMBERS:
            raise UnsafeFileError(
                f"{label} holds {len(members)} files; a parcel file has a few, at most "
                f"{_MAX_ZIP_MEMBERS} are accepted."
            )
        _check_zip_directory(members, label)
        for member in members:
            if not member.is_dir() and member.file_size:
                _check_zip_member_content(archive, member, label)


def _check_zip_directory(members: list[zipfile.ZipInfo], label: str) -> None:
    """Refuse members that escape, link, are encrypted, nest archives or would inflate."""
    max_bytes = int(settings.LANDINFO["IMPORT_MAX_UNPACKED_BYTES"])
    max_ratio = int(settings.LANDINFO["IMPORT_MAX_COMPRESSION_RATIO"])
    total = 0
    for member in members:
        where = f"{label}: member {member.filename!r}"
        name = PurePosixPath(member.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", name.as_posix()):
            raise UnsafeFileError(f"{where} points outside the archive; zip it again.")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UnsafeFileError(f"{where} is a symbolic link; zip the files themselves.")
        if member.flag_bits & 0x1:
            raise UnsafeFileError(f"{where} is encrypted; zip it without a password.")
        if member.is_dir():
            continue
        _check_name(name.name, where)
        if name.suffix.casefold() in _ARCHIVE_SUFFIXES:
            raise UnsafeFileError(
                f"{where} is an archive inside the archive; unpack it and give the "
                f"files in one zip."
            )
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > max_bytes or (member.file_size > _CHUNK_BYTES and ratio > max_ratio):
            raise UnsafeFileError(
                f"{where} would unpack to {member.file_size} bytes from "
                f"{member.compress_size} (a zip bomb?); the limits are {max_bytes} bytes "
                f"in all (LANDINFO_IMPORT_MAX_UNPACKED_BYTES) and a ratio of {max_ratio} "
                f"(LANDINFO_IMPORT_MAX_COMPRESSION_RATIO)."
            )


def _check_zip_member_content(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str
) -> None:
    """Look at the head of a member as at a file; refuse a zip inside the zip."""
    try:
        with archive.open(member) as file:
            head = file.read(_HEAD_BYTES)
            if head.startswith(_ZIP_MAGIC):
                raise UnsafeFileError(
                    f"{label}: member {member.filename!r} is a zip inside the zip; "
                    f"unpack it and give the files in one zip."
                )
            _check_content(head, file, f"{label}: member {member.filename!r}")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise UnsafeFileError(
            f"{label}: member {member.filename!r} cannot be unpacked (a damaged or "
            f"truncated zip?): {error}"
        ) from error


def read_zip_member(location: Path, member: str) -> bytes:
    """Return the start of a small member (a .cpg) without inflating more than needed."""
    with zipfile.ZipFile(location) as archive, archive.open(member) as file:
        return file.read(_CPG_MAX_BYTES)


def check_driver(path: str, driver: str) -> None:
    """Refuse a file GDAL opened with a driver the register does not accept."""
    if driver not in ACCEPTED_DRIVERS:
        raise UnsafeFileError(
            f"{path} is read by GDAL's {driver} driver, which parcel files may not use; "
            f"accepted formats: {', '.join(sorted(ACCEPTED_DRIVERS))}."
        )


@contextmanager
def gdal_reading(path: str) -> Iterator[None]:
    """Set GDAL's offline options while reading `path`; remove a .gfs GDAL left beside it.

    GDAL's options are process-wide: they are put back as they were afterwards.
    """
    location = Path(path)
    gfs = location.with_suffix(".gfs") if location.suffix else None
    gfs_existed = gfs is not None and gfs.exists()
    previous = {name: pyogrio.get_gdal_config_option(name) for name in GDAL_OFFLINE}
    pyogrio.set_gdal_config_options(GDAL_OFFLINE)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)
        if gfs is not None and not gfs_existed:
            # The GML driver writes its guessed schema beside the file it reads.
            gfs.unlink(missing_ok=True)
