"""Member portal: the card, pay code, history, profile and offers pages."""

from datetime import datetime

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from markupsafe import Markup
from sqlalchemy import select

from valliance import points as accounts  # the ledger's public face
from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.members import chart, pay_code_view, services, tiers
from valliance.members import history as history_rows
from valliance.members.auth import MemberUser
from valliance.members.forms import (
    ConfirmForm,
    PasswordForm,
)
from valliance.members.models import AnnualSpend
from valliance.members.portal import (
    CHART_ENTRIES,
    FLASH,
    HISTORY_PAGE,
    KIND_LABELS,
    SHANGHAI,
    bp,
    member_required,
    show_error,
    tr,
)

# --- the card ---------------------------------------------------------------------------


def _this_year() -> int:
    return datetime.now(SHANGHAI).year


@bp.get("/")
@member_required
def card():
    """The card page: card face, QR, pay code, balance, tier progress."""
    member = current_user.member
    the_card = member.card
    balance = accounts.get_balance(db.session, member.points_account_id)
    spend = db.session.scalar(select(AnnualSpend).where(
        AnnualSpend.member_id == member.id, AnnualSpend.year == _this_year()))
    spend_fen = (spend.telecom_fen + spend.alliance_fen) if spend else 0
    active = the_card is not None and the_card.status == "active"
    page = make_response(render_template(
        "members/card.html", member=member, card=the_card, balance=balance,
        progress=tiers.progress(member.tier, spend_fen), spend_fen=spend_fen,
        pay=pay_code_view.payload(the_card) if active else None,
        locked_until=pay_code_view.locked_until(the_card) if active else None,
        form=ConfirmForm()))
    page.headers["Cache-Control"] = "no-store"  # it shows a live pay code (QR and barcode)
    return page


@bp.get("/pay-code.json")
def pay_code_json():
    """The card's current pay code with its QR and barcode (never cached); 204 while the code
    is still the one the page shows (?seen=its version: the page polls cheaply)."""
    response = pay_code_view.json_answer(request.args.get("seen"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/card.svg", defaults={"fmt": "svg"})
@bp.get("/card.png", defaults={"fmt": "png"})
@member_required
def card_qr(fmt: str):
    """The static code (the card number) as a QR image; ?download=1 saves it as a file."""
    the_card = current_user.member.card
    if the_card is None or the_card.status == "lost":  # a lost card's code is not shown
        return redirect(url_for("members.card"))
    from valliance.members.qr import qr_png, qr_svg  # shared with the member API

    image = qr_svg(the_card.number) if fmt == "svg" else qr_png(the_card.number)
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
def card_lost():
    """Report the card lost: a confirm step, then the card stops working at once."""
    the_card = current_user.member.card
    form = ConfirmForm()
    if the_card is None or the_card.status != "active":
        return redirect(url_for("members.card"))
    if form.validate_on_submit():
        services.set_card_status(db.session, the_card, "lost")
        db.session.commit()
        flash(tr("已挂失，该卡已停止使用。您可以在下方补办新卡。",
                 "Card reported lost: it no longer works. You can get a new card below."), FLASH)
        return redirect(url_for("members.card"))
    return render_template("members/lost.html", card=the_card, form=form)


# --- history, profile, offers -----------------------------------------------------------


@bp.get("/history")
@member_required
def history():
    """Points history, newest first, 20 a page, filtered by kind, with a balance chart."""
    member = current_user.member
    kind = request.args.get("kind") or None
    if kind not in KIND_LABELS:
        kind = None
    before = request.args.get("before", type=bounded_int(1))
    page = accounts.get_history(db.session, member.points_account_id, limit=HISTORY_PAGE,
                                before=before, kinds=frozenset({kind}) if kind else None)
    details = history_rows.entry_details(db.session, member.id, [e.id for e in page.entries])
    return render_template("members/history.html", page=page, kind=kind, before=before,
                           kinds=KIND_LABELS, chart=_balance_chart(member), tz=SHANGHAI,
                           detail=lambda e: history_rows.describe(details.get(e.id), tr))


def _balance_chart(member) -> Markup:
    recent = accounts.get_history(db.session, member.points_account_id, limit=CHART_ENTRIES)
    series = [(e.created_at, e.balance_after) for e in recent.entries
              if e.balance_after is not None]
    svg = chart.balance_svg(series, title=tr("积分余额走势", "Points balance over time"),
                            empty_text=tr("暂无记录", "No history yet"), tz=SHANGHAI)
    return Markup(svg)  # noqa: S704 — our own SVG, its text escaped by chart.balance_svg


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def profile():
    """Name, masked phone and the change-password form."""
    member = current_user.member
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, member, form.current_password.data,
                                     form.password.data)
        except VallianceError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            # Other browsers and the app are signed out; this browser signs in again.
            login_user(MemberUser(member))
            flash(tr("密码已修改，App 需重新登录。",
                     "Password changed; sign in again in the app."), FLASH)
            return redirect(url_for("members.profile"))
    return render_template("members/profile.html", member=member, form=form)


@bp.get("/offers")
@member_required
def offers():
    """Offers from alliance merchants, priced for this member's tier."""
    from valliance.merchants.offers_view import render_offers_page

    return render_offers_page()
