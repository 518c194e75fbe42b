"""Merchant operations: the merchant file, terminals, editing, bulk import (merchant_ops)."""

from valliance.backoffice.views import bp  # noqa: F401
