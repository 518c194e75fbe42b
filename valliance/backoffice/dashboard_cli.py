"""`flask backoffice roll-up`: write the dashboard's rollup of the closed days, months and
referral days not written yet, before anyone opens the dashboard (after a deploy on a large
alliance, where the first visit would otherwise write a year of days; or nightly)."""

from valliance.backoffice.services.alliance_days import roll_up
from valliance.backoffice.services.dashboard import month_starts
from valliance.backoffice.views import bp
from valliance.cli import emit, json_option, transaction
from valliance.db import today_shanghai
from valliance.extensions import db
from valliance.i18n import bilingual


@bp.cli.command("roll-up")
@json_option
def roll_up_command(as_json):
    """Roll up the dashboard's closed days (the same write the dashboard makes)."""
    today = today_shanghai()
    days = transaction(lambda: roll_up(db.session, month_starts(today)[0], today), as_json)
    emit(as_json, {"days": days}, bilingual("已汇总 %(days)s 天的交易", days=days))
