"""Slips laid out for printing: a QR code of the ballot URL and the code to type by hand."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from markupsafe import Markup

from ballot.slips.credentials import grouped

#: Slips per A4 sheet: two columns of four, cut along the dashed lines.
PER_SHEET = 8


@dataclass(frozen=True)
class PrintedSlip:
    url: str
    code: str
    qr_svg: Markup


def slip_url(base_url: str, credential: str) -> str:
    """The address a slip's QR code opens: ``<base>/s/<credential>``."""
    return f"{base_url.rstrip('/')}/s/{credential}"


def qr_svg(text: str) -> Markup:
    """An inline SVG QR code (error correction M: survives a fold or a smudge)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    return Markup(svg.split("?>", 1)[-1])


def slip_sheets(credentials: list[str], base_url: str) -> list[list[PrintedSlip]]:
    """The slips grouped by sheet, ready for ``slips/print.html``."""
    slips = [
        PrintedSlip(url=slip_url(base_url, c), code=grouped(c), qr_svg=qr_svg(slip_url(base_url, c)))
        for c in credentials
    ]
    return [slips[i : i + PER_SHEET] for i in range(0, len(slips), PER_SHEET)]
