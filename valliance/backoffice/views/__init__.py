"""The back office's pages, one module per area; each route names the roles that may use it."""

from flask import Blueprint

from valliance.backoffice.views.helpers import page_helpers

bp = Blueprint("backoffice", __name__, url_prefix="/staff", template_folder="../templates")
bp.context_processor(page_helpers)

# The areas register their routes on bp when imported.
from valliance.backoffice.views import (  # noqa: E402,F401
    adjustments,
    audit_log,
    bill_points,
    dashboard,
    finance,
    jobs,
    members,
    merchant_ops,
    programmes,
    staff_accounts,
)
