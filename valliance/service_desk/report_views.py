"""The desk's report page (/staff/desk/report, roles service_desk and admin): this period's
share of faults fixed within their service level against the 80 % target, the last 12
periods drawn with the target line, the rows by kind, tier, team and engineer; the same rows
as CSV (UTF-8 with a BOM, both languages in the header, as the other staff files)."""

import csv
import io

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from valliance.csv_cells import text_cell
from valliance.db import today_shanghai
from valliance.i18n import _
from valliance.members.labels import tier_name
from valliance.replica import reading_session
from valliance.service_desk.report_labels import duration, kind_name, mean, percent
from valliance.service_desk.services.report import Report, Row, build_report
from valliance.service_desk.services.report_periods import MONTH, parse_period
from valliance.staff.roles import SERVICE_DESK, role_required
from valliance.web.charts import Column, bar_chart_svg

bp = Blueprint("desk_report", __name__, url_prefix="/staff/desk",
               template_folder="templates")


def _period():
    return parse_period(request.args.get("period", MONTH), request.args.get("at"),
                        today_shanghai())


@bp.get("/report")
@role_required(SERVICE_DESK)
def page():
    """The report of one week or month (this one unless `at` names another)."""
    report = build_report(reading_session(), _period())
    return render_template("service_desk/report/page.html", r=report, chart=_chart(report),
                           kind_name=kind_name, tier_name=tier_name, percent=percent,
                           duration=duration, mean=mean)


def _chart(report: Report) -> Markup | None:
    """The faults' share of the last 12 periods, the target drawn across (inline SVG); None
    when no fault of those periods is within or late yet."""
    columns = [Column(point.period.key, (round((point.share or 0) * 1000),),
                      f"{point.period.key}: {percent(point.share)} "
                      f"({point.within}/{point.within + point.late})")
               for point in report.series]
    if not any(point.within + point.late for point in report.series):
        return None
    svg = bar_chart_svg(columns, title=_("故障按时修复率"), empty_text=_("暂无数据"),
                        axis_label=lambda per_mille: f"{per_mille // 10}%", scale=1000,
                        rule=(round(report.target * 1000),
                              _("目标 %(share)s", share=percent(report.target))))
    return Markup(svg)  # noqa: S704 — our own SVG, every text in it escaped by the chart


def csv_header() -> list[str]:
    return ["分组 Group", "名称 Name", "工单数 Opened", "按时 Within", "超时 Late",
            "未到期 Pending", "未解决即关闭 Closed unresolved", "按时率 Share within",
            "已解决 Resolved", "修复时长中位数(分钟) Median fix (min)",
            "修复时长P90(分钟) P90 fix (min)", "返修率 Reopen rate", "评价数 Ratings",
            "平均评分 Mean rating", "满意率(4-5分) Satisfied (4-5)"]


def csv_rows(report: Report) -> list[list]:
    """One line per row of the page: the totals, then by kind, tier, team and engineer."""
    groups = [("合计 Total", [(_("合计"), report.total)]),
              ("类型 Kind", [(kind_name(row.key), row) for row in report.by_kind]),
              ("等级 Tier", [(tier_name(row.key), row) for row in report.by_tier]),
              ("班组 Team", [(row.name or _("未分班组"), row) for row in report.by_team]),
              ("工程师 Engineer", [(row.name or _("未指派"), row)
                                   for row in report.by_engineer])]
    return [[group, text_cell(name), *_figures(row)] for group, rows in groups
            for name, row in rows]


def _figures(row: Row) -> list:
    def minutes(seconds):
        return "" if seconds is None else round(seconds / 60)

    def share(value, places=1):
        return "" if value is None else f"{value * 100:.{places}f}%"

    return [row.opened, row.within, row.late, row.pending, row.closed_unresolved,
            share(row.share), row.resolved, minutes(row.median_seconds),
            minutes(row.p90_seconds), share(row.reopen_rate), row.ratings,
            "" if row.mean_rating is None else f"{row.mean_rating:.2f}",
            share(row.satisfied_share)]


@bp.get("/report.csv")
@role_required(SERVICE_DESK)
def report_csv():
    """The page's rows as CSV."""
    report = build_report(reading_session(), _period())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_header())
    writer.writerows(csv_rows(report))
    name = f"desk-report-{report.period.key}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
