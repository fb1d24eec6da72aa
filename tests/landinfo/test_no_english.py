"""No English in a Vietnamese or Korean answer, except codes.

Every route of the permission matrix (tests/landinfo/test_permission_matrix.py, itself
checked against the URL resolver, so a new route is walked without editing this file) is
requested with GET by the public and by each role, in Vietnamese and in Korean
(`Accept-Language`, and the language cookie `set_language` writes), together with the
error answers of the JSON API and the OGC API (400, 401, 403, 404, 409, 422) and the
JavaScript catalogue. What a person reads is taken out of each answer:

- HTML: the visible text, the `title`, `alt`, `placeholder` and `aria-label` attributes,
  the labels of buttons, and the human fields of the JSON a page embeds for its script;
- JSON: the string values of the human fields (`detail`, `title`, `description`, ...),
  and in an error answer every string value but those of code fields (`error`, `code`,
  `type`, links): DRF's field errors are keyed by the field.

English is an ASCII word of the English wordlist: the words of every msgid of the
catalogues, and a few common words kept here, less the Vietnamese syllables written
without diacritics (from the vi msgstrs: "an", "to", "con" are Vietnamese too) and the
allow-list of names below. A word with a capital after its first letter (GeoJSON, EPSG,
WebMercatorQuad, ONT), a digit or an underscore (Ed25519, admin_units) is a code or a name,
not a word of a sentence; so are paths and addresses (/api/parcels/<pk>) and placeholders.

Not walked: Django's admin (staff only, English by Django's choice of what it
translates, DESIGN's "who uses it" has no staff role in the register) and the OpenAPI
documents (/api/schema/, and /ogc/api with its HTML rendering): they describe the API to
programmers, as its field names do (operation summaries come from the code's docstrings).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client

from parcels.models import ExportJob
from tests.factories import ParcelFactory
from tests.landinfo.test_permission_matrix import MATRIX, ROLES
from tests.transactions.applications.test_pages import _parcel as held_parcel
from tests.transactions.applications.test_pages import file_mortgage

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

LANGUAGES = ("vi", "ko")
LOCALE = Path(settings.BASE_DIR) / "locale"

# Routes whose answers are for programmers, not people (see the module's docstring).
NOT_WALKED = {"api/schema/", "ogc/api"}
# Answers that are not text a person reads: tiles, PDFs (the certificate's words are the
# certificates' tests), files, the transparency log's notes (C2SP formats).
READ_TYPES = ("text/html", "application/json", "application/problem+json", "application/geo+json")

# Common English words that are not in any msgid today but would come with a new sentence.
COMMON_ENGLISH = re.findall(
    r"\w+",
    """
