"""`flask demo seed`: six months of real trade at every demo merchant, recorded by the POS
service, past months closed by settlement; once only; never on a shared database by accident."""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import ON_POSTGRES
from valliance.db import SHANGHAI, utcnow
from valliance.demo import DEMO_MERCHANTS, DEMO_SHOP, seed_demo
from valliance.demo.invitations import NEWCOMERS
from valliance.directory.models import Referral
from valliance.directory.services import conversion_time
from valliance.members.models import AnnualSpend, Member
from valliance.members.tiers import tier_for_spend
from valliance.merchants.models import Purchase, Refund
from valliance.points.models import Transfer
from valliance.settlement import services as settlement
from valliance.settlement.models import SettlementPeriod, Statement


def run(app, *args):
    return app.test_cli_runner().invoke(args=["demo", "seed", *args])


def seed(app, *args) -> dict:
    # --force: the suite also runs on PostgreSQL with debug off, where the demo is refused
    result = run(app, *args, "--force", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def counts(session) -> dict:
    models = (Member, Purchase, Refund, Transfer, Referral, SettlementPeriod, Statement)
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in models}


def test_every_demo_merchant_has_purchases_full_and_partial_refunds_and_redemptions(
        app, session):
    answer = seed(app)
    purchases = session.scalars(select(Purchase)).all()
    assert answer["purchases"] == len(purchases) > 200
    by_merchant = defaultdict(list)
    for purchase in purchases:
        by_merchant[purchase.merchant_id].append(purchase)
    for merchant_id, *_ in DEMO_MERCHANTS:
        sales = by_merchant[merchant_id]
        assert len(sales) >= 10, merchant_id
        assert any(s.refunded_amount == s.amount for s in sales), merchant_id
        assert any(0 < s.refunded_amount < s.amount for s in sales), merchant_id
        assert all(s.terminal_id for s in sales)
    assert sum(p.redeem_points > 0 for p in purchases) >= 5
    assert answer["refunds"] == session.scalar(select(func.count()).select_from(Refund))
    # members of every tier bought something, and the days are spread over six months
    assert {p.tier for p in purchases} == {"standard", "silver", "gold", "diamond"}
    days = {p.created_at.astimezone(SHANGHAI).date() for p in purchases}
    assert (max(days) - min(days)).days >= 150
    # the demo shop's dashboard has a last week to show
    week = [p for p in by_merchant[DEMO_SHOP] if (utcnow() - p.created_at).days < 7]
    assert len(week) >= 7


def test_the_demo_purchases_are_in_the_ledger_linked_and_dated_like_them(app, session):
    seed(app)
    linked = defaultdict(list)
    for transfer in session.scalars(select(Transfer).where(Transfer.purchase_id.is_not(None))):
        linked[transfer.purchase_id].append(transfer)
    for purchase in session.scalars(select(Purchase)):
        transfers = {t.id: t for t in linked[purchase.id]}
        assert purchase.accrual_transfer_id in transfers
        assert transfers[purchase.accrual_transfer_id].created_at == purchase.created_at
        if purchase.redeem_points:
            redemption = transfers[purchase.redemption_transfer_id]
            assert (redemption.code, redemption.amount) == ("REDEEM", purchase.redeem_points)
        reversed_ = [t for t in transfers.values() if t.code == "REVERSE"]
        assert bool(reversed_) == (purchase.refunded_amount > 0)
    # The ledger's ids grow with its dates, as at real tills: settlement cuts months by id.
    dates = session.scalars(select(Transfer.created_at).order_by(Transfer.id)).all()
    assert dates == sorted(dates)


def test_this_years_alliance_spend_is_what_the_demo_purchases_paid(app, session):
    seed(app)
    year = utcnow().astimezone(SHANGHAI).year
    paid, sales = defaultdict(int), {}
    for purchase in session.scalars(select(Purchase)):
        sales[purchase.id] = purchase
        if purchase.created_at.astimezone(SHANGHAI).year == year:
            paid[purchase.member_id] += purchase.payable
    crossed = set()  # a refund in January of a December sale: the year's spend stops at 0
    for refund in session.scalars(select(Refund)):
        sale = sales[refund.purchase_id]
        if refund.created_at.astimezone(SHANGHAI).year == year:
            paid[sale.member_id] -= refund.cash_refund
        if sale.created_at.astimezone(SHANGHAI).year != year:
            crossed.add(sale.member_id)
    spend = {row.member_id: row.alliance_fen for row in session.scalars(
        select(AnnualSpend).where(AnnualSpend.year == year))}
    assert len(paid) >= 20
    assert {m: spend[m] for m in paid if m not in crossed} == {
        m: fen for m, fen in paid.items() if m not in crossed}


