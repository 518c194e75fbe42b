"""`flask audit …` (and the back office's other commands, contract §13)."""

import sys

from flask.cli import AppGroup

from valliance.audit import verify_chain
from valliance.backoffice.points_cli import points_cli
from valliance.cli import JsonCommand, emit, json_option
from valliance.extensions import db
from valliance.i18n import bilingual

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify", cls=JsonCommand)
@json_option
def verify_audit_command(as_json):
    """Prove the audit log's hash chain; exit 1 naming the first broken link."""
    report = verify_chain(db.session)
    db.session.rollback()
    if report.ok:
        emit(as_json, {"ok": True, "links": report.links},
             bilingual("审计日志完好：共 %(links)s 条", links=report.links))
        return
    message = bilingual("审计日志第 %(seq)s 条有问题：%(problem)s", seq=report.broken_seq,
                        problem=report.problem)
    # with --json, a refusal's {"error", "message"} (contract §13) and the broken link
    emit(as_json, {"error": "audit_chain_broken", "message": message, "ok": False,
                   "links": report.links, "broken_seq": report.broken_seq,
                   "problem": report.problem}, message)
    sys.exit(1)


COMMANDS = (audit_cli, points_cli)
