"""Directory API (contract §6): offer search, caller lookup and referrals, for 114 operators."""

import hashlib

from flask import request
from flask_smorest import Blueprint

from valliance import credentials
from valliance.api_support import answer, bearer_token, iso_shanghai, json_body, load
from valliance.db import read_only
from valliance.directory import services
from valliance.directory.schemas import (
    CallerOut,
    OffersOut,
    OffersQuery,
    ReferralCreated,
    ReferralIn,
    ReferralOut,
)
from valliance.extensions import api, db, limiter
from valliance.replica import reading_session

bp = Blueprint("directory_api", __name__, url_prefix="/api/v1/directory",
               description="114 operators: offer search, caller lookup, referrals.")
SECURITY = [{"operatorKey": []}]


@bp.record_once
def _document_security(state) -> None:
    schemes = api.spec.components.security_schemes
    if "operatorKey" not in schemes:
        api.spec.components.security_scheme(
            "operatorKey", {"type": "http", "scheme": "bearer",
                            "description": "flask operators create --name N"})


def _per_key() -> str:
    # Limits follow the key, not the address: a call centre shares one address.
    token = bearer_token() or request.remote_addr or "-"
    return "directory:" + hashlib.sha256(token.encode()).hexdigest()[:32]


#: one budget per key for every lookup of a phone: the caller route and searches with
#: caller= (contract §10), so that searches cannot be used to look up more numbers
CALLER_BUDGET = "120 per minute"
_caller_budget = limiter.shared_limit(CALLER_BUDGET, scope="directory-caller-lookups",
                                      key_func=_per_key)
_caller_budget_of_searches = limiter.shared_limit(
    CALLER_BUDGET, scope="directory-caller-lookups", key_func=_per_key,
    exempt_when=lambda: not request.args.get("caller"))


def current_operator() -> services.OperatorSeat:
    """The operator whose key came with the request (401 / 403 otherwise)."""
    return credentials.require("operator")


@bp.route("/offers", methods=["GET"])
@limiter.limit("600 per minute", key_func=_per_key)
@_caller_budget_of_searches
@bp.doc(summary="Search offers (Chinese, pinyin, initials, one typo); ranked per §6",
        security=SECURITY, parameters=[{"in": "query", "name": name, "schema": {"type": kind}}
                                       for name, kind in (("q", "string"),
                                                          ("category", "string"),
                                                          ("district", "string"),
                                                          ("caller", "string"),
                                                          ("limit", "integer"),
                                                          ("offset", "integer"))])
@bp.response(200, OffersOut)
@bp.alt_response(429, description="rate_limited (per key)")
def offers():
    """Active offers of approved merchants matching q, best for the caller first."""
    if not request.args.get("caller"):
        read_only(db.session)  # a search without a caller logs nothing: it only reads
    operator = current_operator()
    args = load(OffersQuery, request.args.to_dict())
    body = services.search_for_caller(db.session, operator, reader=reading_session(), **args)
    db.session.commit()
    # Rendered as built (offer_json is the contract's shape): OffersOut documents it, and
    # serializing 20 results again through marshmallow cost more than the search itself.
    return answer(body)


@bp.route("/callers/<phone>", methods=["GET"])
@_caller_budget
@bp.doc(summary="Has this caller a V-card, which tier, which card status — nothing more",
        security=SECURITY)
@bp.response(200, CallerOut)
@bp.alt_response(429, description="rate_limited (per key)")
@bp.alt_response(422, description="validation_error: not a mobile number")
def caller(phone: str):
    """The caller's V-card status; every lookup is logged (the number as a keyed hash)."""
    operator = current_operator()
    found = services.look_up_caller(db.session, operator, phone)
    db.session.commit()
    return found.as_json(), {"Cache-Control": "no-store"}


@bp.route("/referrals", methods=["POST"])
@limiter.limit("120 per minute", key_func=_per_key)
@bp.doc(summary="Log that a caller was sent to a merchant", security=SECURITY,
        requestBody={"required": True,
                     "content": {"application/json": {"schema": ReferralIn}}})
@bp.response(201, ReferralCreated)
@bp.alt_response(429, description="rate_limited (per key)")
def create_referral():
    """Record the referral; a purchase by that card there within 7 days converts it."""
    operator = current_operator()
    data = load(ReferralIn, json_body())
    referral = services.create_referral(db.session, operator, caller=data["caller"],
                                        merchant_id=data["merchant_id"],
                                        offer_id=data["offer_id"])
    db.session.commit()
    return {"id": referral.id, "created_at": iso_shanghai(referral.created_at)}


@bp.route("/referrals/<referral_id>", methods=["GET"])
@bp.doc(summary="A referral and whether it converted", security=SECURITY)
@bp.response(200, ReferralOut)
def referral(referral_id: str):
    """One of this operator's referrals."""
    operator = current_operator()
    found = services.find_referral(db.session, operator, referral_id)
    converted_at = services.conversion_time(db.session, found)
    return {"id": found.id, "caller_has_vcard": found.caller_has_vcard,
            "merchant_id": found.merchant_id, "offer_id": found.offer_id,
            "created_at": iso_shanghai(found.created_at), "converted": converted_at is not None,
            "converted_at": iso_shanghai(converted_at)}
