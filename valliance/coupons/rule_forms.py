"""The 满就送 rule form, for the staff page and the merchant owner's page (the form only
carries the fields; coupons.rules checks them)."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from valliance.coupons import rule_reads
from valliance.coupons.wording import terms_text
from valliance.db import Base
from valliance.extensions import db
from valliance.i18n import _


class RuleForm(FlaskForm):
    merchant_id = SelectField(validate_choice=False)
    template_id = SelectField(validate_choice=False)
    #: yuan, as typed
    min_spend = StringField()
    starts_on = StringField()
    ends_on = StringField()

    @property
    def has_templates(self) -> bool:
        return len(self.template_id.choices) > 1

    def fields_for_service(self) -> dict:
        return {"template_id": self.template_id.data or "",
                "merchant_id": self.merchant_id.data or None,
                "min_spend_yuan": self.min_spend.data or "",
                "starts_on": self.starts_on.data or None, "ends_on": self.ends_on.data or None}


def template_label(template, merchant_name: str | None) -> str:
    """"满100减20 · 满¥100.00减¥20.00 · 老王火锅" (or 全联盟通用)."""
    where = merchant_name or _("全联盟通用")
    return f"{template.title} · {terms_text(template.value, template.min_spend)} · {where}"


def rule_form(*, own_merchant_id: str | None = None, **kwargs) -> RuleForm:
    """The form with its choices: alliance staff pick any approved shop (or every one) and any
    active template; a merchant owner (own_merchant_id) its own templates only."""
    form = RuleForm(**kwargs)
    if own_merchant_id is None:
        merchants = Base.metadata.tables["merchants"]
        rows = db.session.execute(select(merchants.c.id, merchants.c.name).where(
            merchants.c.status == "approved").order_by(merchants.c.name, merchants.c.id)).all()
        form.merchant_id.choices = [("", _("全部联盟商户"))] + [(m.id, m.name) for m in rows]
    else:
        form.merchant_id.choices = [(own_merchant_id, "")]
    templates = rule_reads.templates_for_rules(db.session, own_merchant_id)
    form.template_id.choices = [("", _("请选择优惠券"))] + [
        (t.id, template_label(t, name)) for t, name in templates]
    return form
