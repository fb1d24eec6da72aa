"""No public answer of the register carries personal data: a scan of everything on the demo.

The demo district (`manage.py load_demo`) has 2,000 persons with national ID numbers.
Every URL the resolver knows is requested as an anonymous visitor (a URL that needs
arguments gets them from the demo: parcels of every kind of deed, a certificate code,
tiles z14-z18 over the district, every layer in every export format, every OGC
collection's items), and every body and header, decoded (JSON, HTML, CSV, KML, PDF
text, MVT, GeoPackage, FlatGeobuf, zipped Shapefile), is searched for each party's
national ID number and each person's unmasked name: as stored, NFC, NFD, case-folded
and without diacritics. The needles come from the Party table, not from a list here.
Masked names ("Nguyễn V. A.", "김*수": transactions/masking.py) are what the public
sees, and allowed. The log records written during the scan are searched as well.

Exports are written by GDAL over its own database connection, so the demo is committed
(once for the module, then flushed as pytest-django does after a transactional test).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pyogrio
import pypdfium2
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from landinfo.profiles.text import fold_text
from parcels.publishing.exports import FORMATS
from parcels.publishing.layers import LAYERS
from transactions.certificates.issue import issue_certificate
from transactions.masking import PUBLIC_KINDS
from transactions.models import Application, JournalEntry, Party, Right

# django_db: pytest-django makes the test database only for a session with such a test.
pytestmark = [pytest.mark.slow, pytest.mark.every_profile, pytest.mark.django_db]

HOST = "localhost"
TILE_ZOOMS = range(14, 19)
TILES_OVER_EXTENT_UP_TO = 15  # z14-z15: every tile over the district; z16+: those touching parcels
PARCELS_PER_DEED_KIND = 4
PERSONS_SEARCHED = 5
# Parts of the site that only staff reach, with why they are not scanned with arguments.
NOT_SCANNED = {
    "admin": "Django's admin: staff only; its index is scanned as anonymous",
}


# --- the needles -----------------------------------------------------------------------------


_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")


def _exact(text: str) -> str:
    """Return `text` in NFC and case-folded: the same name however it is encoded or cased."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


@dataclass
class Needles:
    """Every party's national ID number and every person's name, in the forms searched.

    A name is found as written (NFC or NFD, any case) and without its diacritics, but
    only where the text has none either: "Công ty Cổ phần Vận tải" is not "Phan Văn
    Tài", whereas "Phan Van Tai" and "PHAN VAN TAI" are.
    """

    ids: dict[str, int] = field(default_factory=dict)  # digits only -> party id
    names: dict[str, int] = field(default_factory=dict)  # NFC case-folded words -> id
    bare_names: dict[str, int] = field(default_factory=dict)  # the same without diacritics
    syllables: dict[str, int] = field(default_factory=dict)  # Hangul names, no spaces
    word_counts: set[int] = field(default_factory=set)
    syllable_counts: set[int] = field(default_factory=set)

    @classmethod
    def from_parties(cls) -> Needles:
        """Return the needles of every Party in the database."""
        needles = cls()
        for pk, kind, name, national_id in Party.objects.values_list(
            "pk", "kind", "name", "national_id"
        ):
            digits = re.sub(r"\D", "", national_id or "")
            if digits:
                needles.ids[digits] = pk
            if kind not in PUBLIC_KINDS and name:
                needles.add_name(name, pk)
        return needles

    def add_name(self, name: str, pk: int) -> None:
        """Add a person's name in every form the scan looks for."""
        words = _WORDS.findall(_exact(name))
        if len(words) >= 2:
            self.names[" ".join(words)] = pk
            self.bare_names[" ".join(fold_text(word) for word in words)] = pk
            self.word_counts.add(len(words))
        hangul = "".join(_HANGUL.findall(_exact(name)))
        if len(hangul) >= 2 and len(hangul) == len("".join(words)):
            self.syllables[hangul] = pk
            self.syllable_counts.add(len(hangul))

    def find(self, text: str) -> set[str]:
        """Return what of the needles `text` holds, as "national ID of party 12" and the like."""
        found = {
            f"national ID of party {self.ids[run]}"
            for run in _DIGITS.findall(text.replace("-", ""))
            if run in self.ids
        }
        words = _WORDS.findall(_exact(text))
        folds: dict[str, str] = {}
        bare = [folds.setdefault(word, fold_text(word)) for word in words]
        for count in self.word_counts:
            for start in range(len(words) - count + 1):
                window = slice(start, start + count)
                pk = self.names.get(" ".join(words[window]))
                if pk is None and words[window] == bare[window]:  # written without diacritics
                    pk = self.bare_names.get(" ".join(bare[window]))
                if pk is not None:
                    around = " ".join(words[max(0, start - 4) : start + count + 4])
                    found.add(f"name of party {pk} (in '{around}')")
        for run in _HANGUL.findall(_exact(text)):
            for count in self.syllable_counts:
                for start in range(len(run) - count + 1):
                    pk = self.syllables.get(run[start : start + count])
                    if pk is not None:
                        found.add(f"name of party {pk} (in '{run}')")
        return found


