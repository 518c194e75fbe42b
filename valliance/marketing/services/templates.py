"""Campaign message templates: which placeholders a message may use, and filling them in.

A template is plain text with placeholders in braces, filled per member when sent:

    尊敬的{name}，您的{tier}账户有{balance}积分，其中{expiring_points}积分将于{expiring_date}到期。

Messages go to members, who are Chinese: the values are written in Chinese whatever language
the staff member uses. A brace that is not one of PLACEHOLDERS is refused when the campaign is
saved (check), so a typo never reaches a member as "{nmae}".
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from valliance.i18n import N_
from valliance.points import last_day

#: placeholder → what it shows (msgid; the campaign form lists them)
PLACEHOLDERS = {
    "name": N_("会员姓名"),
    "tier": N_("会员等级（如：金卡）"),
    "balance": N_("积分余额"),
    "expiring_points": N_("30天内到期的积分"),
    "expiring_date": N_("最早到期日（如：12月31日）"),
    "offer": N_("所选优惠的名称"),
}
_BRACED = re.compile(r"\{([^{}]*)\}")
#: the longest template (an SMS of several parts; the inbox shows it whole)
MESSAGE_MAX = 300


@dataclass(frozen=True)
class MemberValues:
    """What one member's message is filled with."""

    name: str
    tier_zh: str
    balance: int
    expiring_points: int
    #: when the soonest of those points expire (None: none expire within 30 days)
    expiring_at: datetime | None
    offer: str = ""


def unknown_placeholders(message: str) -> list[str]:
    """The braced words in message that are not placeholders (empty when it is sound)."""
    return [name for name in _BRACED.findall(message) if name not in PLACEHOLDERS]


def uses(message: str, placeholder: str) -> bool:
    return "{" + placeholder + "}" in message


def values_of(member: MemberValues) -> Mapping[str, str]:
    # the last day they can be spent (12月31日 for points expiring at 1 January 00:00)
    expiring = last_day(member.expiring_at) if member.expiring_at else None
    return {
        "name": member.name,
        "tier": member.tier_zh,
        "balance": f"{member.balance:,}",
        "expiring_points": f"{member.expiring_points:,}",
        "expiring_date": f"{expiring.month}月{expiring.day}日" if expiring else "",
        "offer": member.offer,
    }


def render(message: str, member: MemberValues) -> str:
    """The message with member's values in place of its placeholders."""
    values = values_of(member)
    return _BRACED.sub(lambda match: values.get(match.group(1), match.group(0)), message)
