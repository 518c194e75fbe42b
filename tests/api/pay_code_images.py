"""Read the pay code back from the portal's images with a real decoder (zxing-cpp)."""

import base64
import re
import xml.etree.ElementTree as ET

import PIL.Image
import PIL.ImageDraw
import zxingcpp


def svg_of(data_url: str) -> bytes:
    prefix = "data:image/svg+xml;base64,"
    assert data_url.startswith(prefix), data_url[:40]
    return base64.b64decode(data_url[len(prefix):])


def _canvas(svg: bytes, scale: int):
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert len(paths) == 1
    image = PIL.Image.new("L", (int(width * scale), int(height * scale)), 255)
    return image, PIL.ImageDraw.Draw(image), paths[0].attrib["d"]


def decode_qr_svg(svg: bytes, scale: int = 8) -> list[str]:
    """Draw qrcode's SvgPathImage (unit squares) and decode it."""
    image, draw, d = _canvas(svg, scale)
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", d)
    assert squares
    for x0, y0, x1, y1, _ in squares:
        draw.rectangle([float(x0) * scale, float(y0) * scale,
                        float(x1) * scale - 1, float(y1) * scale - 1], fill=0)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def decode_code128_svg(svg: bytes, scale: int = 3) -> list[str]:
    """Draw the Code 128 bars (M{x},0h{w}v{h}h-{w}z) and decode them."""
    image, draw, d = _canvas(svg, scale)
    bars = re.findall(r"M(\d+),0h(\d+)v(\d+)h-\d+z", d)
    assert bars
    for x, width, height in bars:
        draw.rectangle([int(x) * scale, 0, (int(x) + int(width)) * scale - 1,
                        int(height) * scale - 1], fill=0)
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    return [r.text for r in results]
