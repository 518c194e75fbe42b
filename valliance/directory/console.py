"""The 114 operator console: a caller on the line, results as the operator types.

The page is static HTML; static/js/console.js keeps the operator's key in sessionStorage (gone
when the tab closes) and calls the directory API with it.
"""

from flask import Blueprint, render_template

from valliance.merchants.labels import CATEGORY_NAMES_EN
from valliance.merchants.models import CATEGORIES

bp = Blueprint("console", __name__, url_prefix="/directory", template_folder="templates")


@bp.get("/console")
def page():
    """Caller phone, search box, ranked offers with their read-out script, log a referral."""
    return render_template("directory/console.html", categories=CATEGORIES,
                           category_en=CATEGORY_NAMES_EN)
