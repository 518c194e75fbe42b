"""Logs: one JSON object a line with LOG_FORMAT=json (production's default), else Python's text.

Every line says when (ISO 8601, UTC), how bad, which logger and what; in a request also its id,
route (the URL rule, never the path: paths carry phones and card numbers), method and who is
calling (member_id, merchant_id, terminal_id… as the credential or the signed-in user tells);
in a job, the id of the request that queued it. Each request ends with one access line from the
app (`valliance.access`: status, duration_ms). Nothing secret is written: no header, body or
query string is logged, and every message is scrubbed of card numbers (all but the last four
digits), pay codes, bearer credentials and API keys. Core: imports no feature package.
"""

import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request, request_finished, request_started

from valliance.errors import request_id

access_log = logging.getLogger("valliance.access")
#: what a job or the purchase lane runs under, outside a Flask request (request_id, job)
_context: ContextVar[dict | None] = ContextVar("valliance_log_context", default=None)
HANDLER_NAME = "valliance-json"
FORMATS = ("json", "text")

_LONG_DIGITS = re.compile(r"\d{13,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")
_API_KEY = re.compile(r"\b(v[to]_)[A-Za-z0-9_-]{8,}")


def _mask_digits(match: re.Match) -> str:
    digits = match.group()
    if len(digits) > 19:  # a pay code (card + one-time code): nothing of it
        return "[redacted]"
    return "*" * (len(digits) - 4) + digits[-4:]


def scrub(text: str) -> str:
    """The text without card numbers (last four kept), pay codes, bearer secrets or API keys."""
    text = _LONG_DIGITS.sub(_mask_digits, text)
    text = _BEARER.sub(r"\1[redacted]", text)
    return _API_KEY.sub(r"\1[redacted]", text)


@contextmanager
def context(**fields) -> Iterator[None]:
    """Log lines written inside carry these fields (None values are left out)."""
    token = _context.set({**(_context.get() or {}),
                          **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that queued the running job."""
    if has_request_context():
        return request_id()
    return (_context.get() or {}).get("request_id")


def remember(**ids) -> None:
    """Name who the current request is for (member_id=…, merchant_id=…) in its log lines
    (beneath Flask, the purchase lane's: inside its `context`)."""
    ids = {k: v for k, v in ids.items() if v}
    if has_request_context():
        g.log_ids = {**g.get("log_ids", {}), **ids}
    elif _context.get() is not None:  # reset when that `context` ends
        _context.set({**_context.get(), **ids})


def _request_fields() -> dict:
    rule = request.url_rule
    return {"request_id": request_id(), "route": rule.rule if rule else None,
            "method": request.method, **g.get("log_ids", {})}


class JsonFormatter(logging.Formatter):
    """One JSON object per record (the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC)
                 .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name,
                 "message": scrub(record.getMessage()), **(_context.get() or {})}
        if has_request_context():
            entry.update(_request_fields())
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_format(config) -> str:
    """LOG_FORMAT, else json in production and text otherwise."""
    chosen = (config.get("LOG_FORMAT") or "").strip().lower()
    chosen = chosen or ("json" if config.get("PRODUCTION") else "text")
    if chosen not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be json or text, got {chosen!r}")
    return chosen


def use_json_logs(stream=None) -> logging.Handler:
    """Send every logger's records to one JSON handler on the root logger (once a process)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the app writes the access line
    return handler


def _started(sender: Flask, **_) -> None:
    g.log_started = time.perf_counter()


def _access_line(sender: Flask, response, **_) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    started = g.get("log_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    rule = request.url_rule
    access_log.info("%s %s %s", request.method, rule.rule if rule else "-",
                    response.status_code,
                    extra={"fields": {"status": response.status_code, "duration_ms": duration}})


def lane_access_line(route: str, status: int, started: float) -> None:
    """The access line of a request answered beneath Flask (the purchase lane), inside the
    `context` that carries its request id and who it was for."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info("POST %s %s", route, status, extra={"fields": {
            "route": route, "method": "POST", "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})


def init_app(app: Flask) -> None:
    """Choose the format (LOG_FORMAT) and write one access line per request."""
    if log_format(app.config) == "json":
        from flask.logging import default_handler

        use_json_logs()
        app.logger.removeHandler(default_handler)  # its records reach the root's handler
    request_started.connect(_started, app)  # (before every before_request function)
    request_finished.connect(_access_line, app)
