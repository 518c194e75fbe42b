"""/me/history says where each row came from: the merchant, the purchase, the bill paid."""

import re

from sqlalchemy import event

from tests.api import pos_helpers as pos
from tests.api.test_portal import log_in
from valliance.extensions import db
from valliance.members.models import Member
from valliance.payments import services as payments


def _rows(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r'<li class="ledger-entry".*?</li>', html, re.S)]


def _shop_and_member(app):
    with app.app_context():
        shop = pos.shop(db.session, offer={"percent_off": 10, "points_per_yuan": 1})
        member, card = pos.member(db.session, points=1000, phone="13800138000")
        return shop, card.number


def test_purchase_rows_show_the_merchant_and_the_purchase_amount(app, client):
    shop, card = _shop_and_member(app)
    with app.app_context():
        card_row = db.session.scalar(db.select(Member)).card
        code = pos.pay_code(card_row)
    bought = pos.buy(client, shop, code, 12850, redeem=100)
    assert bought.status_code == 201, bought.get_data(as_text=True)
    assert pos.refund(client, shop, bought.get_json()["id"]).status_code == 201
    log_in(client)
    rows = _rows(client.get("/me/history").get_data(as_text=True))
    by_kind = {row.split(" ")[0]: row for row in rows}
    for kind in ("积分获得", "积分抵扣", "积分冲回", "积分退还"):
        assert "老王火锅 · 消费 ¥128.50" in by_kind[kind], rows
    english = _rows(client.get("/me/history?lang=en").get_data(as_text=True))
    assert any("老王火锅 · purchase ¥128.50" in row for row in english)


def test_payment_rows_say_what_was_paid(app, client):
    with app.app_context():
        member, _ = pos.member(db.session, phone="13800138000")
        bill = payments.start_payment(db.session, member, "bill", 10000)
        payments.succeed_payment(db.session, bill, amount=10000, currency="cny")
        fee = payments.start_payment(db.session, member, "vip_fee", None)
        payments.succeed_payment(db.session, fee, amount=fee.amount, currency="cny")
        payments.refund_payment(db.session, bill, 10000)
        db.session.commit()
    log_in(client)
    rows = _rows(client.get("/me/history").get_data(as_text=True))
    assert any(row.startswith("缴费积分 话费缴纳 ¥100.00") for row in rows), rows
    assert any(row.startswith("缴费积分 VIP年费 ¥360.00") for row in rows), rows
    assert any(row.startswith("积分冲回 话费缴纳 ¥100.00") for row in rows), rows


def test_a_page_of_history_costs_the_same_number_of_queries_however_long(app, client):
    shop, card = _shop_and_member(app)
    log_in(client)

    def queries_for_page() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def listener(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/me/history").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    assert pos.buy(client, shop, card, 1000).status_code == 201
    one = queries_for_page()
    for _ in range(6):
        assert pos.buy(client, shop, card, 1000).status_code == 201
    assert queries_for_page() == one
