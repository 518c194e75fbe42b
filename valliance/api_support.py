"""Helpers shared by every JSON API: bodies, schemas, bearer credentials, timestamps."""

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import marshmallow
from flask import Response, jsonify, request

from valliance.errors import InvalidJson, ValidationError
from valliance.i18n import bilingual as catalog_bilingual
from valliance.input_guard import UNUSABLE_MESSAGE, unusable_fields

#: Asia/Shanghai has kept +08:00 without daylight saving since 1991 (contract §1)
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

#: marshmallow's default messages, Chinese first (house style)
_BILINGUAL = {
    "Missing data for required field.": catalog_bilingual("必填"),
    "Field may not be null.": catalog_bilingual("不能为空"),
    "Not a valid integer.": catalog_bilingual("必须是整数"),
    "Not a valid string.": catalog_bilingual("必须是字符串"),
    "Not a valid boolean.": catalog_bilingual("必须是布尔值"),
    "Unknown field.": catalog_bilingual("未知字段"),
    "Number too large.": catalog_bilingual("数值过大"),
    "Invalid input type.": catalog_bilingual("输入类型无效"),
    "Not a valid mapping type.": catalog_bilingual("必须是对象"),
    "Not a valid list.": catalog_bilingual("必须是列表"),
    "Not a valid date.": catalog_bilingual("必须是日期"),
}
#: marshmallow's messages that carry numbers or choices: (pattern, the Chinese half)
_BILINGUAL_PATTERNS = [
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     "须在 {0} 到 {1} 之间"),
    (re.compile(r"Must be greater than or equal to (\S+)\.$"), "不能小于 {0}"),
    (re.compile(r"Must be less than or equal to (\S+)\.$"), "不能大于 {0}"),
    (re.compile(r"Length must be between (\d+) and (\d+)\.$"), "长度须为 {0}–{1} 个字符"),
    (re.compile(r"Longer than maximum length (\d+)\.$"), "过长，最多 {0} 个字符"),
    (re.compile(r"Shorter than minimum length (\d+)\.$"), "过短，至少 {0} 个字符"),
    (re.compile(r"Length must be (\d+)\.$"), "长度须为 {0} 个字符"),
    (re.compile(r"Must be one of: (.*)\.$"), "须为以下之一：{0}"),
]


def bilingual(text: str) -> str:
    """marshmallow's English message, Chinese first ("中文 / English"); others unchanged."""
    if text in _BILINGUAL:
        return _BILINGUAL[text]
    for pattern, chinese in _BILINGUAL_PATTERNS:
        match = pattern.match(text)
        if match:
            return f"{chinese.format(*match.groups())} / {text}"
    return text


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict:
    """The request body as a JSON object, or 400 invalid_json (empty, not JSON, not an object)."""
    return json_object(request.get_data(cache=True))


def json_object(raw: bytes) -> dict:
    """A body's bytes as a JSON object, or 400 invalid_json (empty, not JSON, not an object)."""
    if not raw or not raw.strip():
        raise InvalidJson()
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # JSONDecodeError is a ValueError; a body of ten thousand "[" nests too deep to parse
        raise InvalidJson() from exc
    if not isinstance(data, dict):
        raise InvalidJson()
    # JSON spells a NUL byte or a lone surrogate only as a \u escape ("\ud800"), and no
    # database can store either (contract §10)
    bad = unusable_fields(data) if b"\\u" in raw else None
    if bad:
        raise ValidationError(details={name: [UNUSABLE_MESSAGE] for name in bad})
    return data


def _messages(value) -> list[str]:
    if isinstance(value, dict):  # a nested schema: keep the inner field names in the text
        return [f"{key}: {msg}" for key, inner in value.items() for msg in _messages(inner)]
    if isinstance(value, list | tuple):
        return [msg for item in value for msg in _messages(item)]
    return [bilingual(str(value))]


#: one instance per schema class: building a Schema costs ~4× loading a small body with it,
#: and loading neither changes nor depends on the instance's state
_instances: dict[type, marshmallow.Schema] = {}


def load(schema: marshmallow.Schema | type[marshmallow.Schema], data) -> dict:
    """Validate data with a schema; failures become 422 validation_error, field → messages."""
    if isinstance(schema, type):
        instance = _instances.get(schema)
        if instance is None:
            instance = _instances.setdefault(schema, schema())
    else:
        instance = schema
    try:
        return instance.load(data)
    except marshmallow.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationError(
            details={str(field): _messages(msgs) for field, msgs in messages.items()}
        ) from exc


def bearer_token() -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None."""
    return bearer_secret(request.headers.get("Authorization", ""))


def bearer_secret(header: str) -> str | None:
    """The secret of an Authorization header's value `Bearer <secret>`, or None."""
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return None
    return secret


def iso_shanghai(moment: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset (naive datetimes are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response with a status and optional headers."""
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
