"""Member care: search and the member page (member_care)."""

from valliance.backoffice.views import bp  # noqa: F401
