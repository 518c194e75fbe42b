"""Short figures in tables stay on one line on a phone: a tier (钻石卡), a month (2026-11), a
status (待付款) or a time never breaks one character per line, while typed text still wraps."""

from datetime import UTC, datetime

import pytest

from tests.e2e.test_merchant_portal_browser import PASSWORD, _sign_in
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services import purchases as pos
from valliance.merchants.services import refunds
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.settlement.services import close_period
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
SHOP = "老王火锅（五马街店）"


@pytest.fixture
def closed_month(app):
    """An approved shop with a sale in November 2026 (partly refunded), that month closed."""
    with app.app_context():
        merchant = create_merchant(db.session, name=SHOP, category="餐饮",
                                   district="鹿城区", approved=True)
        create_offer(db.session, merchant, title="V卡8.8折", percent_off=12,
                     points_per_yuan=2)
        users.add_merchant_user(db.session, merchant, phone="13700000001", name="王老板",
                                password=PASSWORD, role="owner", actor="test")
        member = members.enroll_member(db.session, phone="13800138000", name="王小明")
        at = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)
        sale = pos.record_purchase(db.session, merchant, None, member.card.number, 12_850, 0,
                                   None, at=at)
        refunds.refund_once(db.session, merchant, sale.id, 5_000, token="t1", actor="test")
        close_period(db.session, "2026-11", now=datetime(2026, 12, 2, tzinfo=UTC),
                     actor="test")
        create_terminal(db.session, merchant, "收银台" * 33 + "X")  # 100 characters
        create_staff_user(db.session, username="zhou", name="周敏", password=PASSWORD,
                          roles=("admin",))
        db.session.commit()
        data = {"purchase_id": sale.id}
        db.session.remove()
    return data


def _lines(page, selector: str) -> int:
    """How many lines the first element matching selector takes."""
    return page.locator(selector).first.evaluate(
        "el => Math.round(el.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(el).lineHeight || 20))")


def _one_line(page, text: str) -> bool:
    cell = page.locator("td", has_text=text).first
    return cell.evaluate("""el => {
        const range = document.createRange(); range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return tops.size === 1; }""")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_merchant_tables_keep_tiers_months_and_times_on_one_line_on_a_phone(
        page, live_server, closed_month, lang):
    _sign_in(page, live_server)
    page.goto(f"{live_server}/merchant/purchases?lang={lang}")
    assert _one_line(page, "普通卡" if lang == "zh_CN" else "Standard")
    page.goto(f"{live_server}/merchant/purchases/{closed_month['purchase_id']}")
    assert _one_line(page, "¥50.00")
    assert page.locator(".refund-row td").first.evaluate(
        "el => el.getBoundingClientRect().height < 2.2 * parseFloat(getComputedStyle(el).fontSize)"
        " + 20")
    page.goto(f"{live_server}/merchant/statements/")
    assert _one_line(page, "2026-11")
    assert _one_line(page, "待付款" if lang == "zh_CN" else "To pay")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("text=2026-11")  # the statement: each heading over its right-aligned figures
    page.wait_for_selector(".statement-figures")
    page.wait_for_load_state("load")  # its stylesheet too
    aligned = page.evaluate("""() => [...document.querySelectorAll(
        '.statement-figures thead th.num')].map(th => getComputedStyle(th).textAlign)""")
    assert aligned == ["right"] * 3
    assert page.console_errors == []


def test_staff_period_names_the_merchant_in_words_not_a_column_of_characters(
        page, live_server, closed_month):
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("zhou")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/staff/")
    page.goto(live_server + "/staff/settlement/2026-11")
    name = page.locator("tr[data-statement] td").first
    assert name.inner_text() == SHOP
    box = name.bounding_box()
    assert box["width"] >= 100  # ten characters at most three to a line, not one
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_purchase_list_fits_a_desktop_without_scrolling_sideways(
        browser, live_server, closed_month, lang):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server}/merchant/purchases?lang={lang}")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert _one_line(page, "普通卡" if lang == "zh_CN" else "Standard")
    context.close()


def test_a_terminal_with_a_100_character_name_does_not_widen_the_purchase_filters(
        page, live_server, closed_month):
    _sign_in(page, live_server)
    page.goto(f"{live_server}/merchant/purchases")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    select = page.locator(".filters select").first.bounding_box()
    assert select["x"] + select["width"] <= 390
