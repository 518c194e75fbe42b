"""The marketing pages (role `marketing`), one module per area."""

from flask import Blueprint

bp = Blueprint("marketing", __name__, url_prefix="/staff/marketing",
               template_folder="../templates")

# The areas register their routes on bp when imported.
from valliance.marketing.views import (  # noqa: E402,F401
    campaign_actions,
    campaigns,
    coupon_rules,
    coupon_templates,
    expiry,
    segments,
)
