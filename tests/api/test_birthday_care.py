"""Birthday care (issue #18): the greeting and its gift once in the birthday month, never to a
member who opted out or is not in good standing, the cap exemption, the coupon gift, double
points at the till (the alliance's extra, exact against fractions, refunded by §5's rule),
the ledger still proven, and the staff page — on both engines, with a frozen clock."""

from datetime import date, datetime, time, timedelta
from fractions import Fraction
from math import floor

from sqlalchemy import func, select

from tests.api.coupon_helpers import template
from tests.api.pos_helpers import PURCHASES, QUOTE, member, new_key, shop
from tests.api.test_pos_lane import handed_over, on_postgres  # noqa: F401 (a fixture)
from valliance.care.services.figures import programme_figures
from valliance.care.services.programme import configure, get_programme
from valliance.coupons.models import Coupon
from valliance.db import SHANGHAI, today_shanghai
from valliance.ids import new_id
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services.campaign_send import run_campaign
from valliance.members.gift_models import BirthdayGift
from valliance.members.models import InboxMessage
from valliance.merchants.birthday_models import BirthdayBonus
from valliance.points import Transfer, get_balance, verify_ledger

MESSAGE = "亲爱的{name}，祝您生日快乐！"


def first_of(months_back: int = 0) -> date:
    day = today_shanghai().replace(day=1)
    for _ in range(months_back):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), SHANGHAI)


def programme(session, **fields):
    data = {"enabled": True, "channel": "inbox", "message": MESSAGE, "cap_exempt": True,
            "control_percent": "0", "gift": "none", **fields}
    made = configure(session, data, actor="test")
    session.commit()
    return made


def birthday_member(session, month: int, *, opted_in=True, points=0, status="active"):
    made, card = member(session, points=points)
    made.birth_month, made.birth_day = month, 15
    made.marketing_opt_in = opted_in
    made.membership_status = status
    session.commit()
    return made, card


def run(session, campaign_id: str, day: date, hour: int = 10):
    session.get(Campaign, campaign_id).next_run_at = None  # the frozen clock's day is the round
    session.commit()
    when = datetime.combine(day, time(hour, 0), SHANGHAI)
    return run_campaign(session, campaign_id, started_by="test", now=when)


def balance(session, someone) -> int:
    session.expire_all()
    return get_balance(session, someone.points_account_id).balance


def gifts(session, member_id):
    return list(session.scalars(select(BirthdayGift).where(BirthdayGift.member_id == member_id)))


def test_the_greeting_and_points_come_once_in_the_birthday_month(session):
    made = programme(session, gift="points", bonus_points="200")
    month = first_of().month
    glad, _ = birthday_member(session, month)
    silent, _ = birthday_member(session, month, opted_in=False)
    frozen, _ = birthday_member(session, month, status="frozen")
    later, _ = birthday_member(session, month % 12 + 1)
    counts = run(session, made.campaign_id, first_of())
    assert (counts.sent, counts.opted_out) == (1, 1)  # the frozen member is in no audience
    assert balance(session, glad) == 200
    assert [g.kind for g in gifts(session, glad.id)] == ["points"]
    inbox = session.scalars(select(InboxMessage.body).where(
        InboxMessage.member_id == glad.id)).all()
    assert inbox == [f"亲爱的{glad.name}，祝您生日快乐！"]
    for other in (silent, frozen, later):
        assert balance(session, other) == 0 and gifts(session, other.id) == []

    # the next days of the month (and a member who opts in meanwhile gets it then)
    silent.marketing_opt_in = True
    session.commit()
    again = run(session, made.campaign_id, first_of() + timedelta(days=1))
    assert again.sent == 1
    assert balance(session, glad) == 200 and balance(session, silent) == 200
    run(session, made.campaign_id, first_of() + timedelta(days=2))
    assert session.scalar(select(func.count()).select_from(BirthdayGift)) == 2
    assert verify_ledger(session).ok


def test_an_opted_out_member_gets_no_greeting_and_no_gift(session):
    made = programme(session, gift="double")
    silent, card = birthday_member(session, first_of().month, opted_in=False)
    run(session, made.campaign_id, first_of())
    assert gifts(session, silent.id) == []
    assert session.scalar(select(CampaignDelivery.status).where(
        CampaignDelivery.member_id == silent.id)) == "opted_out"
    assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0


