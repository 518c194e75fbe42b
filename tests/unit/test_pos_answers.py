"""The POS answers are rendered by hand (for speed), in exactly the documented *Out shapes."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

from valliance.merchants import pricing
from valliance.merchants.schemas import (
    PurchaseOut,
    QuoteOut,
    RefundOut,
    purchase_answer,
    purchase_detail,
    quote_answer,
    refund_answer,
)
from valliance.merchants.services.sale_context import Quote, SaleCard, SaleMember

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
ROW = {"id": "pur_1", "merchant_id": "mer_1", "terminal_id": "ter_1", "member_id": "mem_1",
       "card_id": "car_1", "offer_id": None, "reference": "小票 1", "tier": "gold",
       "amount": 12850, "percent_off": Decimal("12.5"), "discount": 1606, "redeem_points": 100,
       "points_value": 100, "payable": 11144, "points_earned": 200, "refunded_amount": 5000,
       "coupon_code": None, "coupon_value": 0,
       "created_at": AT}
REFUND = SimpleNamespace(id="ref_1", purchase_id="pur_1", amount=5000, cash_refund=4336,
                         points_reversed=77, points_returned=38, points_balance=1234,
                         created_at=AT)


def _same_shape(schema, answer: dict, *, without=()) -> None:
    assert set(answer) == set(schema.fields) - set(without)
    assert schema.dump(answer) == answer


def test_a_quote_answer_is_a_quote_out():
    card = SaleCard("car_1", "9123456789012345", "active", date(2030, 1, 1), "sealed", 0,
                    SaleMember("mem_1", "silver", "active", 7))
    price = pricing.Price(Decimal("8.75"), 875, 0, 0, 9125, 9)
    quote = Quote(card, None, price, 109, 100, 0)
    answer = quote_answer("mer_1", quote, 10000)
    _same_shape(QuoteOut(), answer)
    assert answer["card_last4"] == "2345" and answer["percent_off"] == 8.75


def test_a_purchase_answer_is_a_purchase_out():
    answer = purchase_answer(ROW, "2345", 1500)
    _same_shape(PurchaseOut(), answer, without={"refunds"})
    assert answer["points_balance"] == 1500 and answer["created_at"].endswith("+08:00")


def test_a_purchase_with_its_refunds_is_a_purchase_out():
    purchase = SimpleNamespace(**ROW, points_balance=1500, refunds=[REFUND])
    answer = purchase_detail(purchase, "2345")
    _same_shape(PurchaseOut(), answer)
    assert answer["refunds"] == [refund_answer(REFUND)]


def test_a_refund_answer_is_a_refund_out():
    _same_shape(RefundOut(), refund_answer(REFUND))
