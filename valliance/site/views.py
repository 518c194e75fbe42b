"""The alliance's public home page."""

from flask import Blueprint, render_template

bp = Blueprint("site", __name__, template_folder="templates")


@bp.get("/")
def home():
    """The alliance's front page."""
    return render_template("site/home.html")
