"""Member API: the member's invitation code and counts (contract §11), beside
/api/v1/member/* of members."""

from flask_smorest import Blueprint

from valliance.extensions import db
from valliance.invitations.schemas import MemberReferralOut
from valliance.invitations.services.codes import code_of
from valliance.invitations.services.reads import member_counts
from valliance.members.api import SECURITY, current_member

bp = Blueprint("member_referral_api", __name__, url_prefix="/api/v1/member",
               description="The member app: old brings new (invitation code).")


@bp.route("/referral", methods=["GET"])
@bp.doc(summary="The member's invitation code, newcomers invited and rewarded",
        security=SECURITY)
@bp.response(200, MemberReferralOut)
def referral():
    """The code (made on first need), how many signed up with it, how many rewarded."""
    member = current_member()
    code = code_of(db.session, member.id)
    invited, rewarded = member_counts(db.session, member.id)
    db.session.commit()  # the code, when made now
    return {"code": code, "invited": invited, "rewarded": rewarded}
