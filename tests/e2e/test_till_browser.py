"""The till page in a real Chromium: scan → quote → confirm → receipt, once per sale."""

import pytest
from sqlalchemy import func, select

from valliance.extensions import db
from valliance.members import codes as cards
from valliance.members import services as members
from valliance.merchants.models import Purchase
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.secret_box import unseal

pytestmark = pytest.mark.browser


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
        card = member.card
        data = {"key": key, "merchant_id": merchant.id, "number": card.number,
                "secret": unseal(card.pay_secret)}
        db.session.remove()
    return data


def _purchases(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Purchase))
        db.session.remove()
    return count


def _open_till(page, live_server, key):
    page.goto(live_server + "/till/")
    page.fill("#api-key", key)
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#card:focus")


def _scan_and_quote(page, code, amount="128.50", redeem=""):
    page.keyboard.type(code + "\n")  # a USB scanner: digits, then Enter
    assert page.evaluate("document.activeElement.id") == "amount"
    page.keyboard.type(amount)
    if redeem:
        page.fill("#redeem", redeem)
    page.click("#quote-button")
    page.wait_for_selector("#quote:not([hidden])")


def test_scan_quote_confirm_receipt(app, page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    _scan_and_quote(page, shop["number"])
    assert page.text_content("#q-tier") == "金卡"
    assert page.text_content("#q-label") == "8.8折"
    assert page.text_content("#q-discount") == "¥15.42"
    assert page.text_content("#q-payable") == "¥113.08"
    assert page.text_content("#q-earn") == "339"
    assert page.text_content("#q-balance") == "2,339"  # grouped like the portal
    assert _purchases(app) == 0  # a quote records nothing

    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.text_content("#r-merchant") == "老王火锅"  # its name, never its id
    assert page.text_content("#r-card") == "•••• " + shop["number"][-4:]
    assert page.text_content("#r-amount") == "¥128.50"
    assert page.text_content("#r-label") == "8.8折"
    assert page.text_content("#r-discount") == "¥15.42"
    assert page.text_content("#r-payable") == "¥113.08"
    assert page.text_content("#r-earned") == "339"
    assert page.text_content("#r-balance") == "2,339"
    assert page.text_content("#r-id").startswith("pur")
    assert page.text_content("#status") == "收款成功"
    assert _purchases(app) == 1

    # The key is kept in localStorage: a reload goes straight to the card field.
    page.reload()
    page.wait_for_selector("#card:focus")
    assert page.is_hidden("#setup")
    assert page.console_errors == []


def test_a_double_click_records_one_sale(app, page, live_server, shop):
    keys = []
    page.on("request", lambda r: r.url.endswith("/api/v1/pos/purchases")
            and keys.append(r.headers.get("idempotency-key")))
    _open_till(page, live_server, shop["key"])
    _scan_and_quote(page, shop["number"])
    page.dblclick("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    page.wait_for_timeout(300)
    assert _purchases(app) == 1
    assert keys and len(set(keys)) == 1

    # A click forced onto the finished sale records nothing more.
    page.evaluate("""() => {
        const b = document.getElementById('confirm-button'); b.disabled = false; b.click(); }""")
    page.wait_for_timeout(300)
    assert _purchases(app) == 1

    # The next sale gets a new key.
    page.click("#new-sale-button")
    page.wait_for_selector("#card:focus")
    _scan_and_quote(page, shop["number"], amount="10")
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert _purchases(app) == 2
    assert len(set(keys)) == 2
    assert page.console_errors == []


def test_a_lost_answer_is_retried_with_the_same_key_and_replayed(app, page, live_server, shop):
    keys = []
    replayed = []

    def flaky(route):
        keys.append(route.request.headers.get("idempotency-key"))
        response = route.fetch()  # the sale reaches the server and is recorded …
        if len(keys) == 1:
            route.abort()  # … but its answer is lost on the way back
        else:
            replayed.append(response.headers.get("idempotent-replayed"))
            route.fulfill(response=response)

    _open_till(page, live_server, shop["key"])
    page.route("**/api/v1/pos/purchases", flaky)
    _scan_and_quote(page, shop["number"])
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert replayed == ["true"]
    assert page.text_content("#r-payable") == "¥113.08"
    assert _purchases(app) == 1


def test_redeem_points_with_a_pay_code(app, page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    code, _ = cards.pay_code(shop["number"], shop["secret"])
    _scan_and_quote(page, code, redeem="500")
    # 12850 − 1542 − 500 = 10808 payable; floor(10808 × 2 × 1.5 / 100) = 324
    assert page.text_content("#q-payable") == "¥108.08"
    assert page.text_content("#q-earn") == "324"
    assert page.text_content("#q-balance") == "1,824"  # 2000 − 500 + 324
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.text_content("#r-redeemed") == "500 分 = ¥5.00"
    assert page.text_content("#r-payable") == "¥108.08"
    assert page.text_content("#r-balance") == "1,824"
    with app.app_context():
        purchase = db.session.scalars(select(Purchase)).one()
        assert (purchase.redeem_points, purchase.payable) == (500, 10808)
        db.session.remove()
    assert page.console_errors == []


def test_redeeming_with_a_static_code_is_refused_in_chinese(page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type("128.50")
    page.fill("#redeem", "100")
    page.click("#quote-button")
    page.wait_for_selector("#status.error")
    assert "付款码" in page.text_content("#status")
    assert page.is_hidden("#quote")


def test_refund_the_whole_purchase(app, page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    _scan_and_quote(page, shop["number"])
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    purchase_id = page.text_content("#r-id")
    page.click("#new-sale-button")

    page.fill("#refund-id", purchase_id)
    page.click("#refund-button")
    page.wait_for_selector("#refund-result:not([hidden])")
    assert page.text_content("#f-amount") == "¥128.50"
    assert page.text_content("#f-cash") == "¥113.08"
    assert page.text_content("#f-reversed") == "339"
    assert page.text_content("#f-returned") == "0"
    assert page.text_content("#f-balance") == "2,000"
    assert page.text_content("#status") == "退款成功"
    with app.app_context():
        purchase = db.session.get(Purchase, purchase_id)
        assert purchase.refunded_amount == 12850
        db.session.remove()
    assert page.console_errors == []


def test_an_unknown_card_shows_the_chinese_message(page, live_server, shop):
    _open_till(page, live_server, shop["key"])
    wrong = shop["number"][:-1] + str((int(shop["number"][-1]) + 1) % 10)
    page.keyboard.type(wrong + "\n")
    page.keyboard.type("10")
    page.click("#quote-button")
    page.wait_for_selector("#status.error")
    message = page.text_content("#status")
    assert message and " / " not in message
    assert page.is_hidden("#quote")
