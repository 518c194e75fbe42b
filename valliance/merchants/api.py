"""POS API (contract §5): quote, purchase, purchase detail, refunds. Terminal keys only."""

from decimal import Decimal

from flask import request
from flask_smorest import Blueprint

from valliance import credentials
from valliance.api_support import answer, iso_shanghai, json_body, load
from valliance.db import run_in_transaction
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.merchants import pos
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.merchants.schemas import (
    PurchaseIn,
    PurchaseOut,
    QuoteIn,
    QuoteOut,
    RefundIn,
    RefundOut,
)
from valliance.points.idempotency import claim_key, request_fingerprint, store_response

bp = Blueprint("pos_api", __name__, url_prefix="/api/v1/pos",
               description="Point-of-sale terminals: quote, purchase, refund.")

KEY_HEADER = "Idempotency-Key"


def _number(percent: Decimal) -> int | float:
    # A JSON number as the contract shows it: 12, 12.5 (never a string).
    return int(percent) if percent == percent.to_integral_value() else float(percent)


def _terminal_merchant():
    terminal = credentials.require("terminal")
    return terminal, db.session.get(Merchant, terminal.merchant_id)


def _load_with_key(schema, body: dict) -> tuple[dict, str]:
    """Validate the body and the Idempotency-Key header together (one 422 with both)."""
    details: dict = {}
    data: dict = {}
    try:
        data = load(schema, body)
    except ValidationError as exc:
        details.update(exc.details)
    key = request.headers.get(KEY_HEADER, "")
    if not 1 <= len(key) <= 255:
        details[KEY_HEADER] = ["必填，1–255 个字符 / required, 1–255 characters"]
    if details:
        raise ValidationError(details=details)
    return data, key


def _quote_json(merchant: Merchant, quote: pos.Quote, amount: int) -> dict:
    price = quote.price
    return {"merchant_id": merchant.id, "card_last4": quote.card.last4,
            "tier": quote.card.member.tier, "amount": amount,
            "percent_off": _number(price.percent_off), "discount": price.discount,
            "redeem_points": price.redeem_points, "points_value": price.points_value,
            "payable": price.payable, "points_earned": price.points_earned,
            "points_balance": quote.points_balance}


def refund_json(refund: Refund) -> dict:
    return {"id": refund.id, "purchase_id": refund.purchase_id, "amount": refund.amount,
            "cash_refund": refund.cash_refund, "points_reversed": refund.points_reversed,
            "points_returned": refund.points_returned, "points_balance": refund.points_balance,
            "created_at": iso_shanghai(refund.created_at)}


def purchase_json(purchase: Purchase, card_last4: str, *, with_refunds: bool = False) -> dict:
    body = {"id": purchase.id, "reference": purchase.reference,
            "merchant_id": purchase.merchant_id, "card_last4": card_last4,
            "tier": purchase.tier, "amount": purchase.amount,
            "percent_off": _number(purchase.percent_off), "discount": purchase.discount,
            "redeem_points": purchase.redeem_points, "points_value": purchase.points_value,
            "payable": purchase.payable, "points_earned": purchase.points_earned,
            "points_balance": purchase.points_balance,
            "refunded_amount": purchase.refunded_amount,
            "created_at": iso_shanghai(purchase.created_at)}
    if with_refunds:
        body["refunds"] = [refund_json(refund) for refund in purchase.refunds]
    return body


def _idempotent(merchant: Merchant, key: str, request_data: dict, work):
    """Run work once per (merchant, key, body); replay its stored answer afterwards."""
    # The validated request, defaults filled in: {"amount": 5} and {"amount": 5,
    # "redeem_points": 0} are the same sale.
    fingerprint = request_fingerprint(request.method, request.path, request_data)

    def attempt():
        claim = claim_key(db.session, f"merchant:{merchant.id}", key, fingerprint)
        if claim.replay:
            return claim.replay.status, claim.replay.body, True
        status, answer_body = work()
        store_response(db.session, claim, status, answer_body)
        return status, answer_body, False

    status, answer_body, replayed = run_in_transaction(db.session, attempt)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return answer(answer_body, status, headers)


@bp.post("/quote")
@bp.doc(summary="Price a sale without recording it",
        requestBody={"content": {"application/json": {"schema": QuoteIn}}})
@bp.response(200, QuoteOut)
def create_quote():
    """The discount, points and balance a purchase would give; nothing is recorded."""
    _, merchant = _terminal_merchant()
    data = load(QuoteIn, json_body())
    quote = pos.quote(db.session, merchant, data["card"], data["amount"],
                      data["redeem_points"])
    body = _quote_json(merchant, quote, data["amount"])
    db.session.rollback()
    return answer(body)


@bp.post("/purchases")
@bp.doc(summary="Record a sale (Idempotency-Key header required)",
        requestBody={"content": {"application/json": {"schema": PurchaseIn}}})
@bp.response(201, PurchaseOut)
def create_purchase():
    """Record a purchase once per Idempotency-Key; replays answer the first result."""
    terminal, merchant = _terminal_merchant()
    body = json_body()
    data, key = _load_with_key(PurchaseIn, body)

    def work():
        purchase = pos.record_purchase(db.session, merchant, terminal.id, data["card"],
                                       data["amount"], data["redeem_points"],
                                       data["reference"])
        last4 = purchase.card_id and db.session.get(pos.Card, purchase.card_id).last4
        return 201, purchase_json(purchase, last4)

    return _idempotent(merchant, key, data, work)


@bp.get("/purchases/<purchase_id>")
@bp.response(200, PurchaseOut)
def get_purchase(purchase_id: str):
    """A purchase of this terminal's merchant, with its refunds."""
    _, merchant = _terminal_merchant()
    purchase = pos.find_purchase(db.session, merchant, purchase_id)
    last4 = db.session.get(pos.Card, purchase.card_id).last4
    return answer(purchase_json(purchase, last4, with_refunds=True))


@bp.post("/purchases/<purchase_id>/refunds")
@bp.doc(summary="Refund part or all of a purchase (Idempotency-Key header required)",
        requestBody={"content": {"application/json": {"schema": RefundIn}}})
@bp.response(201, RefundOut)
def create_refund(purchase_id: str):
    """Give back cash and points in proportion; omitted amount = all that remains."""
    _, merchant = _terminal_merchant()
    body = json_body()
    data, key = _load_with_key(RefundIn, body)

    def work():
        refund = pos.refund_purchase(db.session, merchant, purchase_id, data["amount"])
        return 201, refund_json(refund)

    return _idempotent(merchant, key, data, work)
