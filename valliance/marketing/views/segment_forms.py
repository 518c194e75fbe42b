"""The segment builder's labels and inputs: what each filter reads as, the choices it offers,
and the filters read back from a form's fields (GET preview or POST save)."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from valliance.extensions import db
from valliance.i18n import N_, _
from valliance.marketing.labels import CELL_NAMES
from valliance.marketing.models import RFM_CELLS
from valliance.marketing.services.saved_segments import MAX_NAME
from valliance.marketing.services.segment_filters import (
    DATE_FIELDS,
    FLAG_FIELDS,
    INT_FIELDS,
    LIST_FIELDS,
    Filters,
)
from valliance.members.labels import month_name, tier_name
from valliance.members.models import TIERS
from valliance.merchants.labels import category_name
from valliance.merchants.models import CATEGORIES, Merchant
from valliance.web.forms import REQUIRED

assert tuple(CELL_NAMES) == RFM_CELLS
FIELD_NAMES = {
    "tiers": N_("会员等级"), "districts": N_("区域（最常消费的商户所在）"),
    "rfm_cells": N_("RFM 客户类型"), "inactive_min": N_("距上次消费至少（天）"),
    "inactive_max": N_("距上次消费至多（天）"), "balance_min": N_("积分余额不少于"),
    "balance_max": N_("积分余额不超过"), "expiring_within": N_("积分将在几天内过期"),
    "categories": N_("消费过的商户类别"), "merchants": N_("消费过的商户"),
    "joined_after": N_("入会不早于"), "joined_before": N_("入会不晚于"),
    "opted_in": N_("只含同意接收营销信息的会员"),
    "birthday_month": N_("生日月份"), "birthday_today": N_("今天过生日"),
    "birthday_this_month": N_("本月过生日"),
    "purchases_min": N_("消费次数至少"),
}


class SaveForm(FlaskForm):
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=MAX_NAME)])


def filter_fields(source: MultiDict) -> dict:
    """The filter fields of a query string or a posted form (as parse_filters reads them)."""
    fields: dict = {name: source.getlist(name) for name in LIST_FIELDS}
    fields.update({name: source.get(name) for name in (*INT_FIELDS, *DATE_FIELDS, *FLAG_FIELDS)})
    return fields


def has_filters(source: MultiDict) -> bool:
    return any(source.get(name)
               for name in (*LIST_FIELDS, *INT_FIELDS, *DATE_FIELDS, *FLAG_FIELDS))


def choices() -> dict:
    """What the multiple-choice filters offer: value → label."""
    merchants = db.session.execute(select(Merchant.id, Merchant.name, Merchant.district)
                                   .order_by(Merchant.name)).all()
    return {
        "tiers": {tier: tier_name(tier) for tier in TIERS},
        "rfm_cells": {cell: _(name) for cell, name in CELL_NAMES.items()},
        "categories": {category: category_name(category) for category in CATEGORIES},
        "districts": {d: d for d in sorted({row.district for row in merchants})},
        "merchants": {row.id: row.name for row in merchants},
        "birthday_month": {str(month): month_name(month) for month in range(1, 13)},
    }


def describe(filters: Filters, options: dict) -> list[tuple[str, str]]:
    """The filters as (label, value) lines for people (names, not ids; points formatted)."""
    lines = []
    for name, value in filters.to_dict().items():
        if name in LIST_FIELDS:
            text = _("、").join(options[name].get(item, item) for item in value)
        elif name in ("balance_min", "balance_max"):
            text = f"{value:,}"
        elif name == "birthday_month":
            text = month_name(value)
        elif name in FLAG_FIELDS:
            text = _("是")
        else:
            text = str(value)
        lines.append((_(FIELD_NAMES[name]), text))
    return lines
