"""Member portal: 我的优惠券 (/me/coupons) — active coupons first, each with its code as a QR
big enough for a till's scanner and in digits grouped for reading; used, expired and void
ones below, greyed."""

from flask import Blueprint, make_response, render_template
from flask_login import current_user

from valliance.coupons import labels, reads
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.members import qr
from valliance.members.auth import member_required
from valliance.money import format_yuan
from valliance.web.navigation import FLASH

bp = Blueprint("coupon_portal", __name__, url_prefix="/me", template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    return {"yuan": format_yuan, "FLASH": FLASH, **labels.HELPERS}


@bp.get("/coupons")
@member_required
def coupons():
    """The member's coupons: active ones with their QR, then the rest."""
    mine = reads.member_coupons(db.session, current_user.member.id, today_shanghai())
    active = [c for c in mine if c["status"] == "active"]
    for coupon in active:
        coupon["qr"] = qr.data_url(qr.qr_svg(coupon["code"]))
    page = make_response(render_template(
        "coupons/my_coupons.html", active=active,
        others=[c for c in mine if c["status"] != "active"]))
    page.headers["Cache-Control"] = "no-store"  # the codes are the member's to spend
    return page
