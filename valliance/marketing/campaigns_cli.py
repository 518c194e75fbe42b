"""`flask campaigns create|send|report` (contract §11), one module per command."""

from flask.cli import AppGroup

from valliance.marketing.cli_campaign_create import create_command
from valliance.marketing.cli_campaign_report import report_command
from valliance.marketing.cli_campaign_send import send_command

campaigns_cli = AppGroup("campaigns", help="Campaigns: create, send now, report.")
campaigns_cli.add_command(create_command)
campaigns_cli.add_command(send_command)
campaigns_cli.add_command(report_command)
