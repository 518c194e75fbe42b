"""Handing a campaign's messages to their channel: each member's values, the text, and the
outbox (SMS) or the portal inbox; used by a run and by the 09:00 release of deferred ones."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from valliance.db import select_where_in, utcnow
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services.templates import MemberValues, render
from valliance.members.models import Member
from valliance.members.services.inbox import post_many
from valliance.members.tiers import TIER_NAMES_ZH
from valliance.merchants.models import Offer
from valliance.messaging import BODY_MAX, queue_many
from valliance.points import member_balances, points_expiring_by

#: {expiring_points}: points expiring within this many days
EXPIRING_WITHIN = timedelta(days=30)
#: what every marketing SMS ends with (replying TD opts the member out)
SMS_OPT_OUT = "回复TD退订"
#: an inbox message's title: the message's first line, cut to this many characters
TITLE_CHARS = 30


@dataclass(frozen=True)
class Recipient:
    member_id: str
    phone: str
    name: str
    tier: str
    points_account_id: int


def recipients(session: Session, member_ids: Sequence[str]) -> dict[str, Recipient]:
    rows = select_where_in(
        session, select(Member.id, Member.phone, Member.name, Member.tier,
                        Member.points_account_id), Member.id, list(member_ids))
    return {row[0]: Recipient(*row) for row in rows}


def member_values(session: Session, campaign: Campaign, member_ids: Sequence[str], *,
                  now: datetime | None = None, people: dict[str, Recipient] | None = None
                  ) -> dict[str, MemberValues]:
    """member id → what this campaign's message is filled with for them."""
    now = now or utcnow()
    people = people if people is not None else recipients(session, member_ids)
    accounts = [person.points_account_id for person in people.values()]
    balances = member_balances(session, accounts)
    expiring = points_expiring_by(session, accounts, now + EXPIRING_WITHIN)
    offer = offer_title(session, campaign)
    values = {}
    for member_id, person in people.items():
        points, soonest = expiring.get(person.points_account_id, (0, None))
        tier = TIER_NAMES_ZH.get(person.tier, person.tier)  # the msgid is the Chinese name
        values[member_id] = MemberValues(
            name=person.name, tier_zh=tier, balance=balances.get(person.points_account_id, 0),
            expiring_points=points, expiring_at=soonest, offer=offer)
    return values


def offer_title(session: Session, campaign: Campaign) -> str:
    if not campaign.offer_id:
        return ""
    return session.scalar(select(Offer.title).where(Offer.id == campaign.offer_id)) or ""


def sms_text(text: str) -> str:
    """An SMS body: the text with the opt-out words at the end (once), cut to fit."""
    if SMS_OPT_OUT not in text:
        text = f"{text} {SMS_OPT_OUT}"
    if len(text) > BODY_MAX:
        text = text[:BODY_MAX - len(SMS_OPT_OUT) - 2] + "… " + SMS_OPT_OUT
    return text


def inbox_title(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS - 1] + "…"


def deliver(session: Session, campaign: Campaign, deliveries: list[tuple[int, str]], *,
            now: datetime) -> None:
    """Send (delivery id, member id) pairs now through the campaign's channel and mark their
    rows sent (with the outbox or inbox message's id)."""
    if not deliveries:
        return
    member_ids = [member_id for _, member_id in deliveries]
    people = recipients(session, member_ids)
    values = member_values(session, campaign, member_ids, now=now, people=people)
    texts = [render(campaign.message, values[member_id]) for member_id in member_ids]
    if campaign.channel == "sms":
        message_ids = queue_many(session, [(people[member_id].phone, sms_text(text))
                                           for member_id, text in zip(member_ids, texts,
                                                                      strict=True)])
        column = "outbox_message_id"
    else:
        message_ids = post_many(session, [(member_id, inbox_title(text), text)
                                          for member_id, text in zip(member_ids, texts,
                                                                     strict=True)],
                                source=f"campaign:{campaign.id}", now=now)
        column = "inbox_message_id"
    table = CampaignDelivery.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("delivery"))
        .values({"status": "sent", "sent_at": now, column: bindparam("message")})
        .execution_options(synchronize_session=False),
        [{"delivery": delivery_id, "message": message_id}
         for (delivery_id, _), message_id in zip(deliveries, message_ids, strict=True)])
