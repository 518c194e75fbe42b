"""The 114 operator console in a real Chromium: sign in with the key, type the caller's number
and a query, read the ranked results, log a referral with one key."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from valliance.directory import services
from valliance.directory.models import Referral
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(app):
    with app.app_context():
        _, key = services.create_operator(db.session, "一号台")
        for name, percent, per_yuan, spend in (("老王火锅", 12, 2, 8000), ("小李火锅", 10, 1, 6000),
                                               ("江心屿咖啡", 15, 1, 3000)):
            merchant = create_merchant(db.session, name=name, category="餐饮",
                                       district="鹿城区", address="五马街",
                                       avg_spend=spend, approved=True)
            create_offer(db.session, merchant, title=f"{name}会员价",
                         percent_off=percent, points_per_yuan=per_yuan)
        members.enroll_member(db.session, phone="13800138000", name="王小明", tier="gold")
        db.session.commit()
        db.session.remove()
    return key


def test_operator_finds_hotpot_by_initials_and_logs_a_referral(app, page, live_server, desk):
    page.goto(live_server + "/directory/console")
    page.fill("#operator-key", desk)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#desk:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "caller"

    page.keyboard.type("13800138000\n")
    page.wait_for_selector(".caller-status.vcard")
    # in both languages, like every other line of the console
    assert page.inner_text("#caller-status") == "持V卡 · 金卡 · 卡片正常 / V-card · Gold · active"
    assert page.evaluate("document.activeElement.id") == "q"

    page.keyboard.type("hg")
    expect(page.locator("#results .result")).to_have_count(2)
    names = page.locator(".result-name").all_inner_texts()
    assert names == ["老王火锅", "小李火锅"]  # 12 + 2 × 1.5 = 15 before 10 + 1 × 1.5 = 11.5
    assert "每消费1元积3分" in page.inner_text("#result-0 .script")

    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#result-1", "aria-selected") == "true"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-0 .referred:has-text('已记录推荐')")
    page.keyboard.press("Enter")  # again: logged once
    page.wait_for_selector("#status:has-text('已记录过')")
    with app.app_context():
        referrals = db.session.scalars(select(Referral)).all()
        assert len(referrals) == 1 and referrals[0].caller_has_vcard
        db.session.remove()
    assert "王小明" not in page.content()
    assert page.console_errors == []


def test_a_caller_number_typed_and_tabbed_away_from_is_looked_up_and_prices_the_search(
        app, page, live_server, desk):
    page.goto(live_server + "/directory/console")
    page.fill("#operator-key", desk)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#desk:not([hidden])")
    page.keyboard.type("13800138000")
    page.keyboard.press("Tab")  # no Enter: the operator moves on
    page.wait_for_selector(".caller-status.vcard")
    assert "金卡" in page.inner_text("#caller-status")
    assert "未查询来电" not in page.inner_text("#caller-status")
    page.fill("#q", "火锅")
    expect(page.locator("#results .result")).to_have_count(2)
    assert "按来电者等级报价" in page.inner_text("#summary")
    assert "每消费1元积3分" in page.inner_text("#result-0 .script")  # gold: 2 × 1.5

    page.fill("#caller", "")  # cleared and left: standard prices again, the query kept
    page.locator("#caller").blur()
    page.wait_for_selector(".caller-status:not(.vcard)")
    expect(page.locator("#summary")).to_contain_text("按普通卡报价")
    assert page.input_value("#q") == "火锅"
    assert page.console_errors == []
