"""The queue: unresolved tickets by time left, with their clock, under the filters."""

from flask import render_template, request

from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.models import KINDS, UNRESOLVED
from valliance.service_desk.services import queue, teams
from valliance.service_desk.views import bp
from valliance.staff.roles import SERVICE_DESK, role_required


@bp.get("/", endpoint="queue")
@role_required(SERVICE_DESK)
def queue_page():
    """One page of the queue: overdue and escalated counts on top, then the tickets."""
    filters = queue.QueueFilters.from_args(request.args)
    page = queue.queue_page(db.session, filters,
                            page=request.args.get("page", 1, type=bounded_int(1)))
    overdue, escalated = queue.overdue_count(db.session)
    return render_template(
        "service_desk/queue.html", page=page, filters=filters, overdue=overdue,
        escalated=escalated, KINDS=KINDS, TIERS=TIER_ORDER, STATUSES=UNRESOLVED,
        teams=teams.team_choices(db.session), engineers=teams.engineers(db.session))
