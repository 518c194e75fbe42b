"""`flask campaigns create` (contract §11): a draft campaign to the members these filters name,
sent "now" when `flask campaigns send ID` runs it."""

import click
from flask.cli import with_appcontext

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing.services import campaigns


@click.command("create", cls=JsonCommand)
@click.option("--name", required=True, help="The campaign's name (unique, at most 80).")
@click.option("--message", required=True,
              help="The message: text with {name} {tier} {balance} {expiring_points} "
                   "{expiring_date} {offer}.")
@click.option("--tier", "tiers", multiple=True, help="A tier (repeat for several).")
@click.option("--district", "districts", multiple=True,
              help="District of the member's most frequent merchant (repeatable).")
@click.option("--inactive-days", default=None, help="No purchase in at least N days.")
@click.option("--birthday-month", default=None, help="Members born in this month (1-12).")
@click.option("--rfm", "rfm_cells", multiple=True, help="An RFM cell (repeatable).")
@click.option("--bonus-points", default=None, help="Points credited to each member reached.")
@click.option("--coupon", default=None,
              help="An alliance-wide coupon template: one for each member reached.")
@click.option("--control-percent", default=None, help="Percent held out as control (0-50).")
@click.option("--offer", "offer_id", default=None, help="The offer {offer} names.")
@click.option("--channel", default="sms", help="sms (default) or inbox.")
@json_option
@with_appcontext
def create_command(name, message, tiers, districts, inactive_days, birthday_month, rfm_cells,
                   bonus_points, coupon, control_percent, offer_id, channel, as_json):
    """Create a draft campaign: {"campaign_id"}."""
    filters = {"tiers": tiers, "districts": districts, "rfm_cells": rfm_cells,
               "inactive_min": inactive_days, "birthday_month": birthday_month}
    data = {"name": name, "message": message, "filters": filters, "channel": channel,
            "bonus_points": bonus_points, "coupon_template_id": coupon,
            "control_percent": control_percent, "offer_id": offer_id,
            "schedule_kind": "now"}
    campaign_id = transaction(
        lambda: campaigns.create_campaign(db.session, data, actor="cli").id, as_json)
    emit(as_json, {"campaign_id": campaign_id},
         bilingual("已创建营销活动（草稿）：%(id)s", id=campaign_id))
