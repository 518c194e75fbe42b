"""QR images of a card's static code and pay code, and the pay code's Code 128 barcode."""

import base64
import io
from itertools import groupby

import qrcode
from barcode.charsets.code128 import CODES as CODE128_PATTERNS
from barcode.charsets.code128 import START_CODES
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage

START_C = START_CODES["C"]
#: the stop symbol with its final two-module bar (python-barcode adds that bar elsewhere)
CODE128_STOP = "1100011101011"


def _qr(text: str) -> qrcode.QRCode:
    # Medium error correction survives a scratched phone screen; the 4-module quiet zone
    # is what scanners need to find the code.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str) -> bytes:
    """A PNG image of the QR code of text."""
    image = _qr(text).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(text: str) -> bytes:
    """An SVG image (one path) of the QR code of text."""
    return _qr(text).make_image(image_factory=SvgPathImage).to_string(encoding="utf-8")


def code128_modules(digits: str) -> str:
    """Code 128 of an even number of digits, all in code set C (two digits a symbol): the
    modules, "1" a bar, "0" a space, start to stop.

    The bar patterns are python-barcode's table; the encoding is ours, because its encoder
    drops a "99" pair after the start (it takes it for a switch to code set C).
    """
    if len(digits) % 2 or not (digits.isascii() and digits.isdigit()):
        raise ValueError("an even number of ASCII digits")
    values = [START_C] + [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]
    check = (values[0] + sum(weight * value for weight, value in enumerate(values[1:], 1))) % 103
    return "".join(CODE128_PATTERNS[value] for value in [*values, check]) + CODE128_STOP


def code128_svg(digits: str, height: int = 60) -> bytes:
    """A Code 128 barcode of digits as an SVG: one path, in module units, no text below; small,
    no style attribute (the portal's CSP), sharp at any size. Ten modules of quiet zone on
    each side, as scanners need."""
    modules = code128_modules(digits)
    quiet = 10
    bars, x = [], quiet
    for is_bar, run in groupby(modules):
        width = len(list(run))
        if is_bar == "1":
            bars.append(f"M{x},0h{width}v{height}h-{width}z")
        x += width
    width = x + quiet
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width * 2}" height="{height}" preserveAspectRatio="none">'
            f'<rect width="{width}" height="{height}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(bars)}"/></svg>').encode()


def data_url(svg: bytes) -> str:
    """An SVG as a data: URL for an <img> (the CSP allows data: images, never inline style)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
