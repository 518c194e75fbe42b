"""The words of a ticket checked: what the member or the desk typed, every bad field named
at once (one ValidationError, field → messages)."""

from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.service_desk.models import KINDS, SUMMARY_MAX

PHONE_DIGITS = 11


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError(details={field: [message]})


def text(value, field: str, limit: int, *, required: bool) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise invalid(field, bilingual("请填写文字"))
    if required and not text:
        raise invalid(field, bilingual("此项必填"))
    if len(text) > limit:
        raise invalid(field, bilingual("最多%(limit)s个字", limit=limit))
    return text or None


def _phone(value) -> str:
    phone = value.strip() if isinstance(value, str) else ""
    if not (len(phone) == PHONE_DIGITS and phone.isascii() and phone.isdigit()
            and phone.startswith("1")):
        raise invalid("contact_phone", bilingual("请填写11位手机号"))
    return phone


def _kind(kind) -> str:
    if kind not in KINDS:
        raise invalid("kind", bilingual("请选择工单类型"))
    return kind


def report_fields(kind, summary, contact_phone, address, preferred_time) -> tuple:
    """The report's fields checked, every bad one named at once (one ValidationError)."""
    details: dict = {}
    checks = {
        "kind": lambda: _kind(kind),
        "summary": lambda: text(summary, "summary", SUMMARY_MAX, required=True),
        "contact_phone": lambda: _phone(contact_phone),
        "address": lambda: text(address, "address", 200, required=False),
        "preferred_time": lambda: text(preferred_time, "preferred_time", 100, required=False),
    }
    values = {}
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as exc:
            details.update(exc.details)
    if details:
        raise ValidationError(details=details)
    return (values["summary"], values["contact_phone"], values["address"],
            values["preferred_time"])
