"""The demo's trade, recorded through the services that record real trade.

Purchases and refunds go through merchants.services — the POS API's own service functions — and
114 referrals through directory.services, each dated when it happened (`at=`). Events are
played in time order, so the ledger's transfer ids grow with their dates as they do at real
tills: settlement closes a month by transfer id.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import Session

from valliance.demo import plan
from valliance.directory import services as directory
from valliance.members.models import Member
from valliance.members.services import pay_codes
from valliance.merchants.models import Merchant
from valliance.merchants.services import purchases, refunds
from valliance.points import get_balance

#: a redemption spends at least this many points (and at most half the bill)
MIN_REDEMPTION = 100


@dataclass
class Played:
    purchases: int = 0
    refunds: int = 0
    referrals: int = 0
    #: members who have spent points already (one pay code, one redemption)
    redeemed: set[str] = field(default_factory=set)


def _pay_code(member: Member) -> str:
    """What the till scans when the member pays with points: the live 22-digit pay code."""
    return pay_codes.current_code(member.card)[0]


def _redemption(member: Member, sale: plan.Sale, session: Session, played: Played) -> int:
    """Points the member spends on this sale: up to half the bill, once per member."""
    if not sale.redeem or member.id in played.redeemed:
        return 0
    point_value = current_app.config["POINT_VALUE_FEN"]
    available = get_balance(session, member.points_account_id).available
    points = min(available, sale.amount // 2 // point_value) // 10 * 10
    return points if points >= MIN_REDEMPTION else 0


def play_trade(session: Session, events: list, *, members: list[Member],
               merchants: dict[str, Merchant], tills: dict[str, str],
               operator: directory.OperatorSeat) -> Played:
    """Record the planned events, oldest first; flush, never commit."""
    played = Played()
    for event in events:
        if isinstance(event, plan.Sale):
            member = members[event.member]
            points = _redemption(member, event, session, played)
            scanned = _pay_code(member) if points else member.card.number
            purchase = purchases.record_purchase(
                session, merchants[event.merchant_id], tills.get(event.merchant_id), scanned,
                event.amount, points, None, at=event.at)
            event.purchase_id = purchase.id
            played.purchases += 1
            if points:
                played.redeemed.add(member.id)
        elif isinstance(event, plan.Refund):
            refunds.refund_purchase(session, merchants[event.sale.merchant_id],
                                    event.sale.purchase_id, event.amount, at=event.at)
            played.refunds += 1
        else:
            caller = members[event.member].phone if event.member is not None else event.phone
            offers = merchants[event.merchant_id].offers
            directory.create_referral(session, operator, caller=caller,
                                      merchant_id=event.merchant_id,
                                      offer_id=offers[0].id if offers else None, at=event.at)
            played.referrals += 1
    return played
