"""/merchant/activity tells each event as a sentence in the reader's language: names, yuan,
no internal ids, no keys, no Python values; unknown kinds still read as a sentence."""

import html
import re

from sqlalchemy import select

from tests.api import test_merchant_portal as portal
from tests.api.test_portal import post_form
from valliance.audit import record_event
from valliance.extensions import db
from valliance.merchants.models import Merchant, MerchantUser, Offer
from valliance.merchants.services import merchant_users as users
from valliance.merchants.services import refunds
from valliance.merchants.services.terminals import create_terminal, revoke_terminal

store = portal.store  # the fixture: 老王火锅 with 王老板 (owner) and 李收银 (cashier)


def make_history(app, client, store):
    """Real changes through the portal and the services, one of every kind the shop sees."""
    sold = portal.sell(app, client, store["headers"], 12_850)
    portal.sign_in(client)
    offer = {"title": "V卡8.8折", "description": "", "unit": "zhe", "discount": "8.8",
             "points_per_yuan": "2", "valid_from": "", "valid_until": "", "active": "y"}
    assert post_form(client, "/merchant/offers/new", offer).status_code == 302
    with app.app_context():
        merchant = db.session.get(Merchant, store["merchant_id"])
        offer_id = db.session.scalar(select(Offer.id).where(Offer.title == "V卡8.8折"))
    assert post_form(client, f"/merchant/offers/{offer_id}",
                     {**offer, "discount": "9", "gold_discount": "8.5",
                      "active": ""}).status_code == 302
    with app.app_context():
        merchant = db.session.get(Merchant, store["merchant_id"])
        owner = f"merchant_user:{store['owner_id']}"
        terminal, _ = create_terminal(db.session, merchant, "前台2号", actor=owner)
        revoke_terminal(db.session, terminal.id, actor=owner)
        cashier = db.session.get(MerchantUser, store["cashier_id"])
        users.set_user_active(db.session, cashier, False, actor=owner)
        users.set_user_active(db.session, cashier, True, actor=owner)
        refunds.refund_once(db.session, merchant, sold["id"], 5_000, token="t" * 20,
                            actor=f"merchant_user:{store['cashier_id']}")
        record_event(db.session, actor="staff:stf_1", action="merchant.suspend",
                     subject=merchant.id, merchant_id=merchant.id, note="证照过期",
                     from_status="approved", to_status="suspended")
        record_event(db.session, actor="staff:stf_1", action="payout.paid", subject="set_1",
                     merchant_id=merchant.id, statement="stm_1", amount_fen=123_450,
                     reference="BANK-778")
        record_event(db.session, actor=owner, action="loyalty.bonus_rule", subject="xyz_9",
                     merchant_id=merchant.id, enabled=True, amount_fen=500)
        db.session.commit()
        return [*db.session.scalars(select(Offer.id)), *db.session.scalars(
            select(MerchantUser.id)), terminal.id, sold["id"], merchant.id]


def text_of(page: str) -> str:
    body = page.split('<ol class="activity')[1].split("</ol>")[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_activity_reads_as_chinese_sentences_with_names_and_yuan(app, client, store):
    ids = make_history(app, client, store)
    text = text_of(client.get("/merchant/activity").get_data(as_text=True))
    for sentence in (
        "王老板 新建了优惠「V卡8.8折」（8.8折，每消费1元积2分）",
        "王老板 修改了优惠「V卡8.8折」：折扣 8.8折 → 9折；等级折扣 无 → 金卡 8.5折；停用",
        "李收银 为一笔 ¥128.50 的消费退款 ¥50.00",
        "王老板 新建了终端「前台2号」", "王老板 吊销了终端「前台2号」",
        "王老板 停用了「李收银」的账号", "王老板 恢复了「李收银」的账号",
        "联盟工作人员 暂停了本店，原因：证照过期",
        "联盟工作人员 向本店支付了 本期 的结算款 ¥1,234.50（付款参考号 BANK-778）",
        "王老板 对本店做了一项更改",  # a kind the trail does not know yet
    ):
        assert sentence in text, sentence
    for leak in (*ids, "True", "False", "percent_off", "offer.", "loyalty", "12850", "123450",
                 "{", "'"):
        assert leak not in text, leak


def test_activity_in_english_says_the_same_in_english(app, client, store):
    make_history(app, client, store)
    text = text_of(client.get("/merchant/activity?lang=en").get_data(as_text=True))
    for sentence in (
        "王老板 created the offer “V卡8.8折” (12% off, 2 points per ¥1)",
        "王老板 changed the offer “V卡8.8折”: discount 12% off → 10% off; tier rates none → "
        "Gold 15% off; switched off",
        "李收银 refunded ¥50.00 of a ¥128.50 purchase",
        "王老板 revoked the terminal “前台2号”",
        "Alliance staff suspended the shop: 证照过期",
        "王老板 made a change to the shop",
    ):
        assert sentence in text, sentence
    for data in ("王老板", "李收银", "V卡8.8折", "前台2号", "证照过期"):  # what people typed
        text = text.replace(data, "")
    assert not re.search(r"[\u4e00-\u9fff]", text)  # no Chinese words of the app's own


def test_activity_sentences_escape_what_people_typed(app, client, store):
    # An offer, a terminal and a reason written as markup or a template stay text
    portal.sign_in(client)
    offer = {"title": "<script>alert(1)</script>{{7*7}}", "description": "", "unit": "zhe",
             "discount": "9", "points_per_yuan": "1", "valid_from": "", "valid_until": "",
             "active": "y"}
    assert post_form(client, "/merchant/offers/new", offer).status_code == 302
    with app.app_context():
        merchant = db.session.get(Merchant, store["merchant_id"])
        create_terminal(db.session, merchant, '<img src=x onerror="alert(2)">',
                        actor=f"merchant_user:{store['owner_id']}")
        record_event(db.session, actor="staff:stf_1", action="merchant.suspend",
                     subject=merchant.id, merchant_id=merchant.id, note="</li><script>x()",
                     from_status="approved", to_status="suspended")
        db.session.commit()
    page = client.get("/merchant/activity").get_data(as_text=True)
    assert "<script>" not in page and "<img src=x" not in page and "</li><script>" not in page
    # the template syntax stays as typed, never evaluated ("49" could be any time of day)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page
    assert "&lt;img src=x onerror=" in page
