"""Member care in the back office (CSRF on, as in production): search by every key on the
engine under test, the member page, and each action with its reason in the audit log."""

import re

import pytest
from sqlalchemy import func, select

from tests.api.test_merchant_apply import csrf_of
from tests.api.test_portal import post_form as portal_post
from tests.api.test_staff_pages import staff_log_in
from tests.sms import record_sms
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.members import services as member_services
from valliance.members.models import Member, TierChange
from valliance.members.services import member_import
from valliance.merchants.models import Merchant
from valliance.merchants.services import merchant_users
from valliance.messaging import OutboxMessage
from valliance.points import adjust
from valliance.staff import services as staff_services

PASSWORD = "care2026pw"


def make_staff(app, username: str, roles: tuple[str, ...]) -> str:
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username=username, name=username,
                                                 password=PASSWORD, roles=roles)
        db.session.commit()
        staff_id = staff.id
        db.session.remove()
    return staff_id


@pytest.fixture
def carer(app, client):
    """A signed-in staff user with the member_care role; its id."""
    staff_id = make_staff(app, "carer", ("member_care",))
    assert staff_log_in(client, "carer", PASSWORD).status_code == 302
    return staff_id


def enrol(app, phone: str, name: str, *, password: str | None = "secret123",
          points: int = 0, tier: str = "standard") -> dict:
    with app.app_context():
        member = member_services.enroll_member(db.session, phone=phone, name=name,
                                               password=password, opening_points=points,
                                               tier=tier)
        db.session.commit()
        made = {"id": member.id, "card": member.card.number, "phone": phone}
        db.session.remove()
    return made


def found_names(client, q: str) -> list[str]:
    html = client.get("/staff/members", query_string={"q": q}).get_data(as_text=True)
    return re.findall(r'<td class="text mc-who"><a href="/staff/members/[^"]+">([^<]+)</a>', html)


def act(client, member_id: str, action: str, reason: str = "会员来电，核实身份", **fields):
    page = f"/staff/members/{member_id}"
    html = client.get(page).get_data(as_text=True)
    data = {f"{action}-reason": reason, f"{action}-confirm": "y",
            **{f"{action}-{k}": v for k, v in fields.items()},
            f"{action}-csrf_token": csrf_of(html)}
    return client.post(f"{page}/{action}", data=data)


