"""What marketing pages call things, in the visitor's language: RFM cells and value bands."""

from valliance.i18n import N_, _

#: the eight classic RFM cells (valliance.marketing.models.RFM_CELLS)
CELL_NAMES = {
    "important_value": N_("重要价值客户"), "important_develop": N_("重要发展客户"),
    "important_keep": N_("重要保持客户"), "important_retain": N_("重要挽留客户"),
    "general_value": N_("一般价值客户"), "general_develop": N_("一般发展客户"),
    "general_keep": N_("一般保持客户"), "general_retain": N_("一般挽留客户"),
}
#: the value pyramid's bands, top down (valliance.marketing.services.rfm.BANDS)
BAND_NAMES = {
    "top1": N_("前1%"), "next4": N_("其后4%"), "next15": N_("其后15%"),
    "rest": N_("其余80%"), "none": N_("近一年无消费"),
}


def cell_name(cell: str) -> str:
    """The cell's name: 重要价值客户, Champions (an unknown cell as stored)."""
    return _(CELL_NAMES[cell]) if cell in CELL_NAMES else cell


def band_name(band: str) -> str:
    """A value band's name: 前1%, Top 1%."""
    return _(BAND_NAMES[band]) if band in BAND_NAMES else band


#: a campaign's status (valliance.marketing.campaign_models.CAMPAIGN_STATUSES)
CAMPAIGN_STATUS_NAMES = {
    "draft": N_("草稿"), "scheduled": N_("已排期"), "sending": N_("发送中"),
    "paused": N_("已暂停"), "stopped": N_("已停止"), "finished": N_("已完成"),
}
#: a campaign's channel (campaign_models.CHANNELS)
CHANNEL_NAMES = {"sms": N_("短信"), "inbox": N_("会员站内信")}
#: how a campaign is scheduled (campaign_models.SCHEDULE_KINDS)
SCHEDULE_NAMES = {"now": N_("立即发送"), "at": N_("定时发送一次"), "daily": N_("每天定时发送")}


def campaign_status_name(status: str) -> str:
    return _(CAMPAIGN_STATUS_NAMES[status]) if status in CAMPAIGN_STATUS_NAMES else status


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def schedule_name(kind: str) -> str:
    return _(SCHEDULE_NAMES[kind]) if kind in SCHEDULE_NAMES else kind
