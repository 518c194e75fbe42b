"""`flask rfm …` and `flask segments …` (contract §11)."""

from valliance.marketing.segments_cli import segments_cli

COMMANDS: tuple = ()
COMMANDS += (segments_cli,)