# --- reading what came back ------------------------------------------------------------------


def _table_text(path: Path) -> str:
    """Return the attributes of every layer of a GIS file, as text."""
    parts = []
    for layer, _ in pyogrio.list_layers(path):
        parts.append(str(layer))
        frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        parts.append(" ".join(map(str, frame.columns)))
        parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts)


def _gis_text(content: bytes, suffix: str) -> str:
    with tempfile.TemporaryDirectory(prefix="landinfo-scan-") as folder:
        path = Path(folder) / f"export{suffix}"
        if suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                archive.extractall(folder)
                names = " ".join(archive.namelist())
            return names + "\n" + _table_text(next(Path(folder).glob("*.shp")))
        path.write_bytes(content)
        return _table_text(path)


def _pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def body_text(response: Any) -> str:
    """Return what a person or program can read in `response`: its decoded body."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    media = response.get("Content-Type", "").split(";")[0].strip()
    if not content:
        return ""
    if media == "application/pdf":
        return _pdf_text(content)
    if media == "application/vnd.mapbox-vector-tile":
        return json.dumps(mapbox_vector_tile.decode(content), ensure_ascii=False, default=str)
    if media == "application/geopackage+sqlite3":
        return _gis_text(content, ".gpkg")
    if media == "application/vnd.flatgeobuf":
        return _gis_text(content, ".fgb")
    if media == "application/zip":
        return _gis_text(content, ".zip")
    text = content.decode(response.charset or "utf-8", errors="replace")
    if media.endswith("json"):  # \u-escaped names are names too
        with contextlib.suppress(ValueError):
            text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    return text


def header_text(response: Any) -> str:
    return "\n".join(f"{name}: {value}" for name, value in response.items())


# --- what to request -------------------------------------------------------------------------


@dataclass
class Demo:
    """The demo register, and the arguments the scan fills URLs with."""

    parcels: list[int]
    points: list[tuple[float, float]]
    days: list[str]
    certificate_code: str
    persons: list[tuple[str, str]]  # (name, national ID)
    tiles: list[tuple[int, int, int]]
    collections: list[str]
    application: tuple[int, str] = (0, "")  # receipt number, status code


def _an_application(held: Right) -> tuple[int, str]:
    """Return an application of the demo, filing a mortgage on a held parcel if it has none."""
    from tests.transactions.applications.test_pages import file_mortgage

    application = Application.objects.order_by("receipt_number").first()
    if application is None:
        notary = User.objects.filter(groups__name="notary").first()
        application = file_mortgage(held.parcel, notary)
    return application.receipt_number, application.status_code


def _sample_parcels() -> list[int]:
    """Return parcels touched by each kind of deed, and parcels a person holds now."""
    chosen: list[int] = []
    for kind in JournalEntry.objects.values_list("kind", flat=True).distinct().order_by("kind"):
        for payload in (
            JournalEntry.objects.filter(kind=kind)
            .order_by("sequence")
            .values_list("payload", flat=True)[:PARCELS_PER_DEED_KIND]
        ):
            chosen.append(json.loads(payload)["parcel"]["id"])
    held = Right.objects.filter(valid_to__isnull=True, holder__kind=Party.Kind.PERSON)
    chosen += list(held.order_by("parcel_id").values_list("parcel_id", flat=True)[:10])
    return sorted(set(chosen))


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(x, n - 1), min(y, n - 1)


def _tiles() -> list[tuple[int, int, int]]:
    """Return z14-z18 tiles: all over the district to z15, those touching a parcel above."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
            "(SELECT ST_Transform(boundary, 4326)::box2d AS b FROM parcels_parcel) AS boxes"
        )
        boxes = cursor.fetchall()
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    tiles: set[tuple[int, int, int]] = set()
    for z in TILE_ZOOMS:
        for w, s, e, n in boxes if z > TILES_OVER_EXTENT_UP_TO else [(west, south, east, north)]:
            (x0, y0), (x1, y1) = _tile(w, n, z), _tile(e, s, z)
            tiles.update((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return sorted(tiles)


def build_demo() -> Demo:
    parcels = _sample_parcels()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(boundary), "
            "4326) AS p FROM parcels_parcel WHERE id = ANY(%s) ORDER BY id) AS points",
            [parcels],
        )
        points = [(float(x), float(y)) for x, y in cursor.fetchall()]
    days = sorted(
        {str(day) for day in JournalEntry.objects.values_list("effective_date", flat=True)}
    )
    held = (
        Right.objects.filter(valid_to__isnull=True, holder__kind=Party.Kind.PERSON)
        .exclude(holder__national_id="")
        .select_related("holder")
        .order_by("parcel_id")
    )
    certificate = issue_certificate(
        held[0].parcel_id, user=AnonymousUser(), language="en", verify_url=lambda code: code
    )
    assert certificate is not None
    return Demo(
        parcels=parcels,
        points=points,
        days=[days[0], days[len(days) // 2], days[-1]],
        certificate_code=certificate.code,
        persons=[
            (right.holder.name, right.holder.national_id) for right in held[:PERSONS_SEARCHED]
        ],
        tiles=_tiles(),
        collections=list(LAYERS),
        application=_an_application(held[0]),
    )


def _per_parcel(demo: Demo, template: str, *, dated: bool = False) -> list[str]:
    urls = [template.format(pk=pk) for pk in demo.parcels]
    if dated:
        urls += [
            f"{template.format(pk=pk)}?as_of={day}" for pk in demo.parcels for day in demo.days
        ]
    return urls


def _ogc(demo: Demo, suffix: str) -> list[str]:
    return [f"/ogc/collections/{name}{suffix}" for name in demo.collections]


TILED = ("parcels", "zoning", "admin_units")  # the collections with tiles of their own


def _tiled(demo: Demo, suffix: str) -> list[str]:
    return [f"/ogc/collections/{name}/tiles{suffix}" for name in TILED]


def _exports(demo: Demo) -> list[str]:
    """Return every layer in every format; the changes layer over the whole history."""
    period = f"?start={demo.days[0]}&end={demo.days[-1]}"
    return [
        f"/exports/{name}.{fmt}{period if layer.needs_period else ''}"
        for name, layer in LAYERS.items()
        for fmt in FORMATS
    ]


# Arguments for every URL pattern that takes some, by the pattern's name.
ARGUMENTS: dict[str, Callable[[Demo], list[str]]] = {
    "verify": lambda demo: [
        f"/verify/{demo.certificate_code}",
        f"/verify/{demo.certificate_code}?format=json",
    ],
    "verify-pasted": lambda demo: [
        f"/verify/{demo.certificate_code}/",
        f"/verify/https://landinfo.example/verify/{demo.certificate_code}",
    ],
    "planner:job": lambda demo: ["/planner/exports/1/"],
    "planner:job-json": lambda demo: ["/planner/exports/1.json"],
    "planner:download": lambda demo: ["/planner/exports/1/download"],
    "ogc:collection": lambda demo: _ogc(demo, ""),
    "ogc:queryables": lambda demo: _ogc(demo, "/queryables"),
    # Every item of every collection: the largest page, then `next` links are followed.
    "ogc:items": lambda demo: (
        _ogc(demo, "/items?limit=10000")
        + [f"/ogc/collections/parcels/items?limit=10000&datetime={day}" for day in demo.days]
    ),
    "ogc:item": lambda demo: [f"/ogc/collections/parcels/items/{pk}" for pk in demo.parcels],
    "ogc:schema": lambda demo: _ogc(demo, "/schema") + _ogc(demo, "/schema?f=geojson"),
    # OGC API – Tiles: the documents, and a sample of the tiles (every tile is the same
    # bytes as the map's /tiles/, scanned whole above; a collection's holds its layer).
    "ogc:tile-matrix-set": lambda demo: ["/ogc/tileMatrixSets/WebMercatorQuad"],
    "ogc:tileset": lambda demo: ["/ogc/tiles/WebMercatorQuad"],
    "ogc:tilejson": lambda demo: ["/ogc/tiles/WebMercatorQuad/tilejson.json"],
    "ogc:style": lambda demo: ["/ogc/tiles/WebMercatorQuad/style.json"],
    "ogc:tile": lambda demo: [
        f"/ogc/tiles/WebMercatorQuad/{z}/{y}/{x}" for z, x, y in demo.tiles[::25]
    ],
    "ogc:tilesets-of-collection": lambda demo: _tiled(demo, ""),
    "ogc:tileset-of-collection": lambda demo: _tiled(demo, "/WebMercatorQuad"),
    "ogc:tilejson-of-collection": lambda demo: _tiled(demo, "/WebMercatorQuad/tilejson.json"),
    "ogc:tile-of-collection": lambda demo: [
        f"/ogc/collections/{name}/tiles/WebMercatorQuad/{z}/{y}/{x}"
        for name in TILED
        for z, x, y in demo.tiles[::25]
    ],
    "transactions:parcel-holders": lambda demo: _per_parcel(demo, "/api/parcels/{pk}/holders"),
    "transactions:detail": lambda demo: _per_parcel(demo, "/api/parcels/{pk}", dated=True),
    "transactions:history": lambda demo: _per_parcel(demo, "/api/parcels/{pk}/history", dated=True),
    # A certificate is signed and drawn for each request (~0.2 s): a third of the sample.
    "transactions:certificate": lambda demo: [
        f"/parcels/{pk}/certificate.pdf" for pk in demo.parcels[::3]
    ],
    # The status page with its code (public), and without; the others sign in first.
    "applications:status": lambda demo: [
        f"/applications/{demo.application[0]}/status?code={demo.application[1]}",
        f"/applications/{demo.application[0]}/status",
    ],
    "applications:detail": lambda demo: [f"/applications/{demo.application[0]}/"],
    "applications:receipt": lambda demo: [f"/applications/{demo.application[0]}/receipt"],
    "applications:receipt-pdf": lambda demo: [f"/applications/{demo.application[0]}/receipt.pdf"],
    "applications:document": lambda demo: [f"/applications/{demo.application[0]}/document"],
    # The API's public answer (with the code) and its refusals; the decision is a POST.
    "applications:api-detail": lambda demo: [
        f"/api/applications/{demo.application[0]}?code={demo.application[1]}",
        f"/api/applications/{demo.application[0]}",
    ],
    "applications:api-decision": lambda demo: [f"/api/applications/{demo.application[0]}/decision"],
    "applications:api-withdrawal": lambda demo: [
        f"/api/applications/{demo.application[0]}/withdrawal"
    ],
    # The links of the alerts the demo application sent (read from the outbox), and a
    # link that is no token.
    "alerts:objection": lambda demo: _alert_links("object"),
    "alerts:unsubscribe": lambda demo: _alert_links("unsubscribe"),
    "alerts:confirm": lambda demo: _alert_links("confirm"),
    "parcels:tile": lambda demo: [f"/tiles/parcels/{z}/{x}/{y}.mvt" for z, x, y in demo.tiles],
    "parcels:export": lambda demo: _exports(demo),
}
# Query strings for URL patterns that take none in the path.
QUERIES: dict[str, Callable[[Demo], list[str]]] = {
    "parcels:search": lambda demo: [
        f"?q={text}"
        for name, national_id in demo.persons
        for text in (name, fold_text(name), national_id)
    ],
    "transactions:at-point": lambda demo: (
        [f"?lon={lon}&lat={lat}" for lon, lat in demo.points]
        + [f"?lon={lon}&lat={lat}&as_of={demo.days[0]}" for lon, lat in demo.points]
    ),
    "verify-form": lambda demo: ["", f"?code={demo.certificate_code}"],
    "applications:status-form": lambda demo: [
        "",
        f"?receipt={demo.application[0]}&code={demo.application[1]}",
    ],
}


def _patterns(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, bool]]:
    """Yield (route, name, takes arguments) of every URL pattern, namespaces walked."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner in NOT_SCANNED:
                yield prefix + str(pattern.pattern), inner, False
                continue
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield prefix + str(pattern.pattern), name, bool(pattern.pattern.converters)


def urls_to_scan(demo: Demo) -> tuple[list[str], list[str]]:
    """Return the URLs to request, and the patterns the scan does not know how to fill."""
    urls, unknown = [], []
    for route, name, takes_arguments in _patterns(get_resolver().url_patterns):
        if takes_arguments:
            if name not in ARGUMENTS:
                unknown.append(f"{route} ({name})")
                continue
            urls += ARGUMENTS[name](demo)
        else:
            path = "/" + route
            urls += [path + query for query in QUERIES.get(name, lambda demo: [""])(demo)]
    return urls, unknown


def _alert_links(action: str) -> list[str]:
    """Return the paths of /alerts/<action>/<token> links in queued messages, and a bad one."""
    from transactions.models import OutboxMessage

    found = set()
    for body in OutboxMessage.objects.values_list("body", flat=True):
        found |= set(re.findall(rf"/alerts/{action}/[A-Za-z0-9_-]+", body))
    return [*sorted(found), f"/alerts/{action}/not-a-token"]


# --- the scan --------------------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@dataclass
class Scan:
    needles: Needles
    answered: dict[str, int] = field(default_factory=dict)  # url -> status
    leaks: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def scan(demo: Demo, needles: Needles) -> Scan:
    """Request every URL as anonymous; return what each answered and what leaked."""
    result = Scan(needles)
    urls, result.unknown = urls_to_scan(demo)
    client = Client(HTTP_HOST=HOST)
    records = _Records()
    loggers = [logging.getLogger(), logging.getLogger("django")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(records)
        logger.setLevel(logging.DEBUG)
    try:
        queue = list(urls)
        while queue:
            url = queue.pop(0)
            if url in result.answered:
                continue
            response = client.get(url)
            result.answered[url] = response.status_code
            body = body_text(response)
            for where, text in (("body", body), ("headers", header_text(response))):
                for leak in needles.find(text):
                    result.leaks.append(f"{url} {where}: {leak}")
            if url.startswith("/ogc/") and response.get("Content-Type", "").endswith("json"):
                for link in json.loads(response.content).get("links", []):
                    if link.get("rel") == "next":
                        queue.append(link["href"].split(HOST, 1)[-1])
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)
    result.logged = [
        f"{line[:200]}: {leak}" for line in records.lines for leak in needles.find(line)
    ]
    return result


@pytest.fixture(scope="module")
def demo_register(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Demo]:
    """Load the demo district, committed; flush the database after the module."""
    with django_db_blocker.unblock():
        # Committed, then flushed: never anywhere but in a test database.
        assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict
        call_command("load_demo", stdout=io.StringIO())
        try:
            yield build_demo()
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def unblocked(django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="module")
def demo_scan(demo_register: Demo, django_db_blocker: Any) -> Scan:
    # Rate limits off: the scan's thousand requests from one address are what they refuse.
    # Every export answered at once, not sent to a background job.
    with django_db_blocker.unblock(), override_settings(RATELIMIT_ENABLE=False):
        from django.conf import settings

        landinfo = {**settings.LANDINFO, "EXPORT_SYNC_MAX_FEATURES": 10**9}
        with override_settings(LANDINFO=landinfo):
            return scan(demo_register, Needles.from_parties())


# --- the tests -------------------------------------------------------------------------------


def test_every_url_pattern_is_scanned(demo_scan: Scan) -> None:
    assert not demo_scan.unknown, (
        "New URL patterns take arguments the personal-data scan cannot fill; add them "
        f"to ARGUMENTS in {__file__}: {demo_scan.unknown}"
    )


def test_the_scan_reaches_the_data(demo_scan: Scan, demo_register: Demo) -> None:
    """The scan read real answers: sheets, histories, tiles, exports, items, a certificate."""
    answered = demo_scan.answered
    ok = {url for url, status in answered.items() if status == 200}
    assert {f"/api/parcels/{pk}" for pk in demo_register.parcels} <= ok
    assert {f"/api/parcels/{pk}/history" for pk in demo_register.parcels} <= ok
    assert {f"/parcels/{pk}/certificate.pdf" for pk in demo_register.parcels[::3]} <= ok
    receipt, code = demo_register.application
    assert f"/applications/{receipt}/status?code={code}" in ok
    assert set(_exports(demo_register)) <= ok
    assert sum(url.startswith("/tiles/") and status == 200 for url, status in answered.items())
    assert f"/verify/{demo_register.certificate_code}?format=json" in ok
    needles = demo_scan.needles
    # 2,000 persons; names repeat (1,478 distinct in the Vietnamese demo, 805 in the Korean).
    assert len(needles.ids) >= 2000 and len(needles.names) + len(needles.syllables) >= 500


def test_no_public_answer_carries_a_national_id_or_a_full_name(demo_scan: Scan) -> None:
    assert not demo_scan.leaks, "\n".join(sorted(demo_scan.leaks)[:50])


def test_no_national_id_or_full_name_is_logged(demo_scan: Scan) -> None:
    assert not demo_scan.logged, "\n".join(demo_scan.logged[:50])


def test_searching_for_a_person_finds_nothing(demo_scan: Scan, demo_register: Demo) -> None:
    searched = [url for url in demo_scan.answered if url.startswith("/api/parcels/search?q=")]
    assert len(searched) >= 2 * PERSONS_SEARCHED  # Hangul names have no bare form
    assert all(demo_scan.answered[url] in {200, 400} for url in searched)


# --- the scan can fail -----------------------------------------------------------------------


def test_the_needles_find_every_form_of_a_name_and_an_id() -> None:
    needles = Needles()
    needles.ids["001080000003"] = 1
    needles.ids["2501012000082"] = 2
    needles.add_name("Lê Văn Cường", 3)
    needles.add_name("박소연", 4)
    nfd = unicodedata.normalize("NFD", "Lê Văn Cường")
    for text, leak in [
        ('{"id": "001080000003"}', "national ID of party 1"),
        ("RRN 250101-2000082.", "national ID of party 2"),
        ("holder: Lê Văn Cường", "name of party 3 (in 'holder lê văn cường')"),
        (f"holder: {nfd}", "name of party 3 (in 'holder lê văn cường')"),
        ("LÊ VĂN CƯỜNG", "name of party 3 (in 'lê văn cường')"),
        ("le van cuong", "name of party 3 (in 'le van cuong')"),
        ("Le Van Cuong", "name of party 3 (in 'le van cuong')"),
        ("소유자 박소연님", "name of party 4 (in '박소연님')"),
    ]:
        assert needles.find(text) == {leak}, text
    for masked in [
        "Lê V. C.",
        "박*연",
        "00108000000312",
        "Lê Văn",
        "area 1001080000003",
        "Công ty Lễ Vân Cương",  # other words, which fold to the same letters
    ]:
        assert not needles.find(masked), masked


def test_the_scan_reports_a_name_that_is_not_masked(
    demo_register: Demo, unblocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plant a leak (masking switched off on the parcel sheet) and see the scan catch it."""
    from transactions import selectors

    monkeypatch.setattr(selectors, "mask_party_name", lambda name, kind: name)
    needles = Needles.from_parties()
    client = Client(HTTP_HOST=HOST)
    leaks = set()
    with override_settings(RATELIMIT_ENABLE=False):
        for pk in demo_register.parcels:
            leaks |= needles.find(body_text(client.get(f"/api/parcels/{pk}")))
    assert any(leak.startswith("name of party") for leak in leaks), leaks


# --- names stored with invisible characters ------------------------------------------------


def test_names_stored_with_invisible_characters_are_masked_on_every_public_path(
    db: Any, client: Client
) -> None:
    """The journal keeps names stored before input was normalised, invisible characters
    and all; the sheet, the history (also as known before a correction), the point
    lookup, the certificate and its verify page mask them as any other name."""
    import datetime as dt
    from fractions import Fraction
    from urllib.parse import quote

    from django.contrib.auth.models import Group, User

    from tests.factories import ParcelFactory as Parcels
    from tests.factories import PartyFactory, current_entry, entry_parcel
    from transactions.deeds import services

    notary = User.objects.create(username="notary-invisible")
    notary.groups.add(Group.objects.get(name="notary"), Group.objects.get(name="registrar"))
    notary = User.objects.get(pk=notary.pk)
    first = PartyFactory(name="Nguyễn\u200bXuân\u200bQuỳnh Z")
    second = PartyFactory(name="Trần\u2060Khuê\u3164Diệp\u200d Lê")
    korean = PartyFactory(name="김\u200b민\ufe0f수")
    parcel = Parcels()
    registered = services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(first.pk, Fraction(1, 2)), (korean.pk, Fraction(1, 2))],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1), recorded_by=notary, expected_last_entry=0
        ),
    )
    services.record_correction(
        corrects=registered.sequence,
        mode="amend",
        reason="Nhầm người nhận.",
        holders=[(second.pk, Fraction(1, 2)), (korean.pk, Fraction(1, 2))],
        deed=services.DeedInput(
            effective_date=dt.date(2021, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(entry_parcel(registered.sequence)),
        ),
    )
    before = quote(registered.recorded_at.isoformat())
    certificate = issue_certificate(
        parcel.pk, user=AnonymousUser(), language="en", verify_url=lambda code: code
    )
    assert certificate is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(boundary), "
            "4326) AS p FROM parcels_parcel WHERE id = %s) AS point",
            [parcel.pk],
        )
        lon, lat = cursor.fetchone()
    urls = [
        f"/api/parcels/{parcel.pk}",
        f"/api/parcels/{parcel.pk}/history",
        f"/api/parcels/{parcel.pk}?known_at={before}",
        f"/api/parcels/{parcel.pk}/history?known_at={before}",
        f"/api/parcels/at?lon={lon}&lat={lat}",
        f"/parcels/{parcel.pk}/certificate.pdf",
        f"/verify/{certificate.code}",
        f"/verify/{certificate.code}?format=json",
    ]
    needles = Needles()
    for party in (first, second, korean):
        needles.add_name(party.name, party.pk)
    given_names = {"xuân", "quỳnh", "khuê", "diệp", "민수"}
    with override_settings(RATELIMIT_ENABLE=False):
        for url in urls:
            response = client.get(url, HTTP_HOST=HOST)
            assert response.status_code == 200, (url, response.status_code)
            text = _exact(body_text(response))
            assert not needles.find(text), (url, needles.find(text))
            shown = {word for word in given_names if word in text}
            assert not shown, (url, shown)
    sheet = client.get(f"/api/parcels/{parcel.pk}?known_at={before}", HTTP_HOST=HOST).json()
    names = {right["holder"]["name"] for right in sheet["rights"]}
    assert names == {"Nguyễn X. Q. Z.", "김*수"}
