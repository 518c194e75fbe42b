"""Finance's back-office pages (issue #16): closing a settlement period from the page after a
confirmation (the same service and the same statements as `flask settlement close`),
verifying the periods, the statements as CSV, and the points liability by tier — through the
test client, CSRF on. Settlement's clock travels to the next month (closing.utcnow); the
ledger's activity happens now."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.api.pos_helpers import member, pay_code, shop
from tests.api.test_portal import csrf_of
from tests.api.test_staff_pages import PASSWORD, staff_log_in
from valliance.audit import AuditEvent
from valliance.db import utcnow
from valliance.extensions import db
from valliance.members.models import Member
from valliance.merchants.models import Merchant
from valliance.merchants.services import purchases as pos
from valliance.money import format_yuan
from valliance.points import get_balance, ledger
from valliance.points.models import Account, Lot
from valliance.settlement import services
from valliance.settlement.models import Settlement, SettlementPeriod, Statement
from valliance.settlement.services import closing
from valliance.staff.services import create_staff_user

ROUTES = ("/staff/finance/liability", "/staff/settlement/", "/staff/settlement/verify")


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """Activity and the period closed fall in one month (see clear_of_month_end)."""


def make_user(app, username: str, *roles: str) -> str:
    with app.app_context():
        staff = create_staff_user(db.session, username=username, name=f"员工{username}",
                                  password=PASSWORD, roles=roles)
        db.session.commit()
        return staff.id


@pytest.fixture
def finance(app, client):
    """A signed-in finance user; its id."""
    staff_id = make_user(app, "cashbook", "finance")
    assert staff_log_in(client, "cashbook").status_code == 302
    return staff_id


def _activity(app) -> dict:
    """This month's activity: 老王火锅 sold ¥100.00 (12% off, 2 points per yuan: 176 points)
    and took a ¥10.00 bill paid with 500 points (7 points earned); 江心屿咖啡 sold ¥50.00
    (50 points). Returns the period and the merchants' ids."""
    with app.app_context():
        hotpot = shop(db.session, name="老王火锅",
                      offer={"percent_off": 12, "points_per_yuan": 2}).merchant
        cafe = shop(db.session, name="江心屿咖啡", offer={"percent_off": 5}).merchant
        for merchant, amount in ((hotpot, 10_000), (cafe, 5_000)):
            _, card = member(db.session)
            pos.record_purchase(db.session, merchant, None, card.number, amount, 0, None)
        _, card = member(db.session, points=500)
        pos.record_purchase(db.session, hotpot, None, pay_code(card), 1_000, 500, None)
        db.session.commit()
        found = {"period": services.period_of(utcnow()), "hotpot": hotpot.id, "cafe": cafe.id}
        db.session.remove()
    return found


@pytest.fixture
def month(app):
    return _activity(app)


@pytest.fixture
def next_month(monkeypatch, month):
    """Time travel: settlement's clock reads a minute after this month has ended."""
    later = services.period_bounds(month["period"])[1] + timedelta(minutes=1)
    monkeypatch.setattr(closing, "utcnow", lambda: later)
    return month


def shown(html: str) -> dict[str, str]:
    """The confirmation's figures by data-testid."""
    return {key: value.strip() for key, value in re.findall(
        r'data-testid="(\w+)">(?:<strong>)?([^<]*)<', html)}


def _closed_state(app, period: str) -> dict:
    with app.app_context():
        closed = db.session.get(SettlementPeriod, period)
        totals = services.period_totals(db.session, closed)
        rows = services.period_statements(db.session, period)
        names = services.merchant_names(db.session, [s.merchant_id for s in rows])
        statements = sorted(
            (names[s.merchant_id], s.points_issued, s.points_redeemed, s.cost_fen,
             s.reimbursement_fen, s.net_fen,
             (s.settlement.direction, s.settlement.amount_fen) if s.settlement else None)
            for s in rows)
        db.session.remove()
    return {"totals": {k: v for k, v in totals.items()
                       if k not in ("closed_at", "lower_seq", "cutoff_seq")},
            "transfers": totals["cutoff_seq"] - totals["lower_seq"], "statements": statements}


