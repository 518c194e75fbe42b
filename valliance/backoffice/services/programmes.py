"""The alliance's programmes side by side (issue #18): for each, what it cost (points valued
at POINT_VALUE_FEN, and fen) and what it brought, read from the programme's own figures — the
same numbers its page shows."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.care.services import figures as care_figures
from valliance.care.services.programme import get_programme
from valliance.coupons.figures import figures_of
from valliance.coupons.models import CouponTemplate
from valliance.coupons.rule_models import CouponRule, CouponRuleGrant
from valliance.invitations.services import reads as invitation_reads
from valliance.marketing.services.expiry_report import expiry_report
from valliance.winback.services.report import report as winback_report


@dataclass(frozen=True)
class Programme:
    """One programme's card: its key (the page it links to), cost and result figures."""

    key: str
    #: None: its cost is counted elsewhere (满就送's coupons: under 优惠券)
    cost_fen: int | None
    #: points it gave or let members spend (None: it costs no points)
    cost_points: int | None
    #: what it brought, by name (the template words each)
    result: dict


def programmes(session: Session, *, now: datetime, point_value_fen: int) -> list[Programme]:
    """Every programme's card, in the order staff meet them."""
    return [_coupons(session), _rules(session), _birthday(session),
            _invitations(session, point_value_fen), _winback(session, now),
            _expiry(session, now, point_value_fen), _bills(session, point_value_fen)]


def _coupons(session: Session) -> Programme:
    ids = list(session.scalars(select(CouponTemplate.id)))
    each = figures_of(session, ids).values()
    total = {name: sum(getattr(f, name) for f in each)
             for name in ("issued", "used", "value_used", "alliance_cost", "purchases", "spend")}
    return Programme("coupons", total["alliance_cost"], None,
                     {"issued": total["issued"], "used": total["used"],
                      "value_used": total["value_used"], "spend": total["spend"]})


def _rules(session: Session) -> Programme:
    active = session.scalar(select(func.count()).select_from(CouponRule)
                            .where(CouponRule.active.is_(True))) or 0
    granted = session.scalar(select(func.count()).select_from(CouponRuleGrant)) or 0
    return Programme("coupon_rules", None, None, {"active": active, "granted": granted})


def _birthday(session: Session) -> Programme:
    programme = get_programme(session)
    f = care_figures.programme_figures(session, programme.campaign_id if programme else None)
    return Programme("birthday", f.total_fen, f.bonus_points + f.double_points,
                     {"gifts": f.gifts, "coupons_used": f.coupons_used})


def _invitations(session: Session, point_value_fen: int) -> Programme:
    t = invitation_reads.totals(session)
    net = t.points_paid - t.points_clawed_back
    return Programme("invitations", net * point_value_fen, net,
                     {"invited": t.invited, "rewarded": t.rewarded})


def _winback(session: Session, now: datetime) -> Programme:
    r = winback_report(session, now=now)
    return Programme("winback", r.cost_fen, r.bonus_points,
                     {"reached": r.reached, "came_back": r.came_back,
                      "control": r.control, "control_came_back": r.control_came_back})


def _expiry(session: Session, now: datetime, point_value_fen: int) -> Programme:
    r = expiry_report(session, now=now, point_value_fen=point_value_fen)
    return Programme("expiry", 0, None,
                     {"messages": sum(s.messages for s in r.stages),
                      "spent": sum(s.spent for s in r.stages), "breakage": r.breakage})


def _bills(session: Session, point_value_fen: int) -> Programme:
    f = points.bill_points_figures(session)
    return Programme("bill_points", f.spent * point_value_fen, f.spent,
                     {"bills": f.bills, "members": f.members})
