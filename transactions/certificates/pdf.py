"""Parcel certificates on paper: lay out a `Certificate` as an A4 PDF.

The renderer only lays out; every value comes from `transactions.certificates.issue.Certificate`,
already worded by the register (masked names, display identifiers). What it adds is
the language: labels through gettext, numbers and dates in the reader's conventions.

Fonts are embedded TrueType, because a certificate must print the same anywhere and
for decades: DejaVu Sans for Latin and Vietnamese, Nanum Gothic for Hangul and Hanja.
No one font has both, and any string may mix them (a Korean holder on an English
certificate), so text is cut into runs by script and each run names its font
(`markup`). Noto CJK would do both, but it ships as CFF in an OTC collection, which
ReportLab cannot embed.

The QR code and the journal position are drawn at the foot of page 1 by the canvas,
not flowed: a long history must not push the proof onto a later page. They are the
document's "details for verification": journal positions, hashes and codes are printed
there only, never among what a citizen reads (the rights, the history).

What is printed is named as the offices name the document that gives it: in Vietnam a
"Văn bản cung cấp thông tin đất đai", the land information an office provides from its
database on request (Decree 101/2024/NĐ-CP on the land information system, and before it
Circular 34/2014/TT-BTNMT, whose extracts "trích lục bản đồ địa chính" and "trích sao sổ
địa chính" each give only a part of what is printed here); in Korea the land "부동산종합증명서(토지)", the
statement of the integrated real-estate record (공간정보관리법 제76조의4). It is neither the
Vietnamese certificate of land-use rights (Giấy chứng nhận, "sổ đỏ") nor a Korean title
(등기필정보).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import shapely
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from landinfo.dates import register_day, register_moment
from landinfo.formats import (
    area_unit,
    register_amount,
    register_area,
    register_number,
    register_percent,
)
from landinfo.profiles import get_profile
from landinfo.profiles.base import LONG_TERM
from transactions.certificates.issue import (
    HOLDER_KINDS,
    MAP_ASPECT,
    RIGHT_KINDS,
    Certificate,
    CertificateEntry,
    CertificateHolder,
    CertificateRight,
    LocationMap,
)
from transactions.words import choice_label, co_owned, deed_label, word

# --- fonts ------------------------------------------------------------------------------------


class FontFile(NamedTuple):
    path: Path
    package: str  # the Debian package that installs it


_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_NANUM = Path("/usr/share/fonts/truetype/nanum")

# Registered under these names; the paths are looked up when the first PDF is made.
FONT_FILES: dict[str, FontFile] = {
    "DejaVuSans": FontFile(_DEJAVU / "DejaVuSans.ttf", "fonts-dejavu-core"),
    "DejaVuSans-Bold": FontFile(_DEJAVU / "DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "DejaVuSansMono": FontFile(_DEJAVU / "DejaVuSansMono.ttf", "fonts-dejavu-core"),
    "NanumGothic": FontFile(_NANUM / "NanumGothic.ttf", "fonts-nanum"),
    "NanumGothicBold": FontFile(_NANUM / "NanumGothicBold.ttf", "fonts-nanum"),
}
_BASE = "DejaVuSans"
_BASE_BOLD = "DejaVuSans-Bold"
_MONO = "DejaVuSansMono"
_CJK = "NanumGothic"
_CJK_BOLD = "NanumGothicBold"

_registered: set[str] = set()  # fonts ReportLab knows in this process


def register_fonts() -> None:
    """Register the embedded fonts with ReportLab once per process; refuse a missing file."""
    missing = [name for name in FONT_FILES if name not in _registered]
    for name in missing:
        font = FONT_FILES[name]
        if not font.path.is_file():
            raise ImproperlyConfigured(
                f"Certificate font {font.path} is missing: install the Debian package "
                f"{font.package} (apt-get install {font.package})."
            )
    for name in missing:
        pdfmetrics.registerFont(TTFont(name, str(FONT_FILES[name].path)))
        _registered.add(name)
    if missing:
        # <b> inside a paragraph picks the family's bold face, whichever font a run uses.
        for family, bold in ((_BASE, _BASE_BOLD), (_CJK, _CJK_BOLD)):
            addMapping(family, 0, 0, family)
            addMapping(family, 1, 0, bold)
            addMapping(family, 0, 1, family)
            addMapping(family, 1, 1, bold)


# Hangul (jamo, compatibility jamo, syllables), CJK punctuation, squared units ("㎡"),
# ideographs and full-width forms: what DejaVu lacks and Nanum has. Spaces between two such characters stay in the
# run, so a Korean sentence is one font switch, not one per word.
_CJK_CHARS = (
    "\u1100-\u11ff\u3000-\u303f\u3130-\u318f\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef"
)
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+(?:\\s+[{_CJK_CHARS}]+)*")


def has_cjk(text: str) -> bool:
    """Return whether `text` holds a character only the CJK font has."""
    return _CJK_RUN.search(text) is not None


def markup(text: str, *, bold: bool = False) -> str:
    """Return `text` as Paragraph markup, with its Hangul/CJK runs in the CJK font."""
    # Escaping first is safe: the entities it writes are ASCII, never part of a CJK run.
    font = _CJK_BOLD if bold else _CJK
    safe = escape(unicodedata.normalize("NFC", text))
    return _CJK_RUN.sub(lambda run: f'<font name="{font}">{run.group(0)}</font>', safe)


def link_lines(url: str, font: str, size: float, width: float) -> list[str]:
    """Return `url` cut into lines of at most `width` points, each ending on a letter or digit.

    A PDF reader (pdfium in Chrome, Acrobat) takes a line that ends in "-" for a
    hyphenated word and drops the hyphen when the text is copied: a verification link
    broken after one of its code's "-" would be copied without it, and fail. Cut only
    after a letter or digit, the line break becomes a space or a newline that a browser's
    address bar and the verify page both ignore.
    """
    lines: list[str] = []
    rest = url
    while rest:
        end = len(rest)
        while end > 1 and pdfmetrics.stringWidth(rest[:end], font, size) > width:
            end -= 1
        if end < len(rest):
            cut = end
            while cut > 1 and not rest[cut - 1].isalnum():
                cut -= 1
            end = cut if rest[cut - 1].isalnum() else end
        lines.append(rest[:end])
        rest = rest[end:]
    return lines


# --- numbers in the reader's conventions (landinfo.formats) -----------------------------------

# The profile's own language, in which the register names land uses.
_PROFILE_LANGUAGES: dict[str, str] = {"vn": "vi", "kr": "ko"}


def round_length(target: float) -> float:
    """Return the largest 1, 2 or 5 × 10^k not above `target` (a scale bar's length)."""
    if target <= 0:
        raise ValueError(f"A scale bar needs a positive length; got {target}.")
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def format_length(metres: float, language: str) -> str:
    if metres >= 1000:
        return f"{register_number(metres / 1000, 0 if metres % 1000 == 0 else 1, language)} km"
    return f"{register_number(metres, 0 if metres >= 1 else 1, language)} m"


# --- translated words of the register ---------------------------------------------------------

# Callables, so each label is looked up in the language active when the page is made.
_REGISTER_NAMES: dict[str, Callable[[], str]] = {
    "vn": lambda: gettext("LandInfo — electronic cadastral register"),
    "kr": lambda: gettext("LandInfo — integrated real-estate register"),
}


def register_name(profile: str) -> str:
    """Return the register's name as the profile's law calls it."""
    name = _REGISTER_NAMES.get(profile)
    return name() if name else gettext("LandInfo land register")


def draw_runs(
    canvas: Canvas, x: float, y: float, text: str, size: float, *, right: bool = False
) -> None:
    """Draw one line at (x, y) run by run, each in a font that has its glyphs."""
    runs: list[tuple[str, str]] = []
    position = 0
    for match in _CJK_RUN.finditer(text):
        runs += [(text[position : match.start()], _BASE), (match.group(0), _CJK)]
        position = match.end()
    runs.append((text[position:], _BASE))
    if right:
        x -= sum(pdfmetrics.stringWidth(run, font, size) for run, font in runs)
    for run, font in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


# --- page geometry and styles -----------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
PROOF_HEIGHT = 44 * mm  # the verification box at the foot of page 1
QR_SIZE = 36 * mm  # the quiet zone (4 modules) is inside it
MAP_HEIGHT = CONTENT_WIDTH / MAP_ASPECT  # the frame the assembly chose the map's bounds for
_SUBJECT_LABEL_MIN = 6.0  # points: smaller than this, the subject's number is not read at a glance

_INK = colors.HexColor("#1a1a1a")
_RULE = colors.HexColor("#7a7a7a")
_SHADE = colors.HexColor("#eeeeee")
_SUBJECT_FILL = colors.HexColor("#f6e3a8")
_SUBJECT_LINE = colors.HexColor("#8a1c1c")
_NEIGHBOUR_LINE = colors.HexColor("#9a9a9a")


class _Styles:
    """The paragraph styles of one document."""

    def __init__(self) -> None:
        base = ParagraphStyle("base", fontName=_BASE, fontSize=8.5, leading=10.5, textColor=_INK)
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7, leading=8.5)
        self.label = ParagraphStyle("label", base, fontName=_BASE_BOLD)
        self.head = ParagraphStyle("head", base, fontName=_BASE_BOLD, fontSize=7.5, leading=9)
        self.title = ParagraphStyle(
            "title", base, fontName=_BASE_BOLD, fontSize=16, leading=20, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle(
            "subtitle", base, fontSize=9.5, leading=12, alignment=TA_CENTER
        )
        self.section = ParagraphStyle(
            "section",
            base,
            fontName=_BASE_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=9,
            spaceAfter=3,
        )
        self.mono = ParagraphStyle("mono", base, fontName=_MONO, fontSize=6.5, leading=8)
        self.notice = ParagraphStyle(
            "notice",
            base,
            fontName=_BASE_BOLD,
            borderColor=_SUBJECT_LINE,
            borderWidth=0.8,
            borderPadding=4,
            textColor=_SUBJECT_LINE,
            spaceBefore=6,
            spaceAfter=6,
            alignment=TA_LEFT,
        )


def _p(text: str, style: ParagraphStyle, *, bold: bool = False) -> Paragraph:
    return Paragraph(markup(text, bold=bold), style)


# --- the location map -------------------------------------------------------------------------


class LocationMapFlowable(Flowable):  # type: ignore[misc]  # ReportLab ships no types
    """Draw the parcel and its neighbours at scale, with a scale bar and a north arrow."""

    def __init__(
        self, location_map: LocationMap, language: str, width: float, height: float
    ) -> None:
        super().__init__()
        self.location_map = location_map
        self.language = language
        self.width = width
        self.height = height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas: Canvas = self.canv
        minx, miny, maxx, maxy = self.location_map.bounds
        # One scale for both axes: the storage CRS is projected, metres east and north.
        scale = min(self.width / max(maxx - minx, 1e-9), self.height / max(maxy - miny, 1e-9))
        offset_x = (self.width - (maxx - minx) * scale) / 2 - minx * scale
        offset_y = (self.height - (maxy - miny) * scale) / 2 - miny * scale

        parcels = self.location_map.parcels
        # Neighbours first, so the subject's outline is drawn over the edges it shares.
        order = sorted(range(len(parcels)), key=lambda i: parcels[i].subject)
        geometries = shapely.from_wkb([parcels[i].wkb for i in order])
        drawable = ~shapely.is_empty(geometries)  # nothing to draw, nowhere to put a label
        order = [index for index, keep in zip(order, drawable, strict=True) if keep]
        geometries = geometries[drawable]

        canvas.saveState()
        clip = canvas.beginPath()
        clip.rect(0, 0, self.width, self.height)
        canvas.clipPath(clip, stroke=0, fill=0)
        for index, geometry in zip(order, geometries, strict=True):
            subject = parcels[index].subject
            path = canvas.beginPath()
            for polygon in getattr(geometry, "geoms", [geometry]):
                for ring in (polygon.exterior, *polygon.interiors):
                    points = shapely.get_coordinates(ring) * scale + (offset_x, offset_y)
                    path.moveTo(*points[0])
                    for x, y in points[1:]:
                        path.lineTo(x, y)
                    path.close()
            if subject:
                canvas.setFillColor(_SUBJECT_FILL)
                canvas.setStrokeColor(_SUBJECT_LINE)
                canvas.setLineWidth(1.6)
            else:
                canvas.setStrokeColor(_NEIGHBOUR_LINE)
                canvas.setLineWidth(0.4)
            # Even-odd filling leaves a courtyard (an interior ring) unpainted.
            canvas.drawPath(path, stroke=1, fill=int(subject), fillMode=0)
        self._draw_labels(canvas, order, geometries, scale, (offset_x, offset_y))
        canvas.restoreState()

        canvas.setStrokeColor(_INK)
        canvas.setLineWidth(0.6)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        self._draw_scale_bar(canvas, scale)
        self._draw_north_arrow(canvas)

    def _draw_labels(
        self,
        canvas: Canvas,
        order: Sequence[int],
        geometries: Any,
        scale: float,
        offset: tuple[float, float],
    ) -> None:
        points = shapely.get_coordinates(shapely.point_on_surface(geometries)) * scale + offset
        extents = shapely.bounds(geometries) * scale
        for index, (x, y), (x0, y0, x1, y1) in zip(order, points, extents, strict=True):
            parcel = self.location_map.parcels[index]
            size = 8.0 if parcel.subject else 5.5
            font = (
                (_CJK_BOLD if parcel.subject else _CJK)
                if has_cjk(parcel.label)
                else (_BASE_BOLD if parcel.subject else _BASE)
            )
            width = pdfmetrics.stringWidth(parcel.label, font, size)
            if parcel.subject and width > (x1 - x0) * 0.9:
                size = max(_SUBJECT_LABEL_MIN, size * (x1 - x0) * 0.9 / width)
                width = pdfmetrics.stringWidth(parcel.label, font, size)
            # A label wider or taller than its parcel would be read as the neighbour's; the
            # subject's is printed all the same, as the reader looks for it first.
            fits = width <= (x1 - x0) * 0.9 and size <= (y1 - y0) * 0.9
            if not (fits or parcel.subject):
                continue
            canvas.setFont(font, size)
            canvas.setFillColor(_SUBJECT_LINE if parcel.subject else _RULE)
            canvas.drawCentredString(x, y - size * 0.35, parcel.label)

    def _draw_scale_bar(self, canvas: Canvas, scale: float) -> None:
        length_m = round_length(self.width / 4 / scale)
        length = length_m * scale
        label = format_length(length_m, self.language)
        label_width = pdfmetrics.stringWidth(label, _BASE, 6.5)
        x, y, bar = 4 * mm, 3.5 * mm, 1.4 * mm
        # A white backing keeps the bar legible over parcel edges.
        canvas.setFillColor(colors.white)
        canvas.rect(1 * mm, 1 * mm, length + label_width / 2 + 5 * mm, 8 * mm, stroke=0, fill=1)
        canvas.setStrokeColor(_INK)
        canvas.setLineWidth(0.5)
        for start, fill in ((x, _INK), (x + length / 2, colors.white)):
            canvas.setFillColor(fill)
            canvas.rect(start, y, length / 2, bar, stroke=1, fill=1)
        canvas.setFillColor(_INK)
        canvas.setFont(_BASE, 6.5)
        canvas.drawCentredString(x, y + bar + 1.2 * mm, "0")
        canvas.drawCentredString(x + length, y + bar + 1.2 * mm, label)

    def _draw_north_arrow(self, canvas: Canvas) -> None:
        x, top = self.width - 7 * mm, self.height - 4 * mm
        canvas.setFillColor(colors.white)
        canvas.rect(x - 3.5 * mm, top - 13 * mm, 7 * mm, 14 * mm, stroke=0, fill=1)
        canvas.setFillColor(_INK)
        arrow = canvas.beginPath()
        arrow.moveTo(x, top)
        arrow.lineTo(x - 2.2 * mm, top - 8 * mm)
        arrow.lineTo(x, top - 6.3 * mm)
        arrow.lineTo(x + 2.2 * mm, top - 8 * mm)
        arrow.close()
        canvas.drawPath(arrow, stroke=0, fill=1)
        canvas.setFont(_BASE_BOLD, 8)
        canvas.drawCentredString(x, top - 12 * mm, "N")


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw `text` as a QR code (level M) filling a `size` square, quiet zone included."""
    # Encoded by ReportLab's widget, drawn here as one path: the widget's own drawing
    # makes a shape object per run of modules, which cost half the time of a certificate.
    widget = QrCodeWidget(text, barLevel="M")
    code = widget.qr
    code.make()
    border = widget.barBorder  # 4 modules of quiet zone, as ISO/IEC 18004 asks
    module = size / (code.getModuleCount() + 2 * border)
    path = canvas.beginPath()
    for row_index, row in enumerate(code.modules):
        column = 0
        for dark, run in itertools.groupby(bool(cell) for cell in row):
            length = len(list(run))
            if dark:
                top = y + size - (row_index + border + 1) * module
                path.rect(x + (column + border) * module, top, length * module, module)
            column += length
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# --- pages: running header and footer, the proof on page 1, "page n of m" -------------------


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """A canvas that writes "page n of m" once the number of pages is known."""

    def __init__(self, *args: Any, page_label: Callable[[int, int], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page_label = page_label
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # ReportLab's name
        # Held back until save(): the total is known only after the last page.
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFillColor(_RULE)
            label = self._page_label(self._pageNumber, total)
            draw_runs(self, PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 9 * mm, label, 7, right=True)
            super().showPage()
        super().save()


class _Pages:
    """Draw what every page carries, and the verification box of page 1."""

    def __init__(self, certificate: Certificate, styles: _Styles) -> None:
        self.certificate = certificate
        self.styles = styles
        self.register_name = register_name(certificate.profile)
        self.position = gettext("Issued at journal entry #%(sequence)s") % {  # in the proof box
            "sequence": certificate.sequence
        }

    def every_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN_TOP + 5 * mm
        canvas.setFillColor(_INK)
        draw_runs(canvas, MARGIN_X, top + 1.5 * mm, self.register_name, 7.5)
        draw_runs(
            canvas, PAGE_WIDTH - MARGIN_X, top + 1.5 * mm, self.certificate.display, 7.5, right=True
        )
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_X, top, PAGE_WIDTH - MARGIN_X, top)
        bottom = MARGIN_BOTTOM - 5 * mm
        canvas.line(MARGIN_X, bottom, PAGE_WIDTH - MARGIN_X, bottom)
        # The parcel and the moment of issue on every page; the journal's position and
        # hash only in the verification box of page 1.
        issued = register_moment(self.certificate.issued_at, self.certificate.language)
        footer = f"{self.certificate.identifier} · {issued}"
        canvas.setFillColor(_RULE)
        draw_runs(canvas, MARGIN_X, bottom - 4 * mm, footer, 7)
        canvas.restoreState()

    def first_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self.every_page(canvas, doc)
        self._draw_proof(canvas)

    def _draw_proof(self, canvas: Canvas) -> None:
        certificate = self.certificate
        x0, y0 = MARGIN_X, MARGIN_BOTTOM
        canvas.saveState()
        canvas.setStrokeColor(_INK)
        canvas.setLineWidth(0.6)
        canvas.rect(x0, y0, CONTENT_WIDTH, PROOF_HEIGHT - 3 * mm, stroke=1, fill=0)

        qr_x = x0 + CONTENT_WIDTH - QR_SIZE - 2 * mm
        qr_y = y0 + (PROOF_HEIGHT - 3 * mm - QR_SIZE) / 2
        draw_qr(canvas, certificate.verify_url, qr_x, qr_y, QR_SIZE)

        styles = self.styles
        width = qr_x - x0 - 6 * mm
        # A little narrower than the block: ReportLab must never wrap a line again itself.
        link_width = width - 1
        issued = register_moment(certificate.issued_at, certificate.language)
        blocks: list[Paragraph] = [
            _p(gettext("Details for verification"), styles.label, bold=True),
            _p(
                gettext(
                    "Scan the code or open the link to check this certificate against the "
                    "register's journal."
                ),
                styles.label,
            ),
            Paragraph(
                f'<link href="{escape(certificate.verify_url)}">'
                + "<br/>".join(
                    escape(line)
                    for line in link_lines(
                        certificate.verify_url, _MONO, styles.mono.fontSize, link_width
                    )
                )
                + "</link>",
                styles.mono,
            ),
            _p(
                gettext("%(position)s, on %(moment)s")
                % {"position": self.position, "moment": issued},
                styles.small,
            ),
            _p(gettext("Hash of the journal entry:"), styles.small),
            Paragraph(certificate.head_hash, styles.mono),
        ]
        y = y0 + PROOF_HEIGHT - 3 * mm - 3 * mm
        for block in blocks:
            _, height = block.wrapOn(canvas, width, PROOF_HEIGHT)
            y -= height
            block.drawOn(canvas, x0 + 3 * mm, y)
            y -= 1.2 * mm
        canvas.restoreState()


# --- sections ---------------------------------------------------------------------------------


def _grid(rows: list[list[Any]], widths: Sequence[float], *, header: bool = True) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.3, _RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _SHADE))
    table.setStyle(TableStyle(commands))
    return table


def _identity(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    register = register_name(certificate.profile)
    if certificate.retired:
        status = gettext("Retired on %(date)s") % {
            "date": register_day(certificate.valid_to, certificate.language)
        }
    else:
        status = gettext("In force")
    return [
        _p(register, styles.subtitle),
        Spacer(1, 2 * mm),
        _p(gettext("Land information statement"), styles.title, bold=True),
        Spacer(1, 1 * mm),
        _p(
            certificate.display,
            ParagraphStyle("display", styles.subtitle, fontSize=12, leading=15),
            bold=True,
        ),
        _p(
            gettext("Identifier: %(identifier)s · Status: %(status)s")
            % {"identifier": certificate.identifier, "status": status},
            styles.subtitle,
        ),
        Spacer(1, 3 * mm),
    ]


def _descriptive(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    language = certificate.language
    if _PROFILE_LANGUAGES.get(certificate.profile) == language:
        land_use = certificate.land_use_name
    else:
        land_use = certificate.land_use_name_en
    rows = [
        (gettext("Lot address"), certificate.lot_address),
        (gettext("Address"), certificate.address),
        # As the profile writes places (Vietnam: smallest first), in every language.
        (gettext("Administrative unit"), certificate.admin_unit),
        (gettext("Land use"), land_use),  # the name, as the law names it; not its code
        (gettext("Registered area"), register_area(certificate.registered_area, language)),
        (
            gettext("Area computed from the boundary"),
            register_area(certificate.computed_area, language),
        ),
        (gettext("Valid from"), register_day(certificate.valid_from, language)),
        (gettext("Valid to"), register_day(certificate.valid_to, language)),
        (gettext("Made from"), ", ".join(certificate.parents) or "—"),
        (gettext("Made into"), ", ".join(certificate.children) or "—"),
    ]
    table = _grid(
        [[_p(label, styles.label, bold=True), _p(value, styles.body)] for label, value in rows],
        (52 * mm, CONTENT_WIDTH - 52 * mm),
        header=False,
    )
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    return [_p(gettext("Description of the parcel"), styles.section, bold=True), table]


def _zoning(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    title = _p(gettext("Zoning"), styles.section, bold=True)
    if not certificate.zoning:
        return [title, _p(gettext("None registered"), styles.body)]
    head = [gettext("Zone"), gettext("Plan"), gettext("Share of the parcel")]
    rows = [[_p(text, styles.head, bold=True) for text in head]]
    for zone in certificate.zoning:
        share = register_percent(zone.share, 1, certificate.language)
        rows.append(
            [
                _p(zone.name or zone.code, styles.body),
                _p(zone.plan, styles.body),
                _p(share, styles.body),
            ]
        )
    return [title, _grid(rows, (80 * mm, 68 * mm, CONTENT_WIDTH - 148 * mm))]


def _prices(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    title = _p(gettext("Official land prices"), styles.section, bold=True)
    if not certificate.prices:
        return [title, _p(gettext("None registered"), styles.body)]
    head = [
        gettext("Year"),
        gettext("Price per %(unit)s") % {"unit": area_unit(certificate.language)},
    ]
    rows = [[_p(text, styles.head, bold=True) for text in head]]
    for price in certificate.prices:
        # The column's head says "per m²": the cell is the amount.
        amount = register_amount(price.price_per_m2, price.currency, certificate.language)
        rows.append([_p(str(price.year), styles.body), _p(amount, styles.body)])
    return [title, _grid(rows, (24 * mm, 60 * mm))]


def particulars(right: CertificateRight, language: str) -> list[str]:
    """Return what the certificate states of `right`, one "Label: value" line each, as stated.

    Vietnam's certificate (Circular 10/2024/TT-BTNMT) prints the origin of use, the form
    of use, the term and the assets attached to the land; Korea's 등기원인. A right
    recorded before the register kept them states none.
    """
    profile = get_profile()
    lines = []
    if right.origin:
        lines.append((gettext("Origin"), choice_label(profile.right_origins, right.origin)))
    if right.use_form:
        lines.append((gettext("Form of use"), choice_label(profile.use_forms, right.use_form)))
    if right.term == LONG_TERM:
        lines.append((gettext("Term of use"), gettext("Long-term")))
    elif right.term:
        until = register_day(dt.date.fromisoformat(right.term), language)
        lines.append((gettext("Term of use"), gettext("Until %(date)s") % {"date": until}))
    if right.attached_assets:
        lines.append((gettext("Assets attached to the land"), right.attached_assets))
    return [f"{label}: {value}" for label, value in lines]


def holder_kind_word(holder: CertificateHolder) -> str:
    """Return the kind of holder as the profile's law names it; the register's kind else."""
    try:
        return gettext(get_profile().holder_kind(holder.holder_kind).label)
    except KeyError:
        return word(HOLDER_KINDS, holder.kind)


def _right_row(
    right: CertificateRight, language: str, styles: _Styles, *, shared: bool
) -> list[Flowable]:
    holder = markup(right.holder.name)
    if right.holder.full:
        holder += " *"
    holder += (
        f'<br/><font size="6.5" color="#555555">{markup(holder_kind_word(right.holder))}</font>'
    )
    number = " / ".join(filter(None, (right.certificate_serial, right.certificate_number)))
    return [
        _p(word(RIGHT_KINDS, right.kind), styles.body),
        Paragraph(holder, styles.body),
        # A share only among co-owners (co_owned): a sole holder's or a mortgage's says nothing.
        _p(right.share if shared and right.kind == "ownership" else "—", styles.body),
        _p(register_day(right.valid_from, language), styles.body),
        _p(register_day(right.valid_to, language), styles.body),
        _p(number or "—", styles.body),
    ]


def _rights(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    flowables: list[Flowable] = [
        _p(
            gettext("Rights in force on %(date)s")
            % {"date": register_day(certificate.issued_on, certificate.language)},
            styles.section,
            bold=True,
        )
    ]
    if certificate.full:
        flowables.append(
            _p(
                gettext(
                    "This certificate contains personal data. It was issued to a signed-in "
                    "officer of the register and is not for public display."
                ),
                styles.notice,
                bold=True,
            )
        )
    if not certificate.rights:
        return [*flowables, _p(gettext("No rights in force"), styles.body)]
    head = [
        gettext("Right"),
        gettext("Holder"),
        gettext("Share"),
        gettext("From"),
        gettext("To"),
        gettext("Certificate no."),
    ]
    rows: list[list[Any]] = [[_p(text, styles.head, bold=True) for text in head]]
    shared = co_owned(right.share for right in certificate.rights if right.kind == "ownership")
    spans: list[tuple[Any, ...]] = []
    for right in certificate.rights:
        rows.append(_right_row(right, certificate.language, styles, shared=shared))
        stated = particulars(right, certificate.language)
        if stated:
            # What the certificate states of the right, on a row of its own under it.
            text = "<br/>".join(markup(line) for line in stated)
            rows.append([Paragraph(f'<font size="7">{text}</font>', styles.body)] + [""] * 5)
            spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
    widths = (30 * mm, 50 * mm, 14 * mm, 21 * mm, 21 * mm)
    table = _grid(rows, (*widths, CONTENT_WIDTH - sum(widths)))
    if spans:
        table.setStyle(TableStyle(spans))
    flowables.append(table)
    if any(right.holder.full for right in certificate.rights):
        flowables.append(_p("* " + gettext("Holder's name shown in full."), styles.small))
    return flowables


def _entry_row(entry: CertificateEntry, language: str, styles: _Styles) -> list[Flowable]:
    deed = deed_label(entry.kind, entry.transfer_type)
    holders = f"{', '.join(entry.holders_before) or '—'} → {', '.join(entry.holders_after) or '—'}"
    parcels = []
    if entry.made_from:
        parcels.append(gettext("Made from: %(parcels)s") % {"parcels": ", ".join(entry.made_from)})
    if entry.made_into:
        parcels.append(gettext("Made into: %(parcels)s") % {"parcels": ", ".join(entry.made_into)})
    return [
        _p(register_day(entry.effective_date, language), styles.body),
        _p(deed, styles.body),
        _p(holders, styles.body),
        Paragraph("<br/>".join(markup(text) for text in parcels) or "—", styles.body),
    ]


def _history(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    title = _p(gettext("History of deeds"), styles.section, bold=True)
    if not certificate.history:
        return [title, _p(gettext("None registered"), styles.body)]
    head = [
        gettext("Effective"),
        gettext("Deed"),
        gettext("Holders before → after"),
        gettext("Parcels"),
    ]
    rows: list[list[Any]] = [[_p(text, styles.head, bold=True) for text in head]]
    rows += [_entry_row(entry, certificate.language, styles) for entry in certificate.history]
    widths = (24 * mm, 38 * mm, 70 * mm)  # "2017. 1. 5." fits on one line
    return [title, _grid(rows, (*widths, CONTENT_WIDTH - sum(widths)))]


# --- the document -----------------------------------------------------------------------------


def render_pdf(certificate: Certificate) -> bytes:
    """Return the certificate as an A4 PDF in certificate.language (vi, ko, en)."""
    register_fonts()
    with translation.override(certificate.language):
        styles = _Styles()
        pages = _Pages(certificate, styles)
        buffer = io.BytesIO()
        doc = _document(buffer, certificate, pages)
        page_of = gettext("Page %(page)s of %(pages)s")

        def page_label(page: int, total: int) -> str:
            return page_of % {"page": page, "pages": total}

        doc.build(
            _story(certificate, styles),
            canvasmaker=lambda *a, **k: _NumberedCanvas(*a, page_label=page_label, **k),
        )
    return buffer.getvalue()


def _document(buffer: io.BytesIO, certificate: Certificate, pages: _Pages) -> BaseDocTemplate:
    """Return the A4 document: a first page with the proof strip, then plain pages."""
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=gettext("Land information statement") + f" {certificate.identifier}",
        author=pages.register_name,
        subject=certificate.verify_url,
        lang=certificate.language,
        initialFontName=_BASE,  # the canvas's default would name Helvetica, not embedded
    )
    height = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    first = Frame(
        MARGIN_X, MARGIN_BOTTOM + PROOF_HEIGHT, CONTENT_WIDTH, height - PROOF_HEIGHT, id="first"
    )
    later = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, height, id="later")
    doc.addPageTemplates(
        [
            PageTemplate("first", [first], onPage=pages.first_page, autoNextPageTemplate="later"),
            PageTemplate("later", [later], onPage=pages.every_page),
        ]
    )
    return doc


def _story(certificate: Certificate, styles: _Styles) -> list[Flowable]:
    """Return what the certificate says, in the order it says it."""
    location = LocationMapFlowable(
        certificate.location_map, certificate.language, CONTENT_WIDTH, MAP_HEIGHT
    )
    return [
        *_identity(certificate, styles),
        location,
        *_descriptive(certificate, styles),
        KeepTogether(_zoning(certificate, styles)),
        KeepTogether(_prices(certificate, styles)),
        CondPageBreak(30 * mm),
        *_rights(certificate, styles),
        CondPageBreak(30 * mm),
        *_history(certificate, styles),
    ]
