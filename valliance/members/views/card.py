"""Member portal: the card page, the card's QR image, printing it, and reporting it lost."""

from datetime import datetime

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import _
from valliance.members import qr, services, tiers
from valliance.members.auth import member_required
from valliance.members.models import AnnualSpend
from valliance.members.services.birthday import double_points_until
from valliance.members.views import bp
from valliance.members.views import pay_code as pay_code_view
from valliance.points import accounts
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import transactional


def _spend_this_year(member) -> int:
    spend = db.session.scalar(select(AnnualSpend).where(
        AnnualSpend.member_id == member.id, AnnualSpend.year == datetime.now(SHANGHAI).year))
    return (spend.telecom_fen + spend.alliance_fen) if spend else 0


@bp.get("/")
@member_required
def card():
    """The card page: card face, QR, pay code, balance, tier progress."""
    member = current_user.member
    the_card = member.card
    spend_fen = _spend_this_year(member)
    active = the_card is not None and the_card.status == "active"
    page = make_response(render_template(
        "members/card.html", member=member, card=the_card,
        balance=accounts.get_balance(db.session, member.points_account_id),
        progress=tiers.progress(member.tier, spend_fen), spend_fen=spend_fen,
        pay=pay_code_view.payload(the_card) if active else None,
        locked_until=pay_code_view.locked_until(the_card) if active else None,
        double_until=double_points_until(db.session, member, datetime.now(SHANGHAI).date()),
        form=ConfirmForm()))
    page.headers["Cache-Control"] = "no-store"  # it shows a live pay code (QR and barcode)
    return page


@bp.get("/card.svg", defaults={"fmt": "svg"})
@bp.get("/card.png", defaults={"fmt": "png"})
@member_required
def card_qr(fmt: str):
    """The static code (the card number) as a QR image; ?download=1 saves it as a file."""
    the_card = current_user.member.card
    if the_card is None or the_card.status == "lost":  # a lost card's code is not shown
        return redirect(url_for("members.card"))
    image = qr.qr_svg(the_card.number) if fmt == "svg" else qr.qr_png(the_card.number)
    response = make_response(image)
    response.headers["Content-Type"] = "image/svg+xml" if fmt == "svg" else "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="vcard-{the_card.last4}.{fmt}"')
    return response


@bp.get("/card/print")
@member_required
def card_print():
    """A card sized for CR80 stock (85.6 × 54 mm) to print at home."""
    return render_template("members/print.html", member=current_user.member,
                           card=current_user.member.card)


@bp.route("/card/lost", methods=["GET", "POST"])
@member_required
@transactional
def card_lost():
    """Report the card lost: a confirm step, then the card stops working at once."""
    the_card = current_user.member.card
    form = ConfirmForm()
    if the_card is None or the_card.status != "active":
        return redirect(url_for("members.card"))
    if form.validate_on_submit():
        services.set_card_status(db.session, the_card, "lost")
        flash(_("已挂失，该卡已停止使用。您可以在下方补办新卡。"), FLASH)
        return redirect(url_for("members.card"))
    return render_template("members/lost.html", card=the_card, form=form)
