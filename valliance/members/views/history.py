"""Member portal: the points history, 20 rows a page, filtered by kind, with a balance chart,
and what expires when (the next 12 months, by day, soonest first)."""

from datetime import timedelta

from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup

from valliance import points
from valliance.db import SHANGHAI, utcnow
from valliance.extensions import db
from valliance.i18n import _
from valliance.input_guard import bounded_int
from valliance.members.auth import member_required
from valliance.members.labels import KIND_LABELS, PAYMENT_LABELS
from valliance.members.services import statement
from valliance.members.views import bp
from valliance.members.views.chart import balance_svg
from valliance.money import format_yuan
from valliance.points import accounts, upcoming_expiry

HISTORY_PAGE = 20
CHART_ENTRIES = 200
#: how far ahead the page lists what expires
EXPIRY_AHEAD = timedelta(days=366)


@bp.get("/history")
@member_required
def history():
    """Points history, newest first, 20 a page, filtered by kind, with a balance chart."""
    member = current_user.member
    kind = request.args.get("kind") or None
    if kind not in KIND_LABELS:
        kind = None
    before = request.args.get("before", type=bounded_int(1))
    page = accounts.get_history(db.session, member.points_account_id, limit=HISTORY_PAGE,
                                before=before, kinds=frozenset({kind}) if kind else None)
    details = statement.entry_details(db.session, member.id, [e.id for e in page.entries])
    held = (points.held_points(db.session, member.points_account_id)
            if not before and kind in (None, "redeem") else [])
    return render_template("members/history.html", page=page, kind=kind, before=before,
                           kinds=KIND_LABELS, chart=_balance_chart(member), tz=SHANGHAI,
                           detail=lambda e: describe(details.get(e.id)) or _bill_line(e),
                           held=held, expiring=_expiring(member))


def _bill_line(entry) -> str:
    """积分抵话费: points spent on a bill (or given back by its refund) name no merchant."""
    if entry.merchant_id is None and entry.kind in ("redeem", "return"):
        return _("积分抵话费")
    return ""


def _expiring(member) -> list:
    """[(last day, points)] of the member's points expiring within the next 12 months."""
    now = utcnow()
    return upcoming_expiry(db.session, member.points_account_id, now=now,
                           until=now + EXPIRY_AHEAD)


def _balance_chart(member) -> Markup:
    recent = accounts.get_history(db.session, member.points_account_id, limit=CHART_ENTRIES)
    series = [(e.created_at, e.balance_after) for e in recent.entries
              if e.balance_after is not None]
    svg = balance_svg(series, title=_("积分余额走势"),
                      empty_text=_("暂无记录"), tz=SHANGHAI)
    return Markup(svg)  # noqa: S704 — our own SVG, its text escaped by balance_svg


def describe(detail: statement.EntryDetail | None) -> str:
    """One line for a history row: "老王火锅 · 消费 ¥128.50", "话费缴纳 ¥100.00" or ""."""
    if detail is None:
        return ""
    if detail.payment_kind:
        zh, en = PAYMENT_LABELS.get(detail.payment_kind, (detail.payment_kind,) * 2)
        return (_(zh) + f' {format_yuan(detail.payment_fen)}')
    parts = [detail.merchant] if detail.merchant else []
    if detail.purchase_fen is not None:
        parts.append(_("消费") + f' {format_yuan(detail.purchase_fen)}')
    return " · ".join(parts)
