"""POS API (contract §5): quote, purchase, purchase detail, refunds. Terminal keys only.

Quotes read their terminal together with the card (services.sale_context). On PostgreSQL a
purchase that needs nothing unusual is answered by the purchase lane beneath Flask (lane.py),
through the same service as here with the ledger's one-statement writer; anything else — an
error, a replay, a redemption, points owed, SQLite — comes here, which checks in the
contract's order and records through the ledger's generic writer.
"""

import logging
from contextlib import contextmanager

import psycopg
from flask import current_app, request
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from valliance import credentials, points
from valliance.api_support import answer, bearer_token, json_body, load
from valliance.db import run_in_transaction
from valliance.errors import InvalidJson, ValidationError, VallianceError
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.input_guard import unusable
from valliance.members.models import Card
from valliance.merchants.models import Merchant
from valliance.merchants.schemas import (
    PosTerminalOut,
    PurchaseCreatedOut,
    PurchaseIn,
    PurchaseOut,
    QuoteIn,
    QuoteOut,
    RefundIn,
    RefundOut,
    purchase_detail,
    quote_answer,
    refund_answer,
)
from valliance.merchants.services import purchases, refunds, sale_context
from valliance.merchants.services.sale_context import SaleContext

log = logging.getLogger(__name__)

bp = Blueprint("pos_api", __name__, url_prefix="/api/v1/pos",
               description="Point-of-sale terminals: quote, purchase, refund.")

KEY_HEADER = "Idempotency-Key"
#: the header's OpenAPI parameter: required on purchases and refunds (contract §5)
KEY_PARAMETER = {"in": "header", "name": KEY_HEADER, "required": True,
                 "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                 "description": "One key per sale or refund, kept ≥ 7 days per merchant: the same "
                                "key and body answer the first result again; the same key with "
                                "another body → 409 idempotency_key_reused"}
_REPLAYED = {"Idempotent-Replayed": {"description": "`true` when this is the stored answer of "
                                     "an earlier request with the same key and body",
                                     "schema": {"type": "string", "enum": ["true"]}}}


def _terminal_merchant():
    """The calling terminal and its merchant: 401 for a bad key, then 403 for a merchant that
    is not approved (contract §10), before anything else is looked at."""
    terminal = credentials.require("terminal")
    merchant = db.session.get(Merchant, terminal.merchant_id)
    sale_context.require_selling(merchant.status)
    return terminal, merchant


def _selling_context(scanned: str) -> tuple[SaleContext, str | None]:
    """The sale's context, read with the terminal in one query in the request's transaction:
    401 for a bad key, then 403 for a merchant that is not approved, as _terminal_merchant."""
    context, pay_part = purchases.live_terminal_context(db.session.connection(), bearer_token(),
                                                        scanned)
    if context is None:  # not a live terminal's key: 401 or 403, and nothing else is read
        _, merchant = _terminal_merchant()
        context, pay_part = purchases.context_at(db.session, merchant, scanned)
    sale_context.require_selling(context.merchant.status)
    sale_context.name_in_logs(context)
    return context, pay_part


def _load_with_key(schema, body: dict) -> tuple[dict, str]:
    """Validate the body and the Idempotency-Key header together (one 422 with both)."""
    details: dict = {}
    data: dict = {}
    try:
        data = load(schema, body)
    except ValidationError as exc:
        details.update(exc.details)
    key = request.headers.get(KEY_HEADER, "")
    if not 1 <= len(key) <= 255 or unusable(key):
        details[KEY_HEADER] = [bilingual("必填，1–255 个字符")]
    if details:
        raise ValidationError(details=details)
    return data, key


def _body_after_credential(parse):
    """Parse the body; when it is bad, the credential is checked first, since it answers first.

    The quote and purchase paths check the terminal in the same query as the card, after the
    body; a bad body must still answer 401/403 for a bad credential.
    """
    try:
        return parse()
    except (InvalidJson, ValidationError):
        _terminal_merchant()
        raise


def _idempotent(merchant_id: str, key: str, fingerprint: str, work):
    """Run work once per (merchant, key, body); replay its stored answer afterwards."""

    def attempt():
        claim = points.claim_key(db.session, purchases.key_scope(merchant_id), key, fingerprint)
        if claim.replay:
            return claim.replay.status, claim.replay.body, True
        status, answer_body = work()
        points.store_response(db.session, claim, status, answer_body)
        return status, answer_body, False

    status, answer_body, replayed = run_in_transaction(db.session, attempt)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return answer(answer_body, status, headers)


def _sold_at_once(data: dict, key: str) -> dict | None:
    """The common sale in one statement on PostgreSQL, as the lane sells it; None: anything
    else (a redemption, points owed, a key seen before, any error, a sale the lane already
    tried), which the generic path answers in the contract's order, nothing having been
    written."""
    token = bearer_token()
    if (data["redeem_points"] or data.get("coupon") or not token
            or not current_app.config["POS_SALE_AT_ONCE"]
            or request.environ.get(purchases.TRIED_AT_ONCE)
            or db.engine.dialect.name != "postgresql"):
        return None
    try:
        return purchases.sell_on_postgres(db.engine, token, key, _fingerprint(data), data)
    except (points.NotAtOnce, VallianceError):
        return None
    except (psycopg.Error, SQLAlchemyError) as exc:
        log.warning("purchase at once: database error (%s); the generic path answers",
                    type(exc).__name__)
        return None


