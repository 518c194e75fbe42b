"""A campaign's report (issue #17): counts by status, buyers in the 30 days after against the
control group, redemptions at the offer's merchant, messages and reward points, per round;
and `flask campaigns report` (contract §11). Delivery rows are written directly: the engine
that writes them is not this test's subject."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from flask_babel import force_locale

from valliance.errors import NotFound
from valliance.marketing.campaign_models import ONCE, Campaign, CampaignDelivery
from valliance.marketing.services.campaign_report import report
from valliance.members.models import InboxMessage
from valliance.members.services import enroll_member
from valliance.merchants.services import purchases
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.refunds import refund_purchase
from valliance.messaging import OutboxMessage
from valliance.points import reward

#: the round's moment: 40 days ago, so every member's 30 days are over
BASE = (datetime.now(UTC) - timedelta(days=40)).replace(microsecond=0)
DAY = timedelta(days=1)


def _shop(session, name, district="鹿城区"):
    return create_merchant(session, name=name, category="餐饮", district=district,
                           avg_spend=8000, approved=True)


def _buy(session, merchant, member, at, amount=10_000, refund=None):
    bought = purchases.record_purchase(session, merchant, None, member.card.number, amount, 0,
                                       None, at=at)
    if refund:
        refund_purchase(session, merchant, bought.id, None if refund == "all" else refund,
                        at=at + timedelta(hours=1))
    return bought


def _member(session, n):
    return enroll_member(session, phone=f"1390000{n:04d}", name=f"会员{n}")


def _campaign(session, campaign_id, **fields):
    campaign = Campaign(id=campaign_id, name=campaign_id, message="您好 {name}", **fields)
    session.add(campaign)
    session.flush()
    return campaign


def _row(session, campaign, member, status, round_=ONCE, at=BASE, **fields):
    reached = at if status in ("sent", "deferred") else None
    row = CampaignDelivery(campaign_id=campaign.id, round=round_, member_id=member.id,
                           status=status, reached_at=reached, created_at=at, **fields)
    session.add(row)
    session.flush()
    return row


def _sms(session, status):
    message = OutboxMessage(recipient="13900000000", body="活动", status=status)
    session.add(message)
    session.flush()
    return message.id


@pytest.fixture
def one_off(session):
    """A one-off SMS campaign for the hotpot's offer, reached at BASE: A, B, C sent; D, E
    deferred; F, G, H held out; I capped; J opted out; K cancelled."""
    hotpot, hotel = _shop(session, "老王火锅"), _shop(session, "江心酒店", "龙湾区")
    offer = create_offer(session, hotpot, title="火锅八折", percent_off=20)
    campaign = _campaign(session, "cmp_once", offer_id=offer.id, bonus_points=50)
    m = {key: _member(session, n) for n, key in enumerate("ABCDEFGHIJK")}
    for key in "ABC":
        status = {"A": "sent", "B": "failed", "C": "pending"}[key]
        transfer = (reward(session, member_account=m[key].points_account_id, points=50,
                           reason="campaign:cmp_once").transfer_id if key in "AB" else None)
        _row(session, campaign, m[key], "sent", sent_at=BASE, reward_transfer_id=transfer,
             outbox_message_id=_sms(session, status))
    _row(session, campaign, m["D"], "deferred", due_at=BASE + timedelta(hours=9))
    _row(session, campaign, m["E"], "deferred", sent_at=BASE + timedelta(hours=9),
         outbox_message_id=_sms(session, "sent"))
    for key, status in zip("FGHIJK", ("control", "control", "control", "capped", "opted_out",
                                      "cancelled"), strict=True):
        _row(session, campaign, m[key], status)
    _buy(session, hotpot, m["A"], BASE + DAY)                       # buyer, redeemed
    _buy(session, hotel, m["B"], BASE + 30 * DAY - timedelta(seconds=1))  # buyer, last second
    _buy(session, hotpot, m["C"], BASE + 30 * DAY)                  # window over: not counted
    _buy(session, hotpot, m["C"], BASE - DAY)                       # before: not counted
    _buy(session, hotel, m["D"], BASE + 2 * DAY, refund="all")      # refunded in full: no
    _buy(session, hotpot, m["E"], BASE + 3 * DAY, refund=4_000)     # part refunded: buyer
    _buy(session, hotel, m["F"], BASE + 5 * DAY)                    # control buyer
    _buy(session, hotel, m["H"], BASE - 2 * DAY)                    # control, before: no
    _buy(session, hotpot, m["I"], BASE + DAY)                       # capped: not counted
    session.commit()
    return campaign


def test_counts_buyers_redemptions_and_uplift_of_a_one_off_campaign(session, one_off):
    result = report(session, one_off.id)
    assert (result.targeted, result.sent, result.deferred, result.control, result.capped,
            result.opted_out, result.cancelled) == (11, 3, 2, 3, 1, 1, 1)
    assert result.reached == 5 and result.waiting == 1
    assert (result.buyers, result.control_buyers, result.redeemed) == (3, 1, 2)
    # 3 of 5 = 60 %, 1 of 3 = 33.3 %: 26.7 points
    assert (result.uplift.target_rate, result.uplift.control_rate,
            result.uplift.uplift_points) == (60.0, 33.3, 26.7)
    assert result.has_offer and result.reward_points == 100
    assert result.messages.sms == {"pending": 1, "sending": 0, "sent": 2, "failed": 1,
                                   "cancelled": 0}
    assert [r.round for r in result.rounds] == [ONCE]
    assert result.rounds[0].buyers == 3
    assert result.complete and result.window_ends_at == BASE + 30 * DAY
    assert not report(session, one_off.id, now=BASE + 29 * DAY).complete


def test_redemptions_are_zero_without_an_offer(session, one_off):
    one_off.offer_id = None
    session.commit()
    result = report(session, one_off.id)
    assert result.redeemed == 0 and not result.has_offer and result.buyers == 3


def test_each_round_of_a_recurring_campaign_counts_on_its_own(session):
    shop = _shop(session, "小美美发")
    campaign = _campaign(session, "cmp_daily", channel="inbox", schedule_kind="daily")
    a, f = _member(session, 1), _member(session, 2)
    first, second = BASE, BASE + 10 * DAY
    for round_, at in (("2026-10-01", first), ("2026-10-11", second)):
        inbox = InboxMessage(member_id=a.id, title="活动", body="活动", source="campaign:x",
                             read_at=at + DAY if round_ == "2026-10-01" else None)
        session.add(inbox)
        session.flush()
        _row(session, campaign, a, "sent", round_, at, inbox_message_id=inbox.id, sent_at=at)
        _row(session, campaign, f, "control", round_, at)
    _buy(session, shop, a, first + DAY)                 # in round 1's window only
    _buy(session, shop, f, second + DAY)                # in both windows
    session.commit()
    result = report(session, campaign.id)
    assert [(r.round, r.sent, r.control, r.buyers, r.control_buyers) for r in result.rounds] == [
        ("2026-10-01", 1, 1, 1, 1), ("2026-10-11", 1, 1, 0, 1)]
    assert (result.targeted, result.buyers, result.control_buyers) == (4, 1, 2)
    assert (result.messages.inbox_delivered, result.messages.inbox_read) == (2, 1)
    assert result.reward_points == 0 and result.messages.sms_total == 0


def test_a_campaign_not_sent_yet_has_an_empty_report(session):
    campaign = _campaign(session, "cmp_draft")
    session.commit()
    result = report(session, campaign.id)
    assert not result.sent_yet and result.rounds == [] and result.window_ends_at is None
    assert result.uplift.uplift_points is None


def test_an_unknown_campaign_is_not_found(session):
    with pytest.raises(NotFound):
        report(session, "cmp_nope")


def test_flask_campaigns_report_prints_the_contract_fields(app, one_off):
    runner = app.test_cli_runner()
    answer = runner.invoke(args=["campaigns", "report", one_off.id, "--json"])
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output) == {
        "targeted": 11, "sent": 3, "control": 3, "redeemed": 2, "buyers": 3,
        "control_buyers": 1, "uplift_percent": 26.7}
    human = runner.invoke(args=["campaigns", "report", one_off.id])
    assert human.exit_code == 0 and "26.7" in human.output


def test_flask_campaigns_report_without_control_prints_null(app, session):
    campaign = _campaign(session, "cmp_nocontrol")
    _row(session, campaign, _member(session, 1), "sent")
    session.commit()
    answer = app.test_cli_runner().invoke(args=["campaigns", "report", campaign.id, "--json"])
    assert json.loads(answer.output)["uplift_percent"] is None


def test_flask_campaigns_report_of_an_unknown_campaign(app):
    answer = app.test_cli_runner().invoke(args=["campaigns", "report", "cmp_nope", "--json"])
    assert answer.exit_code == 1
    assert json.loads(answer.output)["error"] == "not_found"


def _render(app, lang, report_):
    # the test's app context caches the locale: force it for this rendering
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        return render_template("marketing/_campaign_report.html", report=report_)


def test_the_report_partial_renders_in_both_languages(app, session, one_off):
    result = report(session, one_off.id)
    # 3/5 v 1/3, Agresti–Caffo: 4/7 v 2/5, centre 0.1714286; se = sqrt((4/7)(3/7) / 7
    # + 0.4 × 0.6 / 5) = 0.2880719; 1.96 × se = 0.5646209 → −39.3 to +73.6: not significant
    assert (result.uplift.low, result.uplift.high) == (-39.3, 73.6)
    chinese = _render(app, "zh_CN", result)
    assert "提升 +26.7 个百分点（95%置信区间 -39.3 至 +73.6）" in chinese
    assert "差异不显著" in chinese and 'data-verdict="not_significant"' in chinese
    assert "奖励积分：共发放 100 分" in chinese
    english = _render(app, "en", result)
    assert "Uplift +26.7 percentage points (95% confidence interval -39.3 to +73.6)" in english
    assert "Not significant" in english
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english)


def test_the_partial_says_when_there_is_nothing_to_compare(app, session):
    draft = _campaign(session, "cmp_draft")
    alone = _campaign(session, "cmp_alone")
    _row(session, alone, _member(session, 1), "sent")
    session.commit()
    assert "活动尚未发送" in _render(app, "zh_CN", report(session, draft.id))
    assert "未设对照组，无法计算提升" in _render(app, "zh_CN", report(session, alone.id))
    english = _render(app, "en", report(session, alone.id))
    assert "No control group" in english
