"""积分抵话费 in a real Chromium: the pay page says, as the member types, the most points the
bill may use, what the chosen points pay and what is left for the card (under the page's CSP)."""

import pytest

from tests.api.test_portal import enroll

pytestmark = pytest.mark.browser


def test_the_pay_page_sums_points_and_card_part_as_the_member_types(app, page, live_server,
                                                                    stripe_keys):
    enroll(app, opening_points=5000)
    page.goto(live_server + "/me/login")
    page.fill("input[name=phone]", "13800138000")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")
    page.wait_for_url("**/me/")
    page.goto(live_server + "/me/pay/")
    summary = page.locator("[data-points-summary]")

    page.fill("input[name=amount]", "128.50")
    page.fill("input[name=points]", "3,000")
    assert summary.inner_text() == (
        "本单最多可用 5,000 积分 · 积分抵扣 ¥30.00，银行卡等支付 ¥98.50")
    page.fill("input[name=amount]", "20")
    assert summary.inner_text() == "本单最多可用 1,000 积分 · 超过了可用的积分"
    page.check("input[name=use_max_points]")
    assert summary.inner_text() == (
        "本单最多可用 1,000 积分 · 积分抵扣 ¥10.00，银行卡等支付 ¥10.00")
    assert page.locator("input[name=points]").is_disabled()
    page.fill("input[name=amount]", "0.01")
    assert summary.inner_text() == "本单最多可用 0 积分 · 积分抵扣 ¥0.00，银行卡等支付 ¥0.01"
    page.check("input[value=vip_fee]")
    assert page.locator("[data-bill-points]").is_hidden()
    assert page.console_errors == []
