"""Merchants joining the alliance: registered by staff (approved), or applying on the web and
reviewed by staff.

A merchant applies with its owner's sign-in and waits `pending`; alliance staff approve or
reject it, and later may suspend and reinstate it. Every review is written to the audit trail
and texted to the owners (after the commit, through the outbox).
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from valliance.audit import AuditEvent, record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import N_, bilingual, pbilingual
from valliance.ids import new_id
from valliance.merchants import signals
from valliance.merchants.models import CATEGORIES, Merchant, MerchantUser
from valliance.merchants.services import reapply
from valliance.merchants.services.application_checks import check_application, licence_in_use
from valliance.merchants.services.merchant_users import PHONE_TAKEN, add_merchant_user
from valliance.messaging import queue_sms
from valliance.points import accounts

MAX_NOTE = 200

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

_SMS = {
    "approve": "【V卡联盟】您的商户「{name}」已通过审核，加入V卡联盟。"
               "现在可用本手机号登录商户后台。",
    "reject": "【V卡联盟】很抱歉，您的商户「{name}」加盟申请未通过审核。原因：{note}{stop}"
              "如需补充材料，请联系联盟客服。",
    "suspend": "【V卡联盟】您的商户「{name}」已暂停联盟服务。原因：{note}{stop}"
               "暂停期间无法登录商户后台，本店优惠对会员不再生效，如有疑问请联系联盟客服。",
    "reinstate": "【V卡联盟】您的商户「{name}」已恢复联盟服务，可正常登录商户后台。",
}


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(details={field: [message]})


def create_merchant(session: Session, *, name: str, category: str, district: str,
                    address: str = "", phone: str = "", avg_spend: int = 0,
                    licence_no: str = "", approved: bool = False,
                    merchant_id: str | None = None) -> Merchant:
    """Register a merchant (pending until approved, unless staff create it approved).

    merchant_id: a fixed id (the demo's merchants); new merchants get a random one.
    """
    name, district = (name or "").strip(), (district or "").strip()
    if not 1 <= len(name) <= 100:
        raise _invalid("name", bilingual("请填写商户名称"))
    if category not in CATEGORIES:
        raise _invalid("category", pbilingual(
            "one of: %(CATEGORIES)s",
            "行业须为",
            CATEGORIES='、'.join(CATEGORIES),
        ))
    if not 1 <= len(district) <= 50:
        raise _invalid("district", bilingual("请填写所在区域"))
    if isinstance(avg_spend, bool) or not isinstance(avg_spend, int) or avg_spend < 0:
        raise _invalid("avg_spend", bilingual("人均消费须为非负整数（分）"))
    merchant_id = merchant_id or new_id("mer")
    opened = accounts.open_merchant_accounts(session, merchant_id)
    merchant = Merchant(id=merchant_id, name=name, category=category, district=district,
                        address=(address or "").strip(), phone=(phone or "").strip(),
                        avg_spend=avg_spend, licence_no=(licence_no or "").strip(),
                        status="approved" if approved else "pending",
                        approved_at=utcnow() if approved else None,
                        issued_account_id=opened.issued, redeemed_account_id=opened.redeemed)
    session.add(merchant)
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    return merchant


def set_merchant_status(session: Session, merchant: Merchant, status: str) -> Merchant:
    """Approve, reject or suspend a merchant."""
    merchant.status = status
    if status == "approved" and merchant.approved_at is None:
        merchant.approved_at = utcnow()
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    return merchant



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
    clean, errors = check_application(session, fields)
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
        raise ValidationError(details={"action": [bilingual("未知操作", action=repr(action))]})
    # Locked, so two staff reviewing at once cannot both pass the status check.
    merchant = session.get(Merchant, merchant_id, with_for_update=True, populate_existing=True)
    if merchant is None:
        raise NotFound()
    allowed_from, to_status = TRANSITIONS[action]
    if merchant.status not in allowed_from:
        raise ValidationError(details={"status": [
            bilingual(REFUSED[action], status_name=STATUS_NAMES[merchant.status][0],
                      status=merchant.status)]})
    note = str(note or "").strip()  # as typed: full-width punctuation stays (no NFKC)
    if action in NOTE_REQUIRED and not note:
        raise ValidationError(details={"note": [
            bilingual("请填写原因（将以短信告知商户）")]})
    if len(note) > MAX_NOTE:
        raise ValidationError(details={"note": [
            bilingual("原因不超过%(MAX_NOTE)s字", MAX_NOTE=MAX_NOTE)]})
    if to_status == "approved" and merchant.licence_no and licence_in_use(
            session, merchant.licence_no, excluding=merchant.id):
        raise ValidationError(details={"licence_no": [
            bilingual("另一家商户已使用该统一社会信用代码")]})
    from_status = merchant.status
    now = utcnow()
    merchant.status = to_status
    if to_status == "approved" and merchant.approved_at is None:
        merchant.approved_at = now
    merchant.reviewed_by, merchant.reviewed_at, merchant.review_note = staff_id, now, note
    record_event(session, actor=f"staff:{staff_id}", action=f"merchant.{action}",
                 subject=merchant.id, merchant_id=merchant.id, note=note, reason=note,
                 from_status=from_status, to_status=to_status)
    # The reason as typed; a full stop after it unless it ends a sentence itself.
    stop = "" if note.endswith(("。", "！", "？", ".", "!", "?", "…")) else "。"
    body = _SMS[action].format(name=merchant.name, note=note, stop=stop)
    for owner_phone in session.scalars(select(MerchantUser.phone).where(
            MerchantUser.merchant_id == merchant.id, MerchantUser.role == "owner",
            MerchantUser.active.is_(True)).order_by(MerchantUser.created_at)):
        queue_sms(session, owner_phone, body)
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
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
STATUS_NAMES = {"pending": (N_("待审核"), "Pending"), "approved": (N_("已加盟"), "Approved"),
                "rejected": (N_("未通过"), "Rejected"), "suspended": (N_("已暂停"), "Suspended")}
#: action → (中文, English)
ACTION_NAMES = {"apply": (N_("提交申请"), "Applied"),
                "reapply": (N_("重新申请"), "Applied again"),
                "approve": (N_("通过"), "Approve"),
                "reject": (N_("拒绝"), "Reject"),
                "suspend": (N_("暂停"), "Suspend"),
                "reinstate": (N_("恢复"), "Reinstate")}
#: review action → why a merchant in another status cannot take it (a whole message per action:
#: the verb's form is the language's, so the catalog chooses it, not the code)
REFUSED = {"approve": N_("商户当前状态为「%(status_name)s」，不能通过"),
           "reject": N_("商户当前状态为「%(status_name)s」，不能拒绝"),
           "suspend": N_("商户当前状态为「%(status_name)s」，不能暂停"),
           "reinstate": N_("商户当前状态为「%(status_name)s」，不能恢复")}
