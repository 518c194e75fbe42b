"""Fingerprinted static URLs: `url_for('static', filename=…)` adds `?v=` and the first 12 hex
digits of the file's SHA-256, so that a browser or nginx may keep a file for a year — a
release that changes the file changes its URL.

nginx serves /static/ itself (deploy/nginx/valliance.conf): a year and `immutable` when the
URL carries `v`, an hour and revalidation otherwise (a stylesheet's own url(…) references).
Under `make run` the app serves them the same way. A file's digest is kept while its
modification time and size stay the same (an edit under `make run` gives a new URL); a
missing file gets no `v`.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

#: a year: what a fingerprinted URL may be cached for
FINGERPRINTED_MAX_AGE = 365 * 24 * 3600
#: an hour: a file asked for by its plain name
PLAIN_MAX_AGE = 3600


def _digest(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (None: no such file in folder)."""
    path = Path(folder, filename).resolve()
    if not path.is_relative_to(Path(folder).resolve()):
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest_of(path, stat.st_mtime_ns, stat.st_size) if path.is_file() else None


@lru_cache(maxsize=1024)
def _digest_of(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    """Fingerprint the app's static URLs and cache the files they name accordingly."""

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = _digest(app.static_folder, values["filename"])
            if digest:
                values["v"] = digest

    default_max_age = app.get_send_file_max_age

    def max_age(filename: str | None) -> int | None:
        if request.endpoint != "static":  # a blueprint's files, a download: Flask's rule
            return default_max_age(filename)
        return FINGERPRINTED_MAX_AGE if request.args.get("v") else PLAIN_MAX_AGE

    app.get_send_file_max_age = max_age

    @app.after_request
    def _immutable(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.immutable = True
        return response
