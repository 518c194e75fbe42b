"""A campaign's report: who it targeted and reached, what became of its messages, who bought
in the 30 days after, against the held-out control group (docs/marketing.md, "Campaign
report"). Counted by four aggregate queries, whatever the number of deliveries."""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, false, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from valliance.coupons.models import Coupon
from valliance.db import SHANGHAI, utcnow
from valliance.errors import NotFound
from valliance.i18n import bilingual
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services.uplift import Uplift, uplift
from valliance.members.models import InboxMessage
from valliance.merchants.models import Offer, Purchase
from valliance.messaging import OutboxMessage
from valliance.points import points_of_transfers

#: the statuses of members the campaign reached (a deferred message counts: it goes at 09:00)
REACHED = ("sent", "deferred")
CONTROL = "control"
#: how long after being reached (held out, for the control group) a purchase counts
WINDOW_DAYS = 30
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")

d = CampaignDelivery


@dataclass
class Counts:
    """Delivery rows by status and what the members of those rows did (one round, or all)."""

    #: every delivery row, whatever its status (a member in three rounds counts three times)
    targeted: int = 0
    sent: int = 0
    deferred: int = 0
    control: int = 0
    capped: int = 0
    opted_out: int = 0
    cancelled: int = 0
    #: deferred rows whose message has not been handed to its channel yet
    waiting: int = 0
    #: reached rows whose member bought at the offer's merchant within the window
    redeemed: int = 0
    #: reached rows whose member bought at any alliance merchant within the window
    buyers: int = 0
    #: control rows whose member bought at any alliance merchant within the window
    control_buyers: int = 0

    @property
    def reached(self) -> int:
        return self.sent + self.deferred

    @property
    def uplift(self) -> Uplift:
        return uplift(self.buyers, self.reached, self.control_buyers, self.control)

    def add(self, other: "Counts") -> None:
        for name in (f.name for f in fields(Counts)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RoundReport(Counts):
    round: str = ""


@dataclass(frozen=True)
class Messages:
    """The campaign's messages: SMS by outbox status; inbox messages delivered and read."""

    sms: dict[str, int]
    inbox_delivered: int
    inbox_read: int

    @property
    def sms_total(self) -> int:
        return sum(self.sms.values())


@dataclass
class CampaignReport(Counts):
    campaign_id: str = ""
    name: str = ""
    channel: str = "sms"
    #: the campaign names an offer, so redemptions are counted (at its merchant)
    has_offer: bool = False
    rounds: list[RoundReport] = field(default_factory=list)
    messages: Messages = field(default_factory=lambda: Messages({}, 0, 0))
    #: points credited by the campaign's reward transfers
    reward_points: int = 0
    #: the campaign's coupon template (None: no coupon), coupons issued and used at a till
    coupon_template_id: str | None = None
    coupons_issued: int = 0
    coupons_used: int = 0
    #: members reached who got none (at their limit, or the template all given out)
    coupons_refused: int = 0
    #: when the last counted member's 30 days end (None: nobody reached or held out yet)
    window_ends_at: datetime | None = None
    #: every counted member's 30 days are over: buyers will not grow any more
    complete: bool = False

    @property
    def sent_yet(self) -> bool:
        return self.targeted > 0

    @property
    def window_ends_on(self) -> date | None:
        """The Shanghai day the last counted member's 30 days end."""
        return self.window_ends_at.astimezone(SHANGHAI).date() if self.window_ends_at else None


def _window_end(session: Session, moment):
    if session.get_bind().dialect.name == "postgresql":
        return moment + literal_column(f"interval '{WINDOW_DAYS} days'")
    # SQLite keeps the UTC time as text "YYYY-MM-DD HH:MM:SS.ffffff": the same shape to the
    # millisecond, so text comparison orders it right
    return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{WINDOW_DAYS} days")


def _buyers(session: Session, campaign_id: str, merchant_id: str | None):
    """Subquery: the campaign's reached and held-out rows whose member bought (not refunded in
    full) within the window after the row's moment, and whether at the offer's merchant."""
    row = aliased(CampaignDelivery)
    moment = func.coalesce(row.reached_at, row.created_at)
    # one join and GROUP BY, not an EXISTS per row: the planner then reads each member's
    # purchases once, never a busy merchant's whole month per row
    at_offer = Purchase.merchant_id == merchant_id if merchant_id else false()
    return (select(row.id.label("id"), func.max(case((at_offer, 1), else_=0)).label("at_offer"))
            .join(Purchase, and_(Purchase.member_id == row.member_id,
                                 Purchase.created_at >= moment,
                                 Purchase.created_at < _window_end(session, moment),
                                 Purchase.refunded_amount < Purchase.amount))
            .where(row.campaign_id == campaign_id, row.status.in_((*REACHED, CONTROL)))
            .group_by(row.id).subquery("buyers"))


def _rounds(session: Session, campaign_id: str, merchant_id: str | None):
    counted = d.status.in_((*REACHED, CONTROL))
    buyers = _buyers(session, campaign_id, merchant_id)
    # redeemed: bought at the offer's merchant within the window, or used the campaign's
    # coupon at a till (a coupon a full refund gave back is active again: not counted)
    redeemed = or_(buyers.c.at_offer == 1, Coupon.status == "used")
    return session.execute(
        select(d.round, d.status, func.count(),
               func.count().filter(and_(d.status == "deferred", d.sent_at.is_(None))),
               func.count(buyers.c.id),
               func.count().filter(and_(d.status.in_(REACHED), redeemed)),
               func.max(func.coalesce(d.reached_at, d.created_at)).filter(counted),
               func.count(d.coupon_id), func.count().filter(Coupon.status == "used"),
               func.count().filter(d.coupon_outcome == "refused"))
        .outerjoin(buyers, buyers.c.id == d.id)
        .outerjoin(Coupon, Coupon.id == d.coupon_id)
        .where(d.campaign_id == campaign_id)
        .group_by(d.round, d.status).order_by(d.round, d.status)).all()


def _messages(session: Session, campaign_id: str) -> Messages:
    sms = dict.fromkeys(OUTBOX_STATUSES, 0)
    sms.update(session.execute(
        select(OutboxMessage.status, func.count())
        .join(d, d.outbox_message_id == OutboxMessage.id)
        .where(d.campaign_id == campaign_id).group_by(OutboxMessage.status)).all())
    delivered, read = session.execute(
        select(func.count(), func.count(InboxMessage.read_at))
        .join(d, d.inbox_message_id == InboxMessage.id)
        .where(d.campaign_id == campaign_id)).one()
    return Messages(sms, delivered, read)


def report(session: Session, campaign_id: str, *, now: datetime | None = None
           ) -> CampaignReport:
    """The campaign's report (NotFound for an unknown campaign)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(bilingual("没有这个营销活动"))
    merchant_id = (session.scalar(select(Offer.merchant_id).where(Offer.id == campaign.offer_id))
                   if campaign.offer_id else None)
    result = CampaignReport(campaign_id=campaign.id, name=campaign.name,
                            channel=campaign.channel, has_offer=merchant_id is not None,
                            coupon_template_id=campaign.coupon_template_id)
    by_round: dict[str, RoundReport] = {}
    last = None
    for (round_, status, rows, waiting, buyers, redeemed, latest, issued, used,
         refused) in _rounds(session, campaign_id, merchant_id):
        result.coupons_issued += issued
        result.coupons_used += used
        result.coupons_refused += refused
        counts = by_round.setdefault(round_, RoundReport(round=round_))
        counts.targeted += rows
        setattr(counts, status, getattr(counts, status) + rows)
        counts.waiting += waiting
        counts.redeemed += redeemed
        if status == CONTROL:
            counts.control_buyers += buyers
        else:
            counts.buyers += buyers
        if latest is not None and (last is None or latest > last):
            last = latest
    for counts in by_round.values():
        result.add(counts)
    result.rounds = list(by_round.values())
    result.messages = _messages(session, campaign_id)
    result.reward_points = points_of_transfers(session, select(d.reward_transfer_id).where(
        d.campaign_id == campaign_id, d.reward_transfer_id.is_not(None)))
    if last is not None:
        result.window_ends_at = last + timedelta(days=WINDOW_DAYS)
        result.complete = (now or utcnow()) >= result.window_ends_at
    return result
