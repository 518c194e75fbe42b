"""The rules every campaign send obeys, in one place (issue #17, contract §11).

For each member of a campaign's audience, in this order:

1. **Opted out.** A member who has not agreed to marketing (members.marketing_opt_in) gets
   nothing: `opted_out`.
2. **Capped.** A member already reached by MARKETING_MAX_PER_30_DAYS (default 4) marketing
   messages in the last 30 days, across every campaign, gets nothing: `capped`. Messages held
   back by the quiet hours count from the moment they were decided (they will go out).
3. **Held out.** A member in the campaign's control group gets nothing, and is watched for
   what they buy: `control`. Who is held out is fixed per campaign and member (a hash of both
   ids against the percent), so a retried or repeated run holds out the same members. The
   control group is drawn from the members who would have been reached, so target and
   control compare like with like.
4. **Quiet hours.** Between 21:00 and 09:00 Asia/Shanghai nobody is messaged: the member is
   reached (`deferred`: any reward is credited now) and the message goes out at 09:00.
5. Otherwise the message goes now: `sent`.

And never twice: one row per (campaign, round, member), decided under one lock, so a run that
is retried, resumed or started twice at once reaches nobody twice. A daily campaign's rounds
leave out the members another round reached or held out since the same day a year before:
a birthday greeting comes once a year, however often the member changes their birthday.
A campaign with a re-entry period (win-back) instead leaves out members it reached or held
out, or found opted out, unless they bought since and the period has passed: once per lapse.
Only members in good standing (membership active) are in an audience.
"""

import hashlib
from datetime import date, datetime, time, timedelta

from valliance.db import SHANGHAI

QUIET_START = time(21, 0)
QUIET_END = time(9, 0)
CAP_WINDOW = timedelta(days=30)
DEFAULT_MAX_PER_30_DAYS = 4
#: delivery statuses that count towards the cap (the member was, or will be, messaged)
REACHED = ("sent", "deferred")


def max_per_30_days(config) -> int:
    return int(config.get("MARKETING_MAX_PER_30_DAYS", DEFAULT_MAX_PER_30_DAYS))


def in_quiet_hours(now: datetime) -> bool:
    local = now.astimezone(SHANGHAI).time()
    return local >= QUIET_START or local < QUIET_END


def year_before(day: str) -> str:
    """The same ISO day a year before (29 February: the 28th): a daily campaign reaches or
    holds out one member at most once in any round after it."""
    when = date.fromisoformat(day)
    try:
        return when.replace(year=when.year - 1).isoformat()
    except ValueError:  # 29 February
        return when.replace(year=when.year - 1, day=28).isoformat()


def days_before(day: str, days: int) -> str:
    """The ISO day so many days before: a campaign with a re-entry period takes a member again
    only in a round at least that many days after their last one."""
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def marketing_until(now: datetime) -> datetime | None:
    """Until when marketing messages may be handed to the gateway: the coming 21:00
    Asia/Shanghai, or None inside the quiet hours (messaging.deliver_pending's deadline)."""
    if in_quiet_hours(now):
        return None
    return datetime.combine(now.astimezone(SHANGHAI).date(), QUIET_START, SHANGHAI)


def quiet_hours_end(now: datetime) -> datetime:
    """The next 09:00 Asia/Shanghai at or after now."""
    local = now.astimezone(SHANGHAI)
    morning = datetime.combine(local.date(), QUIET_END, SHANGHAI)
    if local >= morning:
        morning += timedelta(days=1)
    return morning


def in_control(campaign_id: str, member_id: str, percent: int) -> bool:
    """Whether the member is held out of the campaign (stable: a hash of both ids)."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000 < percent * 100


def decide(*, opted_in: bool, reached_recently: int, cap: int, held_out: bool,
           quiet: bool) -> str:
    """What a send does for one member (the module's order of rules)."""
    if not opted_in:
        return "opted_out"
    if reached_recently >= cap:
        return "capped"
    if held_out:
        return "control"
    return "deferred" if quiet else "sent"


def next_daily(daily_at: str, after: datetime) -> datetime:
    """The first daily_at ("HH:MM", Asia/Shanghai) strictly after `after`."""
    at = time.fromisoformat(daily_at)
    local = after.astimezone(SHANGHAI)
    candidate = datetime.combine(local.date(), at, SHANGHAI)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate
