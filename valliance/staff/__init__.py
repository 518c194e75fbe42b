"""Alliance staff: their accounts, the merchant approval queue and the staff commands."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff pages and commands."""
    from valliance import audit  # noqa: F401 (the audit trail's table)
    from valliance.staff import models  # noqa: F401
