"""What the demo members told us and what reached them: birthdays (about 70 %), consent to
marketing (about 60 %), and a few inbox messages for each printed login — all written by the
services that write them in production (set_birthday, set_marketing_opt_in, inbox.post_many),
so each change is audited (actor "demo")."""

import random
from datetime import datetime, timedelta

from valliance.demo.roster import DemoMember, login_members
from valliance.members.models import Member
from valliance.members.services import inbox
from valliance.members.services.birthday import MONTH_DAYS, set_birthday
from valliance.members.services.marketing_consent import set_marketing_opt_in

BIRTHDAY_SHARE = 0.7
OPT_IN_SHARE = 0.6
#: the logins' inbox: (days ago, title, body, read) — demo data, in the members' language
INBOX = (
    (20, "欢迎加入V卡联盟",
     "您好！凭V卡在联盟商户消费即可享受会员折扣并累积积分，积分可在任一联盟商户抵扣。"
     "在“我的卡”出示会员码即可使用。", True),
    (6, "老王火锅会员专享：满200减30",
     "即日起至月底，V卡会员到老王火锅（五马街店）堂食满200元立减30元，可与积分抵扣同享。"
     "回复TD退订。", False),
    (1, "您有积分即将到期",
     "您的部分积分将在近期到期，欢迎到任一联盟商户消费时抵扣使用。"
     "积分明细可在“积分明细”页查看。", False),
)


def seed_profiles(session, roster: list[DemoMember], created: dict[int, Member],
                  rng: random.Random, now: datetime) -> None:
    """Birthdays and consent for the members just enrolled; the logins' inbox messages."""
    logins = {m.phone for m in login_members(roster).values()}
    for index, member in sorted(created.items()):
        is_login = roster[index].phone in logins
        if is_login or rng.random() < BIRTHDAY_SHARE:  # a login shows the profile's birthday
            month = rng.randint(1, 12)
            set_birthday(session, member, month, rng.randint(1, MONTH_DAYS[month - 1]),
                         actor="demo", via="demo")
        if rng.random() < OPT_IN_SHARE:
            set_marketing_opt_in(session, member, True, actor="demo", via="demo")
    for index, member in sorted(created.items()):
        if roster[index].phone in logins:
            _inbox(session, member, now)


def _inbox(session, member: Member, now: datetime) -> None:
    for days, title, body, read in INBOX:
        at = now - timedelta(days=days, hours=3)
        message_id = inbox.post(session, member.id, title, body, source="demo", now=at)
        if read:
            inbox.mark_read(session, member.id, message_id, now=at + timedelta(hours=2))
