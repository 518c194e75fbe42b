"""`flask campaigns create|send|report` (contract §11), one module per command."""

from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="Campaigns: create, send now, report.")

from valliance.marketing.cli_campaign_report import report_command  # noqa: E402

campaigns_cli.add_command(report_command)
