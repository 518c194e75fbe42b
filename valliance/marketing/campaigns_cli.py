"""`flask campaigns create|send|report` (contract §11), one module per command."""

from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="Campaigns: create, send now, report.")
