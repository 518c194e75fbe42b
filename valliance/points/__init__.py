"""The points ledger: the only package that writes ledger tables."""
