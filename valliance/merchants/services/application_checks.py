"""What an applicant types, checked and normalized: every field at once, so the applicant sees
all mistakes in one go. Yuan as typed become fen; a licence is a valid unified social credit
code; a phone that already has an account may belong to a declined applicant applying again."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from valliance.errors import ValidationError
from valliance.i18n import bilingual, pbilingual
from valliance.members.services import normalize_phone
from valliance.merchants.models import CATEGORIES, Merchant, MerchantUser
from valliance.merchants.services import reapply
from valliance.money import format_yuan
from valliance.passwords import check_password_strength

#: the unified social credit code's alphabet (GB 32100-2015): no I, O, S, V or Z. The format
#: is checked here, not by stdnum's uscc.validate, which wants digits in the first 8 places
#: where the standard lets a registering authority be a letter (Y, and later A and N)
LICENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: a typical spend per customer above this is a typo (¥100,000.00)
MAX_AVG_SPEND_FEN = 100_000_00
#: whole yuan (any number of digits: too many is "too large", not "badly typed") and cents
_YUAN = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")
_SHOP_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
#: licences that block a new application: a merchant already waiting or in the alliance
_LICENCE_IN_USE = ("pending", "approved", "suspended")


def _text(value) -> str:
    # NFKC: full-width digits and letters typed with a Chinese IME become ASCII.
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _words(value) -> str:
    """Free text (names, addresses): full-width letters, digits and spaces become ASCII, but
    Chinese punctuation stays as typed — 老王火锅（五马街店） keeps its brackets."""
    return "".join(unicodedata.normalize("NFKC", ch) if ch.isalnum() or ch.isspace() else ch
                   for ch in str(value or "")).strip()


def parse_yuan(value, field: str = "avg_spend") -> int:
    """Yuan as typed ("85.5", "¥120", "８５元") → exact integer fen (8550); no floats."""
    text = _text(value).removeprefix("¥").removesuffix("元").strip()
    match = _YUAN.match(text)
    if not match:
        message = (bilingual("请填写金额（元），最多两位小数"))
        if text.startswith("-"):
            message = bilingual("金额不能为负数")
        raise ValidationError(details={field: [message]})
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation as exc:  # unreachable after the pattern; kept for safety
        raise ValidationError(details={field: [bilingual("金额无效")]}) from exc
    if fen <= 0:
        raise ValidationError(details={field: [bilingual("金额须大于0")]})
    if fen > MAX_AVG_SPEND_FEN:  # (checked here, so no overlong number reaches the database)
        most = format_yuan(MAX_AVG_SPEND_FEN)
        raise ValidationError(details={field: [
            bilingual("金额过大，最多 %(most)s，请核对（单位：元）", most=most)]})
    return fen


def licence_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, from the first 17."""
    return uscc.calc_check_digit(first17)


def normalize_licence(value, field: str = "licence_no") -> str:
    """A valid 18-character unified social credit code (uppercased), or raise."""
    code = _text(value).replace(" ", "").upper()
    if len(code) != 18 or any(ch not in LICENCE_ALPHABET for ch in code):
        raise ValidationError(details={field: [
            bilingual("请填写18位统一社会信用代码（数字和大写字母）")]})
    if licence_check_char(code[:17]) != code[17]:
        raise ValidationError(details={field: [
            bilingual("统一社会信用代码校验位不符，请核对")]})
    return code


def licence_in_use(session: Session, licence_no: str, *, excluding: str | None = None) -> bool:
    """Whether a pending, approved or suspended merchant already has this licence."""
    query = select(Merchant.id).where(Merchant.licence_no == licence_no,
                                      Merchant.status.in_(_LICENCE_IN_USE))
    if excluding:
        query = query.where(Merchant.id != excluding)
    return session.scalar(query.limit(1)) is not None


def check_application(session: Session, fields: dict) -> tuple[dict, dict]:
    """Every field checked at once, so the applicant sees all mistakes in one go."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    def check(field, parse):
        try:
            clean[field] = parse()
        except ValidationError as exc:
            errors[field] = [m for messages in exc.details.values() for m in messages]

    def required(field, label, limit):
        text = _words(fields.get(field))
        if not 1 <= len(text) <= limit:
            raise ValidationError(details={field: [label]})
        return text

    check("name", lambda: required("name", bilingual("请填写商户名称（100字以内）"), 100))
    check("category", lambda: _category(fields.get("category")))
    check("district", lambda: required("district", bilingual("请填写所在区域"), 50))
    check("address", lambda: required("address", bilingual("请填写地址"), 200))
    check("phone", lambda: _shop_phone(fields.get("phone")))
    check("avg_spend", lambda: parse_yuan(fields.get("avg_spend")))
    check("licence_no", lambda: normalize_licence(fields.get("licence_no")))
    check("owner_name", lambda: required("owner_name", bilingual("请填写负责人姓名"), 50))
    check("owner_phone", lambda: normalize_phone(fields.get("owner_phone")))
    check("password", lambda: check_password_strength(fields.get("password")))
    if "licence_no" in clean and licence_in_use(session, clean["licence_no"]):
        errors["licence_no"] = [bilingual("该统一社会信用代码已提交过申请或已加盟")]
    if "owner_phone" in clean and session.scalar(
            select(MerchantUser.id).where(MerchantUser.phone == clean["owner_phone"])):
        # A declined applicant applies again with the same phone and its password.
        clean["reapplying"] = reapply.rejected_owner(session, clean["owner_phone"],
                                                     str(fields.get("password") or ""))
        if clean["reapplying"] is None:
            errors["owner_phone"] = [reapply.PHONE_TAKEN_OR_REAPPLY]
    return clean, errors


def _category(value) -> str:
    if value not in CATEGORIES:
        raise ValidationError(details={"category": [
            pbilingual(
                "Choose the industry: %(CATEGORIES)s",
                "请选择行业",
                CATEGORIES='、'.join(CATEGORIES),
            )]})
    return value


def _shop_phone(value) -> str:
    phone = _text(value)
    if not _SHOP_PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
        raise ValidationError(details={"phone": [
            bilingual("请填写店铺电话，如 0577-88881234")]})
    return phone
