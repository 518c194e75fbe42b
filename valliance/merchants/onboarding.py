"""Merchants joining the alliance: the web application, and staff reviewing it.

A merchant applies with its owner's sign-in and waits `pending`; alliance staff approve or
reject it, and later may suspend and reinstate it. Every review is written to the audit trail
and texted to the owners (after the commit, through the outbox).
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from valliance.audit import AuditEvent, record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.members.services import check_password_strength, normalize_phone
from valliance.merchants import reapply
from valliance.merchants.models import CATEGORIES, Merchant, MerchantUser
from valliance.merchants.services import create_merchant
from valliance.merchants.users import PHONE_TAKEN, add_merchant_user
from valliance.messaging import queue_sms
from valliance.money import format_yuan

#: the unified social credit code's alphabet (GB 32100-2015): no I, O, S, V or Z. The format
#: is checked here, not by stdnum's uscc.validate, which wants digits in the first 8 places
#: where the standard lets a registering authority be a letter (Y, and later A and N)
LICENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: a typical spend per customer above this is a typo (¥100,000.00)
MAX_AVG_SPEND_FEN = 100_000_00
MAX_NOTE = 200
#: whole yuan (any number of digits: too many is "too large", not "badly typed") and cents
_YUAN = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")
_SHOP_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")

#: action → (the statuses it may start from, the status it leads to). Anything else is refused.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"pending", "rejected"}), "approved"),  # rejected: reconsidered
    "reject": (frozenset({"pending"}), "rejected"),
    "suspend": (frozenset({"approved"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "approved"),
}
#: the applicant or owner is told why, so these need a reason
NOTE_REQUIRED = frozenset({"reject", "suspend"})
REVIEW_ACTIONS = tuple(TRANSITIONS)
#: licences that block a new application: a merchant already waiting or in the alliance
_LICENCE_IN_USE = ("pending", "approved", "suspended")

_SMS = {
    "approve": "【V卡联盟】您的商户「{name}」已通过审核，加入V卡联盟。"
               "现在可用本手机号登录商户后台。",
    "reject": "【V卡联盟】很抱歉，您的商户「{name}」加盟申请未通过审核。原因：{note}{stop}"
              "如需补充材料，请联系联盟客服。",
    "suspend": "【V卡联盟】您的商户「{name}」已暂停联盟服务。原因：{note}{stop}"
               "暂停期间无法登录商户后台，本店优惠对会员不再生效，如有疑问请联系联盟客服。",
    "reinstate": "【V卡联盟】您的商户「{name}」已恢复联盟服务，可正常登录商户后台。",
}


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
        message = ("请填写金额（元），最多两位小数 / Enter an amount in yuan with at most two"
                   " decimals")
        if text.startswith("-"):
            message = "金额不能为负数 / The amount cannot be negative"
        raise ValidationError(details={field: [message]})
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation as exc:  # unreachable after the pattern; kept for safety
        raise ValidationError(details={field: ["金额无效 / Invalid amount"]}) from exc
    if fen <= 0:
        raise ValidationError(details={field: ["金额须大于0 / Must be more than ¥0"]})
    if fen > MAX_AVG_SPEND_FEN:  # (checked here, so no overlong number reaches the database)
        most = format_yuan(MAX_AVG_SPEND_FEN)
        raise ValidationError(details={field: [
            f"金额过大，最多 {most}，请核对（单位：元） / Too large: at most {most}"
            " (the amount is in yuan)"]})
    return fen


def licence_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, from the first 17."""
    return uscc.calc_check_digit(first17)


def normalize_licence(value, field: str = "licence_no") -> str:
    """A valid 18-character unified social credit code (uppercased), or raise."""
    code = _text(value).replace(" ", "").upper()
    if len(code) != 18 or any(ch not in LICENCE_ALPHABET for ch in code):
        raise ValidationError(details={field: [
            "请填写18位统一社会信用代码（数字和大写字母） / Enter the 18-character unified"
            " social credit code (digits and capital letters)"]})
    if licence_check_char(code[:17]) != code[17]:
        raise ValidationError(details={field: [
            "统一社会信用代码校验位不符，请核对 / The code's check character does not match:"
            " check it"]})
    return code


