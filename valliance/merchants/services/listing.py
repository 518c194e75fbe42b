"""What customers see of a merchant that alliance staff may correct after it joined: its
industry, district and typical spend per customer. One write path (the back office's edit
page calls it): the fields are checked as on the application, the change is audited with its
reason, and `merchant_changed` lets the directory re-rank the merchant's offers."""

from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.merchants import signals
from valliance.merchants.models import CATEGORIES, Merchant
from valliance.merchants.services.application_checks import parse_yuan

#: the columns this path may change, in the order pages list them
LISTING_FIELDS = ("category", "district", "avg_spend")
DISTRICT_MAX = 50


def check_listing(category, district, avg_spend) -> dict:
    """The fields checked and normalized (avg_spend in yuan as typed → fen), or raise with
    every mistake at once."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if category not in CATEGORIES:
        errors["category"] = [bilingual("请选择行业")]
    else:
        clean["category"] = category
    district = " ".join(str(district or "").split())
    if not 1 <= len(district) <= DISTRICT_MAX:
        errors["district"] = [bilingual("请填写所在区域")]
    else:
        clean["district"] = district
    try:
        clean["avg_spend"] = parse_yuan(avg_spend)
    except ValidationError as exc:
        errors["avg_spend"] = exc.details["avg_spend"]
    if errors:
        raise ValidationError(details=errors)
    return clean


def update_listing(session: Session, merchant_id: str, *, category, district, avg_spend,
                   actor: str, reason: str) -> tuple[Merchant, list[str]]:
    """Set the merchant's industry, district and typical spend; (merchant, fields changed).
    Nothing changed writes nothing; a change needs a reason."""
    clean = check_listing(category, district, avg_spend)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [bilingual("请填写原因")]})
    merchant = session.get(Merchant, merchant_id, with_for_update=True, populate_existing=True)
    if merchant is None:
        raise NotFound()
    changed = [field for field in LISTING_FIELDS if getattr(merchant, field) != clean[field]]
    if not changed:
        return merchant, []
    before = {field: getattr(merchant, field) for field in changed}
    for field in changed:
        setattr(merchant, field, clean[field])
    record_event(session, actor=actor, action="merchant.edit", subject=merchant.id,
                 merchant_id=merchant.id, reason=reason, changed=changed, before=before,
                 after={field: clean[field] for field in changed})
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    return merchant, changed
