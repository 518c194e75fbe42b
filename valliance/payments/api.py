"""POST /webhooks/stripe (contract §9): verify Stripe's signature, store, apply once."""

import logging

import stripe
from flask import Blueprint, jsonify, request

from valliance.db import run_in_transaction
from valliance.errors import BadRequest
from valliance.extensions import db
from valliance.i18n import bilingual, pbilingual
from valliance.payments import services, stripe_client

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhook", __name__, url_prefix="/webhooks")


def verified_event(payload: bytes) -> dict:
    """The event Stripe signed, as a dict; BadRequest when the signature or the body is wrong."""
    try:
        event = stripe_client.construct_event(payload, request.headers.get("Stripe-Signature"))
    except stripe.SignatureVerificationError as exc:
        log.warning("Stripe webhook refused: %s", exc.user_message or exc)
        raise BadRequest(bilingual("签名无效"),
                         details={"Stripe-Signature": [pbilingual(
                             "Signature not verified",
                             "签名无效",
                         )]},
                         ) from None
    except (ValueError, TypeError, AttributeError):  # signed, but not a JSON event object
        raise BadRequest(details={"body": [bilingual("不是 Stripe 事件")]}) from None
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise BadRequest(details={"body": [bilingual("不是 Stripe 事件")]})
    return data


@bp.post("/stripe")
def stripe_webhook():
    """Answer 200 to every verified event (duplicates and ignored types too); 400 otherwise."""
    payload = request.get_data()
    data = verified_event(payload)
    text = payload.decode("utf-8")
    result = run_in_transaction(db.session,
                                lambda: services.receive_event(db.session, data, text))
    return jsonify(received=True, id=data["id"], result=result)