def licence_in_use(session: Session, licence_no: str, *, excluding: str | None = None) -> bool:
    """Whether a pending, approved or suspended merchant already has this licence."""
    query = select(Merchant.id).where(Merchant.licence_no == licence_no,
                                      Merchant.status.in_(_LICENCE_IN_USE))
    if excluding:
        query = query.where(Merchant.id != excluding)
    return session.scalar(query.limit(1)) is not None


def _check_application(session: Session, fields: dict) -> tuple[dict, dict]:
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

    check("name", lambda: required("name", "请填写商户名称（100字以内） / Enter the shop's name"
                                   " (up to 100 characters)", 100))
    check("category", lambda: _category(fields.get("category")))
    check("district", lambda: required("district", "请填写所在区域 / Enter the district", 50))
    check("address", lambda: required("address", "请填写地址 / Enter the address", 200))
    check("phone", lambda: _shop_phone(fields.get("phone")))
    check("avg_spend", lambda: parse_yuan(fields.get("avg_spend")))
    check("licence_no", lambda: normalize_licence(fields.get("licence_no")))
    check("owner_name", lambda: required("owner_name", "请填写负责人姓名 / Enter the owner's"
                                         " name", 50))
    check("owner_phone", lambda: normalize_phone(fields.get("owner_phone")))
    check("password", lambda: check_password_strength(fields.get("password")))
    if "licence_no" in clean and licence_in_use(session, clean["licence_no"]):
        errors["licence_no"] = ["该统一社会信用代码已提交过申请或已加盟 / A merchant with this"
                                " licence has already applied or joined"]
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
            f"请选择行业 / Choose the industry: {'、'.join(CATEGORIES)}"]})
    return value


def _shop_phone(value) -> str:
    phone = _text(value)
    if not _SHOP_PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
        raise ValidationError(details={"phone": [
            "请填写店铺电话，如 0577-88881234 / Enter the shop's phone, e.g. 0577-88881234"]})
    return phone


def apply_for_membership(session: Session, *, name: str, category: str, district: str,
                         address: str, phone: str, avg_spend, licence_no: str, owner_name: str,
                         owner_phone: str, password: str,
                         merchant_id: str | None = None) -> Merchant:
    """Create a pending merchant with its owner's sign-in (avg_spend in yuan, as typed).

    merchant_id: a fixed id (the demo's applications); applicants get a random one.
    """
    fields = {"name": name, "category": category, "district": district, "address": address,
              "phone": phone, "avg_spend": avg_spend, "licence_no": licence_no,
              "owner_name": owner_name, "owner_phone": owner_phone, "password": password}
    clean, errors = _check_application(session, fields)
    if errors:
        raise ValidationError(details=errors)
    if clean.get("reapplying"):
        return reapply.reapply(session, clean["reapplying"], clean)
    merchant = create_merchant(session, merchant_id=merchant_id, name=clean["name"],
                               category=clean["category"], district=clean["district"],
                               address=clean["address"], phone=clean["phone"],
                               avg_spend=clean["avg_spend"], licence_no=clean["licence_no"])
    try:
        owner = add_merchant_user(session, merchant, phone=clean["owner_phone"],
                                  name=clean["owner_name"], password=password, role="owner",
                                  actor="applicant")
    except ValidationError as exc:  # the same names as the form's fields
        details = {("owner_" + k if k in ("phone", "name") else k): v
                   for k, v in exc.details.items()}
        raise ValidationError(details=details) from exc
    except IntegrityError as exc:  # the same phone applied a moment ago, in another request
        raise ValidationError(details={"owner_phone": [PHONE_TAKEN]}) from exc
    record_event(session, actor=f"merchant_user:{owner.id}", action="merchant.apply",
                 subject=merchant.id, merchant_id=merchant.id, name=merchant.name,
                 licence_no=merchant.licence_no)
    session.flush()
    return merchant


