"""The audit log and staff accounts pages in Chromium, on a phone and a desktop, in Chinese and
English, empty and full of long text: nothing runs off the side, the details open, the chain
check answers. With SCREENSHOT_DIR set, each view is saved there to be looked at."""

import os
from pathlib import Path

import pytest

from tests.api.world import build
from valliance.audit import record_event
from valliance.extensions import db
from valliance.staff import services as staff_services

pytestmark = pytest.mark.browser
PASSWORD = "secret123"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
LONG = "这是一段很长很长的原因说明，" * 12 + "Averyveryverylongwordwithoutanyspaces" * 3


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _seed(app, *, long: bool = False, normal: bool = False) -> str:
    if normal:
        build(app)  # a merchant, its owner, offer and terminal, a member, a staff admin
    with app.app_context():
        admin = staff_services.create_staff_user(
            db.session, username="boss", name="管理员老周", password=PASSWORD, roles=("admin",))
        if long:
            other = staff_services.create_staff_user(
                db.session, username="a-very-long-username-for-staff.x",
                name="欧阳" + "长名字" * 15, password=PASSWORD,
                roles=("member_care", "merchant_ops", "finance", "marketing", "service_desk"),
                actor=f"staff:{admin.id}", reason=LONG)
            staff_services.set_staff_roles(db.session, other, ("finance",),
                                           actor=f"staff:{admin.id}", reason=LONG)
            for i in range(60):
                record_event(db.session, actor=f"staff:{admin.id}", action="member.note",
                             subject="mem_" + "x" * 30, reason=LONG if i % 2 else "",
                             note=LONG, items=list(range(30)))
        db.session.commit()
        admin_id = admin.id
        db.session.remove()
    return admin_id


def _sign_in(page, live_server):
    page.goto(live_server + "/staff/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")


@pytest.mark.parametrize("data", ["empty", "normal", "long"])
def test_audit_and_accounts_pages_fit_phone_and_desktop(app, browser, live_server, data):
    admin_id = _seed(app, long=data == "long", normal=data == "normal")
    for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            context = browser.new_context(locale=locale, viewport=size)
            page = context.new_page()
            _sign_in(page, live_server)
            for name, path in (("audit", "/staff/audit"), ("accounts", "/staff/accounts"),
                               ("audit-none", "/staff/audit?action=nothing.here"),
                               ("account", f"/staff/accounts/{admin_id}")):
                page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
                _shot(page, f"{name}-{data}-{lang}-{size_name}")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= size["width"], (path, lang, size_name, width)
            context.close()


def test_details_open_and_the_chain_check_answers(app, browser, live_server):
    _seed(app, long=True)
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(live_server + "/staff/audit")
    page.locator("details summary").first.click()
    assert page.locator("details[open] pre").first.is_visible()
    page.get_by_role("button", name="立即校验").click()
    page.wait_for_selector(".chain-ok")
    assert "哈希链完好" in page.inner_text("#chain-banner")
    _shot(page, "audit-checked-zh-phone")
    page.get_by_role("link", name="较早 →").click()
    assert page.locator("tr[data-seq]").count() > 0

    page.goto(live_server + "/staff/accounts")
    page.fill("input[name=username]", "new.one")
    page.fill("input[name=name]", "新同事")
    page.check("input[name=roles][value=finance]")
    page.get_by_role("button", name="创建账号").click()
    password = page.inner_text("#once-password")
    assert len(password) == 12
    _shot(page, "password-once-zh-phone")
    page.get_by_role("link", name="完成").click()
    assert "新同事" in page.inner_text("h1")
    context.close()
