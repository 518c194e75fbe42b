"""What marketing pages call things, in the visitor's language: RFM cells and value bands."""

from valliance.i18n import N_, N_ctx, _, label_text, pbilingual

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
#: (words elsewhere mean a merchant's suspension: a context of their own)
CAMPAIGN_STATUS = "Campaign status"
CAMPAIGN_STATUS_NAMES = {
    "draft": N_ctx("Campaign status", "草稿"), "scheduled": N_ctx("Campaign status", "已排期"),
    "sending": N_ctx("Campaign status", "发送中"), "paused": N_ctx("Campaign status", "已暂停"),
    "stopped": N_ctx("Campaign status", "已停止"), "finished": N_ctx("Campaign status", "已完成"),
}
#: a campaign's channel (campaign_models.CHANNELS)
CHANNEL_NAMES = {"sms": N_("短信"), "inbox": N_("会员站内信")}
#: how a campaign is scheduled (campaign_models.SCHEDULE_KINDS)
SCHEDULE_NAMES = {"now": N_("立即发送"), "at": N_("定时发送一次"), "daily": N_("每天定时发送")}


def campaign_status_name(status: str) -> str:
    """A campaign's status in words: 已暂停, Paused."""
    if status not in CAMPAIGN_STATUS_NAMES:
        return status
    return label_text((CAMPAIGN_STATUS_NAMES[status], CAMPAIGN_STATUS))


def campaign_status_bilingual(status: str):
    """The status as a message parameter (both languages outside a request)."""
    return pbilingual(CAMPAIGN_STATUS, CAMPAIGN_STATUS_NAMES.get(status, status))


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def schedule_name(kind: str) -> str:
    return _(SCHEDULE_NAMES[kind]) if kind in SCHEDULE_NAMES else kind
