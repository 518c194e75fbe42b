"""Points adjustments and their approval queue (member_care, finance)."""

from valliance.backoffice.views import bp  # noqa: F401
