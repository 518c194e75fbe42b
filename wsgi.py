"""WSGI entry point: gunicorn 'wsgi:app', flask --app wsgi."""

import sys

from valliance import create_app
from valliance.startup import ProductionRefused

try:
    app = create_app()
except ProductionRefused as refused:
    # One readable line, not a traceback. Exit status 4 is gunicorn's "App failed to load":
    # its master stops instead of starting the worker again and again.
    print(f"valliance: {refused}", file=sys.stderr)
    raise SystemExit(4) from None
