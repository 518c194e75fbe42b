"""Sending a browser to Stripe's Checkout: shared by member payments and statement payments."""

import logging
from collections.abc import Callable

import stripe
from flask import flash, redirect

from valliance.extensions import db
from valliance.i18n import _
from valliance.payments import stripe_client
from valliance.web.navigation import FLASH

log = logging.getLogger(__name__)

#: the CSP of pages whose forms lead (through our 303) to Stripe's Checkout page
CHECKOUT_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
       f"form-action 'self' {stripe_client.CHECKOUT_ORIGIN}")


def redirect_to_checkout(params: dict, record: Callable[[str], None], back_url: str):
    """Commit what the request wrote (a new payment), open a Checkout Session with no database
    transaction held open while Stripe answers, record its id (`record`, then commit) and send
    the browser there; when Stripe cannot be reached, say so and go back to `back_url`."""
    db.session.commit()
    try:
        checkout = stripe_client.create_checkout_session(params)
    except stripe.StripeError:
        log.exception("Stripe did not open a Checkout Session for %s",
                      params["client_reference_id"])
        flash(_("暂时无法连接支付服务，请稍后重试。"), FLASH)
        return redirect(back_url)
    record(checkout.id)
    db.session.commit()
    return redirect(checkout.url, code=303)
