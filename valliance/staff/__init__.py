"""Alliance staff: their accounts and roles, sign-in, the merchant approval queue and the
staff commands."""

from flask import Flask, render_template, request
from flask_login import current_user
from sqlalchemy import select

from valliance.errors import handle_domain_error, wants_json
from valliance.extensions import db
from valliance.staff.models import StaffUser
from valliance.staff.roles import RoleRequired, role_name
from valliance.web.navigation import FLASH


def init_app(app: Flask) -> None:
    """Register the staff pages and commands, and the page a missing role gets."""
    from valliance import audit  # noqa: F401 (the audit trail's table)
    from valliance.staff import auth, cli, models, navigation, views  # noqa: F401

    auth.register_sign_in()
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.staff_cli)
    app.register_error_handler(RoleRequired, _role_required_page)

    @app.context_processor
    def _staff_page_helpers() -> dict:
        if not getattr(current_user, "is_staff", False):
            return {}
        return {"staff_nav": navigation.staff_nav, "role_name": role_name}


def _role_required_page(error: RoleRequired):
    """403, saying which roles may do this and who holds them (JSON callers: the error body)."""
    if wants_json() or request.path.startswith("/api/"):
        return handle_domain_error(error)
    staff = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                               .order_by(StaffUser.name)).all()
    holders = [s for s in staff if set(s.role_list) & set(error.roles)][:10]
    return render_template("staff/forbidden.html", roles=error.roles, holders=holders,
                           FLASH=FLASH), 403
