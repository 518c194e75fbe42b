"""The win-back report (issue #18) on a constructed dataset: who came back within the window
among the members reached and the control group (the engine's uplift), the spend of those
who came back, and the cost (bonus points at POINT_VALUE_FEN, coupons issued and used); the
staff page (settings and report), its role and its audit; on both engines."""

import re

from sqlalchemy import select

from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_apply import csrf_of
from tests.api.world import PASSWORD
from tests.integration.winback_world import DAY, NOW, buy, regular, save, shop, split
from valliance.audit import AuditEvent
from valliance.coupons.issuing import create_template
from valliance.coupons.models import Coupon
from valliance.extensions import db
from valliance.marketing.services.uplift import uplift
from valliance.staff import services as staff_services
from valliance.winback.models import WinbackProgramme
from valliance.winback.services import entries
from valliance.winback.services.report import report

#: the round's moment, in the past: the windows after it are over
T0 = NOW - 60 * DAY
PAGE = "/staff/marketing/winback/"


def _world(session):
    merchant = shop(session)
    # valid a year: the till checks a coupon against today, and the round was 60 days ago
    template = create_template(session, title="回归礼券", value=2_000, min_spend=10_000,
                               valid_days=365, created_by="test")
    session.commit()
    saved = save(session, rfm_cells=[], control_percent=50, bonus_points=100,
                 coupon_template_id=template.id)
    lapsed, n = [], 0
    while True:  # enough members in both groups, by the engine's own rule (never luck)
        held, reached = split(saved.campaign_id, lapsed, 50)
        if len(held) >= 2 and len(reached) >= 4:
            break
        lapsed.append(regular(session, merchant, n, T0 - 61 * DAY))
        n += 1
    session.commit()
    entries.run(session, now=T0)
    session.commit()
    return merchant, held, reached


def test_the_report_counts_who_came_back_what_they_spent_and_what_it_cost(app, session,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "POINT_VALUE_FEN", 2)
    merchant, held, reached = _world(session)
    r0, r1, r2, r3 = reached[:4]
    code = session.scalar(select(Coupon.code).where(Coupon.member_id == r0.id))
    buy(session, merchant, r0, T0 + 5 * DAY, 15_000, coupon=code)  # back, with the coupon
    buy(session, merchant, r1, T0 + 30 * DAY - DAY / 24, 8_000)  # back on the last day …
    buy(session, merchant, r1, T0 + 30 * DAY, 5_000)  # … and once after the window: not counted
    buy(session, merchant, r2, T0 + 3 * DAY, 20_000, refund="all")  # refunded in full: not back
    buy(session, merchant, r3, T0 + 2 * DAY, 10_000, refund=4_000)  # back, ¥60 kept
    buy(session, merchant, held[0], T0 + 10 * DAY, 30_000)  # a held-out member came back too
    buy(session, merchant, held[1], T0 - DAY, 30_000)  # before entering: not counted
    session.commit()

    result = report(session, now=T0 + 31 * DAY)
    assert (result.reached, result.came_back, result.spend_fen) == (len(reached), 3, 29_000)
    assert (result.control, result.control_came_back, result.control_spend_fen) == (
        len(held), 1, 30_000)
    assert result.uplift == uplift(3, len(reached), 1, len(held))
    assert (result.bonus_points, result.bonus_fen) == (100 * len(reached), 200 * len(reached))
    assert (result.coupons_issued, result.coupons_issued_fen) == (len(reached),
                                                                  2_000 * len(reached))
    assert (result.coupons_used, result.coupons_used_fen) == (1, 2_000)
    assert result.cost_fen == 200 * len(reached) + 2_000
    assert result.window_ends_at == T0 + 30 * DAY and result.complete
    assert not report(session, now=T0 + 29 * DAY).complete


def test_the_report_is_empty_before_the_programme_is_saved(session):
    empty = report(session)
    assert empty.entered == 0 and empty.uplift.uplift_points is None


def _staff(app, role: str):
    with app.app_context():
        staff_services.create_staff_user(db.session, username=f"only-{role}", name=role,
                                         password=PASSWORD, roles=(role,))
        db.session.commit()
        db.session.remove()
    return signed_in(app, "/staff/login", {"username": f"only-{role}", "password": PASSWORD})


def test_the_page_saves_the_settings_and_shows_the_report(app):
    other = _staff(app, "member_care")
    assert other.get(PAGE).status_code == 403
    client = _staff(app, "marketing")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "还没有会员进入挽回活动" in html
    # the staff navigation's 会员计划 is marked on a programme's page
    assert re.search(r'href="/staff/programmes/"[^>]*aria-current="page"', html)
    form = {"csrf_token": csrf_of(html), "enabled": "y", "lapse_days": "0",
            "min_purchases": "3", "rfm_cells": ["important_retain", "important_keep"],
            "reentry_days": "180", "window_days": "30", "channel": "sms",
            "message": "{name}您好，好久不见", "bonus_points": "100", "control_percent": "10",
            "coupon_template_id": ""}
    refused = client.post(PAGE, data=form)
    assert refused.status_code == 200 and "请填写 1 到 3650 之间的整数" in refused.get_data(
        as_text=True)
    assert client.post(PAGE, data={**form, "lapse_days": "60"}).status_code == 302
    with app.app_context():
        session = db.session
        programme = session.scalar(select(WinbackProgramme))
        assert programme.enabled and programme.lapse_days == 60
        assert session.scalar(select(AuditEvent.actor).where(
            AuditEvent.action == "winback.update")).startswith("staff:")
        merchant = shop(session)
        lapsed = [regular(session, merchant, n, NOW - 61 * DAY) for n in range(3)]
        session.commit()
        save(session, rfm_cells=[], control_percent=0, bonus_points=100)
        entries.run(session, now=NOW)
        buy(session, merchant, lapsed[0], NOW + DAY / 24, 12_345)
        session.commit()
        session.remove()
    html = client.get(PAGE).get_data(as_text=True)
    assert "¥123.45" in html and "赠送积分：300 分" in html and "33.3%" in html
