"""The alliance dashboard (/staff/): its figures equal sums computed here, independently, from
the purchases, refunds, referrals, payments and the ledger of the demo alliance; each figure
links to the list behind it; every staff role opens it, nobody else does."""

import html as html_lib
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.api.test_merchant_apply import apply_in_db
from tests.api.test_staff_pages import staff_log_in
from valliance.backoffice.dashboard_models import (
    NO_MERCHANT,
    AllianceDay,
    AllianceReferralDay,
    AllianceTierMonth,
)
from valliance.backoffice.services.dashboard import month_starts
from valliance.db import SHANGHAI, today_shanghai, utcnow
from valliance.demo import seed_demo
from valliance.directory.models import Referral
from valliance.directory.services import conversion_time
from valliance.extensions import db
from valliance.members.models import Member
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.money import format_yuan
from valliance.payments.models import Payment
from valliance.points import get_balance
from valliance.points.models import Transfer
from valliance.staff import services as staff_services
from valliance.staff.roles import ROLES

PASSWORD = "secret123"


def day_of(moment) -> date:
    return moment.astimezone(SHANGHAI).date()


def n(value: int) -> str:
    return f"{value:,}"


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:strong|dd|span)>', page, re.S)
    assert match, element_id
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def cells(page: str, attribute: str, key: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{key}">(.*?)</tr>', page, re.S)
    assert row, (attribute, key)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)]


def make_staff(app, role: str) -> None:
    with app.app_context():
        staff_services.create_staff_user(db.session, username=f"u_{role}", name=f"员工{role}",
                                         password=PASSWORD, roles=(role,))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def demo(app):
    """The demo alliance, a merchant waiting for review and three Stripe payments."""
    with app.app_context():
        seed_demo(db.session)
        member_id = db.session.scalar(select(Member.id).limit(1))
        now = utcnow()
        for number, (status, paid_days_ago) in enumerate(
                (("succeeded", 1), ("refunded", 3), ("succeeded", 45), ("failed", None))):
            paid_at = None if paid_days_ago is None else now - timedelta(days=paid_days_ago)
            db.session.add(Payment(id=f"pay_{number}", member_id=member_id, kind="bill",
                                   amount=10000 + number, status=status, paid_at=paid_at))
        db.session.commit()
        db.session.remove()
    apply_in_db(app, 1)


def expected(app) -> dict:
    """Every figure, summed here from the rows (not through the dashboard's queries)."""
    today = today_shanghai()
    first30, first90 = today - timedelta(days=29), today - timedelta(days=89)
    with app.app_context():
        session = db.session
        members = session.scalars(select(Member)).all()
        purchases = session.scalars(select(Purchase)).all()
        refunds = session.execute(select(Refund, Purchase.merchant_id)
                                  .join(Purchase, Purchase.id == Refund.purchase_id)).all()
        transfers = session.scalars(select(Transfer)).all()
        referrals = [r for r in session.scalars(select(Referral))
                     if day_of(r.created_at) >= first30]
        daily = defaultdict(Counter)
        for p in purchases:
            counter = daily[day_of(p.created_at)]
            counter.update(purchases=1, sales=p.amount, issued=p.points_earned,
                           redeemed=p.redeem_points)
        for refund, _ in refunds:
            counter = daily[day_of(refund.created_at)]
            counter.update(issued=-refund.points_reversed, redeemed=-refund.points_returned)
        issued = defaultdict(int)  # all points credited for purchases, bills, rewards, by day
        on_bills = defaultdict(int)  # points spent on bills (积分抵话费), by day
        for t in transfers:
            sign = {"accrue": 1, "payment": 1, "reward": 1, "reverse": -1}.get(t.kind, 0)
            issued[day_of(t.created_at)] += sign * t.amount
            if t.merchant_id is None and t.kind in ("redeem", "return"):
                on_bills[day_of(t.created_at)] += (1 if t.kind == "redeem" else -1) * t.amount
        top = Counter()
        for p in purchases:
            if day_of(p.created_at) >= first30:
                top[p.merchant_id] += p.amount
        payments = session.scalars(select(Payment)).all()
        return {
            "today": today, "daily": daily, "issued": issued, "on_bills": on_bills,
            "members": members,
            "point_value": app.config["POINT_VALUE_FEN"],
            "tiers": Counter(m.tier for m in members),
            "new_month": sum(day_of(m.created_at) >= today.replace(day=1) for m in members),
            "new_30": sum(day_of(m.created_at) >= first30 for m in members),
            "active_30": len({p.member_id for p in purchases if day_of(p.created_at) >= first30}),
            "active_90": len({p.member_id for p in purchases if day_of(p.created_at) >= first90}),
            "outstanding": sum(get_balance(session, m.points_account_id).balance
                               for m in members),
            "referrals": len(referrals),
            "conversions": sum(conversion_time(session, r) is not None for r in referrals),
            "payments": [p for p in payments if p.paid_at and p.status != "failed"
                         and day_of(p.paid_at) >= first30],
            "top": top.most_common(10),
            "names": dict(session.execute(select(Merchant.id, Merchant.name)).all()),
            "pending": len(session.scalars(select(Merchant).where(
                Merchant.status == "pending")).all()),
        }