def events(app, member_id: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.reason)
                                  .where(AuditEvent.subject == member_id)
                                  .order_by(AuditEvent.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def member_row(app, member_id: str) -> Member:
    with app.app_context():
        member = db.session.get(Member, member_id)
        cards = [(c.number, c.status) for c in member.cards]
        db.session.expunge(member)
        db.session.remove()
    member.card_list = cards
    return member


# --- search ------------------------------------------------------------------------------


@pytest.fixture
def people(app):
    return {"zhang": enrol(app, "13800138000", "张三"),
            "zeng": enrol(app, "13912345678", "曾小明"),
            "tom": enrol(app, "13700001111", "Tom 李")}


def test_search_by_phone_full_and_partial(client, carer, people):
    assert found_names(client, "13800138000") == ["张三"]
    assert found_names(client, "+86 138-0013-8000") == ["张三"]
    assert found_names(client, "2345") == ["曾小明"]
    assert found_names(client, "0001111") == ["Tom 李"]


def test_search_by_any_four_digits_of_any_card(app, client, carer, people):
    number = people["zeng"]["card"]
    assert "曾小明" in found_names(client, number)
    assert "曾小明" in found_names(client, number[5:9])
    # A replaced card still finds its member, and the page says which card matched.
    with app.app_context():
        card = db.session.get(Member, people["zeng"]["id"]).card
        member_services.reissue_card(db.session, card)
        db.session.commit()
    html = client.get("/staff/members", query_string={"q": number}).get_data(as_text=True)
    assert "曾小明" in html and "匹配旧卡 " + number[-4:] in html


def test_search_by_name_and_pinyin_and_initials(client, carer, people):
    assert found_names(client, "张") == ["张三"]
    assert found_names(client, "小明") == ["曾小明"]
    assert found_names(client, "zhangsan") == ["张三"]
    assert found_names(client, "ZhangSan") == ["张三"]
    assert found_names(client, "zengxiaoming") == ["曾小明"]  # a surname's reading
    assert found_names(client, "zxm") == ["曾小明"]
    assert found_names(client, "zs") == ["张三"]
    assert found_names(client, "tom") == ["Tom 李"]


def test_imported_and_renamed_members_are_found_by_pinyin(app, client, carer):
    with app.app_context():
        member_import.import_members(db.session, [(2, {"phone": "13600000001", "name": "王五"})])
        db.session.commit()
        member_import.import_members(db.session, [(2, {"phone": "13600000001", "name": "赵六"})])
        db.session.commit()
        db.session.remove()
    assert found_names(client, "zhaoliu") == ["赵六"]
    assert found_names(client, "wangwu") == []


def test_a_tier_alone_lists_its_members_and_narrows_a_search(app, client, carer, people):
    enrol(app, "13600006666", "金卡王五", tier="gold")
    enrol(app, "13600007777", "金卡张六", tier="gold")

    def listed(**args):
        html = client.get("/staff/members", query_string=args).get_data(as_text=True)
        return re.findall(r'<td class="text mc-who"><a href="/staff/members/[^"]+">([^<]+)</a>',
                          html), html

    names, html = listed(tier="gold")
    assert sorted(names) == ["金卡张六", "金卡王五"] and 'value="gold" selected' in html
    assert listed(tier="gold", q="张")[0] == ["金卡张六"]
    assert listed(tier="diamond")[0] == [] and "没有符合条件的会员" in listed(tier="diamond")[1]
    assert listed(tier="platinum")[0] == []  # an unknown tier is no filter: nothing typed


def test_short_queries_empty_results_and_pages(app, client, carer, people):
    assert "请至少输入4位数字" in client.get("/staff/members?q=138").get_data(as_text=True)
    assert "请至少输入2个字母" in client.get("/staff/members?q=z").get_data(as_text=True)
    assert "没有找到符合“99999”的会员" in client.get("/staff/members?q=99999").get_data(
        as_text=True)
    assert "输入手机号" in client.get("/staff/members").get_data(as_text=True)
    for n in range(25):
        enrol(app, f"1550000{n:04d}", f"李{n:02d}", password=None)
    first = client.get("/staff/members?q=1550000").get_data(as_text=True)
    assert "找到 25 位会员" in first and "第 1 / 2 页" in first
    second = client.get("/staff/members?q=1550000&page=2").get_data(as_text=True)
    assert len(re.findall(r'<td class="text mc-who">', second)) == 5
    past = client.get("/staff/members?q=1550000&page=9").get_data(as_text=True)
    assert "第 2 / 2 页" in past
    # a page whose offset PostgreSQL's BIGINT cannot hold is the last page, not a 500
    for args in ("q=1550000", "q=li", "everyone=1"):
        huge = client.get(f"/staff/members?{args}&page={2**63 - 1}")
        assert huge.status_code == 200 and "第 2 / 2 页" in huge.get_data(as_text=True)


def test_results_show_tier_status_card_and_balance(app, client, carer):
    made = enrol(app, "13811112222", "钱七", points=1234, tier="gold")
    html = client.get("/staff/members?q=qianqi").get_data(as_text=True)
    assert "金卡" in html and "1,234" in html and made["card"][-4:] in html
    assert "13811112222" in html  # staff see the whole phone


# --- the member page ---------------------------------------------------------------------


def test_member_page_shows_cards_points_and_the_adjustment_links(app, client, carer, people):
    member_id = people["zhang"]["id"]
    with app.app_context():
        member = db.session.get(Member, member_id)
        adjust(db.session, member_account=member.points_account_id, points=500,
               reason="goodwill", actor="test")
        db.session.commit()
    html = client.get(f"/staff/members/{member_id}").get_data(as_text=True)
    assert "张三" in html and "13800138000" in html and people["zhang"]["card"][-4:] in html
    assert 'id="balance">500<' in html
    assert "积分调整" in html  # the ledger row's kind
    assert client.get("/staff/members/mem_nobody").status_code == 404


def test_secret_messages_are_masked_on_the_member_page(app, client, carer):
    made = enrol(app, "13822223333", "孙八", password=None)
    record_sms(app, pytest.MonkeyPatch())
    assert act(client, made["id"], "claim_sms").status_code == 302
    html = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    assert "验证码短信，内容不显示" in html and "验证码是" not in html


# --- actions -----------------------------------------------------------------------------


def test_freeze_and_unfreeze_are_audited_with_the_reason(app, client, carer, people):
    member_id = people["zhang"]["id"]
    assert act(client, member_id, "freeze", "疑似盗用").status_code == 302
    assert member_row(app, member_id).membership_status == "frozen"
    assert act(client, member_id, "unfreeze", "本人到厅核实").status_code == 302
    assert member_row(app, member_id).membership_status == "active"
    assert events(app, member_id) == [("member.freeze", f"staff:{carer}", "疑似盗用"),
                                      ("member.unfreeze", f"staff:{carer}", "本人到厅核实")]
    again = act(client, member_id, "unfreeze", "再次恢复")
    assert "会员资格已是该状态" in again.get_data(as_text=True)
    with app.app_context():
        member_services.set_membership(db.session, db.session.get(Member, member_id), "expired")
        db.session.commit()
    expired = act(client, member_id, "unfreeze", "过期的也恢复")
    assert "会员资格已过期" in expired.get_data(as_text=True)
    assert member_row(app, member_id).membership_status == "expired"
    assert len(events(app, member_id)) == 2


def test_every_action_refuses_without_a_reason(app, client, carer):
    member_id = enrol(app, "13866667777", "何五", password=None)["id"]
    for action in ("freeze", "lost", "reissue", "tier", "claim_sms"):
        response = act(client, member_id, action, "  ", tier="gold")
        assert response.status_code == 200 and "请填写原因" in response.get_data(as_text=True)
    assert events(app, member_id) == []
    assert member_row(app, member_id).membership_status == "active"


def test_destructive_actions_need_the_confirmation(app, client, carer, people):
    member_id = people["zhang"]["id"]
    page = f"/staff/members/{member_id}"
    html = client.get(page).get_data(as_text=True)
    response = client.post(f"{page}/lost", data={"lost-reason": "丢失",
                                                 "lost-csrf_token": csrf_of(html)})
    assert "请勾选确认" in response.get_data(as_text=True)
    assert member_row(app, member_id).card_list[0][1] == "active"


def test_report_lost_then_reissue_keeps_the_points_and_texts_the_member(app, client, carer):
    sms = record_sms(app, pytest.MonkeyPatch())
    made = enrol(app, "13833334444", "周九", points=800)
    assert act(client, made["id"], "lost", "会员来电挂失").status_code == 302
    assert dict(member_row(app, made["id"]).card_list)[made["card"]] == "lost"
    response = act(client, made["id"], "reissue", "会员申请补卡")
    assert response.status_code == 302
    cards = dict(member_row(app, made["id"]).card_list)
    new_number = next(n for n, s in cards.items() if s == "active")
    assert cards[made["card"]] == "replaced" and new_number != made["card"]
    html = client.get(response.location).get_data(as_text=True)
    assert new_number[-4:] in html and 'id="balance">800<' in html
    assert any(f"新卡尾号 {new_number[-4:]}" in body for body in sms.to("13833334444"))
    assert [e[0] for e in events(app, made["id"])] == ["card.lost", "card.reissue"]


def test_change_tier_outside_the_review(app, client, carer, people):
    member_id = people["zhang"]["id"]
    assert act(client, member_id, "tier", "投诉补偿升级", tier="gold").status_code == 302
    assert member_row(app, member_id).tier == "gold"
    with app.app_context():
        change = db.session.scalar(select(TierChange).where(TierChange.member_id == member_id))
        assert (change.from_tier, change.to_tier) == ("standard", "gold")
        assert "投诉补偿升级" in change.reason
    assert events(app, member_id) == [("member.tier", f"staff:{carer}", "投诉补偿升级")]
    same = act(client, member_id, "tier", "再来一次", tier="gold")
    assert "会员已是该等级" in same.get_data(as_text=True)


def test_enrol_a_member_issues_a_card_and_texts_how_to_claim(app, client, carer):
    sms = record_sms(app, pytest.MonkeyPatch())
    response = post_form_page(client, "/staff/members/new", {
        "phone": "13844445555", "name": "吴十", "tier": "silver", "reason": "营业厅办理"})
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.phone == "13844445555"))
        assert (member.name, member.tier, member.password_hash) == ("吴十", "silver", None)
        assert member.card is not None and member.name_pinyin == "wushi"
        member_id, last4 = member.id, member.card.last4
        db.session.remove()
    assert any(f"卡号尾号 {last4}" in body for body in sms.to("13844445555"))
    assert events(app, member_id) == [("member.enrol", f"staff:{carer}", "营业厅办理")]
    again = post_form_page(client, "/staff/members/new", {
        "phone": "13844445555", "name": "吴十", "tier": "standard", "reason": "重复"})
    assert "该手机号已注册" in again.get_data(as_text=True)
    no_reason = post_form_page(client, "/staff/members/new", {
        "phone": "13844446666", "name": "郑一", "tier": "standard", "reason": ""})
    assert "请填写原因" in no_reason.get_data(as_text=True)


