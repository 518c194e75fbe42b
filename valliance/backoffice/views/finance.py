"""Finance: the points liability (finance)."""

from valliance.backoffice.views import bp  # noqa: F401
