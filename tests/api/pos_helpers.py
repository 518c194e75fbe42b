"""Building blocks for POS API tests: a merchant with a terminal, a member with a card."""

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import object_session

from valliance.members import codes as cards
from valliance.members import services as members
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.secret_box import unseal

PURCHASES = "/api/v1/pos/purchases"
QUOTE = "/api/v1/pos/quote"
ERROR_KEYS = {"error", "message", "details"}
QUOTE_KEYS = {"merchant_id", "card_last4", "tier", "amount", "percent_off", "discount",
              "redeem_points", "points_value", "payable", "points_earned", "points_balance",
              "coupon", "coupon_value"}
#: GET /api/v1/pos/purchases/{id} (with "refunds")
DETAIL_KEYS = QUOTE_KEYS | {"id", "reference", "refunded_amount", "created_at"}
#: POST /api/v1/pos/purchases: the coupons the sale earned by 满就送 rules too (issue #18)
PURCHASE_KEYS = DETAIL_KEYS | {"coupons_issued"}
REFUND_KEYS = {"id", "purchase_id", "amount", "cash_refund", "points_reversed",
               "points_returned", "points_balance", "created_at"}

_keys = itertools.count(1)
_phones = itertools.count(13800138000)


@dataclass
class Shop:
    merchant: object
    terminal: object
    api_key: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}


def new_key() -> str:
    return f"key-{next(_keys)}"


def shop(session, name="老王火锅", *, approved=True, offer=None) -> Shop:
    """An approved merchant with one terminal; offer: kwargs for create_offer (or None)."""
    merchant = create_merchant(session, name=name, category="餐饮", district="鹿城镇",
                               avg_spend=8000, approved=approved)
    if offer is not None:
        create_offer(session, merchant, **{"title": "会员折扣", **offer})
    terminal, key = create_terminal(session, merchant)
    session.commit()
    return Shop(merchant, terminal, key)


def member(session, *, tier="standard", points=0, phone=None):
    """A member with an active card; returns (member, card)."""
    enrolled = members.enroll_member(session, phone=phone or str(next(_phones)), name="王小明",
                                     password="secret123", tier=tier, opening_points=points)
    session.commit()
    return enrolled, enrolled.card


def pay_code(card, **kwargs) -> str:
    """The card's current pay code (its use count read again: every redemption moves it)."""
    session = object_session(card)
    if session is not None:
        session.refresh(card)
    return cards.pay_code(card.number, unseal(card.pay_secret), card.pay_code_uses,
                          **kwargs)[0]


def buy(client, shop_: Shop, card: str, amount: int, *, key=None, redeem=0, reference=None,
        headers=None):
    body = {"card": card, "amount": amount}
    if redeem:
        body["redeem_points"] = redeem
    if reference is not None:
        body["reference"] = reference
    return client.post(PURCHASES, json=body,
                       headers={**shop_.headers, "Idempotency-Key": key or new_key(),
                                **(headers or {})})


def refund(client, shop_: Shop, purchase_id: str, amount=None, *, key=None):
    body = {} if amount is None else {"amount": amount}
    return client.post(f"{PURCHASES}/{purchase_id}/refunds", json=body,
                       headers={**shop_.headers, "Idempotency-Key": key or new_key()})


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["error"] == code, body
    return body