def test_in_the_quiet_hours_the_greeting_waits_for_nine(session):
    made = programme(session, gift="points", bonus_points="50")
    night, _ = birthday_member(session, first_of().month)
    counts = run(session, made.campaign_id, first_of(), hour=22)
    assert (counts.sent, counts.deferred) == (0, 1)
    assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0


def test_the_greeting_may_pass_the_marketing_cap(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "MARKETING_MAX_PER_30_DAYS", 1)
    busy, _ = birthday_member(session, first_of().month)
    other = Campaign(id=new_id("cmp"), name="别的活动", message="您好", channel="inbox",
                     filters={}, schedule_kind="now", status="draft")
    session.add(other)
    session.commit()
    run_campaign(session, other.id, started_by="test", now=at_ten(first_of()))
    made = programme(session, gift="none", cap_exempt=False)
    assert run(session, made.campaign_id, first_of()).capped == 1
    programme(session, gift="none", cap_exempt=True)
    assert run(session, made.campaign_id, first_of() + timedelta(days=1)).sent == 1
    assert len(gifts(session, busy.id)) == 1


def test_the_coupon_gift_is_issued_with_source_birthday(session):
    coupons = template(session, value=3000, min_spend=10000)
    made = programme(session, gift="coupon", coupon_template_id=coupons.id)
    glad, _ = birthday_member(session, first_of().month)
    run(session, made.campaign_id, first_of())
    issued = session.scalars(select(Coupon).where(Coupon.member_id == glad.id)).all()
    assert [(c.source, c.status, c.template_id) for c in issued] == [
        ("birthday", "active", coupons.id)]
    assert gifts(session, glad.id)[0].coupon_id == issued[0].id
    figures = programme_figures(session, made.campaign_id)
    assert (figures.coupons_issued, figures.coupons_used, figures.gifts) == (1, 0, 1)


def sell(client, shop_, card, amount):
    return client.post(PURCHASES, json={"card": card, "amount": amount},
                       headers={**shop_.headers, "Idempotency-Key": new_key()})


def test_double_points_in_the_birthday_month_are_the_alliances(client, session):
    till = shop(session, offer={"percent_off": 12, "points_per_yuan": 3})
    made = programme(session, gift="double")
    glad, glad_card = birthday_member(session, first_of().month, points=100)
    last, last_card = birthday_member(session, first_of(1).month, points=100)
    run(session, made.campaign_id, first_of(1))   # last month's birthdays, reached then
    run(session, made.campaign_id, first_of())    # this month's
    assert [g.double_from for g in gifts(session, glad.id)] == [first_of()]
    amount = 12_857
    discount = floor(Fraction(amount * 12, 100) + Fraction(1, 2))
    earned = floor(Fraction((amount - discount) * 3, 100))

    quoted = client.post(QUOTE, json={"card": glad_card.number, "amount": amount},
                         headers=till.headers).get_json()
    assert (quoted["points_earned"], quoted["points_balance"]) == (earned, 100 + 2 * earned)
    answer = sell(client, till, glad_card.number, amount).get_json()
    assert answer["points_earned"] == earned  # contract §5's figure: the merchant's accrual
    assert answer["points_balance"] == 100 + 2 * earned == balance(session, glad)
    bonus = session.get(BirthdayBonus, answer["id"])
    assert bonus.points == earned
    # the merchant issued only §5's points (its settlement is unaffected)
    issued = session.scalar(select(func.sum(Transfer.amount)).where(
        Transfer.debit_account_id == till.merchant.issued_account_id))
    assert issued == earned

    outside = sell(client, till, last_card.number, amount).get_json()
    assert outside["points_balance"] == 100 + earned == balance(session, last)
    assert session.get(BirthdayBonus, outside["id"]) is None

    # a partial refund takes back floor(extra × R / amount), the completing one the rest
    part = client.post(f"{PURCHASES}/{answer['id']}/refunds", json={"amount": 5000},
                       headers={**till.headers, "Idempotency-Key": new_key()}).get_json()
    share = floor(Fraction(earned * 5000, amount))
    assert part["points_reversed"] == share
    assert part["points_balance"] == 100 + 2 * (earned - share) == balance(session, glad)
    client.post(f"{PURCHASES}/{answer['id']}/refunds", json={},
                headers={**till.headers, "Idempotency-Key": new_key()})
    assert balance(session, glad) == 100
    figures = programme_figures(session, made.campaign_id)
    assert (figures.double_members, figures.double_sales, figures.double_points) == (2, 1, 0)
    assert verify_ledger(session).ok