def review_merchant(session: Session, merchant_id: str, action: str, *, staff_id: str,
                    note: str = "") -> Merchant:
    """Approve, reject, suspend or reinstate a merchant, as TRANSITIONS allows; texts owners."""
    if action not in TRANSITIONS:
        raise ValidationError(details={"action": [f"未知操作 / Unknown action {action!r}"]})
    # Locked, so two staff reviewing at once cannot both pass the status check.
    merchant = session.get(Merchant, merchant_id, with_for_update=True, populate_existing=True)
    if merchant is None:
        raise NotFound()
    allowed_from, to_status = TRANSITIONS[action]
    if merchant.status not in allowed_from:
        raise ValidationError(details={"status": [
            f"商户当前状态为「{STATUS_NAMES[merchant.status][0]}」，不能{ACTION_NAMES[action][0]}"
            f" / A {merchant.status} merchant cannot be {ACTION_NAMES[action][2]}"]})
    note = str(note or "").strip()  # as typed: full-width punctuation stays (no NFKC)
    if action in NOTE_REQUIRED and not note:
        raise ValidationError(details={"note": [
            "请填写原因（将以短信告知商户） / Give the reason (it is texted to the merchant)"]})
    if len(note) > MAX_NOTE:
        raise ValidationError(details={"note": [
            f"原因不超过{MAX_NOTE}字 / At most {MAX_NOTE} characters"]})
    if to_status == "approved" and merchant.licence_no and licence_in_use(
            session, merchant.licence_no, excluding=merchant.id):
        raise ValidationError(details={"licence_no": [
            "另一家商户已使用该统一社会信用代码 / Another merchant has this licence"]})
    from_status = merchant.status
    now = utcnow()
    merchant.status = to_status
    if to_status == "approved" and merchant.approved_at is None:
        merchant.approved_at = now
    merchant.reviewed_by, merchant.reviewed_at, merchant.review_note = staff_id, now, note
    record_event(session, actor=f"staff:{staff_id}", action=f"merchant.{action}",
                 subject=merchant.id, merchant_id=merchant.id, note=note,
                 from_status=from_status, to_status=to_status)
    # The reason as typed; a full stop after it unless it ends a sentence itself.
    stop = "" if note.endswith(("。", "！", "？", ".", "!", "?", "…")) else "。"
    body = _SMS[action].format(name=merchant.name, note=note, stop=stop)
    for owner_phone in session.scalars(select(MerchantUser.phone).where(
            MerchantUser.merchant_id == merchant.id, MerchantUser.role == "owner",
            MerchantUser.active.is_(True)).order_by(MerchantUser.created_at)):
        queue_sms(session, owner_phone, body)
    session.flush()
    return merchant


def review_history(session: Session, merchant_id: str) -> list[AuditEvent]:
    """The application and every review of the merchant, newest first."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.merchant_id == merchant_id, AuditEvent.action.like("merchant.%"))
        .order_by(AuditEvent.id.desc())))


def allowed_actions(status: str) -> list[str]:
    """The review actions a merchant in this status can take, in the order staff see them."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


#: status → (中文, English)
STATUS_NAMES = {"pending": ("待审核", "Pending"), "approved": ("已加盟", "Approved"),
                "rejected": ("未通过", "Rejected"), "suspended": ("已暂停", "Suspended")}
#: action → (中文, English verb, English past participle)
ACTION_NAMES = {"apply": ("提交申请", "Applied", "applied"),
                "reapply": ("重新申请", "Applied again", "applied again"),
                "approve": ("通过", "Approve", "approved"),
                "reject": ("拒绝", "Reject", "rejected"),
                "suspend": ("暂停", "Suspend", "suspended"),
                "reinstate": ("恢复", "Reinstate", "reinstated")}
