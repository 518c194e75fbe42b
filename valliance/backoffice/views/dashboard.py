"""The alliance dashboard (every role): members, sales and points, the channels, work waiting."""

from datetime import timedelta

from flask import current_app, render_template, url_for
from markupsafe import Markup

from valliance.backoffice import dashboard_cli  # noqa: F401 — `flask backoffice roll-up`
from valliance.backoffice.services import dashboard as figures_of
from valliance.backoffice.services.dashboard_channels import channels
from valliance.backoffice.services.dashboard_desk import desk_figures
from valliance.backoffice.views import bp
from valliance.extensions import db
from valliance.i18n import _
from valliance.marketing.labels import band_name
from valliance.marketing.services.pyramid import value_pyramid
from valliance.members.labels import tier_name
from valliance.members.models import TIERS
from valliance.money import format_yuan
from valliance.replica import reading_session
from valliance.staff.auth import current_staff
from valliance.staff.roles import ANY, SERVICE_DESK, has_role, role_required
from valliance.web.charts import Column, bar_chart_svg
from valliance.web.transactions import transactional


@bp.get("/")
@role_required(*ANY)
@transactional
def dashboard():
    """What waits for someone, and the alliance at a glance (rolls up the closed days not
    rolled up yet: the one write of this page; the figures and channels read the rollup so
    stay on the primary, the pyramid and the desk are read from the replica if there is one)."""
    found, reader = figures_of.figures(db.session), reading_session()
    return render_template("backoffice/dashboard.html", f=found,
                           c=channels(db.session, found.today), charts=_charts(found),
                           TIERS=TIERS, tier_name=tier_name, days_before=days_before,
                           pyramid=value_pyramid(reader), band_name=band_name,
                           desk=desk_figures(reader), desk_url=_desk_url())


def _desk_url() -> str:
    """The desk's report, for those who may open it (others see the figure alone)."""
    if "desk_report.page" not in current_app.view_functions or not has_role(
            current_staff(), SERVICE_DESK):
        return ""
    return url_for("desk_report.page", period="month")


def days_before(days: int) -> timedelta:
    return timedelta(days=days)


def _charts(found: figures_of.Figures) -> dict[str, Markup]:
    """The page's charts, drawn here (inline SVG) from the same figures the tables show."""
    empty = _("暂无数据")
    trend = [Column(month.month.strftime("%Y-%m"),
                    tuple(month.counts.get(tier, 0) for tier in TIERS),
                    f"{month.month:%Y-%m}: " + " · ".join(
                        f"{tier_name(tier)} {month.counts.get(tier, 0):,}" for tier in TIERS))
             for month in found.trend]
    monthly = [Column(period.first.strftime("%Y-%m"), (period.sales,),
                      f"{period.first:%Y-%m}: {format_yuan(period.sales)} · "
                      f"{period.purchases:,}") for period in found.monthly]
    points = [Column(period.first.strftime("%m-%d"),
                     (period.points_issued, period.points_redeemed),
                     f"{period.first.isoformat()}: +{period.points_issued:,} / "
                     f"-{period.points_redeemed:,}") for period in found.daily]
    daily = [Column(period.first.strftime("%m-%d"), (period.sales,),
                    f"{period.first.isoformat()}: {format_yuan(period.sales)} · "
                    f"{period.purchases:,}") for period in found.daily]
    svgs = {
        "trend": bar_chart_svg(trend, title=_("各等级会员数（月末）"), empty_text=empty),
        "daily": bar_chart_svg(daily, title=_("近 30 天每日销售额"), empty_text=empty,
                               axis_label=_yuan_axis),
        "monthly": bar_chart_svg(monthly, title=_("近 12 个月每月销售额"), empty_text=empty,
                                 axis_label=_yuan_axis),
        "points": bar_chart_svg(points, title=_("近 30 天每日发放与使用的积分"),
                                empty_text=empty, grouped=True),
    }
    # our own SVG, every text in it escaped by the chart functions
    return {name: Markup(svg) for name, svg in svgs.items()}  # noqa: S704


def _yuan_axis(fen: int) -> str:
    return format_yuan(fen).removesuffix(".00")
