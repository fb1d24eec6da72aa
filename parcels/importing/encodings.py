"""How the text of a file reaches Python: its encoding, and text read in the wrong one.

The encoding is --encoding, else the Shapefile's .cpg, else the code page mark of its
.dbf, else the format's own (UTF-8). Values that still look decoded with the wrong
encoding (replacement characters, UTF-8 read as cp1252) are reported per feature; a
legacy Vietnamese font encoding (TCVN3, VNI) refuses the whole file with the way out.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from landinfo.profiles.text import quote_input
from parcels.importing.problems import ParcelFileError
from parcels.importing.safe_files import read_zip_member

SHAPEFILE_DRIVER = "ESRI Shapefile"

# Text stored as UTF-8 but read as one of these shows as "Ä\x90Æ°á»\x9dng" for "Đường".
_MOJIBAKE_CODECS = ("cp1252", "latin-1")
_ENCODING_HINT = "pass --encoding with the file's real encoding (often UTF-8 or cp1258)"
_UNKNOWN_HINT = (
    "pass --encoding with its real encoding: cp1258 (Vietnamese Windows), cp949 (Korean "
    "EUC-KR), UTF-8, ..."
)


@dataclass(frozen=True, slots=True)
class TextDecoding:
    """How text reaches Python from the file.

    GDAL recodes Shapefile (DBF) text with iconv, which drops the last character of
    every value in stateful encodings such as CP1258, the Vietnamese Windows code page.
    So when the encoding is known, GDAL hands the bytes over unchanged as ISO-8859-1
    (one character per byte) and Python decodes them.
    """

    codec: str | None  # the Python codec of the stored bytes; None: GDAL's decoding
    transport: str | None  # pyogrio's `encoding`: "ISO-8859-1" to get DBF bytes unchanged
    origin: str  # for the summary
    # Nothing says the encoding (no .cpg, no code page in the DBF): GDAL then reads the
    # bytes as ISO-8859-1, which turns CP1258 or EUC-KR text into plausible Latin
    # letters ("NguyêÞn"). Only ASCII text is certain; the rest is reported.
    unknown: bool = False

    def decode(self, column: pa.Array) -> tuple[pa.Array, dict[int, str]]:
        """Return `column` with its text decoded and composed (NFC), and why some was not.

        Composed Unicode ("ố" as one character) is what search compares; CP1258 stores
        tone marks as separate characters.
        """
        if not is_text(column):
            return column, {}
        if self.codec is None:
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                # GDAL passed the stored bytes through and they are not UTF-8.
                stored = column.cast(pa.large_binary()).to_pylist()
                column, errors = _decode_bytes(stored, "utf-8")
            else:
                errors = {}
        else:
            if self.transport is not None:
                stored = [
                    None if value is None else value.encode(self.transport)
                    for value in column.to_pylist()
                ]
            else:
                stored = column.cast(pa.large_binary()).to_pylist()
            column, errors = _decode_bytes(stored, self.codec)
        if self.unknown:
            unknown = "the file does not say its encoding (no .cpg file, no code page in the .dbf)"
            for row in errors:  # not UTF-8 either: GDAL passed the bytes through
                errors[row] = f"{errors[row].split(';')[0]}, and {unknown}; {_UNKNOWN_HINT}"
            non_ascii = pc.invert(pc.string_is_ascii(column)).fill_null(False)
            for position in np.flatnonzero(non_ascii.to_numpy(zero_copy_only=False)):
                errors[int(position)] = (
                    f"{quote_input(column[position].as_py())} is not ASCII and {unknown}; "
                    f"{_UNKNOWN_HINT}"
                )
        return pc.utf8_normalize(column, "NFC"), errors

    def field_name(self, name: str) -> str:
        """Return a field name as the file's encoding spells it."""
        if self.codec is None or self.transport is None:
            return name
        return name.encode(self.transport).decode(self.codec, errors="replace")


def is_text(column: pa.Array) -> bool:
    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _decode_bytes(stored: list[bytes | None], codec: str) -> tuple[pa.Array, dict[int, str]]:
    values: list[str | None] = []
    errors: dict[int, str] = {}
    for index, raw in enumerate(stored):
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(raw.decode(codec))
        except UnicodeDecodeError as error:
            bad = raw[max(error.start - 8, 0) : error.end + 8]
            errors[index] = f"the bytes {bad!r} are not valid {codec}; {_ENCODING_HINT}"
            values.append(None)
    return pa.array(values, pa.large_string()), errors


def _repertoire(*codecs_: str) -> str:
    """Return an RE2 character class of every character the single-byte `codecs_` decode."""
    characters: set[str] = set()
    for codec in codecs_:
        characters.update(bytes(range(256)).decode(codec, errors="ignore"))
    return "[" + "".join(f"\\x{{{ord(char):X}}}" for char in sorted(characters)) + "]"


# Mojibake of UTF-8 read as a single-byte code page is made of that code page's
# characters only; Vietnamese or Korean text always has others, so it is not looked at.
_MOJIBAKE_SUSPECT = f"^{_repertoire(*_MOJIBAKE_CODECS)}*$"


def encoding_suspects(column: pa.Array) -> npt.NDArray[np.intp]:
    """Return the positions of the values `encoding_problem` has to look at."""
    if not is_text(column):
        return np.empty(0, dtype=np.intp)
    suspect = pc.or_(
        pc.match_substring(column, "\ufffd"),
        pc.and_(
            pc.invert(pc.string_is_ascii(column)),
            pc.match_substring_regex(column, _MOJIBAKE_SUSPECT),
        ),
    )
    return np.flatnonzero(suspect.fill_null(False).to_numpy(zero_copy_only=False))


