"""Member API: the member's tickets (contract §12), beside /api/v1/member/* of members."""

import hashlib

from flask import after_this_request
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from valliance.api_support import bearer_token, json_body, load
from valliance.extensions import db, limiter
from valliance.members.api import SECURITY, current_member
from valliance.messaging import deliver_after_response
from valliance.service_desk.schemas import (
    RatingIn,
    RatingOut,
    ReopenIn,
    TicketCreatedOut,
    TicketDetailOut,
    TicketIn,
    TicketsOut,
)
from valliance.service_desk.services import reads, tickets

bp = Blueprint("member_tickets_api", __name__, url_prefix="/api/v1/member",
               description="The member app: faults and service requests (VIP service desk).")


def _body(schema):
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def _per_token() -> str:
    # per member app (its token's digest), not per address: a carrier's NAT puts many
    # members behind one address
    token = bearer_token()
    if not token:  # no token: answered 401 anyway; its own bucket per address
        return f"member-tickets-anonymous:{get_remote_address()}"
    return f"member-tickets:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


@bp.route("/tickets", methods=["POST"])
@limiter.limit("10 per minute", key_func=_per_token)
@bp.doc(summary="Report a fault or ask for a service", security=SECURITY, **_body(TicketIn))
@bp.response(201, TicketCreatedOut)
@bp.alt_response(422, description="an unknown kind, no summary, not a mobile number")
@bp.alt_response(429, description="more than 10 reports a minute from one app")
def create_ticket():
    """Open a ticket; `due_at` is the configured service level's promise."""
    member = current_member()
    data = load(TicketIn, json_body())
    ticket = tickets.open_ticket(db.session, member, channel="app", **data)
    db.session.commit()
    after_this_request(deliver_after_response)
    return ticket


@bp.route("/tickets", methods=["GET"])
@bp.doc(summary="The member's tickets, newest first", security=SECURITY)
@bp.response(200, TicketsOut)
def list_tickets():
    """Every ticket of the member (the newest 200)."""
    member = current_member()
    manager = reads.manager_name(db.session, member.id)
    return {"tickets": [reads.as_member_sees(ticket, manager)
                        for ticket in reads.member_tickets(db.session, member.id)]}


@bp.route("/tickets/<ticket_id>", methods=["GET"])
@bp.doc(summary="One ticket with the updates meant for the member", security=SECURITY)
@bp.response(200, TicketDetailOut)
@bp.alt_response(404, description="no such ticket of this member")
def get_ticket(ticket_id: str):
    """The ticket and its events for the member (another member's: 404)."""
    return _detail(tickets.member_ticket(db.session, current_member().id, ticket_id))


def _detail(ticket) -> dict:
    manager = reads.manager_name(db.session, ticket.member_id)
    return {**reads.as_member_sees(ticket, manager),
            "events": reads.member_events(db.session, ticket.id)}


@bp.route("/tickets/<ticket_id>/reopen", methods=["POST"])
@bp.doc(summary="Say a resolved ticket is not fixed (it reopens)", security=SECURITY,
        **_body(ReopenIn))
@bp.response(200, TicketDetailOut)
@bp.alt_response(422, description="the ticket is not resolved")
def reopen_ticket(ticket_id: str):
    """Back to in_progress, the clock running on."""
    member = current_member()
    data = load(ReopenIn, json_body())
    ticket = tickets.member_reopen(db.session, member.id, ticket_id, note=data["note"])
    db.session.commit()
    return _detail(ticket)


@bp.route("/tickets/<ticket_id>/rating", methods=["POST"])
@bp.doc(summary="Rate a resolved ticket, once", security=SECURITY, **_body(RatingIn))
@bp.response(201, RatingOut)
@bp.alt_response(422, description="not resolved yet, rated before, or a score not 1–5")
def rate_ticket(ticket_id: str):
    """Rate the ticket 1–5 with an optional comment."""
    member = current_member()
    data = load(RatingIn, json_body())
    ticket = tickets.rate_ticket(db.session, member.id, ticket_id, score=data["score"],
                                 comment=data["comment"])
    db.session.commit()
    return {"id": ticket.id, "score": ticket.rating, "comment": ticket.rating_comment,
            "rated_at": ticket.rated_at}
