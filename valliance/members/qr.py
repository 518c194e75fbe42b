"""QR images of a card's static code, for the member API and the portal."""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage


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
