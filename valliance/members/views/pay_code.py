"""Member portal: the pay code on the card page (masked text, QR, Code 128) and the JSON the
page polls for the next one."""

from datetime import datetime

from flask import Response, jsonify, request
from flask_login import current_user

from valliance.db import SHANGHAI
from valliance.i18n import bilingual
from valliance.members import qr
from valliance.members.services import pay_codes, pay_guard
from valliance.members.views import bp


def masked(code: str) -> str:
    """The code as text, card digits masked as elsewhere on the portal: •••• 1234 · 123 456."""
    return f"•••• {code[12:16]} · {code[16:19]} {code[19:]}"


def payload(card) -> dict:
    """What the page shows of the card's current code (the JSON's body too)."""
    code, expires_in, version = pay_codes.code_with_version(card)
    return {"code": code, "expires_in": expires_in, "version": version,
            "text": masked(code), "qr": qr.data_url(qr.qr_svg(code)),
            "barcode": qr.data_url(qr.code128_svg(code))}


def locked_until(card) -> str | None:
    """"HH:MM" (Shanghai) until which the card's redemptions are locked, or None."""
    ends = pay_guard.card_locked_until(card.id)
    if ends is None:
        return None
    return datetime.fromtimestamp(ends, SHANGHAI).strftime("%H:%M")


def _error(status: int, code: str, message: str, details: dict) -> Response:
    response = jsonify(error=code, message=message, details=details)
    response.status_code = status
    return response


def json_answer(seen: str | None) -> Response:
    """The JSON of /me/pay-code.json for the signed-in member."""
    if not current_user.is_authenticated or not getattr(current_user, "is_member", False):
        return _error(401, "unauthorized", bilingual("未登录"), {})
    card = current_user.member.card
    if card is None or card.status != "active":
        return _error(422, "card_inactive", bilingual("卡片不可用"),
                      {"status": [card.status if card else "none"]})
    if seen and seen == pay_codes.code_version(card):
        return Response(status=204)
    return jsonify(payload(card))


@bp.get("/pay-code.json")
def pay_code_json():
    """The card's current pay code with its QR and barcode (never cached); 204 while the code
    is still the one the page shows (?seen=its version: the page polls cheaply)."""
    response = json_answer(request.args.get("seen"))
    response.headers["Cache-Control"] = "no-store"
    return response