def post_form_page(client, url: str, data: dict):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_of(html)})


def test_resend_claim_sms_only_before_claiming_and_within_the_otp_limit(app, client, carer):
    sms = record_sms(app, pytest.MonkeyPatch())
    made = enrol(app, "13855556666", "冯二", password=None)
    for _ in range(3):
        assert act(client, made["id"], "claim_sms", "会员没收到").status_code == 302
    assert len([b for b in sms.to("13855556666") if "验证码是" in b]) == 3
    limited = act(client, made["id"], "claim_sms", "还是没收到")
    assert limited.status_code == 200 and "请求过于频繁" in limited.get_data(as_text=True)
    assert len(events(app, made["id"])) == 3
    claimed = enrol(app, "13855557777", "陈三")
    refused = act(client, claimed["id"], "claim_sms", "会员要求")
    assert "会员已激活账户" in refused.get_data(as_text=True)


# --- who may ---------------------------------------------------------------------------


def test_staff_without_member_care_get_403(app, client, people):
    make_staff(app, "cashdesk", ("finance",))
    assert staff_log_in(client, "cashdesk", PASSWORD).status_code == 302
    member_id = people["zhang"]["id"]
    for url in ("/staff/members", f"/staff/members/{member_id}", "/staff/members/new"):
        assert client.get(url).status_code == 403, url
    token = csrf_of(client.get("/staff/").get_data(as_text=True))  # the sign-out form's
    answer = client.post(f"/staff/members/{member_id}/freeze",
                         data={"freeze-reason": "试试", "freeze-confirm": "y",
                               "freeze-csrf_token": token, "csrf_token": token})
    assert answer.status_code == 403
    assert member_row(app, member_id).membership_status == "active"