@contextmanager
def _connection():
    """The quote's connection.

    PostgreSQL: a Connection of its own in autocommit — no BEGIN and COMMIT round trips, and
    none of the ORM session's bookkeeping, which costs more CPU than the read. SQLite has one
    writer at a time (and BEGIN IMMEDIATE): a second connection would wait for the session's.
    """
    if db.engine.dialect.name != "postgresql":
        yield db.session.connection()
        return
    with db.engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def _fingerprint(data: dict) -> str:
    # The validated request, defaults filled in: {"amount": 5} and {"amount": 5,
    # "redeem_points": 0} are the same sale.
    return points.request_fingerprint(request.method, request.path, data)


#: the 429 of quote and purchases
_PAY_CODE_LOCK = ("rate_limited: too many wrong pay codes for this card or this terminal; "
                  "Retry-After says when to try again")


@bp.get("/terminal")
@bp.doc(summary="The calling terminal and its merchant (a cheap check of a terminal key)")
@bp.response(200, PosTerminalOut)
def get_terminal():
    """Who this key is: the terminal's name, its merchant's name and status."""
    terminal, merchant = _terminal_merchant()
    return answer({"terminal_id": terminal.id, "terminal_name": terminal.name,
                   "merchant": {"id": merchant.id, "name": merchant.name,
                                "status": merchant.status}})


@bp.post("/quote")
@bp.doc(summary="Price a sale without recording it",
        requestBody={"required": True, "content": {"application/json": {"schema": QuoteIn}}})
@bp.response(200, QuoteOut)
@bp.alt_response(404, description="card_not_found")
@bp.alt_response(429, description=_PAY_CODE_LOCK)
def create_quote():
    """The discount, points and balance a purchase would give; nothing is recorded."""
    data = _body_after_credential(lambda: load(QuoteIn, json_body()))
    with _connection() as conn:
        context, pay_part = purchases.live_terminal_context(conn, bearer_token(), data["card"])
        coupon = purchases.coupon_for(conn, data.get("coupon"))
    if context is None:  # not a live terminal's key: 401 or 403, and nothing else is read
        _, merchant = _terminal_merchant()
        context, pay_part = purchases.context_at(db.session, merchant, data["card"])
    sale_context.require_selling(context.merchant.status)
    quote = sale_context.price_sale(context, pay_part, data["amount"], data["redeem_points"],
                                    coupon)
    body = quote_answer(context.merchant.id, quote, data["amount"])
    db.session.rollback()
    return answer(body)


@bp.post("/purchases")
@bp.doc(summary="Record a sale (Idempotency-Key header required)", parameters=[KEY_PARAMETER],
        requestBody={"required": True, "content": {"application/json": {"schema": PurchaseIn}}})
@bp.response(201, PurchaseCreatedOut, headers=_REPLAYED)
@bp.alt_response(404, description="card_not_found")
@bp.alt_response(409, description="idempotency_key_reused, idempotency_in_progress")
@bp.alt_response(429, description=_PAY_CODE_LOCK)
def create_purchase():
    """Record a purchase once per Idempotency-Key; replays answer the first result."""
    data, key = _body_after_credential(lambda: _load_with_key(PurchaseIn, json_body()))
    sold = _sold_at_once(data, key)
    if sold is not None:
        return answer(sold, 201)
    first = _selling_context(data["card"])
    unused = [first]

    def work():
        # read in this transaction; a retry of the transaction reads it again
        context, pay_part = unused.pop() if unused else _selling_context(data["card"])
        return 201, purchases.sell(points.InSession(db.session), context, pay_part,
                                   data["amount"], data["redeem_points"], data["reference"],
                                   coupon=data.get("coupon"))

    return _idempotent(first[0].merchant.id, key, _fingerprint(data), work)


@bp.get("/purchases/<purchase_id>")
@bp.response(200, PurchaseOut)
def get_purchase(purchase_id: str):
    """A purchase of this terminal's merchant, with its refunds."""
    _, merchant = _terminal_merchant()
    purchase = purchases.find_purchase(db.session, merchant, purchase_id)
    return answer(purchase_detail(purchase, db.session.get(Card, purchase.card_id).last4))


@bp.post("/purchases/<purchase_id>/refunds")
@bp.doc(summary="Refund part or all of a purchase (Idempotency-Key header required)",
        parameters=[KEY_PARAMETER],
        requestBody={"required": True, "content": {"application/json": {"schema": RefundIn}}})
@bp.response(201, RefundOut, headers=_REPLAYED)
@bp.alt_response(409, description="idempotency_key_reused, idempotency_in_progress")
def create_refund(purchase_id: str):
    """Give back cash and points in proportion; omitted amount = all that remains."""
    _, merchant = _terminal_merchant()
    data, key = _load_with_key(RefundIn, json_body())

    def work():
        refund = refunds.refund_purchase(db.session, merchant, purchase_id, data["amount"])
        return 201, refund_answer(refund)

    return _idempotent(merchant.id, key, _fingerprint(data), work)
