"""The audit log (admin, finance)."""

from valliance.backoffice.views import bp  # noqa: F401
