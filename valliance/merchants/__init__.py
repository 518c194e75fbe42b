"""Merchants (filled in by the merchants issue)."""
