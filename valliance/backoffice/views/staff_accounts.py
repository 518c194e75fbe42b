"""Staff accounts and their roles (admin)."""

from valliance.backoffice.views import bp  # noqa: F401
