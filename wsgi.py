"""WSGI entry point: gunicorn 'wsgi:app', flask --app wsgi."""

from valliance import create_app

app = create_app()
