"""Bulk import of merchants from the back office, in Chromium: the upload page refuses a file
too large before sending it, and a good file is written chunk by chunk while the progress bar
moves, the page then showing the report."""

import pytest
from sqlalchemy import func, select

from valliance.backoffice.services import merchant_imports
from valliance.extensions import db
from valliance.merchants.models import Offer
from valliance.staff.services import create_staff_user

pytestmark = pytest.mark.browser
PASSWORD = "secret123"
HEADER = "name,category,district,address,phone,avg_spend,title,percent_off,points_per_yuan\n"


@pytest.fixture
def ops(app):
    with app.app_context():
        create_staff_user(db.session, username="ops", name="运营小陈", password=PASSWORD,
                          roles=("merchant_ops",))
        db.session.commit()
        db.session.remove()


def _sign_in(page, live_server):
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "ops")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server + "/staff/")


def _choose(page, name: str, text: str):
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv",
                                          "buffer": text.encode()}])


def test_the_page_writes_the_file_in_chunks_and_shows_the_report(page, live_server, app, ops,
                                                                 monkeypatch):
    monkeypatch.setattr(merchant_imports, "CHUNK", 3)
    rows = "".join(f"测试商户{n},餐饮,鹿城区,,,{5000 + n},会员9折,10,1\n" for n in range(10))
    _sign_in(page, live_server)
    page.goto(f"{live_server}/staff/merchants")
    page.get_by_role("link", name="批量导入商户").click()
    _choose(page, "shops.csv", HEADER + rows)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-report")  # the script stepped to the end, then reloaded
    assert page.inner_text("#created") == "10"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 10
        db.session.remove()


def test_a_file_too_large_is_refused_before_it_is_sent(page, live_server, ops, monkeypatch):
    monkeypatch.setattr(merchant_imports, "MAX_UPLOAD_BYTES", 50)
    _sign_in(page, live_server)
    page.goto(f"{live_server}/staff/merchants/import")
    _choose(page, "big.csv", HEADER + "x" * 100)
    page.click("#import-form button[type=submit]")
    assert "文件过大" in page.inner_text("#file-error")
    assert page.url.endswith("/staff/merchants/import")
