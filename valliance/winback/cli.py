"""`flask winback run|report`: run today's round of the programme now (what its daily job
does), and its report."""

from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.winback.services import entries, report

winback_cli = AppGroup("winback", help="The win-back programme.")


@winback_cli.command("run", cls=JsonCommand)
@json_option
def run_command(as_json: bool):
    """Run today's round now: {"targeted", "sent", …, "coupons"} or {"skipped"}."""
    answer = transaction(lambda: entries.run(db.session), as_json)
    emit(as_json, answer, ", ".join(f"{name}: {value}" for name, value in answer.items()))


@winback_cli.command("report", cls=JsonCommand)
@json_option
def report_command(as_json: bool):
    """Who came back among the members reached and the control group, and the cost."""
    result = transaction(lambda: report.report(db.session), as_json)
    answer = {"reached": result.reached, "came_back": result.came_back,
              "control": result.control, "control_came_back": result.control_came_back,
              "uplift_percent": result.uplift.uplift_points, "spend_fen": result.spend_fen,
              "bonus_points": result.bonus_points, "bonus_fen": result.bonus_fen,
              "coupons_issued": result.coupons_issued, "coupons_used": result.coupons_used,
              "coupons_used_fen": result.coupons_used_fen}
    emit(as_json, answer, bilingual(
        "触达 %(reached)s，回头 %(came_back)s；对照 %(control)s，回头 %(control_came_back)s",
        **answer))
