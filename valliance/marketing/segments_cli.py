"""`flask segments preview` (contract §11): how many members these filters name."""

import click
from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing.services.segments import parse_filters, preview

segments_cli = AppGroup("segments", help="Segments: preview who a set of filters names.")


@segments_cli.command("preview", cls=JsonCommand)
@click.option("--tier", "tiers", multiple=True, help="A tier (repeat for several).")
@click.option("--district", "districts", multiple=True,
              help="District of the member's most frequent merchant (repeatable).")
@click.option("--inactive-days", default=None, help="No purchase in at least N days.")
@click.option("--birthday-month", default=None,
              help="Members whose birthday is in month M (1-12; members who gave one).")
@click.option("--birthday-today", is_flag=True,
              help="Members whose birthday is today, Asia/Shanghai (2/29 counts on 2/28 "
                   "in other years).")
@click.option("--rfm", "rfm_cells", multiple=True, help="An RFM cell (repeatable).")
@json_option
def preview_command(tiers, districts, inactive_days, birthday_month, birthday_today, rfm_cells,
                    as_json):
    """Count the members these filters name (and show a sample)."""
    def work():
        filters = parse_filters({"tiers": tiers, "districts": districts, "rfm_cells": rfm_cells,
                                 "inactive_min": inactive_days,
                                 "birthday_month": birthday_month,
                                 "birthday_today": birthday_today})
        return preview(db.session, filters, sample=0 if as_json else 10)

    result = transaction(work, as_json)
    emit(as_json, {"count": result.count},
         bilingual("符合条件的会员：%(count)s 人", count=result.count))
    if not as_json:
        for member in result.sample:
            click.echo(f"  {member.name}  {member.phone[:3]}****{member.phone[-4:]}  "
                       f"{member.tier}  {member.cell or '-'}")
