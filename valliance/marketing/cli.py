"""`flask rfm …` and `flask segments …` (contract §11)."""

COMMANDS: tuple = ()