def window(daily: dict, today: date, days: int, key: str) -> int:
    return sum(daily[today - timedelta(days=i)][key] for i in range(days))


def test_the_figures_are_the_sums_of_the_rows_behind_them(app, client, demo):
    make_staff(app, "finance")
    staff_log_in(client, username="u_finance")
    want = expected(app)
    first = client.get("/staff/").get_data(as_text=True)  # rolls the closed days up
    with app.app_context():
        rolled = db.session.scalars(select(AllianceDay.day).where(
            AllianceDay.merchant_id == NO_MERCHANT)).all()
        db.session.remove()
    today = want["today"]
    assert sorted(rolled) == [month_starts(today)[0] + timedelta(days=i) for i in range(
        (today - timedelta(days=2) - month_starts(today)[0]).days + 1)]
    with app.app_context():
        referral_days = db.session.scalar(select(func.count()).select_from(AllianceReferralDay))
        db.session.remove()
    assert referral_days > 300  # 12 months, less the 9 days whose conversions may still come
    second = client.get("/staff/").get_data(as_text=True)  # reads them
    for page in (first, second):
        check_figures(page, want)
    assert without_tokens(first) == without_tokens(second)


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens: a token carries the second it was made."""
    return re.sub(r'name="csrf_token"[^>]*>', "", page)


def check_figures(page: str, want: dict) -> None:
    today, daily = want["today"], want["daily"]
    assert daily, "the demo has trade"

    assert text_of(page, "pending-count") == n(want["pending"]) != "0"
    assert text_of(page, "members-total") == n(len(want["members"]))
    assert text_of(page, "new-month") == n(want["new_month"])
    assert text_of(page, "new-30") == n(want["new_30"])
    assert text_of(page, "active-30") == n(want["active_30"]) != "0"
    assert text_of(page, "active-90") == n(want["active_90"])
    this_month = cells(page, "data-month", today.strftime("%Y-%m"))
    assert this_month[1:5] == [n(want["tiers"][t]) for t in ("standard", "silver", "gold",
                                                             "diamond")]

    for i in range(30):  # per day: purchases, sales, points issued and redeemed at merchants
        day = today - timedelta(days=i)
        got = cells(page, "data-day", day.isoformat())
        assert got[1:] == [n(daily[day]["purchases"]), format_yuan(daily[day]["sales"]),
                           n(daily[day]["issued"]), n(daily[day]["redeemed"])], day
    for start in month_starts(today):  # per month
        in_month = [d for d in daily if (d.year, d.month) == (start.year, start.month)]
        got = cells(page, "data-sales-month", start.strftime("%Y-%m"))
        assert got[1:] == [n(sum(daily[d]["purchases"] for d in in_month)),
                           format_yuan(sum(daily[d]["sales"] for d in in_month)),
                           n(sum(daily[d]["issued"] for d in in_month)),
                           n(sum(daily[d]["redeemed"] for d in in_month))], start
    assert sum(daily[d]["sales"] for d in daily if d >= month_starts(today)[0]) > 0

    for days in (30, 90):  # redemption rate: redeemed ÷ issued (purchases and bills)
        issued = sum(want["issued"][today - timedelta(days=i)] for i in range(days))
        redeemed = window(daily, today, days, "redeemed") + sum(
            want["on_bills"][today - timedelta(days=i)] for i in range(days))
        per_mille = (redeemed * 2000 + issued) // (issued * 2)
        assert text_of(page, f"redemption-{days}") == f"{per_mille // 10}.{per_mille % 10}%"
        assert f"使用 {n(redeemed)} ÷ 发放 {n(issued)}" in page

    value = want["outstanding"] * want["point_value"]
    assert text_of(page, "liability-value") == format_yuan(value)
    assert f"会员未用积分 {n(want['outstanding'])}" in page

    ranked = re.findall(r'<tr data-merchant="([^"]+)">', page)
    assert ranked == [merchant_id for merchant_id, _ in want["top"]]
    for merchant_id, sales in want["top"]:
        got = cells(page, "data-merchant", merchant_id)
        assert got[0].startswith(want["names"][merchant_id]) and got[2] == format_yuan(sales)

    assert text_of(page, "referrals") == n(want["referrals"]) != "0"
    assert text_of(page, "conversions") == n(want["conversions"])
    assert text_of(page, "payments") == f"{len(want['payments'])} 笔" != "0 笔"
    assert text_of(page, "paid") == format_yuan(sum(p.amount - p.points_value
                                                            for p in want["payments"]))


def test_each_figure_links_to_the_list_behind_it(app, client, demo):
    make_staff(app, "admin")
    staff_log_in(client, username="u_admin")
    page = client.get("/staff/").get_data(as_text=True)
    today = today_shanghai()
    assert 'href="/staff/merchants?status=pending"' in page
    assert 'href="/staff/merchants?status=approved"' in page
    first = (today - timedelta(days=29)).isoformat()
    referral_links = re.findall(r'id="(?:referrals|conversions)"><a href="([^"]+)"', page)
    assert referral_links == [f"/staff/referrals/?from={first}&amp;to={today.isoformat()}"] * 2
    for merchant_id in re.findall(r'<tr data-merchant="([^"]+)">', page):
        assert f'href="/staff/merchants/{merchant_id}"' in page
    assert page.count('href="/staff/settlement/"') >= 12 + 2  # months and redemption rates
    for href in set(re.findall(r'href="(/staff/(?!log)[^"]*)"', page)):  # every link opens
        assert client.get(html_lib.unescape(href)).status_code == 200, href
    views = app.view_functions
    for endpoint, element in (("backoffice.liability", "liability-value"),
                              ("backoffice.members", "members-total")):
        linked = re.search(rf'id="{element}"><a ', page) is not None
        assert linked == (endpoint in views), endpoint
    assert ('id="pending-adjustments"' in page) == ("backoffice.adjustments" in views)


def test_each_member_figure_opens_a_list_of_as_many_members(app, client, demo):
    make_staff(app, "admin")
    staff_log_in(client, username="u_admin")
    page = client.get("/staff/").get_data(as_text=True)
    elements = ["members-total", "new-month", "new-30", "active-30", "active-90"]
    for element in elements:
        match = re.search(rf'id="{element}"><a href="([^"]+)">([\d,]+)</a>', page)
        assert match, element
        listed = client.get(html_lib.unescape(match.group(1))).get_data(as_text=True)
        count = re.search(r'id="result-count">[^<]*?([\d,]+)', listed)
        shown = int(match.group(2).replace(",", ""))
        assert (int(count.group(1).replace(",", "")) if count else 0) == shown, element
    assert int(text_of(page, "active-30").replace(",", "")) > 0  # the demo has buyers


def test_an_empty_alliance_shows_zeros_and_empty_charts(app, client):
    make_staff(app, "marketing")
    staff_log_in(client, username="u_marketing")
    page = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'id="pending-count">0<', page)
    assert text_of(page, "members-total") == "0"
    assert text_of(page, "redemption-30") == "—"
    assert text_of(page, "liability-value") == "¥0.00"
    assert page.count("暂无数据") == 4 and page.count("<svg") == 4
    assert "近 30 天还没有消费" in page


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_opens_the_dashboard(app, client, role):
    make_staff(app, role)
    assert staff_log_in(client, username=f"u_{role}").status_code == 302
    response = client.get("/staff/")
    assert response.status_code == 200 and 'id="pending-count"' in response.get_data(
        as_text=True)


def test_nobody_else_opens_it(app, client):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    from tests.api.pos_helpers import member
    with app.app_context():
        found, _ = member(db.session, phone="13900000001")
        db.session.remove()
    from tests.api.test_merchant_apply import post_form
    post_form(client, "/me/login", {"phone": "13900000001", "password": PASSWORD})
    assert client.get("/me/").status_code == 200  # signed in as a member
    assert client.get("/staff/").status_code == 403


def test_the_rollup_is_written_once_and_a_sale_today_counts_live(app, client, demo):
    from tests.api.pos_helpers import buy, shop
    make_staff(app, "finance")
    staff_log_in(client, username="u_finance")
    client.get("/staff/")
    with app.app_context():
        rows = db.session.execute(select(AllianceDay).order_by(
            AllianceDay.day, AllianceDay.merchant_id)).scalars().all()
        before = [vars(row).copy() for row in rows]
        for row in before:
            row.pop("_sa_instance_state")
        from valliance.backoffice.services.alliance_days import roll_up
        assert roll_up(db.session, month_starts(today_shanghai())[0], today_shanghai()) == 0
        made = shop(db.session, name="今日新店", offer={"percent_off": 10, "points_per_yuan": 1})
        card = next(m.card.number for m in db.session.scalars(select(Member).where(
            Member.membership_status == "active")) if m.card and m.card.status == "active")
        db.session.remove()
    today = today_shanghai().isoformat()
    was = cells(client.get("/staff/").get_data(as_text=True), "data-day", today)
    assert buy(client, made, card, 12345).status_code == 201
    now = cells(client.get("/staff/").get_data(as_text=True), "data-day", today)
    assert int(now[1].replace(",", "")) == int(was[1].replace(",", "")) + 1
    with app.app_context():
        after = db.session.execute(select(AllianceDay).order_by(
            AllianceDay.day, AllianceDay.merchant_id)).scalars().all()
        assert [{k: v for k, v in vars(row).items() if k != "_sa_instance_state"}
                for row in after] == before
        db.session.remove()


def test_the_tier_trend_replays_each_members_tier_changes(app, client):
    from tests.api.pos_helpers import member
    from valliance.members.models import TierChange
    today = today_shanghai()
    starts = month_starts(today)
    now = utcnow()
    # (joined days ago, [(days ago, from, to)]) — each member's story
    stories = [(400, [(200, "standard", "silver"), (40, "silver", "gold")]),
               (300, [(100, "standard", "diamond")]),
               (90, []), (20, [(5, "standard", "silver")]), (500, [(370, "standard", "gold")]),
               (250, [(249, "standard", "silver"), (60, "silver", "standard")])]
    with app.app_context():
        for number, (joined, changes) in enumerate(stories):
            found, _ = member(db.session, phone=f"1370000{number:04d}")
            found.created_at = now - timedelta(days=joined)
            for days_ago, from_tier, to_tier in changes:
                db.session.add(TierChange(member_id=found.id, from_tier=from_tier,
                                          to_tier=to_tier, reason="test",
                                          created_at=now - timedelta(days=days_ago)))
                found.tier = to_tier
        db.session.commit()
        members = db.session.scalars(select(Member)).all()
        changes = db.session.scalars(select(TierChange).order_by(TierChange.created_at)).all()
        db.session.remove()
    make_staff(app, "service_desk")
    staff_log_in(client, username="u_service_desk")
    page = client.get("/staff/").get_data(as_text=True)  # stores the closed months
    with app.app_context():
        stored = db.session.scalars(select(AllianceTierMonth.month).distinct()).all()
        db.session.remove()
    assert sorted(stored) == starts[:-1] or today.day == 1 and sorted(stored) == starts[:-2]
    assert without_tokens(client.get("/staff/").get_data(as_text=True)) == without_tokens(page)
    for start in starts:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(following, today + timedelta(days=1))
        counts = Counter()
        for m in members:
            if day_of(m.created_at) >= end:
                continue
            mine = [c for c in changes if c.member_id == m.id]
            before = [c for c in mine if day_of(c.created_at) < end]
            after = [c for c in mine if day_of(c.created_at) >= end]
            counts[before[-1].to_tier if before else after[0].from_tier if after
                   else m.tier] += 1
        got = cells(page, "data-month", start.strftime("%Y-%m"))
        assert got[1:] == [n(counts[t]) for t in ("standard", "silver", "gold", "diamond")] + [
            n(sum(counts.values()))], start


def test_the_roll_up_command_writes_what_the_first_visit_would(app, client, demo):
    import json
    runner = app.test_cli_runner()
    first = runner.invoke(args=["backoffice", "roll-up", "--json"])
    assert first.exit_code == 0, first.output
    today = today_shanghai()
    assert json.loads(first.stdout) == {
        "days": (today - timedelta(days=2) - month_starts(today)[0]).days + 1}
    again = runner.invoke(args=["backoffice", "roll-up", "--json"])
    assert json.loads(again.stdout) == {"days": 0}
    make_staff(app, "finance")
    staff_log_in(client, username="u_finance")
    check_figures(client.get("/staff/").get_data(as_text=True), expected(app))


@pytest.mark.postgres_only
def test_two_first_visits_at_once_write_the_rollup_once(app, demo, run_threads):
    from valliance.backoffice.dashboard_models import AllianceBuyer
    from valliance.backoffice.services.dashboard import figures

    def visit(_):
        found = figures(db.session)
        db.session.commit()
        return found.daily, found.monthly, found.active, found.trend

    first, second = run_threads(2, visit)
    assert first == second
    with app.app_context():
        days = db.session.scalar(select(func.count()).select_from(AllianceDay).where(
            AllianceDay.merchant_id == "*"))
        buyers = db.session.scalar(select(func.count()).select_from(AllianceBuyer))
        db.session.remove()
    today = today_shanghai()
    assert days == (today - timedelta(days=2) - month_starts(today)[0]).days + 1
    assert buyers > 0
