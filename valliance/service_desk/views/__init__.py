"""The desk's staff pages (role service_desk; admin too): the queue, a ticket, opening one for
a member who phones in, teams and service levels. One module per area."""

from flask import Blueprint, current_app, url_for
from flask_login import current_user

from valliance.db import SHANGHAI
from valliance.members.labels import tier_name
from valliance.service_desk import labels
from valliance.staff.roles import MEMBER_CARE, SERVICE_DESK, has_role
from valliance.web.navigation import FLASH

bp = Blueprint("desk", __name__, url_prefix="/staff/desk", template_folder="../templates")
#: the back office's member page (a link when it is installed and the user may open it)
MEMBER_PAGE = "backoffice.member"


def member_page_url(member_id: str) -> str | None:
    """The member's back-office page, if this user may open it (member care and the desk)."""
    if MEMBER_PAGE not in current_app.view_functions or not has_role(
            current_user.staff, MEMBER_CARE, SERVICE_DESK):
        return None
    return url_for(MEMBER_PAGE, member_id=member_id)


WORDS = ("kind_name", "status_name", "channel_name", "clock_name", "move_name", "action_name",
         "light_name", "clock_text", "duration_text", "weekdays_text")


@bp.context_processor
def _desk_words() -> dict:
    return {"FLASH": FLASH, "tz": SHANGHAI, "tier_name": tier_name,
            "member_page_url": member_page_url,
            **{name: getattr(labels, name) for name in WORDS}}


# The areas register their routes on bp when imported.
from valliance.service_desk.views import intake, queue, settings, ticket  # noqa: E402,F401
