"""Member API (contract §7): /api/v1/member/*."""


from flask import Response, request
from flask_smorest import Blueprint

from valliance import credentials
from valliance.api_support import bearer_token, json_body, load
from valliance.errors import NotFound, Unauthorized, ValidationError, VallianceError
from valliance.extensions import api, db
from valliance.i18n import bilingual
from valliance.members import qr, services
from valliance.members.models import Member
from valliance.members.schemas import (
    Birthday,
    LedgerOut,
    LedgerQuery,
    Marketing,
    MeOut,
    PayCodeOut,
    SessionIn,
    SessionOut,
)
from valliance.members.services import pay_codes, statement
from valliance.members.services.birthday import set_birthday
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.points import MEMBER_KINDS
from valliance.sign_in import login_rate_limits

bp = Blueprint("member_api", __name__, url_prefix="/api/v1/member",
               description="The member app: session, card, balance, history, pay code, "
                           "inbox, consent, birthday.")

SECURITY = [{"memberToken": []}]
WRONG_LOGIN = bilingual("手机号或密码错误")
BAD_CURSOR = bilingual("无效的分页游标")
NO_CARD = bilingual("没有可用的V卡")
_IMAGE_CACHE = "private, max-age=300"
MAX_ID = 2**63 - 1  #: entry ids are 64-bit: a larger cursor cannot be one of ours


@bp.record_once
def _document_security(state) -> None:
    # Each app gets its own OpenAPI document from `api`; name the bearer scheme once in it.
    schemes = api.spec.components.security_schemes
    if "memberToken" not in schemes:
        api.spec.components.security_scheme(
            "memberToken", {"type": "http", "scheme": "bearer",
                            "description": "POST /api/v1/member/session"})


def _login_phone_key() -> str:
    # Normalized, so that every spelling of one phone counts as the same account.
    try:
        phone = json_body().get("phone")
        return "member-login:" + services.normalize_phone(phone)
    except VallianceError:  # an unreadable body or phone: the route answers it
        return "member-login:-"


def current_member() -> Member:
    """The member whose bearer token came with the request, or 401 unauthorized."""
    return credentials.require("member")


@bp.route("/session", methods=["DELETE"])
@bp.doc(summary="Sign out: revoke this token")
@bp.response(204)
def delete_session():
    """Revoke the bearer token that came with the request."""
    current_member()
    services.revoke_token(db.session, bearer_token())
    db.session.commit()
    return "", 204


@bp.route("/session", methods=["POST"])
# one count with the portal's sign-in
@login_rate_limits(_login_phone_key, scope="member-sign-in", kind="member")
@bp.doc(summary="Sign in: a member token for the app",
        requestBody={"required": True,
                     "content": {"application/json": {"schema": SessionIn}}})
@bp.response(201, SessionOut)
@bp.alt_response(401, description="wrong phone or password")
@bp.alt_response(429, description="too many attempts")
def create_session():
    """Exchange phone and password for a bearer token (shown once)."""
    data = load(SessionIn, json_body())
    member = services.authenticate(db.session, data["phone"], data["password"])
    if member is None:
        raise Unauthorized(WRONG_LOGIN)
    token, row = services.create_token(db.session, member)
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at}, {"Cache-Control": "no-store"}


@bp.route("/me", methods=["GET"])
@bp.doc(summary="The member, the current card, the tier and the points", security=SECURITY)
@bp.response(200, MeOut)
def me():
    """The signed-in member's card, tier and points."""
    return statement.summary(db.session, current_member())


def _ledger_query() -> dict:
    args = load(LedgerQuery, {key: request.args.get(key) for key in request.args})
    before = args.get("before")
    if before is not None:
        if not (before.isascii() and before.isdigit()) or not 1 <= int(before) <= MAX_ID:
            raise ValidationError(details={"before": [BAD_CURSOR]})
        args["before"] = int(before)
    kinds = {kind.strip() for value in request.args.getlist("kind") for kind in value.split(",")}
    kinds.discard("")
    unknown = sorted(kinds - MEMBER_KINDS)
    if unknown:
        raise ValidationError(details={"kind": [
            bilingual("未知类型", kind=kind, MEMBER_KINDS=', '.join(sorted(MEMBER_KINDS)))
            for kind in unknown]})
    args["kinds"] = frozenset(kinds) or None
    return args


