"""Screenshots of member care (not committed)."""
import pytest
from tests.api.pos_helpers import buy, shop, refund
from valliance.extensions import db
from valliance.members import services as ms
from valliance.members.models import AnnualSpend, Member
from valliance.members.services import member_import
from valliance.payments.models import Payment
from valliance.directory.models import Referral
from valliance.directory.services import create_operator
from valliance.backoffice.services import member_care
from valliance.staff.services import create_staff_user
from valliance.ids import new_id
from valliance.db import today_shanghai

pytestmark = pytest.mark.browser
PW = "care2026pw"
OUT = "/tmp/care_shots"


def seed(app):
    with app.app_context():
        s = db.session
        create_staff_user(s, username="lin", name="林敏", password=PW, roles=("member_care",))
        a = ms.enroll_member(s, phone="13800138000", name="张三", password="secret123",
                             opening_points=3200, tier="silver")
        s.commit()
        store = shop(s, offer={"percent_off": 12, "points_per_yuan": 2})
        card = a.card.number
        aid = a.id
        long = ms.enroll_member(s, phone="13900001111",
                                name="欧阳" + "长名字" * 15 + "娜", password=None)
        s.commit()
        lid = long.id
        member_import.import_members(s, [(i + 2, {"phone": f"1560000{i:04d}", "name": f"欧阳{i:02d}"}) for i in range(30)])
        s.commit()
        y = today_shanghai().year
        s.add(AnnualSpend(member_id=aid, year=y, telecom_fen=250000, alliance_fen=48000))
        s.add(AnnualSpend(member_id=aid, year=y - 1, telecom_fen=410000, alliance_fen=123456))
        s.add(Payment(id=new_id("pay"), member_id=aid, kind="bill", amount=12850, status="succeeded",
                      points_credited=128))
        op, _ = create_operator(s, "温州114")
        s.add(Referral(id=new_id("ref"), operator_id=op.id, member_id=aid, caller_has_vcard=True,
                       merchant_id=store.merchant.id))
        s.commit()
        member_care.act(s, "stf_x", s.get(Member, aid), "tier", reason="投诉补偿，升级为金卡一年", support_phone="10000", tier="gold")
        member_care.act(s, "stf_x", s.get(Member, lid), "claim_sms", reason="会员说没收到短信" * 10, support_phone="10000")
        s.commit()
        s.remove()
    client = app.test_client()
    p = None
    for amount in (12800, 56000, 8800):
        r = buy(client, store, card, amount)
        p = p or r.get_json()["id"]
    refund(client, store, p, 5000)
    return aid, lid


def test_shots(app, browser, live_server):
    aid, lid = seed(app)
    with app.app_context():
        empty = db.session.query(Member).filter(Member.phone == "15600000003").one().id
        db.session.remove()
    for lang in ("zh", "en"):
        for label, vp in (("phone", {"width": 390, "height": 844}), ("desk", {"width": 1280, "height": 800})):
            ctx = browser.new_context(locale="zh-CN", viewport=vp)
            page = ctx.new_page()
            page.goto(live_server + "/staff/login")
            page.fill("#username", "lin"); page.fill("#password", PW)
            page.click("button[type=submit]")
            page.wait_for_url("**/staff/")
            q = "&lang=en" if lang == "en" else ""
            shots = {"search-start": "/staff/members?" + q, "search-list": "/staff/members?q=ouyang" + q,
                     "search-none": "/staff/members?q=99999" + q, "search-short": "/staff/members?q=12" + q,
                     "member-normal": f"/staff/members/{aid}?" + q, "member-long": f"/staff/members/{lid}?" + q,
                     "member-empty": f"/staff/members/{empty}?" + q, "new": "/staff/members/new?" + q}
            for name, url in shots.items():
                page.goto(live_server + url)
                page.screenshot(path=f"{OUT}/{name}-{label}-{lang}.png", full_page=True)
            ctx.close()
