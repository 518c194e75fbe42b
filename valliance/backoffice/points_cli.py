"""`flask points adjust | approve | reject | pending`: adjustments with a second person (§13)."""

import re

import click
from flask.cli import AppGroup

from valliance.backoffice.models import PENDING
from valliance.backoffice.services import adjustment_queue, adjustments
from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.members.services.enrollment import find_member_by_phone, normalize_phone
from valliance.staff import services as staff_services

points_cli = AppGroup("points", help="Points adjustments (a second person approves large ones).")


def _staff(username: str):
    staff = staff_services.find_staff(db.session, (username or "").strip().lower())
    if staff is None:
        raise NotFound(bilingual("没有这个员工账号：%(username)s", username=username))
    return staff


def _integer(text: str):
    """--points as an integer; anything else as written, for the service to refuse (so that
    --json answers {"error", "message"}, not click's usage text)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"[+-]?[0-9]{1,20}", text) else text


def _member(phone: str):
    member = find_member_by_phone(db.session, normalize_phone(phone))
    if member is None:
        raise NotFound(bilingual("该手机号未注册会员"))
    return member


@points_cli.command("adjust", cls=JsonCommand)
@click.option("--phone", required=True, help="The member's mobile number.")
@click.option("--points", "points_", required=True,
              help="Signed: 300 adds, -300 takes.")
@click.option("--reason", required=True, help="One of: " + ", ".join(adjustments.REASON_NAMES))
@click.option("--note", required=True, help="Why (up to 500 characters).")
@click.option("--by", "by", required=True, help="The staff username making it.")
@json_option
def adjust_command(phone, points_, reason, note, by, as_json):
    """Add or take points; above ADJUSTMENT_APPROVAL_POINTS it waits for approval."""

    def work():
        made = adjustments.request_adjustment(db.session, member=_member(phone),
                                              points=_integer(points_),
                                              reason=reason, note=note, maker=_staff(by))
        return made.id, made.status, made.points

    adjustment_id, status, points = transaction(work, as_json)
    emit(as_json, {"adjustment_id": adjustment_id, "status": status, "points": points},
         f"{adjustment_id} {status} {points:+,}")


def _decide(decision, adjustment_id: str, by: str, as_json: bool, *args) -> None:
    def work():
        decided = decision(db.session, adjustment_id, _staff(by), *args)
        return decided.id, decided.status

    adjustment_id, status = transaction(work, as_json)
    emit(as_json, {"adjustment_id": adjustment_id, "status": status},
         f"{adjustment_id} {status}")


@points_cli.command("approve", cls=JsonCommand)
@click.argument("adjustment_id")
@click.option("--by", "by", required=True, help="The approving staff username (finance/admin).")
@json_option
def approve_command(adjustment_id, by, as_json):
    """Approve (and apply) a pending adjustment someone else made."""
    _decide(adjustments.approve_adjustment, adjustment_id, by, as_json)


@points_cli.command("reject", cls=JsonCommand)
@click.argument("adjustment_id")
@click.option("--by", "by", required=True, help="The rejecting staff username (finance/admin).")
@click.option("--reason", required=True, help="Why it is turned down.")
@json_option
def reject_command(adjustment_id, by, reason, as_json):
    """Reject a pending adjustment, saying why; no points move."""
    _decide(adjustments.reject_adjustment, adjustment_id, by, as_json, reason)


@points_cli.command("pending", cls=JsonCommand)
@json_option
def pending_command(as_json):
    """List the adjustments waiting for approval, oldest first (the first 100)."""
    page = adjustment_queue.adjustment_queue(db.session, status=PENDING, per_page=100)
    rows = [{"adjustment_id": a.id, "member_id": a.member_id, "points": a.points,
             "reason": a.reason, "note": a.note, "made_by": a.made_by,
             "created_at": a.created_at.isoformat()} for a in page.adjustments]
    db.session.rollback()
    if as_json:
        emit(True, {"pending": rows, "total": page.total}, "")
        return
    for row in rows:
        click.echo(f"{row['adjustment_id']}  {row['points']:+,}  {row['reason']}  "
                   f"{row['member_id']}  {row['note']}")
    click.echo(bilingual("共 %(total)s 笔待审批", total=page.total))
