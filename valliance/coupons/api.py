"""Member API: the member's coupons (contract §11), beside /api/v1/member/* of members."""

from flask_smorest import Blueprint

from valliance.coupons.reads import member_coupons
from valliance.coupons.schemas import MemberCouponsOut
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.members.api import SECURITY, current_member

bp = Blueprint("member_coupons_api", __name__, url_prefix="/api/v1/member",
               description="The member app: coupons.")


@bp.route("/coupons", methods=["GET"])
@bp.doc(summary="The member's coupons, active first", security=SECURITY)
@bp.response(200, MemberCouponsOut)
def coupons():
    """Every coupon issued to the member, with what it is worth and where."""
    member = current_member()
    return {"coupons": member_coupons(db.session, member.id, today_shanghai())}
