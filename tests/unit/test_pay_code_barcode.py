"""The pay code's Code 128 and QR images decode back to the code (zxing-cpp, a real reader)."""

import random

import pytest

from tests.api.pay_code_images import decode_code128_svg, decode_qr_svg
from valliance.members import qr

TRICKY = ["9999999999999999999999", "0000000000000000000000", "9123456789012348999999",
          "9899000000000000009999"]


@pytest.mark.parametrize("code", TRICKY + [
    "".join(random.Random(seed).choice("0123456789") for _ in range(22)) for seed in range(40)])
def test_the_code_128_and_the_qr_of_a_pay_code_read_back_as_the_code(code):
    assert decode_code128_svg(qr.code128_svg(code)) == [code]
    assert decode_qr_svg(qr.qr_svg(code)) == [code]


def test_code_128_is_code_set_c_with_its_check_symbol_and_stop():
    modules = qr.code128_modules("1234")
    # start C (105), 12, 34, check (105 + 12×1 + 34×2) mod 103 = 82, stop
    assert len(modules) == 4 * 11 + 13
    assert modules.startswith("11010011100") and modules.endswith("1100011101011")
    assert modules[33:44] == qr.CODE128_PATTERNS[82]


@pytest.mark.parametrize("bad", ["123", "12a4", "１２"])
def test_code_128_refuses_what_is_not_pairs_of_ascii_digits(bad):
    with pytest.raises(ValueError):
        qr.code128_modules(bad)


def test_the_barcode_svg_has_no_style_attribute_for_the_portals_csp():
    svg = qr.code128_svg("9123456789012348123456").decode()
    assert "style" not in svg and svg.startswith("<svg") and "viewBox" in svg
