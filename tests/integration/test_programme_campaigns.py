"""A programme's own campaign (birthday care's, win-back's) is changed by its programme only:
the campaign pages' edit, schedule, pause, resume and stop refuse it — a coupon or bonus set
there would double the programme's gift, a schedule there would run it twice."""

import pytest

from tests.api.test_birthday_care import programme as birthday_programme
from tests.integration.winback_world import save as winback_programme
from valliance.errors import ValidationError
from valliance.marketing.campaign_models import Campaign
from valliance.marketing.services import campaign_lifecycle, campaigns

EDIT = {"name": "改了", "channel": "inbox", "message": "您好", "filters": {},
        "control_percent": "0", "bonus_points": "500", "schedule_kind": "daily",
        "daily_at": "10:00"}


def _refused(session, campaign_id: str, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        campaigns.update_campaign(session, campaign_id, EDIT, actor="staff:1")
    assert f"这是“{name}”计划的活动" in str(refused.value.message)
    session.rollback()
    for move in (campaign_lifecycle.pause, campaign_lifecycle.stop, campaign_lifecycle.resume,
                 campaign_lifecycle.schedule):
        with pytest.raises(ValidationError, match="计划的活动"):
            move(session, campaign_id, actor="staff:1", reason="试一下")
        session.rollback()


def test_the_birthday_programmes_campaign_is_its_own(session):
    made = birthday_programme(session, gift="points", bonus_points="100")
    campaign = session.get(Campaign, made.campaign_id)
    assert campaign.programme == "birthday" and campaign.status == "scheduled"
    _refused(session, made.campaign_id, "生日关怀")
    campaign = session.get(Campaign, made.campaign_id)
    assert (campaign.status, campaign.bonus_points, campaign.name) == (
        "scheduled", 0, "生日关怀计划")
    # its own page still changes it
    birthday_programme(session, gift="none", enabled=False)
    assert session.get(Campaign, made.campaign_id).status == "paused"


def test_the_winback_programmes_campaign_is_its_own(session):
    saved = winback_programme(session)
    campaign = session.get(Campaign, saved.campaign_id)
    assert campaign.programme == "winback"
    _refused(session, saved.campaign_id, "会员挽回")
    assert session.get(Campaign, saved.campaign_id).status == "scheduled"


def test_other_campaigns_are_the_campaign_pages(session):
    made = campaigns.create_campaign(session, {**EDIT, "bonus_points": "0"}, actor="staff:1")
    assert made.programme is None
    campaigns.update_campaign(session, made.id, EDIT, actor="staff:1")
    campaign_lifecycle.schedule(session, made.id, actor="staff:1")
    assert (made.status, made.bonus_points) == ("scheduled", 500)


def test_the_campaign_page_sends_staff_to_the_programmes_page(app, session):
    from tests.api.test_backoffice_finance import make_user
    from tests.api.test_staff_pages import staff_log_in
    made = birthday_programme(session, gift="none")
    make_user(app, "promo", "marketing")
    client = app.test_client()
    assert staff_log_in(client, "promo").status_code == 302
    page = client.get(f"/staff/marketing/campaigns/{made.campaign_id}").get_data(as_text=True)
    assert 'data-testid="owned"' in page and "“生日关怀”计划的活动" in page
    assert "/edit" not in page and "action=pause" not in page and "/pause" not in page
    refused = client.post(f"/staff/marketing/campaigns/{made.campaign_id}/pause",
                          data={"reason": "试一下"})
    assert refused.status_code in (302, 400, 422)
    assert session.get(Campaign, made.campaign_id).status == "scheduled"
