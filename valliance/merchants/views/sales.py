"""Merchant portal: the dashboard, purchases (filters, CSV export, detail) and refunds."""

import csv
import io
import secrets
from datetime import date, datetime

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from markupsafe import Markup

from valliance.api_support import iso_shanghai
from valliance.csv_cells import text_cell
from valliance.db import run_in_transaction, today_shanghai
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.i18n import gettext
from valliance.members.labels import tier_name
from valliance.merchants.forms import AMOUNT_TYPED, RefundForm
from valliance.merchants.services import purchases as pos
from valliance.merchants.services import refunds, reports
from valliance.merchants.services.terminals import list_terminals
from valliance.merchants.views.portal import actor, bp, current_merchant, merchant_required
from valliance.merchants.views.sales_chart import daily_sales_svg
from valliance.money import yuan_text, yuan_to_fen
from valliance.replica import reading_session
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

PAGE_SIZE = 50
FILTER_ARGS = ("from", "to", "terminal", "card", "refund")
CSV_HEADER = ["时间 Time", "流水号 Purchase", "终端 Terminal", "卡号后四位 Card", "等级 Tier",
              "原价 Amount", "折扣 % off", "优惠 Discount", "积分抵扣 Points used",
              "积分抵现 Points value", "实收 Paid", "获得积分 Points earned",
              "已退（原价） Refunded (list)", "参考号 Reference",
              # appended (issue #18): earlier columns keep their places
              "优惠券抵扣 Coupon value"]
#: the CSV is sent in pieces of about this many characters
CSV_PIECE = 64_000


@bp.get("/")
@merchant_required
def dashboard():
    """Sales through the alliance, discounts given, points issued and redeemed."""
    board = reports.dashboard(reading_session(), current_merchant().id)
    chart = daily_sales_svg(board.daily, title=gettext("近30天销售额"),
                            empty_text=gettext("近30天暂无销售"))
    return render_template("merchants/portal/dashboard.html", board=board,
                           chart=Markup(chart))  # noqa: S704 — built from escaped parts


# --- the purchase list -------------------------------------------------------------------


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _wanted() -> reports.PurchaseFilter:
    card = "".join(ch for ch in request.args.get("card", "") if ch.isdigit())[:16]
    state = request.args.get("refund", "")
    return reports.PurchaseFilter(
        date_from=_date_arg("from"), date_to=_date_arg("to"),
        terminal_id=request.args.get("terminal") or None, card=card,
        refund_state=state if state in reports.REFUND_STATES else "")


def _cursor() -> tuple[datetime, str] | None:
    created, _, purchase_id = request.args.get("after", "").partition("~")
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return None
    return (moment, purchase_id) if moment.tzinfo is not None else None  # ours carry +00:00


def _filter_args() -> dict[str, str]:
    """Only our own filters go back into links (url_for would also obey "_external" & co.)."""
    return {key: request.args[key] for key in FILTER_ARGS if request.args.get(key)}


def _links(cursor: tuple[datetime, str] | None) -> dict[str, str | None]:
    """The list's links: the next (older) page, the first page, and the CSV of the filter."""
    args = _filter_args()
    older = (url_for("merchant_portal.purchases", **args,
                     after=f"{cursor[0].isoformat()}~{cursor[1]}") if cursor else None)
    return {"older": older, "newest": url_for("merchant_portal.purchases", **args),
            "export_url": url_for("merchant_portal.purchases_csv", **args)}


@bp.get("/purchases")
@merchant_required
def purchases():
    """The merchant's purchases, newest first, with filters, totals and CSV export."""
    merchant = current_merchant()
    wanted = _wanted()
    reader = reading_session()
    rows, cursor = reports.purchase_page(reader, merchant.id, wanted, after=_cursor(),
                                         size=PAGE_SIZE)
    return render_template(
        "merchants/portal/purchases.html", rows=rows, wanted=wanted,
        totals=reports.purchase_totals(reader, merchant.id, wanted),
        terminals=list_terminals(db.session, merchant.id), first_page=not request.args.get("after"),
        **_links(cursor))


# --- the CSV export ----------------------------------------------------------------------


def _csv_row(purchase, card_number: str, terminal_name: str | None) -> list[str]:
    return [text_cell(cell) for cell in (
        iso_shanghai(purchase.created_at), purchase.id, terminal_name or "",
        card_number[-4:], tier_name(purchase.tier), yuan_text(purchase.amount),
        purchase.percent_off, yuan_text(purchase.discount), purchase.redeem_points,
        yuan_text(purchase.points_value), yuan_text(purchase.payable),
        purchase.points_earned, yuan_text(purchase.refunded_amount), purchase.reference or "",
        yuan_text(purchase.coupon_value))]


def _csv_pieces(reader, query):
    """The CSV text in pieces, read from the database (reader) as it is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_HEADER)
    for row in reader.execute(query):
        writer.writerow(_csv_row(*row))
        if buffer.tell() > CSV_PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
    reader.rollback()


@bp.get("/purchases.csv")
@merchant_required
def purchases_csv():
    """Every purchase the filter matches, as UTF-8 CSV (with a BOM, so Excel reads Chinese)."""
    query = reports.filtered(current_merchant().id, _wanted()).execution_options(
        yield_per=1000)
    name = f"purchases-{today_shanghai().isoformat()}.csv"
    return Response(stream_with_context(_csv_pieces(reading_session(), query)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


# --- one purchase and its refunds --------------------------------------------------------


def _purchase_page(purchase_id: str, form: RefundForm | None = None, status: int = 200):
    merchant = current_merchant()
    purchase = pos.find_purchase(db.session, merchant, purchase_id)
    card_number, terminal_name = reports.card_and_terminal(db.session, purchase)
    if form is None:
        form = RefundForm(formdata=None, token=secrets.token_urlsafe(24))
    return render_template("merchants/portal/purchase.html", purchase=purchase,
                           card_last4=card_number[-4:], terminal_name=terminal_name,
                           form=form), status


@bp.get("/purchases/<purchase_id>")
@merchant_required
def purchase(purchase_id: str):
    """One purchase with its refunds and the refund form."""
    return _purchase_page(purchase_id)


def _refund_amount(form: RefundForm) -> int | None:
    """The amount typed, in fen; None (blank) refunds all that is left."""
    if not (form.amount.data or "").strip():
        return None
    try:
        return yuan_to_fen(form.amount.data)
    except ValueError as exc:
        raise ValidationError(details={"amount": [AMOUNT_TYPED]}) from exc


@bp.post("/purchases/<purchase_id>/refunds")
@merchant_required
@transactional
def refund(purchase_id: str):
    """Refund part or all of a purchase; the form's token makes a double submit refund once."""
    merchant, form = current_merchant(), RefundForm()
    # Another merchant's purchase, or none: showing the page again raises NotFound (a 404).
    page = on_error(form, lambda: _purchase_page(purchase_id, form, 422))
    if not form.validate_on_submit():
        return page()
    amount = _refund_amount(form)
    # Committed here, not by @transactional: a lost race (a deadlock) is run again.
    refunded = run_in_transaction(db.session, lambda: refunds.refund_once(
        db.session, merchant, purchase_id, amount, token=form.token.data, actor=actor()))
    flash(gettext("退款已完成。") if refunded is not None else
          gettext("这笔退款已经提交过，未重复退款。"),
          FLASH)
    return redirect(url_for("merchant_portal.purchase", purchase_id=purchase_id))
