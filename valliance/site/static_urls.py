"""Fingerprinted static URLs: `url_for('static', filename=…)` adds `?v=` and the first 12 hex
digits of the file's SHA-256, so that a browser or nginx may keep a file for a year — a
release that changes the file changes its URL.

nginx serves /static/ itself (deploy/nginx/valliance.conf): a year and `immutable` when the
URL carries `v`, an hour and revalidation otherwise (a stylesheet's own url(…) references).
Under `make run` the app serves them the same way. A file's digest is read once per process
(files do not change under a running release); a missing file gets no `v`.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

#: a year: what a fingerprinted URL may be cached for
FINGERPRINTED_MAX_AGE = 365 * 24 * 3600
#: an hour: a file asked for by its plain name
PLAIN_MAX_AGE = 3600


@lru_cache(maxsize=512)
def _digest(folder: str, filename: str) -> str | None:
    path = Path(folder, filename).resolve()
    if not path.is_relative_to(Path(folder).resolve()) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    """Fingerprint the app's static URLs and cache the files they name accordingly."""

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = _digest(app.static_folder, values["filename"])
            if digest:
                values["v"] = digest

    def max_age(filename: str | None) -> int:
        return FINGERPRINTED_MAX_AGE if request.args.get("v") else PLAIN_MAX_AGE

    app.get_send_file_max_age = max_age

    @app.after_request
    def _immutable(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.immutable = True
        return response
