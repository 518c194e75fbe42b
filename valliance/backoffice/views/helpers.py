"""What every back-office page shares: formatting helpers and the roles' names."""

from flask import current_app

from valliance.db import SHANGHAI
from valliance.money import format_yuan
from valliance.staff.roles import ROLES, role_name
from valliance.web.navigation import FLASH


def has_page(endpoint: str) -> bool:
    """Whether a page is installed (a link to it is shown only then)."""
    return endpoint in current_app.view_functions


def page_helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI, "role_name": role_name,
            "ROLES": ROLES, "has_page": has_page}
