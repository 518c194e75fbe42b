"""The send engine's face that the campaign pages and services call (campaign_send,
send_rules: the lead's, on another branch). Once they are merged, `engine` uses them and only
records enqueue_run (the one stand-in allowed: queuing is the engine's, not under test here).
Until then it puts a small stand-in in their place for the test's duration: member values
read from the database, counts from campaign_deliveries, the next daily time.
"""

import sys
import types
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from valliance.db import SHANGHAI
from valliance.marketing import services as marketing_services
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.services.templates import MemberValues
from valliance.members import tiers
from valliance.members.models import Member
from valliance.merchants.models import Offer
from valliance.points import member_balances


@dataclass(frozen=True)
class _Counts:
    targeted: int = 0
    sent: int = 0
    deferred: int = 0
    control: int = 0
    capped: int = 0
    opted_out: int = 0

    def as_json(self) -> dict:
        return asdict(self)


def _member_values(session, campaign, member_ids):
    offer = session.get(Offer, campaign.offer_id) if campaign.offer_id else None
    members = list(session.scalars(select(Member).where(Member.id.in_(member_ids))))
    balances = member_balances(session, [m.points_account_id for m in members])
    return {m.id: MemberValues(name=m.name, tier_zh=tiers.TIER_NAMES_ZH[m.tier],
                               balance=balances.get(m.points_account_id, 0),
                               expiring_points=0, expiring_at=None,
                               offer=offer.title if offer else "")
            for m in members}


def _counts(session, campaign_id, round=None):  # noqa: A002 (the engine's name)
    query = select(CampaignDelivery.status, func.count()).where(
        CampaignDelivery.campaign_id == campaign_id).group_by(CampaignDelivery.status)
    if round is not None:
        query = query.where(CampaignDelivery.round == round)
    by_status = {status: n for status, n in session.execute(query)}
    fields = ("sent", "deferred", "control", "capped", "opted_out")
    return _Counts(targeted=sum(by_status.values()),
                   **{name: by_status.get(name, 0) for name in fields})


def next_daily(daily_at: str, after: datetime) -> datetime:
    """The next daily_at (Asia/Shanghai) strictly after `after`, in UTC."""
    hour, minute = map(int, daily_at.split(":"))
    local = after.astimezone(SHANGHAI)
    at = datetime.combine(local.date(), time(hour, minute), SHANGHAI)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(after.tzinfo)


def _install(monkeypatch, name: str, **functions):
    module = types.ModuleType(f"valliance.marketing.services.{name}")
    module.__dict__.update(functions)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(marketing_services, name, module, raising=False)
    return module


@pytest.fixture
def engine(monkeypatch) -> list[str]:
    """The campaign ids whose run was queued (enqueue_run), in order."""
    queued: list[str] = []
    try:
        from valliance.marketing.services import campaign_send  # noqa: F401
    except ImportError:
        _install(monkeypatch, "campaign_send", member_values=_member_values, counts=_counts,
                 enqueue_run=queued.append)
        _install(monkeypatch, "send_rules", next_daily=next_daily)
    else:
        monkeypatch.setattr(campaign_send, "enqueue_run", queued.append)
    return queued
