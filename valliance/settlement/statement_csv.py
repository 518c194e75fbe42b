"""Statements as CSV (UTF-8 with a BOM, so that Excel reads the Chinese): the merchant's own
statement, and for finance staff a whole period or one statement, yuan beside the fen.

Columns carry both languages (the file is read by either); names and references typed by
people go through text_cell, so a spreadsheet never runs them as formulas."""

import csv
import io

from flask import Response

from valliance.csv_cells import text_cell
from valliance.money import yuan_text
from valliance.settlement.models import SettlementPeriod, Statement

HEADER = ["期间 Period", "商户 Merchant", "账单号 Statement", "起始序号(不含) From seq",
          "截止序号 To seq", "发放积分 Points issued", "每分成本(分) Cost per point (fen)",
          "应付联盟(分) Owed by merchant (fen)", "兑换积分 Points redeemed",
          "每分补偿(分) Reimbursement per point (fen)", "联盟应付(分) Owed to merchant (fen)",
          "联盟通用券(分) Alliance coupons, owed to merchant (fen)",
          "净额(分) Net (fen, + merchant pays)", "状态 Status", "付款参考 Reference"]
#: finance's files add yuan (text: "-3.17") after the fen columns
YUAN_HEADER = ["应付联盟(元) Owed by merchant (yuan)", "联盟应付(元) Owed to merchant (yuan)",
               "净额(元) Net (yuan, + merchant pays)"]
#: appended at the end of finance's files (issue #18): earlier columns keep their places
COUPON_YUAN = "联盟通用券(元) Alliance coupons, owed to merchant (yuan)"
STAFF_HEADER = [*HEADER[:13], *YUAN_HEADER, *HEADER[13:], COUPON_YUAN]


def _row(statement: Statement, name: str, closed: SettlementPeriod, *, yuan: bool) -> list:
    due = statement.settlement
    row = [statement.period, text_cell(name), statement.id, closed.lower_seq,
           closed.cutoff_seq, statement.points_issued, closed.cost_per_point_fen,
           statement.cost_fen, statement.points_redeemed, closed.reimburse_per_point_fen,
           statement.reimbursement_fen, statement.coupon_fen, statement.net_fen]
    if yuan:
        row += [yuan_text(statement.cost_fen), yuan_text(statement.reimbursement_fen),
                yuan_text(statement.net_fen)]
    row += [due.status if due else "settled", text_cell(due.reference or "") if due else ""]
    return row + [yuan_text(statement.coupon_fen)] if yuan else row


def csv_response(closed: SettlementPeriod, rows: list[tuple[Statement, str]], filename: str,
                 *, yuan: bool = False) -> Response:
    """A download of statements (statement, merchant name) of one closed period."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STAFF_HEADER if yuan else HEADER)
    for statement, name in rows:
        writer.writerow(_row(statement, name, closed, yuan=yuan))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={filename}"})