def test_double_points_stop_when_the_member_opts_out(client, session):
    till = shop(session)
    made = programme(session, gift="double")
    glad, card = birthday_member(session, first_of().month)
    run(session, made.campaign_id, first_of())
    glad.marketing_opt_in = False
    session.commit()
    answer = sell(client, till, card.number, 10_000).get_json()
    assert answer["points_balance"] == answer["points_earned"] == 100


def test_a_refused_configuration_says_which_field(session):
    import pytest

    from valliance.errors import ValidationError
    with pytest.raises(ValidationError) as refused:
        configure(session, {"gift": "points", "bonus_points": "0", "message": MESSAGE},
                  actor="test")
    assert set(refused.value.details) == {"bonus_points"}
    with pytest.raises(ValidationError) as refused:
        configure(session, {"gift": "coupon", "coupon_template_id": "", "message": MESSAGE},
                  actor="test")
    assert set(refused.value.details) == {"coupon_template_id"}
    assert get_programme(session) is None


def test_a_holiday_greeting_is_queued_by_the_tick_at_its_time_and_sent_once(session, app):
    from valliance import jobs
    from valliance.marketing.services import campaign_lifecycle, campaign_schedule
    from valliance.marketing.services.campaigns import create_campaign

    backend = jobs.backend(app)
    spring = datetime(2027, 2, 6, 9, 30, tzinfo=SHANGHAI)
    glad, _ = birthday_member(session, 5)
    made = create_campaign(session, {
        "name": "春节问候", "channel": "sms", "filters": {"opted_in": True},
        "message": "{name}您好，新春快乐！", "schedule_kind": "at", "send_at": spring},
        actor="test")
    campaign_lifecycle.schedule(session, made.id, actor="test")
    session.commit()
    assert made.next_run_at == spring
    try:
        assert campaign_schedule.tick(session, now=spring - timedelta(minutes=1))["runs"] == 0
        assert campaign_schedule.tick(session, now=spring)["runs"] == 1
        assert [(job.name, job.args) for job in backend.overview()["queued"]
                if job.name == campaign_schedule.SEND_JOB] == [
            (campaign_schedule.SEND_JOB, (made.id, "schedule"))]
        session.commit()
        # the queued job's run, on the frozen clock (send_job reads the real one)
        assert run_campaign(session, made.id, started_by="schedule", now=spring).sent == 1
    finally:
        with backend.lock:
            backend.jobs.clear()
            backend.attempts.clear()
        while not backend.pending.empty():
            backend.pending.get_nowait()
    session.commit()
    assert session.get(Campaign, made.id).status == "finished"
    assert session.scalar(select(CampaignDelivery.status).where(
        CampaignDelivery.member_id == glad.id)) == "sent"


@on_postgres
def test_the_lane_hands_a_double_points_sale_to_the_app(client, session, handed_over):  # noqa: F811
    till = shop(session)
    made = programme(session, gift="double")
    glad, card = birthday_member(session, first_of().month)
    plain, plain_card = birthday_member(session, first_of(1).month)
    run(session, made.campaign_id, first_of())
    ordinary = sell(client, till, plain_card.number, 10_000).get_json()
    assert handed_over == [] and ordinary["points_balance"] == 100
    birthday = sell(client, till, card.number, 10_000).get_json()
    assert handed_over == ["POST"]
    assert (birthday["points_earned"], birthday["points_balance"]) == (100, 200)
    assert verify_ledger(session).ok


def test_the_portal_tells_a_member_in_a_double_points_month(client, session):
    from tests.api.test_merchant_apply import post_form

    made = programme(session, gift="double")
    glad, _ = birthday_member(session, first_of().month)
    page = post_form(client, "/me/login", {"phone": glad.phone, "password": "secret123"})
    assert page.status_code == 302
    assert 'id="birthday-double"' not in client.get("/me/").get_data(as_text=True)
    run(session, made.campaign_id, first_of())
    shown = client.get("/me/").get_data(as_text=True)
    last = first_of().replace(day=28) + timedelta(days=4)
    last = last.replace(day=1) - timedelta(days=1)
    assert f"生日月快乐！{last.month}月{last.day}日前在联盟商户消费，积分翻倍。" in shown
