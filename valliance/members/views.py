"""Member portal pages."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/me", template_folder="templates")
