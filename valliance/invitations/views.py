"""The member's share page (/me/invite): the code, the link, its QR, the counts, the rules."""

from flask import Blueprint, current_app, make_response, render_template, url_for
from flask_login import current_user

from valliance.extensions import db
from valliance.invitations.services.codes import code_of
from valliance.invitations.services.reads import member_counts
from valliance.members import qr
from valliance.members.auth import member_required
from valliance.money import format_yuan
from valliance.web.transactions import transactional

bp = Blueprint("invitations", __name__, url_prefix="/me/invite", template_folder="templates")


def invite_link(code: str) -> str:
    """The portal's sign-up page with the code filled in."""
    return url_for("members.signup", ref=code, _external=True)


@bp.get("/")
@member_required
@transactional
def share():
    """The code (made on first need), the link and its QR, the counts and the rules."""
    member = current_user.member
    code = code_of(db.session, member.id)
    invited, rewarded = member_counts(db.session, member.id)
    config = current_app.config
    return render_template(
        "invitations/share.html", code=code, link=invite_link(code), invited=invited,
        rewarded=rewarded, min_spend=format_yuan(config["REFERRAL_MIN_SPEND_FEN"]),
        reward_points=config["REFERRAL_REWARD_POINTS"],
        coupon=bool(config["REFERRAL_COUPON_TEMPLATE_ID"]),
        yearly_cap=config["REFERRAL_YEARLY_CAP"])


@bp.get("/qr.svg")
@member_required
@transactional
def share_qr():
    """The sign-up link as a QR image."""
    image = qr.qr_svg(invite_link(code_of(db.session, current_user.member.id)))
    response = make_response(image)
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "private, no-store"
    return response
