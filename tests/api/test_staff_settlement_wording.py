"""The staff's settlement and 114 pages: styled like the other staff pages, empty periods said
in words (never "251–250"), and what the system will do instead of a shell command."""

import re
from datetime import timedelta

import pytest

from tests.api import test_merchant_portal as portal
from tests.api.test_staff_pages import make_staff, staff_log_in
from valliance.db import utcnow
from valliance.extensions import db
from valliance.settlement import services
from valliance.settlement.wording import ledger_range, number_range

store = portal.store


def _close(period: str) -> None:
    services.close_period(db.session, period,
                          now=services.period_bounds(period)[1] + timedelta(minutes=1))


@pytest.fixture
def an_empty_month_after_a_busy_one(app, client, store, clear_of_month_end):
    portal.sell(app, client, store["headers"], 10_000)
    with app.app_context():
        busy = services.period_of(utcnow())
        _close(busy)
        following = services.period_of(services.period_bounds(busy)[1] + timedelta(days=1))
        _close(following)  # nothing happened in it: lower_seq == cutoff_seq
        db.session.commit()
        return busy, following


def backwards_ranges(page: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"(\d[\d,]*)\s*–\s*(\d[\d,]*)", page)
            if int(m.group(1).replace(",", "")) > int(m.group(2).replace(",", ""))]


def test_an_empty_period_is_described_not_shown_as_a_backwards_range(
        app, client, an_empty_month_after_a_busy_one):
    busy, empty = an_empty_month_after_a_busy_one
    make_staff(app)
    staff_log_in(client)
    for url, lang in (("/staff/settlement/", "zh_CN"), (f"/staff/settlement/{empty}", "zh_CN"),
                      ("/staff/settlement/", "en")):
        page = client.get(f"{url}?lang={lang}").get_data(as_text=True)
        assert backwards_ranges(page) == [], url
    periods = client.get("/staff/settlement/?lang=zh_CN").get_data(as_text=True)
    assert "本期无账本记录" in periods
    detail = client.get(f"/staff/settlement/{empty}?lang=zh_CN").get_data(as_text=True)
    assert "本期没有商户发放或使用积分，无需结算。" in detail
    assert "<tr" not in detail.split("<main")[1]  # no empty table, just the sentence
    busy_page = client.get(f"/staff/settlement/{busy}").get_data(as_text=True)
    assert '<div class="table-wrap">' in busy_page and "老王火锅" in busy_page


def test_settlement_pages_say_what_the_system_will_do_not_a_shell_command(app, client):
    make_staff(app)
    staff_log_in(client)
    page = client.get("/staff/settlement/").get_data(as_text=True)
    assert "flask " not in page and "--period" not in page
    assert "本月的结算单将在下月初由系统结算生成" in page
    english = client.get("/staff/settlement/?lang=en").get_data(as_text=True)
    assert "flask " not in english and "at the start of next month" in english


def test_staff_settlement_and_referral_pages_share_the_staff_table_style(app, client, store):
    make_staff(app)
    staff_log_in(client)
    referrals = client.get("/staff/referrals/").get_data(as_text=True)
    assert "css/staff.css" in referrals
    assert "这段时间没有推荐记录" in referrals and "empty-state" in referrals
    with open(app.static_folder + "/css/staff.css", encoding="utf-8") as css:
        styles = css.read()
    for rule in (".staff table.list", ".staff .filters", ".staff .totals"):
        assert rule in styles


@pytest.mark.parametrize("first, last, text", [(251, 300, "251–300"), (7, 7, "7"),
                                               (251, 250, "无"), (1, 12345, "1–12,345")])
def test_number_ranges_are_never_backwards(app, first, last, text):
    with app.test_request_context("/"):
        assert number_range(first, last) == text


def test_ledger_ranges_count_the_entries_or_say_there_are_none(app):
    with app.test_request_context("/"):
        assert ledger_range(250, 250) == "本期无账本记录"
        assert ledger_range(250, 300) == "账本第 251–300 笔（共 50 笔）"
    with app.test_request_context("/?lang=en"):
        assert ledger_range(250, 250) == "no ledger entries"
