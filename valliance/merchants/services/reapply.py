"""A turned-down applicant applies again with the same mobile number: its rejected merchant
goes back to `pending` with the corrected details, and staff review it again. The owner proves
who they are with their current password; the audit trail keeps every earlier step."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.merchants import signals
from valliance.merchants.models import Merchant, MerchantUser
from valliance.passwords import password_matches

#: the owner's phone is taken; a declined applicant may still apply again (nothing said about
#: whose phone it is or how its application went)
PHONE_TAKEN_OR_REAPPLY = (
    bilingual("该手机号已有商户账号。如申请未通过、要重新申请，请填写原来设置的密码"))
#: the merchant's own columns an application sets
FIELDS = ("name", "category", "district", "address", "phone", "avg_spend", "licence_no")


def rejected_owner(session: Session, phone: str, password: str) -> MerchantUser | None:
    """The owner of a rejected merchant with this phone and password (may apply again)."""
    owner = session.scalar(select(MerchantUser).where(MerchantUser.phone == phone))
    # The password is checked whatever the account's state, so that the time taken does not
    # tell a stranger which taken phones belong to a turned-down shop
    matches = password_matches(owner.password_hash if owner else None, password)
    if (not matches or owner is None or owner.role != "owner" or not owner.active
            or owner.merchant.status != "rejected"):
        return None
    return owner


def reapply(session: Session, owner: MerchantUser, clean: dict) -> Merchant:
    """Put the rejected merchant back in review with the application's checked fields."""
    merchant = session.get(Merchant, owner.merchant_id, with_for_update=True,
                           populate_existing=True)
    if merchant.status != "rejected":  # reviewed meanwhile, in another request
        raise ValidationError(details={"owner_phone": [PHONE_TAKEN_OR_REAPPLY]})
    changed = sorted(field for field in FIELDS if getattr(merchant, field) != clean[field])
    for field in FIELDS:
        setattr(merchant, field, clean[field])
    merchant.status = "pending"
    owner.name = clean["owner_name"]
    record_event(session, actor=f"merchant_user:{owner.id}", action="merchant.reapply",
                 subject=merchant.id, merchant_id=merchant.id, name=merchant.name,
                 licence_no=merchant.licence_no, changed=changed, from_status="rejected",
                 to_status="pending")
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    return merchant
