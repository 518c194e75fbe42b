"""Merchant services, split by verb."""
