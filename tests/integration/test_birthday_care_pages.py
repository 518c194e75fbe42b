"""Birthday care's staff page (role marketing; others get 403), its figures, and the demo's
programme and holiday greetings."""

import re
from datetime import datetime, time

from sqlalchemy import func, select

from tests.api.test_merchant_apply import csrf_of
from tests.api.world import PASSWORD, build
from tests.integration.campaign_engine import engine  # noqa: F401 (a fixture)
from tests.integration.test_demo_seed import seed
from valliance.audit import AuditEvent
from valliance.care.models import BirthdayProgramme
from valliance.db import SHANGHAI, utcnow
from valliance.demo.care import MID_AUTUMNS, SPRING_FESTIVALS, next_holiday
from valliance.extensions import db
from valliance.marketing.campaign_models import Campaign
from valliance.members.gift_models import BirthdayGift
from valliance.merchants.birthday_models import BirthdayBonus
from valliance.points import verify_ledger
from valliance.staff import services as staff_services

PAGE = "/staff/care/birthday"


def signed_in(app, username):
    from tests.api.test_backoffice_roles import signed_in as sign_in
    return sign_in(app, "/staff/login", {"username": username, "password": PASSWORD})


def staff(app):
    build(app)
    with app.app_context():
        for role in ("marketing", "member_care"):
            staff_services.create_staff_user(db.session, username=f"only-{role}",
                                             name=f"只有{role}", password=PASSWORD,
                                             roles=(role,))
        db.session.commit()
        db.session.remove()


def test_only_marketing_staff_open_the_page_and_save_the_programme(app, engine):  # noqa: F811
    staff(app)
    care = signed_in(app, "only-member_care")
    assert care.get(PAGE).status_code == 403
    marketer = signed_in(app, "only-marketing")
    page = marketer.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "尚未向任何会员送出生日礼" in html and "¥0.00" in html
    refused = marketer.post(PAGE, data={"csrf_token": csrf_of(html), "gift": "points",
                                        "bonus_points": "", "channel": "inbox",
                                        "message": "生日快乐", "control_percent": "0"})
    assert refused.status_code == 200
    assert "须为 1 到 100000 之间的整数" in refused.get_data(as_text=True)
    saved = marketer.post(PAGE, data={"csrf_token": csrf_of(html), "gift": "points",
                                      "bonus_points": "300", "channel": "inbox",
                                      "message": "{name}生日快乐", "control_percent": "10",
                                      "enabled": "y", "cap_exempt": "y"})
    assert saved.status_code == 302
    with app.app_context():
        programme = db.session.get(BirthdayProgramme, 1)
        campaign = db.session.get(Campaign, programme.campaign_id)
        assert (programme.gift, programme.bonus_points) == ("points", 300)
        assert (campaign.status, campaign.schedule_kind, campaign.cap_exempt,
                campaign.filters) == ("scheduled", "daily", True, {"birthday_this_month": True})
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "birthday.configure")) == 1
    again = marketer.get(PAGE).get_data(as_text=True)
    assert re.search(r'value="300"', again)


def test_the_demo_shows_the_programme_with_gifts_and_the_holidays_scheduled(app, session):
    seed(app)
    programme = session.get(BirthdayProgramme, 1)
    assert programme.gift == "double"
    assert session.scalar(select(func.count()).select_from(BirthdayGift)) > 0
    assert session.scalar(select(func.count()).select_from(BirthdayBonus)) > 0
    holidays = {c.name: c for c in session.scalars(select(Campaign).where(
        Campaign.schedule_kind == "at"))}
    now = utcnow()  # the demo greets each holiday's next date
    assert holidays["春节问候"].send_at == next_holiday(SPRING_FESTIVALS, time(9, 30), now)
    assert holidays["中秋问候"].send_at == next_holiday(MID_AUTUMNS, time(10, 0), now)
    assert {c.status for c in holidays.values()} == {"scheduled"}
    assert verify_ledger(session).ok


def test_the_demo_greets_each_holidays_next_date():
    before = datetime(2027, 2, 6, 9, 29, tzinfo=SHANGHAI)
    assert next_holiday(SPRING_FESTIVALS, time(9, 30), before) == datetime(
        2027, 2, 6, 9, 30, tzinfo=SHANGHAI)
    after = datetime(2027, 2, 6, 9, 30, tzinfo=SHANGHAI)  # sent: next year's
    assert next_holiday(SPRING_FESTIVALS, time(9, 30), after) == datetime(
        2028, 1, 26, 9, 30, tzinfo=SHANGHAI)
    assert next_holiday(MID_AUTUMNS, time(10, 0), datetime(2033, 1, 1, tzinfo=SHANGHAI)) is None