def test_an_admin_may(app, client, people):
    make_staff(app, "boss", ("admin",))
    assert staff_log_in(client, "boss", PASSWORD).status_code == 302
    assert client.get("/staff/members?q=zs").status_code == 200


def test_a_merchant_user_gets_403_and_a_visitor_signs_in(app, client, people):
    assert client.get("/staff/members").status_code == 302
    with app.app_context():
        from tests.api.pos_helpers import shop
        made = shop(db.session)
        merchant = db.session.get(Merchant, made.merchant.id)
        merchant_users.add_merchant_user(db.session, merchant, phone="13700000001", name="王老板",
                                         password=PASSWORD, role="owner", actor="test")
        db.session.commit()
    assert portal_post(client, "/merchant/login", {"phone": "13700000001",
                                                   "password": PASSWORD}).status_code == 302
    assert client.get("/staff/members").status_code == 403
    assert client.get(f"/staff/members/{people['zhang']['id']}").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_member_page_lists_purchases_payments_referrals_and_messages(app, client, carer):
    from tests.api.pos_helpers import buy, shop
    from valliance.directory.models import Referral
    from valliance.directory.services import create_operator
    from valliance.ids import new_id
    from valliance.payments.models import Payment

    made = enrol(app, "13877778888", "卫七", points=0)
    with app.app_context():
        store = shop(db.session, name="江心屿咖啡", offer={"percent_off": 10, "points_per_yuan": 1})
        db.session.add(Payment(id=new_id("pay"), member_id=made["id"], kind="bill", amount=12850,
                               status="succeeded", points_credited=128))
        operator, _ = create_operator(db.session, "温州114话务台")
        db.session.add(Referral(id=new_id("ref"), operator_id=operator.id, member_id=made["id"],
                                caller_has_vcard=True, merchant_id=store.merchant.id))
        db.session.commit()
    assert buy(client, store, made["card"], 20000).status_code == 201
    assert act(client, made["id"], "freeze", "会员要求暂停").status_code == 302
    html = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    purchases = html[html.index('id="purchases"'):html.index('id="payments"')]
    assert "江心屿咖啡" in purchases and "¥200.00" in purchases and "¥20.00" in purchases
    payments = html[html.index('id="payments"'):html.index('id="referrals"')]
    assert "¥128.50" in payments and "话费缴纳" in payments
    referrals = html[html.index('id="referrals"'):html.index('id="messages"')]
    assert "江心屿咖啡" in referrals and "温州114话务台" in referrals
    actions = html[html.index('id="actions-log"'):]
    assert "冻结会员资格" in actions and "会员要求暂停" in actions and "carer" in actions
    assert "staff:" not in actions  # staff are named, not shown by id


