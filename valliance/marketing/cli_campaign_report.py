"""`flask campaigns report ID` (contract §11): who a campaign reached, who bought in the 30
days after, against its control group."""

import click
from flask.cli import with_appcontext

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing.services.campaign_report import report


def contract_fields(result) -> dict:
    """The contract's answer: counts and the uplift in percentage points (null: no control)."""
    return {"targeted": result.targeted, "sent": result.sent, "control": result.control,
            "redeemed": result.redeemed, "buyers": result.buyers,
            "control_buyers": result.control_buyers,
            "uplift_percent": result.uplift.uplift_points}


@click.command("report", cls=JsonCommand)
@click.argument("campaign_id")
@json_option
@with_appcontext
def report_command(campaign_id, as_json):
    """Report on a campaign: reached, control group, buyers within 30 days, uplift."""
    result = transaction(lambda: report(db.session, campaign_id), as_json)
    answer = contract_fields(result)
    uplift = answer["uplift_percent"]
    emit(as_json, answer, bilingual(
        "目标 %(targeted)s，发送 %(sent)s，对照 %(control)s，核销 %(redeemed)s，"
        "30 天内消费 %(buyers)s（对照组 %(control_buyers)s），提升 %(uplift)s 个百分点",
        **{**answer, "uplift": "—" if uplift is None else f"{uplift:+.1f}"}))
