"""`flask campaigns send ID` (contract §11): run a campaign's round now, then hand its SMS to
the gateway; re-running reaches nobody twice."""

import click
from flask.cli import with_appcontext

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.db import utcnow
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.marketing.services import send_rules
from valliance.marketing.services.campaign_send import run_campaign
from valliance.messaging import deliver_pending


@click.command("send", cls=JsonCommand)
@click.argument("campaign_id")
@json_option
@with_appcontext
def send_command(campaign_id: str, as_json: bool):
    """Run the campaign now: {"targeted", "sent", "deferred", "control", "capped",
    "opted_out"} for its round (a daily campaign's round is today)."""
    result = transaction(lambda: run_campaign(db.session, campaign_id, started_by="cli"),
                         as_json)
    deliver_pending(db.session, marketing_until=send_rules.marketing_until(utcnow()))
    emit(as_json, result.as_json(), "\n".join([
        bilingual("目标会员：%(count)s", count=result.targeted),
        bilingual("已发送：%(count)s", count=result.sent),
        bilingual("暂缓至09:00：%(count)s", count=result.deferred),
        bilingual("对照组：%(count)s", count=result.control),
        bilingual("已达频次上限：%(count)s", count=result.capped),
        bilingual("未同意营销：%(count)s", count=result.opted_out)]))
