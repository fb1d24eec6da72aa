"""The notary's receipt of an application (phiếu tiếp nhận hồ sơ, 접수증) as an A4 PDF.

One page drawn on the canvas with the certificate's fonts, script runs and QR code
(transactions.certificates.pdf): the receipt number and time, the kind of deed, the
parcels, the office, the status code, and a QR code to the public status page. No
party is named on it: a receipt is handed about and photographed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from landinfo.dates import register_moment
from transactions.certificates.pdf import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    draw_qr,
    draw_runs,
    has_cjk,
    link_lines,
    register_fonts,
    register_name,
)

_MARGIN = 20 * mm
_QR = 42 * mm
_LABEL_WIDTH = 52 * mm


@dataclass(frozen=True, slots=True)
class ReceiptSheet:
    """What a receipt prints, worded by the register (no personal data)."""

    receipt_number: int
    received_at: object  # a datetime
    kind: str
    parcels: list[str]
    office: str
    status_code: str
    status_url: str
    profile: str
    language: str


def render_receipt(sheet: ReceiptSheet) -> bytes:
    """Return the receipt as a one-page PDF in `sheet.language`."""
    register_fonts()
    buffer = io.BytesIO()
    with translation.override(sheet.language):
        canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
        canvas.setTitle(
            gettext("Receipt of application %(receipt)s") % {"receipt": sheet.receipt_number}
        )
        _draw(canvas, sheet)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, sheet: ReceiptSheet) -> None:
    top = PAGE_HEIGHT - _MARGIN
    canvas.setFillColor(colors.HexColor("#1a1a1a"))
    draw_runs(canvas, _MARGIN, top, register_name(sheet.profile), 9)
    canvas.setStrokeColor(colors.HexColor("#7a7a7a"))
    canvas.setLineWidth(0.5)
    canvas.line(_MARGIN, top - 3 * mm, PAGE_WIDTH - _MARGIN, top - 3 * mm)
    title = gettext("Receipt of an application for registration")
    _centred(canvas, title, top - 16 * mm, 16)
    rows = [
        (gettext("Receipt number"), str(sheet.receipt_number)),
        (gettext("Received at"), register_moment(sheet.received_at, sheet.language)),  # type: ignore[arg-type]
        (gettext("Kind of application"), sheet.kind),
        (gettext("Parcel"), ", ".join(sheet.parcels)),
        (gettext("Filed by the office"), sheet.office or "—"),
        (gettext("Status code"), _grouped(sheet.status_code)),
    ]
    y = top - 34 * mm
    for label, value in rows:
        draw_runs(canvas, _MARGIN, y, label, 10)
        draw_runs(canvas, _MARGIN + _LABEL_WIDTH, y, value, 11)
        y -= 9 * mm
    y -= 4 * mm
    canvas.rect(_MARGIN, y - _QR - 6 * mm, PAGE_WIDTH - 2 * _MARGIN, _QR + 10 * mm)
    draw_qr(canvas, sheet.status_url, PAGE_WIDTH - _MARGIN - _QR - 2 * mm, y - _QR - 4 * mm, _QR)
    text_y = y - 6 * mm
    width = PAGE_WIDTH - 2 * _MARGIN - _QR - 10 * mm
    for line in _wrap(
        gettext(
            "Keep this receipt. With its number and status code anyone can follow the "
            "application: scan the code or open the link."
        ),
        width,
    ):
        draw_runs(canvas, _MARGIN + 4 * mm, text_y, line, 9)
        text_y -= 5 * mm
    text_y -= 2 * mm
    for line in link_lines(sheet.status_url, "DejaVuSansMono", 8, width):
        canvas.setFont("DejaVuSansMono", 8)
        canvas.drawString(_MARGIN + 4 * mm, text_y, line)
        text_y -= 4.5 * mm


def _centred(canvas: Canvas, text: str, y: float, size: float) -> None:
    font = "NanumGothic" if has_cjk(text) else "DejaVuSans"
    width = pdfmetrics.stringWidth(text, font, size)
    draw_runs(canvas, (PAGE_WIDTH - width) / 2, y, text, size)


def _wrap(text: str, width: float, size: float = 9) -> list[str]:
    """Return `text` cut at spaces into lines of at most `width` points (measured wide)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and pdfmetrics.stringWidth(candidate, "NanumGothic", size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _grouped(code: str) -> str:
    """Return the code in groups of five, as people read it aloud and type it back."""
    return " ".join(code[i : i + 5] for i in range(0, len(code), 5))