def encoding_problem(value: str) -> str | None:
    """Return why `value` looks decoded with the wrong encoding, or None."""
    if value.isascii():
        return None
    if "\ufffd" in value:
        return (
            f"{quote_input(value)} contains U+FFFD replacement characters: it was decoded "
            f"with the wrong encoding before it reached this file; {_ENCODING_HINT}"
        )
    for codec in _MOJIBAKE_CODECS:
        try:
            recovered = value.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if recovered != value:
            return (
                f"{quote_input(value)} is UTF-8 text read as {codec} (it reads "
                f"{quote_input(recovered)} as UTF-8); pass --encoding UTF-8"
            )
    return None


def _python_codec(name: str) -> str | None:
    """Return Python's name for the encoding `name`, or None if Python has none."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _codec_from_cpg(declared: str) -> str | None:
    """Return the Python codec a .cpg file names, read the way GDAL reads it."""
    name = declared.strip()
    if name.isdigit():  # "1258": a Windows code page; "88591": ISO 8859-1
        name = f"iso8859_{name[4:]}" if name.startswith("8859") and len(name) > 4 else f"cp{name}"
    elif match := re.fullmatch(r"(?:ISO)?[-_ ]?8859[-_ ]?(\d+)", name, re.IGNORECASE):
        name = f"iso8859_{match[1]}"
    elif match := re.fullmatch(r"ANSI[-_ ]?(\d+)", name, re.IGNORECASE):
        name = f"cp{match[1]}"
    return _python_codec(name)


def _read_cpg(path: str, layer: str) -> str | None:
    """Return the text of the layer's .cpg file beside it or in its zip, or None."""
    location = Path(path)
    wanted = f"{layer}.cpg".casefold()
    if location.suffix.casefold() == ".zip" and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            names = archive.namelist()
        for member in names:
            if PurePosixPath(member).name.casefold() == wanted:
                return read_zip_member(location, member).decode("ascii", errors="replace")
        return None
    folder = location if location.is_dir() else location.parent
    for suffix in (".cpg", ".CPG"):
        candidate = folder / f"{layer}{suffix}"
        if candidate.is_file():
            with candidate.open("rb") as file:  # a .cpg names an encoding; read no more
                return file.read(1024).decode("ascii", errors="replace")
    return None


# Vietnamese encodings of the font era that Python (and iconv) cannot decode: TCVN3 is
# TCVN 5712:1993's VN3 font encoding (the ".VnTime" fonts), VNI and VISCII others. Their
# bytes would decode as some Windows code page without error, into wrong letters, so a
# file in one is refused with the way out rather than guessed at.
_LEGACY_VIETNAMESE = re.compile(r"(TCVN|ABC|VN3|VNI|VISCII|5712)", re.IGNORECASE)
_LEGACY_HINT = (
    "convert the file's text to Unicode first (e.g. with Unikey's converter, from "
    "TCVN3 (ABC) to Unicode), then import it with --encoding UTF-8"
)


def _dbf_code_page(path: str, layer: str) -> int | None:
    """Return the language driver id (code page mark) of the layer's .dbf, or None."""
    location = Path(path)
    wanted = f"{layer}.dbf".casefold()
    if location.suffix.casefold() == ".zip" and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            names = archive.namelist()
        for member in names:
            if PurePosixPath(member).name.casefold() == wanted:
                header = read_zip_member(location, member)
                return header[29] if len(header) > 29 else None
        return None
    folder = location if location.is_dir() else location.parent
    for candidate in folder.iterdir():
        if candidate.name.casefold() == wanted and candidate.is_file():
            with candidate.open("rb") as file:
                header = file.read(32)
            return header[29] if len(header) > 29 else None
    return None


def text_decoding(path: str, layer: str, driver: str, encoding: str | None) -> TextDecoding:
    """Return how to read the layer's text: --encoding, else the .cpg, else GDAL's way."""
    transport = "ISO-8859-1" if driver == SHAPEFILE_DRIVER else None
    if encoding is not None:
        codec = _python_codec(encoding)
        if _LEGACY_VIETNAMESE.search(encoding):
            raise ParcelFileError(f"--encoding {encoding!r} cannot be read here: {_LEGACY_HINT}.")
        if codec is None:
            raise ParcelFileError(
                f"--encoding {encoding!r} is not an encoding Python knows; "
                f"use e.g. UTF-8, cp1258 or latin-1."
            )
        return TextDecoding(codec, transport, f"{codec} (--encoding)")
    if driver != SHAPEFILE_DRIVER:
        return TextDecoding(None, None, "UTF-8 (as the format defines)")
    declared = _read_cpg(path, layer)
    if declared is None:
        if _dbf_code_page(path, layer) == 0:
            return TextDecoding(
                None, None, "unknown (no .cpg, no code page in the DBF): ASCII only", True
            )
        return TextDecoding(None, None, "as GDAL reads the DBF (no .cpg file)")
    if _LEGACY_VIETNAMESE.search(declared):
        raise ParcelFileError(
            f"{path}: the .cpg says the text is in {declared.strip()!r}, which cannot be "
            f"read here; {_LEGACY_HINT}."
        )
    codec = _codec_from_cpg(declared)
    if codec is None:
        return TextDecoding(None, None, f"as GDAL reads the DBF (.cpg names {declared.strip()!r})")
    if codec == "utf-8":
        return TextDecoding(None, None, "UTF-8 (.cpg)")
    return TextDecoding(codec, transport, f"{codec} (.cpg)")
