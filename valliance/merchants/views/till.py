"""The till page for cashiers: a POS terminal in the browser (contract §3, §5).

The page is static HTML; static/js/till.js keeps the terminal's API key in localStorage and
calls the JSON POS API with it (quote, purchase with one Idempotency-Key per sale, refunds).
"""

from flask import Blueprint, render_template

bp = Blueprint("till", __name__, url_prefix="/till", template_folder="../templates")


@bp.context_processor
def _helpers() -> dict:
    return {}


@bp.get("/")
def page():
    """The till: scan a card, quote, confirm, print the receipt, refund."""
    return render_template("merchants/till.html")