def _close_on_page(client, period: str, note: str = "", coupon_shift: int = 0):
    page = client.get(f"/staff/settlement/{period}/close").get_data(as_text=True)
    cutoff = re.search(r'<input[^>]*name="cutoff_seq"[^>]*value="(\d+)"', page)
    coupons = re.search(r'<input[^>]*name="coupon_cutoff_id"[^>]*value="(\d+)"', page)
    assert cutoff and coupons, page
    return client.post(f"/staff/settlement/{period}/close", data={
        "csrf_token": csrf_of(page), "cutoff_seq": cutoff.group(1),
        "coupon_cutoff_id": int(coupons.group(1)) + coupon_shift, "note": note})


# --- closing ----------------------------------------------------------------------------------

def test_closing_on_the_page_writes_what_the_cli_writes(app, client, monkeypatch,
                                                         empty_database):
    """The same month closed by `flask settlement close` and, on an identical ledger, from
    the page: the same period figures and the same statements."""
    period = _activity(app)["period"]
    later = services.period_bounds(period)[1] + timedelta(minutes=1)
    monkeypatch.setattr(closing, "utcnow", lambda: later)
    result = app.test_cli_runner().invoke(
        args=["settlement", "close", "--period", period, "--json"])
    assert result.exit_code == 0, result.output
    by_cli = _closed_state(app, period)
    assert json.loads(result.output)["statements"] == len(by_cli["statements"]) == 2

    empty_database()
    assert _activity(app)["period"] == period
    staff_id = make_user(app, "cashbook", "finance")
    staff_log_in(client, "cashbook")
    response = _close_on_page(client, period)
    assert response.status_code == 302 and response.location.endswith(
        f"/staff/settlement/{period}")
    assert _closed_state(app, period) == by_cli
    with app.app_context():
        assert db.session.get(SettlementPeriod, period).closed_by == f"staff:{staff_id}"
        assert services.reconcile(db.session).ok


def test_the_confirmation_shows_exactly_the_totals_that_get_closed(
        app, client, finance, next_month):
    period = next_month["period"]
    periods = client.get("/staff/settlement/").get_data(as_text=True)
    assert f"/staff/settlement/{period}/close" in periods  # the next month to close
    page = client.get(f"/staff/settlement/{period}/close")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    figures = shown(html)
    with app.app_context():  # the confirmation wrote nothing
        assert db.session.get(SettlementPeriod, period) is None
        assert db.session.scalar(select(Statement.id)) is None
    # 176 + 7 + 47 (¥47.50 after 5% off) issued by merchants = ¥2.30; 500 redeemed = ¥5.00.
    assert (figures["points_issued_by_merchants"], figures["points_redeemed"],
            figures["cost_fen"], figures["reimbursement_fen"], figures["net_fen"]) == (
        "230", "500", "¥2.30", "¥5.00", "-¥2.70")

    assert _close_on_page(client, period, note="十二月月结").status_code == 302
    with app.app_context():
        totals = services.period_totals(db.session, services.closed_period(db.session, period))
        for key in ("points_issued_by_merchants", "points_issued_by_alliance", "points_redeemed",
                    "points_expired", "statements"):
            assert figures[key] == f"{totals[key]:,}", key
        for key in ("cost_fen", "reimbursement_fen", "net_fen", "owed_by_merchants_fen",
                    "owed_to_merchants_fen"):
            assert figures[key] == format_yuan(totals[key]), key
        rows = dict(re.findall(r'<tr data-merchant="([^"]+)">.*?data-testid="net">([^<]+)<',
                               html, re.S))
        assert rows == {s.merchant_id: format_yuan(s.net_fen)
                        for s in services.period_statements(db.session, period)}
        assert set(rows) == {next_month["hotpot"], next_month["cafe"]}
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "settlement.closed"))
        assert (event.actor, event.subject, event.reason) == (
            f"staff:{finance}", period, "十二月月结")
        assert event.details["cutoff_seq"] == totals["cutoff_seq"]
    done = client.get(f"/staff/settlement/{period}").get_data(as_text=True)
    assert "已结算" in done and "老王火锅" in done


