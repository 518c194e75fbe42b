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
