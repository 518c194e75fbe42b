"""会员计划: the alliance's programmes on one page (marketing, finance), each with what it cost
and what it brought, and a link to its own page."""

from flask import current_app, render_template

from valliance.backoffice.services.programmes import programmes
from valliance.backoffice.views import bp
from valliance.db import utcnow
from valliance.extensions import db
from valliance.i18n import label_text
from valliance.staff.auth import current_staff
from valliance.staff.navigation import PROGRAMMES
from valliance.staff.roles import FINANCE, MARKETING, has_role, role_required


@bp.get("/programmes/")
@role_required(FINANCE, MARKETING)
def programmes_page():
    """Each programme the signed-in staff user may open: cost, result, its page."""
    staff = current_staff()
    cards = [card for card in programmes(
        db.session, now=utcnow(), point_value_fen=int(current_app.config["POINT_VALUE_FEN"]))
        if has_role(staff, *PROGRAMMES[card.key].roles)
        and PROGRAMMES[card.key].endpoint in current_app.view_functions]
    return render_template("backoffice/programmes.html", cards=cards, pages=PROGRAMMES,
                           names={key: label_text(page.label) for key, page in PROGRAMMES.items()})