def test_closing_is_refused_clearly(app, client, finance, month, monkeypatch):
    period = month["period"]
    not_over = client.get(f"/staff/settlement/{period}/close")
    assert not_over.status_code == 422 and "尚未结束" in not_over.get_data(as_text=True)
    assert "确认结算" not in not_over.get_data(as_text=True)
    with app.app_context():
        cutoff = services.preview_close(
            db.session, period, now=services.period_bounds(period)[1]).period.cutoff_seq
    posted = client.post(f"/staff/settlement/{period}/close", data={
        "csrf_token": csrf_of(client.get("/staff/settlement/").get_data(as_text=True)),
        "cutoff_seq": cutoff})
    assert posted.status_code == 302 and posted.location.endswith(f"/{period}/close")
    with app.app_context():
        assert db.session.get(SettlementPeriod, period) is None

    following = services.period_of(services.period_bounds(period)[1] + timedelta(days=1))
    monkeypatch.setattr(closing, "utcnow",
                        lambda: services.period_bounds(following)[1] + timedelta(minutes=1))
    assert client.post(f"/staff/settlement/{period}/close",
                       data={"cutoff_seq": cutoff}).status_code == 400  # no CSRF token
    # The figures moved since the confirmation (a sale after it, below the cutoff it showed).
    stale = client.post(f"/staff/settlement/{period}/close", data={
        "csrf_token": csrf_of(client.get("/staff/settlement/").get_data(as_text=True)),
        "cutoff_seq": cutoff - 1})
    assert stale.status_code == 302
    assert "数字已变化" in client.get(stale.location).get_data(as_text=True)
    too_long = _close_on_page(client, period, note="长" * 501)  # the form says so, no 400
    assert too_long.status_code == 302 and too_long.location.endswith(f"/{period}/close")
    assert "不超过500字" in client.get(too_long.location).get_data(as_text=True)
    assert _close_on_page(client, period).status_code == 302

    again = client.get(f"/staff/settlement/{period}/close")
    assert again.status_code == 422 and "已结算" in again.get_data(as_text=True)
    repeat = client.post(f"/staff/settlement/{period}/close", data={
        "csrf_token": csrf_of(client.get("/staff/settlement/").get_data(as_text=True)),
        "cutoff_seq": cutoff})
    assert "已结算" in client.get(repeat.location).get_data(as_text=True)
    empty = client.get(f"/staff/settlement/{following}/close")
    assert empty.status_code == 422 and "没有账本记录" in empty.get_data(as_text=True)
    assert client.get("/staff/settlement/bad/close").status_code == 422
    for impossible in ("0000-01", "9999-12"):  # no year 0; the month after is in year 10000
        assert client.get(f"/staff/settlement/{impossible}/close").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(SettlementPeriod.period).where(
            SettlementPeriod.period == following)) is None
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "settlement.closed")).all()) == 1


# --- verifying --------------------------------------------------------------------------------

def test_verify_says_ok_or_what_does_not_reconcile(app, client, finance, next_month):
    period = next_month["period"]
    empty = client.get("/staff/settlement/verify").get_data(as_text=True)
    assert "还没有结算过的月份" in empty
    assert _close_on_page(client, period).status_code == 302
    ok = client.get("/staff/settlement/verify").get_data(as_text=True)
    assert 'data-testid="verify-ok"' in ok and "全部 1 个期间与账本核对一致" in ok
    with app.app_context():  # a member's running total edited behind the ledger's back
        account = db.session.scalars(select(Account).where(Account.kind == "member")).first()
        account.credits_posted += 1
        db.session.commit()
    failed = client.get("/staff/settlement/verify").get_data(as_text=True)
    assert 'data-testid="verify-failed"' in failed and "不一致" in failed
    assert "points at the cutoff" in failed and f'data-period="{period}"' in failed


# --- CSV --------------------------------------------------------------------------------------

