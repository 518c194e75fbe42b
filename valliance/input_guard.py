"""No input makes a 500 (contract §10): NUL bytes, lone surrogates and over-long integers.

Neither database can store a NUL byte in text (PostgreSQL refuses it; SQLite cuts strings at
it in places) and no driver can encode a lone surrogate, so both are refused before any code
sees them: in the path (404), the query string and a page's form fields (API: 422
validation_error; pages: a friendly 400 page), and in a JSON body (api_support). Integers
read from a query string go through bounded_int, so that 20 digits never reach a database.
"""

import re

from flask import Flask, request

from valliance.errors import BadRequest, NotFound, ValidationError, wants_json
from valliance.i18n import bilingual

#: a NUL byte or a UTF-16 surrogate (which UTF-8 cannot encode)
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")
UNUSABLE_MESSAGE = (bilingual("含有无法处理的字符（如空字符）"))
#: what a page says when a form or link carried such characters
UNUSABLE_PAGE = (bilingual("输入中含有无法处理的字符（如空字符），请返回修改后重试"))
#: the largest id a BIGINT column holds (cursors are row ids)
MAX_BIGINT = 2**63 - 1


def unusable(text: str) -> bool:
    """Tell whether text holds a NUL byte or a lone surrogate."""
    return _UNUSABLE.search(text) is not None


def unusable_fields(data, prefix: str = "") -> list[str]:
    """Top-level names of a JSON value's members whose keys or strings are unusable."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = prefix or printable(key)
            if (unusable(key) or unusable_fields(value, name)) and name not in found:
                found.append(name)
    elif isinstance(data, list):
        for item in data:
            if unusable_fields(item, prefix or "_schema"):
                return [prefix or "_schema"]
    elif isinstance(data, str) and unusable(data):
        found.append(prefix or "_schema")
    return found


def printable(name: str) -> str:
    """A field name safe to echo back in an answer (surrogates and NUL escaped)."""
    return _UNUSABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def bounded_int(minimum: int = 0, maximum: int = MAX_BIGINT):
    """A `type=` for request.args.get: digits within [minimum, maximum], else ValueError.

    werkzeug answers the default on ValueError, so `?page=99999999999999999999` is page 1,
    not an integer no database column can hold.
    """

    def parse(text: str) -> int:
        text = text.strip()
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
            raise ValueError("not an integer")
        value = int(text)
        if not minimum <= value <= maximum:
            raise ValueError("out of range")
        return value

    return parse


def _check_request():
    if unusable(request.path):
        raise NotFound()
    query = request.query_string
    if b"%00" in query or b"\x00" in query:
        bad = [name for name, value in request.args.items(multi=True)
               if unusable(name) or unusable(value)]
        _refuse(bad)
    if (not wants_json() and request.method in {"POST", "PUT", "PATCH"}
            and request.mimetype in {"application/x-www-form-urlencoded",
                                     "multipart/form-data"}):
        _refuse([name for name, value in request.form.items(multi=True)
                 if unusable(name) or unusable(value)])


def _refuse(names: list[str]) -> None:
    if not names:
        return
    if wants_json():
        raise ValidationError(details={printable(name): [UNUSABLE_MESSAGE] for name in names})
    raise BadRequest(UNUSABLE_PAGE)


def init_app(app: Flask) -> None:
    """Check every request's path, query string and form before any other hook runs."""
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