def test_a_demo_seeded_early_in_the_year_keeps_the_spend_that_earned_each_tier(app, session):
    # Six months back from February reaches into last year: those purchases count for last
    # year, and last year's spend still earns each member the tier they hold.
    now = datetime(2026, 2, 10, 4, 0, tzinfo=UTC)
    result = seed_demo(session, now=now)
    session.commit()
    assert result.periods == ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
    last_year = session.scalars(select(AnnualSpend).where(AnnualSpend.year == 2025)).all()
    paid_2025, sales = defaultdict(int), {}
    for purchase in session.scalars(select(Purchase)):
        sales[purchase.id] = purchase
        if purchase.created_at.astimezone(SHANGHAI).year == 2025:
            paid_2025[purchase.member_id] += purchase.payable
    for refund in session.scalars(select(Refund)):
        if refund.created_at.astimezone(SHANGHAI).year == 2025:
            paid_2025[sales[refund.purchase_id].member_id] -= refund.cash_refund
    assert len(paid_2025) >= 20
    tiers = dict(session.execute(select(Member.id, Member.tier)).all())
    for row in last_year:
        assert tier_for_spend(row.telecom_fen + row.alliance_fen) == tiers[row.member_id]
        assert row.alliance_fen >= paid_2025[row.member_id]  # what they paid at the alliance
    # every programme's demo sales and postings keep to the demo's clock, in the ledger's order
    dates = session.scalars(select(Transfer.created_at).order_by(Transfer.id)).all()
    assert dates == sorted(dates) and dates[-1] < now + timedelta(hours=1)
    assert session.scalar(select(func.max(Purchase.created_at))) < now + timedelta(hours=1)


def test_past_months_are_closed_and_verify_and_this_month_stays_open(app, session):
    answer = seed(app)
    first = session.scalar(select(func.min(Purchase.created_at)))
    month, this_month = settlement.period_of(first), settlement.period_of(utcnow())
    expected = []
    while month < this_month:
        expected.append(month)
        year, number = map(int, month.split("-"))
        month = f"{year + number // 12}-{number % 12 + 1:02d}"
    assert answer["periods"] == expected and len(expected) >= 5
    assert [p.period for p in settlement.closed_periods(session)][::-1] == expected
    assert settlement.closed_period(session, this_month) is None
    statements = defaultdict(list)
    for period in expected:
        for statement in settlement.period_statements(session, period):
            statements[statement.merchant_id].append(period)
    assert set(statements) == {m[0] for m in DEMO_MERCHANTS}
    assert set(expected[1:]) <= set(statements[DEMO_SHOP])  # its owner signs in: every month
    for command in (["ledger", "verify"], ["settlement", "verify"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 0, result.output


def test_some_114_referrals_converted_into_demo_purchases_and_some_did_not(app, session):
    seed(app)
    referrals = session.scalars(select(Referral)).all()
    converted = [r for r in referrals if conversion_time(session, r) is not None]
    assert len(referrals) >= 15 and 0 < len(converted) < len(referrals)
    assert any(not r.caller_has_vcard for r in referrals)


def test_seeding_again_adds_nothing(app, session):
    first = seed(app)
    before = counts(session)
    session.rollback()
    second = seed(app)
    assert not second["created"] and second["purchases"] == 0 and second["periods"] == []
    assert second["logins"] == first["logins"]
    assert counts(session) == before


@pytest.mark.skipif(not ON_POSTGRES, reason="the refusal is for databases other than SQLite")
def test_seeding_postgresql_with_debug_off_is_refused_unless_forced(app, session):
    refused = run(app, "--json")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "--force" in refused.stderr and "postgresql" in refused.stderr
    assert session.scalar(select(func.count()).select_from(Member)) == 0
    session.rollback()
    assert seed(app)["created"]


@pytest.mark.skipif(not ON_POSTGRES, reason="the refusal is for databases other than SQLite")
def test_seeding_postgresql_in_debug_mode_needs_no_force(app, session):
    app.debug = True  # what FLASK_DEBUG=1 (or flask run --debug) sets
    try:
        result = run(app, "--if-empty")
    finally:
        app.debug = False
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Member)) == 40 + len(NEWCOMERS)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: the embedded database of make run")
def test_seeding_sqlite_needs_no_force(app, session):
    result = run(app, "--if-empty")
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Member)) == 40 + len(NEWCOMERS)


def test_the_demo_desk_has_teams_managers_two_months_near_86_percent_and_a_queue_in_colour(
        app, session):
    from valliance.db import today_shanghai
    from valliance.service_desk.models import AccountManager, ServiceTeam, Ticket
    from valliance.service_desk.services import levels
    from valliance.service_desk.services.queue import queue_page
    from valliance.service_desk.services.report import build_report
    from valliance.service_desk.services.report_periods import MONTH, period_of

    seed(app)
    assert session.scalars(select(ServiceTeam.name).order_by(ServiceTeam.name)).all() == [
        "政企支撑组", "装维一组", "装维二组"]
    assert levels.target_minutes(session, "fault", "diamond") == 120
    vips = session.scalars(select(Member.id).where(Member.tier.in_(("gold", "diamond")))).all()
    managed = session.scalars(select(AccountManager.member_id)).all()
    assert vips and sorted(managed) == sorted(vips)
    month = period_of(MONTH, today_shanghai())
    within = late = 0
    for period in (month.previous().previous(), month.previous(), month):
        faults = build_report(session, period).faults
        within, late = within + faults.within, late + faults.late
    assert 0.78 <= within / (within + late) <= 0.92
    assert session.scalar(select(func.count()).where(Ticket.reopen_count > 0)) >= 1
    assert session.scalar(select(func.count()).where(Ticket.rating.is_not(None))) >= 10
    lights = {row.light for row in queue_page(session).rows}
    assert lights == {"green", "amber", "red", "paused"}
    assert session.scalar(select(func.count()).where(Ticket.escalated_at.is_not(None))) == 1
