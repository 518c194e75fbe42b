"""Member API (contract §7): /api/v1/member/*."""

from flask_smorest import Blueprint

bp = Blueprint("member_api", __name__, url_prefix="/api/v1/member",
               description="The member app: session, card, balance, history, pay code.")
