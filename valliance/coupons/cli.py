"""`flask coupons create|issue|void|expire` (contract §11)."""

import click
from flask.cli import AppGroup, with_appcontext

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.coupons import issuing
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.i18n import bilingual

coupons_cli = AppGroup("coupons", help="Coupon templates and coupons (满减).")


@coupons_cli.command("create", cls=JsonCommand)
@click.option("--title", required=True, help="What members see, e.g. 满100减20.")
@click.option("--value", required=True, help="Fen off the purchase.")
@click.option("--min-spend", required=True, help="The least list price (fen) it applies to.")
@click.option("--merchant", "merchant_id", default=None,
              help="Valid at this merchant only (its own cost); none: every alliance merchant.")
@click.option("--valid-days", default="30", show_default=True,
              help="Days after the day of issue it stays valid.")
@click.option("--per-member", default="1", show_default=True,
              help="How many unused coupons of it one member may hold.")
@click.option("--total-limit", default=None, help="How many may be issued in all.")
@click.option("--tier", "tier_names", multiple=True, help="Only members of this tier (repeat).")
@json_option
@with_appcontext
def create_command(title, value, min_spend, merchant_id, valid_days, per_member, total_limit,
                   tier_names, as_json):
    """Create a coupon template: {"template_id"}."""
    template_id = transaction(lambda: issuing.create_template(
        db.session, title=title, value=value, min_spend=min_spend, merchant_id=merchant_id,
        valid_days=valid_days, per_member=per_member, total_limit=total_limit,
        tier_names=tier_names, created_by="cli").id, as_json)
    emit(as_json, {"template_id": template_id},
         bilingual("已创建优惠券模板：%(id)s", id=template_id))


@coupons_cli.command("issue", cls=JsonCommand)
@click.argument("template_id")
@click.option("--phone", required=True, help="The member's phone.")
@json_option
@with_appcontext
def issue_command(template_id, phone, as_json):
    """Issue a coupon of the template to a member: {"code", "valid_until"}."""
    code, until = transaction(lambda: _issued(template_id, phone), as_json)
    emit(as_json, {"code": code, "valid_until": until},
         bilingual("已发放优惠券 %(code)s，有效期至 %(until)s", code=code, until=until))


def _issued(template_id: str, phone: str) -> tuple[str, str]:
    coupon = issuing.issue_to_phone(db.session, template_id, phone, source="cli")
    return coupon.code, coupon.valid_until.isoformat()


@coupons_cli.command("void", cls=JsonCommand)
@click.argument("code")
@json_option
@with_appcontext
def void_command(code, as_json):
    """Void an unused coupon: {"code", "status"}."""
    status = transaction(lambda: issuing.void_coupon(db.session, code, actor="cli").status,
                         as_json)
    emit(as_json, {"code": code, "status": status}, bilingual("已作废优惠券 %(code)s", code=code))


@coupons_cli.command("expire", cls=JsonCommand)
@json_option
@with_appcontext
def expire_command(as_json):
    """Mark coupons past their last day expired: {"expired"}."""
    count = transaction(lambda: issuing.expire_coupons(db.session, today_shanghai()), as_json)
    emit(as_json, {"expired": count}, bilingual("已标记过期优惠券 %(count)s 张", count=count))