a about after all also an and any are as at be been before but by can cannot could did do
does done error errors for from has have here how if in into invalid is it its may
missing must no not nothing of on one only or other our please required should so some
than that the their them there these this those to too try unknown up use was we were
what when where which while who will with without wrong you your zoom out
""",
)

# Names and codes that are the same in every language, with why.
ALLOWED = {
    "english",  # the language menu names each language in itself (English, Tiếng Việt, 한국어)
    "landinfo",  # the product's name
    "leaflet",  # the map library's name, in the map's attribution
    "openstreetmap",  # the base map's name, in its attribution (its licence asks for it)
    "osm",
    "id",  # as in "ID", a code word also in Vietnamese and Korean forms
    "email",  # written so in Vietnamese ("địa chỉ email") and Korean ("이메일") forms
    "otp",  # the name of the one-time password scheme
    "bbox",  # the parameter of OGC APIs and exports, named so in every language
    "https",  # the scheme a browser needs, named as browsers name it
    "shapefile",  # a format's name (ESRI Shapefile), as GIS programs name it
    "vector",  # Vietnamese writes "bản đồ vector" (Korean: 벡터)
    "qgis",  # a program's name
    "gdal",
    "ogr",
}

HUMAN_KEYS = {
    "detail",
    "details",
    "error_description",
    "title",
    "description",
    "summary",
    "message",
    "messages",
    "label",
    "labels",
    "name",
    "text",
    "hint",
    "help",
    "reason",
    "note",
    "caption",
}
CODE_KEYS = {
    "error",
    "code",
    "type",
    "href",
    "rel",
    "url",
    "id",
    "instance",
    "kind",
    "status",
    "crs",
    "hreflang",
    "identifier",
    "land_use",
    "format",
}
ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
# Not read as words: scripts and styles, program text shown as such (the API token page's
# curl example): <code>, <pre>, <kbd>, <samp>, and what HTML's translate="no" marks as
# not to be translated (a layer's attribute names).
SKIPPED_ELEMENTS = {"style", "script", "template", "code", "pre", "kbd", "samp"}

_MSGID = re.compile(r'^msgid "(.*)"$|^msgid_plural "(.*)"$')
_MSGSTR = re.compile(r'^msgstr(?:\[\d\])? "(.*)"$')
_CONTINUED = re.compile(r'^"(.*)"$')
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|&\w+;")
_WORD = re.compile(r"\w+")
# Codes inside a sentence, with what marks them so:
_CODES = re.compile(
    "(?m)"
    + "|".join(
        (
            r"\w+://\S+|(?<![\w/])/[\w./<>{}?=&%:-]*",  # paths and addresses: /api/parcels/<pk>
            # quoted (input echoed, codes), not an apostrophe: the register's key
            r"(?<!\w)'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|‘[^’\n]*’|“[^”\n]*”",
            r"[\w-]+=\S*",  # parameters: f=json, filter-lang=cql2-text
            r"\b[\w-]+(?:,\s?[\w-]+){2,}\b",  # lists of names: parcels, zoning, changes; minx,miny,...
            r"OGC API\s*[–-]\s*\w+",  # the names of standards: OGC API – Features
            r"\bKorea 2000\b",  # the name of Korea's geodetic datum (EPSG:5186's)
            r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)+\b",  # HTTP headers: Idempotency-Key, Retry-After
            r"^[a-z_][\w.\[\]]*: ",  # the field an API error is about: holders[0].share: ...
            r"(?<![\w.])\.[a-z0-9]{2,5}\b",  # file extensions a form accepts: .txt, .csv, .dxf
        )
    )
)


# --- the wordlists -------------------------------------------------------------------------


def _po_entries(path: Path) -> Iterator[tuple[str, str]]:
    """Yield (msgid, msgstr) of a .po file, plurals as their first form."""
    msgid = msgstr = ""
    field = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if match := _MSGID.match(line):
            if field == "msgstr":
                yield msgid, msgstr
                msgid = msgstr = ""
            if line.startswith("msgid "):
                msgid = match.group(1) or ""
            field = "msgid"
        elif match := _MSGSTR.match(line):
            msgstr += match.group(1)
            field = "msgstr"
        elif (match := _CONTINUED.match(line)) and field == "msgid":
            msgid += match.group(1)
        elif (match := _CONTINUED.match(line)) and field == "msgstr":
            msgstr += match.group(1)
    if field == "msgstr":
        yield msgid, msgstr


def _ascii_words(text: str) -> set[str]:
    return {
        w.lower()
        for w in _WORD.findall(_CODES.sub(" ", _PLACEHOLDER.sub(" ", text)))
        if w.isascii()
    }


@cache
def english_words() -> frozenset[str]:
    """Return the English words to look for: the msgids' words and COMMON_ENGLISH, less
    Vietnamese syllables and ALLOWED."""
    english = set(COMMON_ENGLISH)
    vietnamese: set[str] = set()
    for catalogue in ("django.po", "djangojs.po"):
        for msgid, _msgstr in _po_entries(LOCALE / "en" / "LC_MESSAGES" / catalogue):
            english |= _ascii_words(msgid)
        for msgid, msgstr in _po_entries(LOCALE / "vi" / "LC_MESSAGES" / catalogue):
            english |= _ascii_words(msgid)
            # A word the msgid has too is a code kept in the translation ("parcels").
            vietnamese |= _ascii_words(msgstr) - _ascii_words(msgid)
    english = {word for word in english if len(word) > 1}
    return frozenset(english - vietnamese - ALLOWED)


def english_in(text: str) -> list[str]:
    """Return the English words of `text` (each with a few words around it)."""
    words = english_words()
    tokens = _WORD.findall(_CODES.sub(" ", _PLACEHOLDER.sub(" ", text)))
    found = []
    for i, token in enumerate(tokens):
        if (
            not token.isascii()
            or any(c.isupper() or c.isdigit() or c == "_" for c in token[1:])
            or token.isdigit()
        ):
            continue  # not English, or a code or a name (GeoJSON, EPSG, ONT, admin_units, Ed25519)
        if token.lower() in words:
            found.append(" ".join(tokens[max(0, i - 3) : i + 4]))
    return found


# --- what a person reads ---------------------------------------------------------------------


class _Reader(HTMLParser):
    """Collect the text of a page a person reads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping: list[str] = []
        self.data_script = False
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self.texts.append(values.get("value") or "")
        if tag == "script" and values.get("type") == "application/json":
            self.data_script = True
            self.script_text = []
        elif tag in SKIPPED_ELEMENTS or values.get("translate") == "no":
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.data_script:
            self.data_script = False
            self.texts.extend(json_texts(json.loads("".join(self.script_text)), error=False))
        elif self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if self.data_script:
            self.script_text.append(data)
        elif not self.skipping:
            self.texts.append(data)


