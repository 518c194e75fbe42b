"""The till in a real Chromium: the key is checked when saved, a merchant that may not sell
stops the till and says why, amounts and refunds say their limits in yuan."""

import pytest

from tests.e2e.test_till_browser import _open_till, _purchases, _scan_and_quote, shop  # noqa: F401
from valliance.extensions import db
from valliance.merchants.models import Merchant

pytestmark = pytest.mark.browser


def _set_status(app, merchant_id: str, status: str) -> None:
    with app.app_context():
        db.session.get(Merchant, merchant_id).status = status
        db.session.commit()
        db.session.remove()


def _save_key(page, live_server, key, lang="zh_CN"):
    page.goto(f"{live_server}/till/?lang={lang}")
    page.fill("#api-key", key)
    page.click("#setup button[type=submit]")


@pytest.mark.parametrize("lang, words", [("zh_CN", "终端密钥不对"), ("en", "Wrong terminal key")])
def test_a_wrong_key_is_refused_when_saved_and_not_kept(page, live_server, shop,  # noqa: F811
                                                        lang, words):
    _save_key(page, live_server, "vt_not-a-real-key", lang)
    page.wait_for_selector("#status.error")
    assert words in page.text_content("#status")
    assert page.is_visible("#setup") and page.is_hidden("#sale")
    assert page.evaluate("localStorage.getItem('valliance.till.apiKey')") is None
    assert page.console_errors == [] or all("401" in e for e in page.console_errors)


def test_the_right_key_shows_whose_till_it_is(page, live_server, shop):  # noqa: F811
    _open_till(page, live_server, shop["key"])
    assert "老王火锅" in page.text_content("#till-who")
    assert "老王火锅" in page.text_content("#status")


@pytest.mark.parametrize("status, words", [("suspended", "已被联盟暂停"),
                                           ("pending", "尚未通过"), ("rejected", "未通过")])
def test_the_key_of_a_merchant_that_may_not_sell_says_so_when_saved(
        app, page, live_server, shop, status, words):  # noqa: F811
    _set_status(app, shop["merchant_id"], status)
    _save_key(page, live_server, shop["key"])
    page.wait_for_selector("#stopped:not([hidden])")
    assert words in page.text_content("#stopped-title")
    assert page.is_hidden("#sale") and page.is_hidden("#refund-form")
    assert page.is_hidden("#setup")


def test_a_suspension_stops_an_open_till_and_reinstating_lets_it_sell_again(
        app, page, live_server, shop):  # noqa: F811
    _open_till(page, live_server, shop["key"])
    _set_status(app, shop["merchant_id"], "suspended")
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type("128.50")
    page.click("#quote-button")
    page.wait_for_selector("#stopped:not([hidden])")
    assert "收银已停止" in page.text_content("#stopped-title")
    assert page.is_hidden("#sale") and page.is_hidden("#quote")
    page.reload()  # still stopped after a reload
    page.wait_for_selector("#stopped:not([hidden])")
    page.click("#stopped-retry")
    page.wait_for_selector("#status:has-text('仍未恢复')")
    _set_status(app, shop["merchant_id"], "approved")
    page.click("#stopped-retry")
    page.wait_for_selector("#sale:not([hidden])")
    assert page.is_hidden("#stopped")
    _scan_and_quote(page, shop["number"])
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    assert _purchases(app) == 1


@pytest.mark.parametrize("lang, typed, words", [
    ("zh_CN", "1000001", "金额最多 ¥1,000,000.00"),
    ("zh_CN", "99999999999", "金额最多 ¥1,000,000.00"),
    ("en", "1000000.01", "at most ¥1,000,000.00"),
])
def test_an_amount_over_the_maximum_says_the_maximum(page, live_server, shop,  # noqa: F811
                                                     lang, typed, words):
    page.goto(f"{live_server}/till/?lang={lang}")
    page.fill("#api-key", shop["key"])
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#card:focus")
    page.keyboard.type(shop["number"] + "\n")
    page.keyboard.type(typed)
    page.click("#quote-button")
    page.wait_for_selector("#status.error")
    assert words in page.text_content("#status")
    assert page.is_hidden("#quote")


@pytest.mark.parametrize("lang, words", [("zh_CN", "最多可退 ¥28.50"),
                                         ("en", "what remains: at most ¥28.50 can be refunded")])
def test_a_refund_over_what_remains_says_the_most_in_yuan(page, live_server, shop,  # noqa: F811
                                                          lang, words):
    page.goto(f"{live_server}/till/?lang={lang}")
    page.fill("#api-key", shop["key"])
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#card:focus")
    _scan_and_quote(page, shop["number"])
    page.click("#confirm-button")
    page.wait_for_selector("#receipt:not([hidden])")
    purchase_id = page.text_content("#r-id")
    page.click("#new-sale-button")
    page.fill("#refund-id", purchase_id)
    page.fill("#refund-amount", "100")
    page.click("#refund-button")
    page.wait_for_selector("#refund-result:not([hidden])")
    page.fill("#refund-amount", "30")
    page.click("#refund-button")
    page.wait_for_selector("#status.error")
    message = page.text_content("#status")
    assert words in message and "2850" not in message
