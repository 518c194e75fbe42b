"""A refund over what remains says, in yuan, how much can still be refunded (API and portal)."""

import pytest

from tests.api.pos_helpers import assert_error, buy, member, refund, shop
from tests.api.test_merchant_portal import TOKEN, sell, sign_in, store  # noqa: F401
from tests.api.test_portal import csrf_of


def test_refund_over_what_remains_names_the_limit_in_yuan(client, session):
    s = shop(session)
    _, card = member(session)
    sold = buy(client, s, card.number, 10_000).get_json()
    assert refund(client, s, sold["id"], 2_500).status_code == 201
    body = assert_error(refund(client, s, sold["id"], 7_501), 422, "refund_exceeds_purchase")
    assert body["details"] == {"amount": ["最多可退 ¥75.00 / At most ¥75.00 can be refunded"]}
    assert "¥75.00" in body["message"].split(" / ")[0]
    assert "¥75.00" in body["message"].split(" / ")[1]
    assert "7500" not in body["message"] and "7500" not in str(body["details"])


def test_refund_of_a_purchase_refunded_in_full_says_nothing_is_left(client, session):
    s = shop(session)
    _, card = member(session)
    sold = buy(client, s, card.number, 1_000).get_json()
    assert refund(client, s, sold["id"]).status_code == 201
    body = assert_error(refund(client, s, sold["id"]), 422, "refund_exceeds_purchase")
    assert "已全部退款" in body["message"] and "¥0.00" not in body["message"]


@pytest.mark.parametrize("lang, expected, absent", [
    ("zh_CN", "最多可退 ¥100.00", "At most"),
    ("en", "At most ¥100.00 can be refunded", "最多可退"),
])
def test_portal_refund_form_says_the_most_that_can_be_refunded_in_yuan(
        app, client, store, lang, expected, absent):  # noqa: F811
    sold = sell(app, client, store["headers"], 10_000)
    sign_in(client)
    page = client.get(f"/merchant/purchases/{sold['id']}?lang={lang}").get_data(as_text=True)
    response = client.post(f"/merchant/purchases/{sold['id']}/refunds", data={
        "csrf_token": csrf_of(page), "token": TOKEN.search(page).group(1), "amount": "100.01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected in html and absent not in html and "10000" not in html