def html_texts(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    return [text for text in reader.texts if text.strip()]


def json_texts(value: Any, *, error: bool, key: str = "") -> Iterator[str]:
    """Yield the strings of a JSON document a person reads (see the module's docstring)."""
    if isinstance(value, dict):
        for name, inner in value.items():
            if name not in CODE_KEYS:
                yield from json_texts(inner, error=error, key=name)
    elif isinstance(value, list):
        for inner in value:
            yield from json_texts(inner, error=error, key=key)
    elif isinstance(value, str) and (key in HUMAN_KEYS or error):
        yield value


def read(response: Any) -> list[str]:
    """Return what a person reads in `response` (nothing for a body that is not text)."""
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if response.status_code in (204, 301, 302, 304) or not any(
        content_type == t or content_type.endswith("+json") for t in READ_TYPES
    ):
        return []
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    if content_type == "text/html":
        return html_texts(text)
    return list(json_texts(json.loads(text), error=response.status_code >= 400))


def english_of(response: Any) -> list[str]:
    return [found for text in read(response) for found in english_in(text)]


# --- the walk ---------------------------------------------------------------------------------


@pytest.fixture
def context() -> dict[str, Any]:
    """Return what the matrix's paths need; users are named with no English word in it."""
    caches["ratelimit"].clear()
    parcel = ParcelFactory()
    owner = User.objects.create_user("qh-1")
    owner.groups.add(Group.objects.get(name="planner"))
    job = ExportJob.objects.create(requested_by=owner, layer="parcels", format="geojson")
    filer = User.objects.create_user("cc-9")
    filer.groups.add(Group.objects.get(name="notary"))
    application = file_mortgage(held_parcel(filer), filer)
    return {"parcel": parcel.pk, "job": job.pk, "application": application.receipt_number}


def _client(role: str, language: str, *, cookie: bool = False) -> Client:
    client = Client() if cookie else Client(HTTP_ACCEPT_LANGUAGE=language)
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if role != "anonymous":
        user, _ = User.objects.get_or_create(username=f"cb-{ROLES.index(role)}")
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
    return client


def _report(leaks: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{where}: {' | '.join(sorted(set(found))[:8])}" for where, found in leaks.items()
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_or_json_answer_of_any_route_speaks_english(language, context):
    leaks: dict[str, list[str]] = {}
    for route, (build, methods) in MATRIX.items():
        if "GET" not in methods or route in NOT_WALKED:
            continue
        path = build(context)
        for role in ROLES:
            response = _client(role, language).get(path)
            if found := english_of(response):
                leaks[f"GET {path} as {role} ({response.status_code})"] = found
    assert not leaks, f"English in {language} answers:\n{_report(leaks)}"


def _error_requests(context: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """Yield (role, method, path, body) of requests the JSON and OGC APIs refuse."""
    parcel = context["parcel"]
    for path in (
        "/api/parcels/999999999",
        "/api/parcels/not-a-parcel",
        "/api/parcels/search",
        "/api/parcels/search?q=" + "x" * 500,
        "/api/parcels/at?lon=abc&lat=1",
        "/api/parcels/at?lon=500&lat=1",
        f"/api/parcels/{parcel}/history?as_of=not-a-date",
        "/api/nothing-here",
        "/api/ledger/proof/inclusion?entry=x",
        "/exports/nothing.geojson",
        "/exports/parcels.nothing",
        "/exports/parcels.geojson?bbox=1,2",
        "/exports/parcels.geojson?srs=EPSG:1",
        "/tiles/parcels/99/0/0.mvt",
        "/ogc/nothing",
        "/ogc/collections/nothing",
        "/ogc/collections/nothing?f=html",
        "/ogc/collections/parcels/items?limit=abc",
        "/ogc/collections/parcels/items?limit=abc&f=html",
        "/ogc/collections/parcels/items?bbox=1,2",
        "/ogc/collections/parcels/items?filter=nonsense(",
        "/ogc/collections/parcels/items?filter=id=1&filter-lang=xyz",
        "/ogc/collections/parcels/items/999999999",
        "/ogc/collections/parcels/items/999999999?f=html",
        "/ogc/collections/parcels/items?f=xml",
        "/nothing-here/",
    ):
        yield "anonymous", "GET", path, None
    yield "anonymous", "POST", "/api/transactions/", {}  # 401
    yield "planner", "POST", "/api/transactions/", {}  # 403
    yield "notary", "POST", "/api/transactions/", {}  # 400: no key
    deed = {"kind": "transfer", "parcel": parcel, "effective_date": "2024-03-01"}
    yield "notary", "POST", "/api/transactions/", {"key": True, **deed}  # 400: fields
    yield "notary", "POST", "/api/transactions/", {"key": True, "kind": "nothing"}
    bad_share = {
        "key": True,
        "kind": "first_registration",
        "parcel": parcel,
        "effective_date": "2024-03-01",
        "expected_last_entry": 0,
        "holders": [{"party": {"kind": "person", "name": "Lê Văn Tư", "national_id": "1"}}],
    }
    yield "notary", "POST", "/api/transactions/", bad_share  # 400: a bad national ID
    refused = {
        "key": True,
        "kind": "mortgage",
        "parcel": parcel,
        "effective_date": "2024-03-01",
        "expected_last_entry": 0,
        "lender": {"kind": "organisation", "name": "Ngân hàng A", "national_id": "0100112437"},
        "amount": "100",
    }
    yield "notary", "POST", "/api/transactions/", refused  # 422: nothing held to mortgage
    stale = {**refused, "expected_last_entry": 7}
    yield "notary", "POST", "/api/transactions/", stale  # 409: the sheet moved on
    yield "registrar", "POST", "/api/applications/999999/decision", {}
    yield "anonymous", "POST", "/api/alerts/subscriptions", {"parcel": "x", "email": "nope"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_error_answer_of_the_apis_speaks_english(language, context):
    leaks: dict[str, list[str]] = {}
    for n, (role, method, path, body) in enumerate(_error_requests(context)):
        client = _client(role, language)
        if method == "GET":
            response = client.get(path)
        else:
            headers = {}
            if body.pop("key", False):
                headers["HTTP_IDEMPOTENCY_KEY"] = f"no-english-{language}-{n}"
            response = client.post(path, body, content_type="application/json", **headers)
        assert response.status_code >= 400, (method, path, response.status_code)
        if found := english_of(response):
            leaks[f"{method} {path} as {role} ({response.status_code})"] = found
    assert not leaks, f"English in {language} answers:\n{_report(leaks)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_cookie_is_spoken_too(language, context):
    leaks: dict[str, list[str]] = {}
    for path in ("/", "/verify/", "/applications/status", "/ogc/collections", "/accounts/login/"):
        response = _client("anonymous", language, cookie=True).get(path)
        assert response.status_code == 200
        if found := english_of(response):
            leaks[f"GET {path}"] = found
    assert not leaks, f"English in {language} answers:\n{_report(leaks)}"


# gettext("msg"), ngettext("msg", ...), pgettext("context", "msg"): (context, msg).
_JS_GETTEXT = re.compile(
    r"""\b(?:pgettext\(\s*(?P<cq>['"])(?P<context>.*?)(?P=cq)\s*,|n?gettext\()"""
    r"""\s*(?P<q>['"`])(?P<msgid>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_scripts_is_in_the_javascript_catalogue(language):
    """Each gettext() of the site's scripts has a translation in the catalogue, not in English."""
    catalogue = Client(HTTP_ACCEPT_LANGUAGE=language).get("/jsi18n/")
    assert catalogue.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", catalogue.content.decode(), re.S)
    assert match, "the catalogue's format changed"
    translations = json.loads(match.group(1))
    missing, english = [], []
    for script in Path(settings.BASE_DIR).glob("*/static/**/*.js"):
        if "vendor" in script.parts or ".venv" in script.parts:
            continue
        for call in _JS_GETTEXT.finditer(script.read_text(encoding="utf-8")):
            msgid = call["msgid"]
            msgid = msgid.replace("\\'", "'").replace('\\"', '"')
            key = f"{call['context']}\x04{msgid}" if call["context"] else msgid
            translated = translations.get(key)
            if translated is None:
                missing.append(f"{script.name}: {msgid}")
            elif found := english_in(translated if isinstance(translated, str) else translated[0]):
                english.append(f"{script.name}: {msgid} -> {found}")
    assert not missing, f"not in the {language} catalogue:\n" + "\n".join(missing)
    assert not english, f"English in the {language} catalogue:\n" + "\n".join(english)


# --- the test can fail ------------------------------------------------------------------------


def test_an_english_sentence_in_a_page_is_found():
    page = """<html><body><h1>Thửa đất số 12</h1>
        <p title="Zoom in">Diện tích 405,9 m²</p>
        <script type="application/json">{"layers": [{"name": "Parcels", "id": "parcels"}]}</script>
        <p>The parcel was not found.</p><input type="submit" value="Search"></body></html>"""
    found = [f for text in html_texts(page) for f in english_in(text)]
    assert any("Zoom" in f for f in found)
    assert any("Parcels" in f for f in found)
    assert any("parcel was not found" in f for f in found)
    assert any("Search" in f for f in found)
    assert not english_in("Thửa đất số 12, tờ bản đồ số 3; 필지 지번 산 12-3; GeoJSON, EPSG:5897")


def test_an_english_error_in_a_json_answer_is_found():
    body = {"error": "not_found", "detail": "No parcel has this identifier.", "share": ["Bad."]}
    texts = list(json_texts(body, error=True))
    assert "not_found" not in texts
    assert english_in(" ".join(texts))
    assert not list(json_texts({"id": "parcels", "land_use": "ODT"}, error=False))
