"""Merchant portal, owners only: the shop's offers, typed as 折 (or percent off), with a
preview of what a ¥100 sale gives and a warning when the title's 折 says otherwise.

The server converts and checks; static/js/merchant.js only previews while the owner types."""

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for

from valliance.db import today_shanghai
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.i18n import _
from valliance.members.labels import tier_name
from valliance.members.models import TIERS
from valliance.merchants.forms import OfferForm
from valliance.merchants.labels import discount_text
from valliance.merchants.models import Offer
from valliance.merchants.services import offers as offer_service
from valliance.merchants.views.portal import actor, bp, current_merchant, own, owner_required
from valliance.money import format_yuan
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

SAMPLE_FEN = 10_000  #: the preview prices a ¥100 sale


@bp.get("/offers")
@owner_required
def offers():
    """The merchant's offers: live, scheduled, ended and switched off."""
    rows = offer_service.merchant_offers(db.session, current_merchant().id)
    return render_template("merchants/portal/offers.html", offers=rows, today=today_shanghai())


def _to_percent(form: OfferForm, name: str) -> Decimal:
    """One discount field as percent off, in the unit the owner chose (errors on that field)."""
    text = (form[name].data or "").strip()
    if form.unit.data == "percent":
        return offer_service.parse_percent(text or "0", name)
    return offer_service.zhe_to_percent(text, name)


def _rates(form: OfferForm) -> tuple[Decimal, dict[str, Decimal]]:
    """The base percent off and the tier overrides (a blank tier field: no override)."""
    problems: dict[str, list[str]] = {}
    base, rates = Decimal(0), {}
    for name in ("discount", *(f"{tier}_discount" for tier in TIERS)):
        if name != "discount" and not (form[name].data or "").strip():
            continue
        try:
            value = _to_percent(form, name)
        except ValidationError as exc:
            problems.update(exc.details)
            continue
        if name == "discount":
            base = value
        else:
            rates[name.removesuffix("_discount")] = value
    if problems:
        raise ValidationError(details=problems)
    return base, rates


def _offer_terms(form: OfferForm) -> dict:
    base, rates = _rates(form)
    return {"title": form.title.data, "description": (form.description.data or "").strip(),
            "percent_off": base, "tier_percent_off": rates,
            "points_per_yuan": form.points_per_yuan.data, "valid_from": form.valid_from.data,
            "valid_until": form.valid_until.data, "active": form.active.data}


def preview(base: Decimal, rates: dict[str, Decimal], points) -> list[str]:
    """What a ¥100 sale gives: "会员价 ¥88.00 / 8.8折 / 每消费1元积2分", then each tier rate."""
    lines = [_(
        "会员价 %(SAMPLE_FEN)s / %(base)s / 每消费1元积%(points)s分",
        SAMPLE_FEN=format_yuan(offer_service.preview_fen(base, SAMPLE_FEN)),
        base=discount_text(base),
        points=points,
    )]
    for tier in TIERS:
        if tier in rates:
            price = format_yuan(offer_service.preview_fen(rates[tier], SAMPLE_FEN))
            lines.append(_(
                "%(tier)s：会员价 %(price)s / %(tier_2)s",
                tier=tier_name(tier),
                price=price,
                tier_2=discount_text(rates[tier]),
            ))
    return lines


def title_warning(title: str, base: Decimal, rates: dict[str, Decimal]) -> str | None:
    """A warning (never a refusal) when the title promises a 折 the rates do not give."""
    zhe = offer_service.title_disagrees(title, [base, *rates.values()])
    if zhe is None:
        return None
    said = f"{format(zhe.normalize(), 'f')}折"
    return _(
        "标题写着%(said)s，但设置的折扣是%(base)s，请核对。",
        said=said,
        base=discount_text(base),
        offer_service=offer_service.discount_en(100 - zhe * 10),
    )


def _render(form: OfferForm, offer: Offer | None) -> str:
    try:
        base, rates = _rates(form)
    except ValidationError:
        base, rates = None, {}
    points = form.points_per_yuan.data if isinstance(form.points_per_yuan.data, int) else 1
    return render_template(
        "merchants/portal/offer_form.html", form=form, offer=offer,
        preview=preview(base, rates, points) if base is not None else [],
        warning=title_warning(form.title.data or "", base, rates) if base is not None
        else None)


def _saved(message: str, terms: dict):
    flash(message, FLASH)
    warning = title_warning(terms["title"], terms["percent_off"], terms["tier_percent_off"])
    if warning:
        flash(warning, "portal-warning")
    return redirect(url_for("merchant_portal.offers"))


@bp.route("/offers/new", methods=["GET", "POST"])
@owner_required
@transactional
def new_offer():
    """Publish an offer."""
    form = OfferForm()
    page = on_error(form, lambda: _render(form, None))
    if form.validate_on_submit():
        terms = _offer_terms(form)
        offer_service.create_offer(db.session, current_merchant(), **terms, actor=actor())
        return _saved(_("优惠已发布。"), terms)
    return page()


def _fill(form: OfferForm, offer: Offer) -> None:
    """The offer's terms in the form, as 折 (12.5 % off → 8.75)."""
    form.process(data={
        "title": offer.title, "description": offer.description, "unit": "zhe",
        "discount": offer_service.percent_to_zhe_text(offer.percent_off),
        "points_per_yuan": offer.points_per_yuan, "valid_from": offer.valid_from,
        "valid_until": offer.valid_until, "active": offer.active,
        **{f"{rate.tier}_discount": offer_service.percent_to_zhe_text(rate.percent_off)
           for rate in offer.tier_rates}})


@bp.route("/offers/<offer_id>", methods=["GET", "POST"])
@owner_required
@transactional
def edit_offer(offer_id: str):
    """Change an offer; purchases already made keep the terms they were sold at."""
    offer = own(Offer, offer_id)
    form = OfferForm()
    page = on_error(form, lambda: _render(form, offer))
    if request.method == "GET":
        _fill(form, offer)
    elif form.validate_on_submit():
        terms = _offer_terms(form)
        changed = offer_service.update_offer(db.session, offer, **terms, actor=actor())
        return _saved(_("优惠已保存。") if changed else
                      _("没有改动。"), terms)
    return page()