def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_period_csv_reconciles_to_the_fen(app, client, finance, next_month):
    period = next_month["period"]
    with app.app_context():
        db.session.get(Merchant, next_month["hotpot"]).name = '=HYPERLINK("http://x.example")'
        db.session.commit()
    _close_on_page(client, period)
    response = client.get(f"/staff/settlement/{period}.csv")
    assert f"statements-{period}.csv" in response.headers["Content-Disposition"]
    rows = _csv(response)
    with app.app_context():
        closed = services.closed_period(db.session, period)
        statements = {s.id: s for s in services.period_statements(db.session, period)}
        assert {row["账单号 Statement"] for row in rows} == set(statements)
        for row in rows:
            s = statements[row["账单号 Statement"]]
            assert (int(row["发放积分 Points issued"]), int(row["兑换积分 Points redeemed"]),
                    int(row["应付联盟(分) Owed by merchant (fen)"]),
                    int(row["联盟应付(分) Owed to merchant (fen)"]),
                    int(row["净额(分) Net (fen, + merchant pays)"])) == (
                s.points_issued, s.points_redeemed, s.cost_fen, s.reimbursement_fen, s.net_fen)
            for fen, yuan in (("应付联盟(分) Owed by merchant (fen)",
                               "应付联盟(元) Owed by merchant (yuan)"),
                              ("净额(分) Net (fen, + merchant pays)",
                               "净额(元) Net (yuan, + merchant pays)")):
                assert round(float(row[yuan]) * 100) == int(row[fen])
        net = sum(int(row["净额(分) Net (fen, + merchant pays)"]) for row in rows)
        assert net == closed.cost_fen - closed.reimbursement_fen == -270
        owed_by = sum(int(row["应付联盟(分) Owed by merchant (fen)"]) for row in rows)
        assert owed_by == closed.cost_fen
    hotpot = next(row for row in rows if row["商户 Merchant"].startswith("'="))
    assert hotpot["净额(元) Net (yuan, + merchant pays)"] == "-3.17"
    assert hotpot["状态 Status"] == "due"

    one = _csv(client.get(f"/staff/settlement/statements/{hotpot['账单号 Statement']}.csv"))
    assert one == [hotpot]
    assert client.get("/staff/settlement/statements/stm_nope.csv").status_code == 404
    assert client.get("/staff/settlement/2001-01.csv").status_code == 404
    page = client.get(f"/staff/settlement/{period}").get_data(as_text=True)
    assert f"/staff/settlement/{period}.csv" in page
    assert f"/staff/settlement/statements/{hotpot['账单号 Statement']}.csv" in page


def test_marking_a_payout_paid_is_audited_with_who_and_the_reference(
        app, client, finance, next_month):
    period = next_month["period"]
    _close_on_page(client, period)
    with app.app_context():
        payout_id = db.session.scalar(select(Settlement.id).where(
            Settlement.merchant_id == next_month["hotpot"]))
    page = client.get(f"/staff/settlement/{period}").get_data(as_text=True)
    client.post(f"/staff/settlement/payouts/{payout_id}/paid",
                data={"reference": "ICBC-0001", "csrf_token": csrf_of(page)})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.paid"))
        assert (event.actor, event.subject, event.details["reference"]) == (
            f"staff:{finance}", payout_id, "ICBC-0001")


# --- the points liability ----------------------------------------------------------------------

def test_the_liability_equals_member_balances_and_lots(app, client, finance):
    now = utcnow()
    with app.app_context():
        source = shop(db.session, name="积分来源").merchant
        made = []
        for tier, opening in (("standard", 120), ("standard", 0), ("silver", 3_000),
                              ("gold", 45_000), ("diamond", 7)):
            made.append(member(db.session, tier=tier, points=opening)[0])
        for person, days in zip(made, (10, 60, 200, 400, -1), strict=True):
            ledger.accrue(db.session, member_account=person.points_account_id,
                          source_account=source.issued_account_id, points=1_000 + days,
                          merchant_id=source.id, expires_at=now + timedelta(days=days))
        db.session.execute(update(Account).where(Account.id == made[1].points_account_id)
                           .values(owed=250))
        db.session.commit()

        expected = {}
        for tier in ("standard", "silver", "gold", "diamond"):
            people = db.session.scalars(select(Member).where(Member.tier == tier)).all()
            accounts = [p.points_account_id for p in people]
            balances = [get_balance(db.session, a) for a in accounts]
            open_lots = db.session.scalars(select(Lot).where(Lot.account_id.in_(accounts),
                                                             Lot.remaining > 0)).all()
            expected[tier] = {
                "members": len(people), "points": sum(b.balance for b in balances),
                "owed": sum(b.owed for b in balances),
                **{f"expiring-{d}": sum(lot.remaining for lot in open_lots
                                        if lot.expires_at < now + timedelta(days=d, minutes=1))
                   for d in (30, 90, 365)}}
        db.session.remove()
    assert expected["gold"]["points"] == 46_400 and expected["standard"]["owed"] == 250
    assert expected["diamond"]["expiring-30"] == 999  # already past its date, not yet swept

    html = client.get("/staff/finance/liability").get_data(as_text=True)
    for tier, figures in {**expected, "total": {
            key: sum(f[key] for f in expected.values()) for key in expected["gold"]}}.items():
        row = "".join(re.findall(rf'<tr data-tier="{tier}">(.*?)</tr>', html, re.S))
        cells = dict(re.findall(r'data-testid="([\w-]+)">([\d,]+)', row))
        for key in ("members", "points", "expiring-30", "expiring-90", "expiring-365"):
            assert int(cells[key].replace(",", "")) == figures[key], (tier, key)
        assert f'data-testid="fen">{format_yuan(figures["points"])}<' in row  # 1 fen a point
    owed = re.search(r'<table class="list owed">.*?</table>', html, re.S).group(0)
    assert 'data-testid="owed">250<' in owed and format_yuan(250) in owed


