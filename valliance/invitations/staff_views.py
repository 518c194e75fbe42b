"""The staff page of old brings new (/staff/invitations, roles marketing and admin): referrers
ranked, what the rewards cost (points and fen) and what was clawed back, flagged cases; the
referrers as CSV (UTF-8 with a BOM, both languages in the header, as settlement's files)."""

import csv
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from valliance.csv_cells import text_cell
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import N_, _, label_text
from valliance.invitations.services import flags, reads
from valliance.money import format_yuan, yuan_text
from valliance.staff.auth import current_staff
from valliance.staff.roles import MARKETING, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import transactional

bp = Blueprint("invitations_staff", __name__, url_prefix="/staff/invitations",
               template_folder="templates")

PER_PAGE = 20
REASONS = {
    "self_referral": (N_("自我推荐（同一人、同一手机号或同一支付卡）"),),
    "self_referral_attempt": (N_("注册时填写自己的邀请码"),),
    "phone_rewarded_before": (N_("该手机号已领取过新人奖励"),),
    "yearly_cap": (N_("推荐人本年度奖励已达上限"),),
    "clawback": (N_("首单全额退款，奖励已收回"),),
    "coupon_not_issued": (N_("奖励优惠券未能发放"),),
}


def _pages(total: int) -> int:
    return max(1, -(-total // PER_PAGE))


@bp.get("/")
@role_required(MARKETING)
def report():
    """Totals, referrers (a page), flagged cases (a page)."""
    page = max(1, request.args.get("page", 1, type=int))
    flag_page = max(1, request.args.get("flags", 1, type=int))
    referrers, referrer_total = reads.ranked_referrers(db.session, page=page, per_page=PER_PAGE)
    cases, flag_total = reads.flags(db.session, page=flag_page, per_page=PER_PAGE)
    point_fen = current_app.config["POINT_VALUE_FEN"]
    return render_template(
        "invitations/staff.html", totals=reads.totals(db.session), referrers=referrers,
        page=page, pages=_pages(referrer_total), referrer_total=referrer_total, cases=cases,
        flag_page=flag_page, flag_pages=_pages(flag_total), flag_total=flag_total,
        fen=lambda points: format_yuan(points * point_fen),
        reason=lambda code: label_text(REASONS[code]), form=ConfirmForm(), tz=SHANGHAI)


@bp.post("/flags/<flag_id>/reviewed")
@role_required(MARKETING)
@transactional
def review(flag_id: str):
    """Mark a flagged case reviewed (audited)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        flags.mark_reviewed(db.session, flag_id, actor=f"staff:{current_staff().id}")
        flash(_("已标记为已处理"), FLASH)
    return redirect(url_for("invitations_staff.report", flags=request.args.get("flags", 1)))


CSV_HEADER = ["推荐人 Referrer", "手机号 Phone", "已邀请 Invited", "已转化 Converted",
              "奖励有效 Rewards standing", "奖励积分 Reward points", "奖励金额(元) Reward (yuan)",
              "已收回积分 Points clawed back"]


@bp.get("/referrers.csv")
@role_required(MARKETING)
def referrers_csv():
    """Every referrer, ranked as on the page (phones masked)."""
    rows, _ = reads.ranked_referrers(db.session)
    point_fen, out = current_app.config["POINT_VALUE_FEN"], io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows([text_cell(r.name), r.phone_masked, r.invited, r.converted, r.rewarded,
                      r.points_paid, yuan_text(r.points_paid * point_fen),
                      r.points_clawed_back] for r in rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=invitations-referrers.csv"})
