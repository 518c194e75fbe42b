"""What desk and portal pages call things, in the visitor's language: a ticket's kind and
status, and the promised time ("承诺 12月7日 15:00前")."""

from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import get_locale

from valliance.db import SHANGHAI
from valliance.i18n import N_, _

KIND_NAMES = {
    "fault": N_("故障报修"),
    "install": N_("新装"),
    "move": N_("移机"),
    "value_added": N_("增值业务"),
    "billing": N_("账单问题"),
    "other": N_("其他"),
}
STATUS_NAMES = {
    "open": N_("已受理"),
    "assigned": N_("已派单"),
    "in_progress": N_("处理中"),
    "waiting_member": N_("等待会员配合"),
    "resolved": N_("已解决"),
    "closed": N_("已关闭"),
}
#: what the member reads where the desk's word would not speak to them
MEMBER_STATUS_NAMES = {**STATUS_NAMES, "waiting_member": N_("等待您的配合")}
#: what a note without a change of status is called in the ticket's history
NOTE_NAME = N_("新进展")


def kind_name(kind: str) -> str:
    """A ticket kind's name: 故障报修, Fault repair."""
    label = KIND_NAMES.get(kind)
    return _(label) if label else kind


def status_name(status: str | None, *, member: bool = False) -> str:
    """A ticket status's name (a note that kept the status: 新进展); `member`: as the member
    reads it (等待您的配合)."""
    label = (MEMBER_STATUS_NAMES if member else STATUS_NAMES).get(status) if status else NOTE_NAME
    return _(label) if label else status


def member_status_name(status: str | None) -> str:
    """A ticket status's name as the member reads it."""
    return status_name(status, member=True)


def moment(at: datetime) -> str:
    """A moment in Shanghai as the visitor's calendar writes it: 12月7日 15:00, Dec 7 15:00."""
    local = at.astimezone(SHANGHAI)
    day = format_skeleton("MMMd", local.date(), locale=get_locale() or "zh_CN")
    return f"{day} {local.strftime('%H:%M')}"


def promise_text(due_at: datetime) -> str:
    """承诺 12月7日 15:00前."""
    return _("承诺 %(when)s前", when=moment(due_at))


def progress_text(ticket: dict) -> str:
    """Where the member's ticket stands in time: the promise while it is worked, a paused
    clock while it waits for them, when it was resolved or closed."""
    status = ticket["status"]
    if status == "waiting_member":
        return _("计时暂停，等您回复后继续处理")
    if status == "resolved" and ticket["resolved_at"]:
        return _("已于%(when)s解决", when=moment(ticket["resolved_at"]))
    if status == "closed" and ticket["closed_at"]:
        return _("已于%(when)s关闭", when=moment(ticket["closed_at"]))
    return promise_text(ticket["due_at"])


#: the member portal's templates (status_name speaks to the member)
HELPERS = {"kind_name": kind_name, "status_name": member_status_name, "moment": moment,
           "promise_text": promise_text, "progress_text": progress_text}
