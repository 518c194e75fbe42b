"""`flask members …`, `flask cards …` and `flask tiers …`."""

COMMANDS: list = []
