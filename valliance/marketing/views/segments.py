"""Segments: build, preview and save (marketing)."""

from valliance.marketing.views import bp  # noqa: F401