def test_pages_in_english(app, client, carer, people):
    search = client.get("/staff/members?q=zs&lang=en").get_data(as_text=True)
    assert "Member care" in search and "1 members found" in search
    page = client.get(f"/staff/members/{people['zhang']['id']}?lang=en").get_data(as_text=True)
    assert "Annual spend" in page and "Report the current card lost" in page


def test_the_ledger_pages_back_in_time(app, client, carer, people):
    member_id = people["zhang"]["id"]
    with app.app_context():
        account = db.session.get(Member, member_id).points_account_id
        for n in range(1, 26):
            adjust(db.session, member_account=account, points=n, reason="goodwill", actor="test")
        db.session.commit()
    first = client.get(f"/staff/members/{member_id}").get_data(as_text=True)
    ledger = first[first.index('id="ledger"'):first.index('id="purchases"')]
    assert ledger.count("<tr><td") == 20 and "+25" in ledger and "+5<" not in ledger
    older = re.search(r'href="([^"]+before=\d+)#ledger"', ledger).group(1)
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    ledger = second[second.index('id="ledger"'):second.index('id="purchases"')]
    assert ledger.count("<tr><td") == 5 and "+1<" in ledger and "更早" not in ledger


@pytest.mark.parametrize("q", ["%", "_", "\\", "'", "<b>张</b>", "张%", "1_3", "x" * 500, "\u3000"])
def test_odd_queries_are_searched_as_typed(client, carer, people, q):
    response = client.get("/staff/members", query_string={"q": q})
    assert response.status_code == 200
    assert "<b>张</b>" not in response.get_data(as_text=True)
    assert found_names(client, q) == []


@pytest.mark.postgres_only
def test_two_reissues_at_once_leave_the_member_one_live_card(app, carer, run_threads):
    """Two staff (or a double submit) reissuing at once: the member row is locked, so the
    second replaces the first one's new card — never two cards both live (PostgreSQL; SQLite
    writes one transaction at a time)."""
    import threading

    from valliance.backoffice.services import member_care
    from valliance.members.models import Card
    made = enrol(app, "13912345678", "并发补卡")
    both_read = threading.Barrier(2)

    def reissue(_):
        member = db.session.get(Member, made["id"])
        assert member.card.status == "active"  # each request has read the member and its card
        both_read.wait()
        member_care.act(db.session, carer, member, "reissue", reason="两位客服同时补卡",
                        support_phone="400")
        db.session.commit()

    run_threads(2, reissue)
    with app.app_context():
        statuses = sorted(db.session.scalars(select(Card.status).where(
            Card.member_id == made["id"])))
        db.session.remove()
    assert statuses == ["active", "replaced", "replaced"]
