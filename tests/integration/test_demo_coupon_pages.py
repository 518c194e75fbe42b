"""The demo's coupons: two live templates (the alliance's and the demo shop owner's) and a
retired one, coupons issued to the logins and others, some spent at the tills through the
POS's service (the alliance's coupon lines written), one expired; once; settlement verifies."""

import json

from sqlalchemy import func, select

from valliance.coupons.models import Coupon, CouponLine, CouponTemplate
from valliance.coupons.reads import member_coupons
from valliance.db import today_shanghai
from valliance.demo import DEMO_SHOP
from valliance.members.models import Member
from valliance.merchants.models import Purchase


def test_the_demo_seeds_coupons_on_every_page(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert result.exit_code == 0, result.output
    templates = {t.title: t for t in session.scalars(select(CouponTemplate))}
    assert set(templates) >= {"满100减20 全联盟通用", "老王火锅 满50减10", "新会员 无门槛减5元"}
    assert templates["老王火锅 满50减10"].merchant_id == DEMO_SHOP
    assert templates["老王火锅 满50减10"].created_by.startswith("merchant_user:")
    assert templates["新会员 无门槛减5元"].status == "retired"
    used = session.scalar(select(func.count()).select_from(Coupon)
                          .where(Coupon.status == "used"))
    sold = session.scalar(select(func.count()).select_from(Purchase)
                          .where(Purchase.coupon_code.is_not(None)))
    assert used == sold >= 6
    # only alliance-wide coupons are owed back to the merchant
    lines = session.scalar(select(func.sum(CouponLine.value_fen)))
    alliance = session.scalar(select(func.sum(Purchase.coupon_value)).join(
        Coupon, Coupon.code == Purchase.coupon_code).where(
        Coupon.template_id.in_([t.id for t in templates.values() if t.merchant_id is None])))
    assert lines == alliance > 0
    logins = json.loads(result.stdout)["logins"]
    for login in logins:
        member = session.scalar(select(Member).where(Member.phone == login["phone"]))
        shown = {c["status"] for c in member_coupons(session, member.id, today_shanghai())}
        assert {"active", "expired"} <= shown, login
    verify = app.test_cli_runner().invoke(args=["settlement", "verify", "--json"])
    assert verify.exit_code == 0, verify.output
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert again.exit_code == 0
    assert session.scalar(select(func.count()).select_from(CouponTemplate)) == len(templates)
