"""Win-back (issue #18): members who bought regularly and stopped enter a standing campaign
of the marketing engine once per lapse; its page shows who came back against the control
group and what it cost (docs/winback.md).

It sits above marketing, coupons, merchants and points; nothing imports it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the programme's page, its daily job and `flask winback`."""
    from valliance import jobs
    from valliance.i18n import N_
    from valliance.marketing.services.campaign_schedule import LONG_JOB
    from valliance.winback import cli, models, views  # noqa: F401 (models: metadata)
    from valliance.winback.services.entries import JOB, run
    from valliance.winback.services.programme import JOB_AT

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.winback_cli)
    # a round is a campaign run: it may take minutes for many members (as marketing's own)
    jobs.register(JOB, run, label=N_("会员挽回"), daily_at=JOB_AT, timeout=LONG_JOB)
