"""The till's camera fallback in a real Chromium whose fake camera films a QR code.

Chromium's fake capture device plays a Y4M file made here from a QR image drawn by the
project's qrcode package, so the page reads the code with the same getUserMedia → decode →
fill path a cashier's tablet takes. The decoder is the browser's own BarcodeDetector where it
reads QR codes, else the vendored barcode-detector/zxing-wasm from /static/vendor; one test
removes the native one so the vendored decoder is always exercised.
"""

import io
from pathlib import Path

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal

pytestmark = pytest.mark.browser

WIDTH, HEIGHT, FRAMES = 640, 480, 10
WASM = "/static/vendor/zxing-wasm/zxing_reader.wasm"


def write_y4m(text: str, path: Path) -> Path:
    """A short Y4M video (4:2:0) of the QR code of text, black on a white page."""
    code = qrcode.QRCode(box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    side = min(WIDTH, HEIGHT) - 40
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = (y.tobytes() + cb.resize(half, Image.Resampling.BILINEAR).tobytes()
              + cr.resize(half, Image.Resampling.BILINEAR).tobytes())
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FRAMES):
            out.write(b"FRAME\n" + planes)
    return path


@pytest.fixture
def shop(app):
    """An approved merchant (12 % off, 2 points per yuan), its terminal and a gold member."""
    with app.app_context():
        merchant = create_merchant(db.session, name="老王火锅", category="餐饮",
                                   district="鹿城区", approved=True)
        create_offer(db.session, merchant, title="会员折扣", percent_off=12,
                     points_per_yuan=2)
        _, key = create_terminal(db.session, merchant)
        member = members.enroll_member(db.session, phone="13800138000", name="王小明",
                                       tier="gold", opening_points=2000)
        db.session.commit()
        data = {"key": key, "number": member.card.number}
        db.session.remove()
    return data


@pytest.fixture
def camera_page(browser, chromium_path, live_server, tmp_path):
    """open(qr_text, native=True): a phone-sized page in a Chromium whose camera films that QR.

    Each call launches its own Chromium (the fake camera's file is a launch argument), from
    the session's Playwright; the shared `browser` fixture is left as it is."""
    launched = []

    def open_page(qr_text: str, *, native: bool = True):
        video = write_y4m(qr_text, tmp_path / f"camera-{len(launched)}.y4m")
        camera_browser = browser.browser_type.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream",
                                  "--use-fake-device-for-media-stream",
                                  f"--use-file-for-fake-video-capture={video}"])
        launched.append(camera_browser)
        context = camera_browser.new_context(locale="zh-CN",
                                             viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.console_errors = []
        page.on("console",
                lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        if not native:  # the vendored decoder, as on a browser without a QR BarcodeDetector
            page.add_init_script("delete window.BarcodeDetector;")
        return page

    yield open_page
    for camera_browser in launched:
        camera_browser.close()


def _open_till(page, live_server, key):
    page.goto(live_server + "/till/")
    page.fill("#api-key", key)
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#card:focus")


def _only_local(page, live_server):
    outside = [url for url in page.requests
               if not url.startswith((live_server + "/", "data:", "blob:"))]
    assert outside == []


def _read_and_quote(page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    assert page.is_hidden("#camera")

    page.click("#camera-button")
    # The code is read, the camera stops and its panel closes; the number went in as a
    # scanner types it, so the amount field has the focus, as after digits + Enter.
    expect(page.locator("#card")).to_have_value(shop["number"], timeout=20000)
    page.wait_for_selector("#camera", state="hidden")
    assert page.evaluate("document.activeElement.id") == "amount"
    assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    assert page.text_content("#status") == ""

    page.keyboard.type("128.50\n")
    page.wait_for_selector("#quote:not([hidden])")
    assert page.text_content("#q-tier") == "金卡"
    assert page.text_content("#q-label") == "8.8折"
    assert page.text_content("#q-discount") == "¥15.42"
    assert page.text_content("#q-earn") == "339"
    assert page.text_content("#q-balance") == "2,339"


def test_the_vendored_decoder_reads_the_card_and_the_sale_goes_on(camera_page, live_server,
                                                                  shop):
    page = camera_page(shop["number"], native=False)
    _read_and_quote(page, live_server, shop)
    assert WASM in [url.removeprefix(live_server) for url in page.requests]
    _only_local(page, live_server)
    assert page.console_errors == []


def test_a_native_detector_that_reads_qr_is_preferred(camera_page, live_server, shop):
    page = camera_page(shop["number"])
    page.add_init_script("""
        window.BarcodeDetector = class {
            static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
            constructor(options) { this.formats = options.formats; }
            async detect(source) {
                return [{rawValue: "CARD", format: "qr_code"}];
            }
        };""".replace("CARD", shop["number"]))
    _read_and_quote(page, live_server, shop)
    assert not [url for url in page.requests if "/static/vendor/" in url]
    _only_local(page, live_server)
    assert page.console_errors == []


def test_a_code_that_is_not_a_card_fills_nothing(camera_page, live_server, shop):
    page = camera_page("https://example.com/not-a-card", native=False)
    _open_till(page, live_server, shop["key"])
    page.click("#camera-button")
    page.wait_for_selector("#camera-message.error", timeout=20000)
    message = page.text_content("#camera-message")
    assert message.startswith("这不是V卡会员码") and "Not a V-card code" in message
    assert page.input_value("#card") == ""
    assert page.is_visible("#camera-video")

    # Cancel: the panel closes and the camera is stopped.
    page.click("#camera-stop")
    page.wait_for_selector("#camera", state="hidden")
    assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    assert page.input_value("#card") == ""
    assert page.evaluate("document.activeElement.id") == "card"
    _only_local(page, live_server)
    assert page.console_errors == []


def test_no_camera_is_said_in_both_languages(page, live_server, shop):
    page.add_init_script(
        "Object.defineProperty(navigator, 'mediaDevices', {value: undefined});")
    _open_till(page, live_server, shop["key"])
    page.click("#camera-button")
    page.wait_for_selector("#status.error")
    message = page.text_content("#status")
    assert message.startswith("此设备或浏览器无法使用摄像头") and "No camera" in message
    assert page.is_hidden("#camera")
    assert page.input_value("#card") == ""
    assert page.console_errors == []


def test_a_refused_camera_is_said_in_both_languages(page, live_server, shop):
    page.add_init_script("""
        navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));""")
    _open_till(page, live_server, shop["key"])
    page.click("#camera-button")
    page.wait_for_selector("#status.error")
    message = page.text_content("#status")
    assert message.startswith("摄像头权限被拒绝") and "permission denied" in message
    assert page.is_hidden("#camera")
    assert not page.is_disabled("#camera-button")
    assert page.console_errors == []


def test_the_camera_reads_the_portals_pay_code_qr_like_the_card_qr(camera_page, app,
                                                                   live_server, shop):
    from valliance.members.models import Card
    from valliance.members.services import pay_codes

    with app.app_context():
        card = db.session.query(Card).filter_by(number=shop["number"]).one()
        code, _ = pay_codes.current_code(card)  # what the portal's QR holds
        db.session.remove()
    page = camera_page(code, native=False)
    _open_till(page, live_server, shop["key"])
    page.click("#camera-button")
    expect(page.locator("#card")).to_have_value(code, timeout=20000)
    page.wait_for_selector("#camera", state="hidden")
    page.keyboard.type("128.50\n")
    page.wait_for_selector("#quote:not([hidden])")
    assert page.text_content("#q-balance") == "2,339"  # the code identifies the card
    _only_local(page, live_server)
    assert page.console_errors == []
