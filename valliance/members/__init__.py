"""Members (filled in by the members issue)."""
