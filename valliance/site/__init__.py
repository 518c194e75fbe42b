"""The public pages: home and health."""
