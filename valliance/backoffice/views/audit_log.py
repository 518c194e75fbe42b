"""The audit log (admin, finance): the trail, newest first, filtered; and proving its chain.

The chain is proved on request (the button), not on every view: `verify_chain` reads and
hashes every row ever written, so its cost grows with the whole trail while a page shows 50
rows. The result is kept in the session and shown in the banner until the next check.
"""

from flask import redirect, render_template, request, session, url_for

from valliance.audit import verify_chain
from valliance.backoffice.services import audit_log as trail
from valliance.backoffice.views import audit_labels as labels
from valliance.backoffice.views import bp
from valliance.db import SHANGHAI, utcnow
from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.staff.roles import ADMIN, FINANCE, role_required
from valliance.web.forms import ConfirmForm

#: the session key of the last chain check this browser asked for
CHECKED = "audit_chain_checked"


@bp.get("/audit")
@role_required(ADMIN, FINANCE)
def audit_log():
    """One page of the trail, newest first (keyset on seq), with the filters applied."""
    filters = trail.parse_filters(request.args)
    page = trail.audit_page(db.session, filters,
                                before=request.args.get("before", type=bounded_int(1)),
                                after=request.args.get("after", type=bounded_int(0)))
    return render_template("backoffice/audit_log.html", page=page, filters=filters,
                           staff_choices=trail.staff_choices(db.session),
                           action_choices=labels.action_choices(), labels=labels,
                           checked=session.get(CHECKED), verify_form=ConfirmForm())


@bp.post("/audit/verify")
@role_required(ADMIN, FINANCE)
def audit_verify():
    """Prove the whole chain now (as `flask audit verify` does) and show the result."""
    if ConfirmForm().validate_on_submit():
        report = verify_chain(db.session)
        at = f"{utcnow().astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
        session[CHECKED] = {"ok": report.ok, "links": report.links, "at": at,
                            "broken_seq": report.broken_seq, "problem": report.problem}
    filters = trail.parse_filters(request.form)
    return redirect(url_for("backoffice.audit_log", **filters.query_args()))