def test_the_liability_with_no_members_and_a_point_value(app, client, finance):
    app.config["POINT_VALUE_FEN"] = 3
    try:
        with app.app_context():
            member(db.session, tier="silver", points=1_234)
        html = client.get("/staff/finance/liability?lang=en").get_data(as_text=True)
        assert 'data-testid="liability-fen">¥37.02<' in html
        assert 'data-testid="no-owed"' in html
    finally:
        app.config["POINT_VALUE_FEN"] = 1


# --- roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["member_care", "merchant_ops", "marketing", "service_desk"])
def test_finance_pages_are_for_finance(app, client, month, role):
    make_user(app, "other", role)
    staff_log_in(client, "other")
    period = month["period"]
    for url in (*ROUTES, f"/staff/settlement/{period}/close", f"/staff/settlement/{period}.csv"):
        assert client.get(url).status_code == 403, url
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    assert client.post(f"/staff/settlement/{period}/close",
                       data={"csrf_token": token, "cutoff_seq": 1}).status_code == 403


def test_admin_and_finance_open_them(app, client, month):
    make_user(app, "boss", "admin")
    staff_log_in(client, "boss")
    for url in ROUTES:
        assert client.get(url).status_code == 200, url
    anonymous = app.test_client().get("/staff/finance/liability")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.location


def test_a_month_with_alliance_coupons_shows_each_merchants_coupon_column(
        app, client, finance, next_month):
    from tests.api.coupon_helpers import coupon, template
    with app.app_context():
        hotpot = db.session.get(Merchant, next_month["hotpot"])
        someone, card = member(db.session)
        code = coupon(db.session, template(db.session, value=1500, min_spend=0), someone).code
        pos.record_purchase(db.session, hotpot, None, card.number, 10_000, 0, None, coupon=code)
        db.session.commit()
        db.session.remove()
    period = next_month["period"]
    page = client.get(f"/staff/settlement/{period}/close").get_data(as_text=True)
    assert "<th scope=\"col\" class=\"num\">优惠券</th>" in page
    assert sorted(re.findall(r'data-testid="coupon">([^<]*)<', page)) == ["¥0.00", "¥15.00"]
    # an alliance coupon used since the confirmation moves the coupon cutoff it showed
    stale = _close_on_page(client, period, coupon_shift=-1)
    assert stale.status_code == 302 and stale.location.endswith(f"/{period}/close")
    assert "数字已变化" in client.get(stale.location).get_data(as_text=True)
    assert _close_on_page(client, period).status_code == 302
    closed = client.get(f"/staff/settlement/{period}").get_data(as_text=True)
    assert sorted(re.findall(r'data-testid="coupon">([^<]*)<', closed)) == ["¥0.00", "¥15.00"]
    # the finance CSV: the coupon in yuan appended after every earlier column
    text = client.get(f"/staff/settlement/{period}.csv").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[-3:] == ["状态 Status", "付款参考 Reference",
                           "联盟通用券(元) Alliance coupons, owed to merchant (yuan)"]
    assert sorted(row[-1] for row in rows) == ["0.00", "15.00"]
    by_fen = {row[header.index("联盟通用券(分) Alliance coupons, owed to merchant (fen)")]
              for row in rows}
    assert by_fen == {"0", "1500"}
