"""The campaign pages with a coupon: the form offers active alliance-wide templates, the
campaign's page shows its coupon, and its report how many were issued and used."""

from sqlalchemy import update

from tests.api.coupon_helpers import template
from tests.integration.campaign_engine import engine  # noqa: F401 (a fixture)
from tests.integration.test_campaign_pages import (  # noqa: F401 (fixtures)
    LIST,
    NEW,
    created,
    marketer,
    post,
    queued,
    world,
)
from valliance.extensions import db
from valliance.marketing.services.campaign_send import run_campaign
from valliance.members.models import Member
from valliance.merchants.models import Merchant


def templates(app):
    with app.app_context():
        shop = db.session.query(Merchant).first()
        alliance = template(db.session, title="联盟满100减20", value=2000, min_spend=10000)
        own = template(db.session, title="本店满50减5", merchant=shop)
        retired = template(db.session, title="旧券")
        retired.status = "retired"
        db.session.commit()
        ids = alliance.id, own.id, retired.id
        db.session.remove()
    return ids


def test_the_form_offers_alliance_templates_and_the_page_shows_it(  # noqa: F811 (fixtures)
        app, marketer, world):  # noqa: F811
    alliance, own, retired = templates(app)
    blank = marketer.get(NEW).get_data(as_text=True)
    assert "不发优惠券" in blank and f'value="{alliance}"' in blank
    assert "联盟满100减20 · 满¥100.00减¥20.00" in blank
    assert f'value="{own}"' not in blank and f'value="{retired}"' not in blank
    campaign = created(app, marketer, world, coupon_template_id=alliance, control_percent="0")
    assert campaign.coupon_template_id == alliance
    page = marketer.get(f"{LIST}/{campaign.id}").get_data(as_text=True)
    assert "联盟满100减20 · 满¥100.00减¥20.00" in page
    with app.app_context():
        db.session.execute(update(Member).values(marketing_opt_in=True))
        run_campaign(db.session, campaign.id, started_by="cli")
        db.session.remove()
    page = marketer.get(f"{LIST}/{campaign.id}").get_data(as_text=True)
    assert "已发放 1 张，已在门店使用 0 张" in page
    english = marketer.get(f"{LIST}/{campaign.id}?lang=en").get_data(as_text=True)
    assert "¥20.00 off" in english and "已发放" not in english


def test_a_merchants_template_is_refused_on_the_form(app, marketer, world):  # noqa: F811 (fixtures)
    _alliance, own, _retired = templates(app)
    response = post(marketer, NEW, {"name": "x", "channel": "sms", "message": "您好",
                                    "segment_id": world.segment_id, "schedule_kind": "now",
                                    "coupon_template_id": own}, NEW)
    assert response.status_code == 200
    assert "活动只能发放全联盟通用的优惠券" in response.get_data(as_text=True)