@bp.route("/ledger", methods=["GET"])
@bp.doc(summary="Points history, newest first", security=SECURITY,
        parameters=[{"in": "query", "schema": LedgerQuery}])
@bp.response(200, LedgerOut)
def ledger():
    """One page of the member's points history (cursor: `next` → `before`)."""
    member = current_member()
    args = _ledger_query()
    return statement.ledger_page(db.session, member, limit=args["limit"],
                                 before=args.get("before"), kinds=args["kinds"])


def _current_card(member: Member):
    card = member.card
    if card is None:
        raise NotFound(NO_CARD)
    return card


@bp.route("/pay-code", methods=["GET"])
@bp.doc(summary="The 22-digit pay code that authorizes spending points", security=SECURITY)
@bp.response(200, PayCodeOut)
@bp.alt_response(422, description="card_inactive or membership_frozen")
@bp.alt_response(404, description="no current card")
def pay_code():
    """The current pay code of the member's card; refused when the card cannot be used."""
    card = _current_card(current_member())
    services.require_usable(card)
    code, expires_in = pay_codes.current_code(card)  # never a used one (contract §10)
    return {"code": code, "expires_in": expires_in}, {"Cache-Control": "no-store"}


def _image(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = _IMAGE_CACHE
    return response


_PNG = {"200": {"description": "QR code of the 16-digit card number",
                "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}}
_SVG = {"200": {"description": "QR code of the 16-digit card number",
                "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}


@bp.route("/card.png", methods=["GET"])
@bp.doc(summary="The static code as a QR image (PNG)", security=SECURITY, responses=_PNG)
@bp.alt_response(404, description="no current card")
def card_png():
    """The member's static code (card number) as a PNG QR code."""
    card = _current_card(current_member())
    return _image(qr.qr_png(card.number), "image/png")


@bp.route("/card.svg", methods=["GET"])
@bp.doc(summary="The static code as a QR image (SVG)", security=SECURITY, responses=_SVG)
@bp.alt_response(404, description="no current card")
def card_svg():
    """The member's static code (card number) as an SVG QR code."""
    card = _current_card(current_member())
    return _image(qr.qr_svg(card.number), "image/svg+xml")


@bp.route("/marketing", methods=["GET"])
@bp.doc(summary="Whether the member accepts marketing messages", security=SECURITY)
@bp.response(200, Marketing)
def get_marketing():
    """The member's consent to marketing SMS."""
    return {"opted_in": current_member().marketing_opt_in}


@bp.route("/marketing", methods=["PUT"])
@bp.doc(summary="Accept or stop marketing messages", security=SECURITY,
        requestBody={"required": True,
                     "content": {"application/json": {"schema": Marketing}}})
@bp.response(200, Marketing)
@bp.alt_response(422, description="opted_in missing or not a boolean")
def put_marketing():
    """Set the member's consent to marketing SMS (audited when it changes)."""
    member = current_member()
    data = load(Marketing, json_body())
    set_marketing_opt_in(db.session, member, data["opted_in"], actor=f"member:{member.id}",
                         via="app")
    db.session.commit()
    return {"opted_in": member.marketing_opt_in}


@bp.route("/profile/birthday", methods=["GET"])
@bp.doc(summary="The member's birthday (month and day, no year)", security=SECURITY)
@bp.response(200, Birthday)
def get_birthday():
    """The birthday the member gave (null and null: none)."""
    member = current_member()
    return {"month": member.birth_month, "day": member.birth_day}


@bp.route("/profile/birthday", methods=["PUT"])
@bp.doc(summary="Give, change or clear (nulls) the birthday", security=SECURITY,
        requestBody={"required": True,
                     "content": {"application/json": {"schema": Birthday}}})
@bp.response(200, Birthday)
@bp.alt_response(422, description="not integers, or not a day of the year (2/30, month 13)")
def put_birthday():
    """Set the member's birthday, or clear it with nulls (audited when it changes)."""
    member = current_member()
    data = load(Birthday, json_body())
    set_birthday(db.session, member, data["month"], data["day"], actor=f"member:{member.id}",
                 via="app")
    db.session.commit()
    return {"month": member.birth_month, "day": member.birth_day}


# The inbox's routes join bp (imported last: it imports bp from here).
from valliance.members import api_inbox  # noqa: E402, F401
