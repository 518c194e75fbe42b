"""What the desk's pages and the member portal call a ticket's kind, status, channel and clock,
and the promised time ("承诺 12月7日 15:00前"), in the visitor's language (one place for both)."""

from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import get_locale

from valliance.db import SHANGHAI
from valliance.i18n import N_, N_ctx, _, label_text

#: a ticket's kind (models.KINDS)
KIND_NAMES = {
    "fault": N_("故障报修"), "install": N_("新装"), "move": N_("移机"),
    "value_added": N_("增值业务"), "billing": N_("账单问题"), "other": N_("其他"),
}
#: a ticket's status (models.STATUSES); the words are a ticket's, hence their context
TICKET_STATUS = "Ticket status"
STATUS_NAMES = {
    "open": N_ctx("Ticket status", "待受理"), "assigned": N_ctx("Ticket status", "已派单"),
    "in_progress": N_ctx("Ticket status", "处理中"),
    "waiting_member": N_ctx("Ticket status", "等待会员"),
    "resolved": N_ctx("Ticket status", "已解决"), "closed": N_ctx("Ticket status", "已关闭"),
}
#: what the member reads where the desk's word would not speak to them
MEMBER_STATUS_NAMES = {
    "open": N_("已受理"), "assigned": N_("已派单"), "in_progress": N_("处理中"),
    "waiting_member": N_("等待您的配合"), "resolved": N_("已解决"), "closed": N_("已关闭"),
}
#: what a note without a change of status is called in the member's history
NOTE_NAME = N_("新进展")
#: how the ticket came in (models.CHANNELS)
CHANNEL_NAMES = {"portal": N_("会员中心"), "app": N_("会员App"), "desk": N_("客服代开")}
#: the clock a kind runs on (clock.CLOCKS)
CLOCK_NAMES = {"24x7": N_("全天候（24×7）"), "business": N_("工作时间")}
#: what a desk user does to a ticket: the button of each move (tickets.MOVES)
MOVE_NAMES = {
    "assigned": N_("标为已派单"), "in_progress": N_("开始处理"), "waiting_member": N_("等待会员"),
    "resolved": N_("标记已解决"), "closed": N_("关闭工单"), "resume": N_("恢复处理"),
}
#: what happened, in a ticket's timeline (TicketEvent.action)
ACTION_NAMES = {
    "opened": N_("创建工单"), "assigned": N_("派单"), "status": N_("状态变更"), "note": N_("备注"),
    "reopened": N_("会员反馈未解决"), "rated": N_("会员评价"), "escalated": N_("超时升级"),
}
#: the clock's light on the queue (services.queue.light_of)
LIGHT_NAMES = {"green": N_("时间充裕"), "amber": N_("即将超时"), "red": N_("已超时"),
               "paused": N_("已暂停")}
#: Monday (0) to Sunday (6): the business days
WEEKDAY_NAMES = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"),
                 N_("周日"))
#: the queue's status filter beside the statuses (services.queue)
OVERDUE_NAME, ESCALATED_NAME = N_("已超时"), N_("已升级")


def kind_name(kind: str) -> str:
    """A ticket's kind in words: 故障报修, Fault."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def status_name(status: str) -> str:
    """A ticket's status in words: 处理中, In progress."""
    if status not in STATUS_NAMES:
        return status
    return label_text((STATUS_NAMES[status], TICKET_STATUS))


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def clock_name(clock: str) -> str:
    return _(CLOCK_NAMES[clock]) if clock in CLOCK_NAMES else clock


def move_name(move: str) -> str:
    return _(MOVE_NAMES[move]) if move in MOVE_NAMES else move


def action_name(action: str) -> str:
    return _(ACTION_NAMES[action]) if action in ACTION_NAMES else action


def light_name(light: str) -> str:
    return _(LIGHT_NAMES[light]) if light in LIGHT_NAMES else light


def duration_text(seconds: int) -> str:
    """A span in words, to the minute: 1小时20分, 2天3小时, 35分 (never negative)."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s天%(hours)s小时", days=days, hours=hours)
    if hours:
        return _("%(hours)s小时%(minutes)s分", hours=hours, minutes=minutes)
    return _("%(minutes)s分", minutes=minutes)


def clock_text(left_seconds: int, paused: bool) -> str:
    """The clock's words on the queue and the ticket: 剩余 1小时20分, 超时 35分,
    暂停中，剩余 2小时0分."""
    if paused and left_seconds < 0:
        return _("暂停中，已超时 %(over)s", over=duration_text(-left_seconds))
    if paused:
        return _("暂停中，剩余 %(left)s", left=duration_text(left_seconds))
    if left_seconds < 0:
        return _("超时 %(over)s", over=duration_text(-left_seconds))
    return _("剩余 %(left)s", left=duration_text(left_seconds))


def weekdays_text(weekdays) -> str:
    """The business days in words: 周一、周二、周三."""
    return _("、").join(_(WEEKDAY_NAMES[day]) for day in sorted(weekdays))


def member_status_name(status: str | None) -> str:
    """A ticket status as the member reads it (a note that kept the status: 新进展)."""
    label = MEMBER_STATUS_NAMES.get(status) if status else NOTE_NAME
    return _(label) if label else status


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
