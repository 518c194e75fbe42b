"""The demo alliance (`flask demo seed`): who is in it, its trade, the command."""

from valliance.demo.cli import demo_cli, seeding_refused
from valliance.demo.roster import (
    DEMO_MERCHANTS,
    DEMO_OPERATOR_KEY,
    DEMO_PASSWORD,
    DEMO_SEED,
    DEMO_SHOP,
    DEMO_TILL_KEY,
    DemoResult,
    demo_roster,
)
from valliance.demo.seed import seed_demo

__all__ = ["DEMO_MERCHANTS", "DEMO_OPERATOR_KEY", "DEMO_PASSWORD", "DEMO_SEED", "DEMO_SHOP",
           "DEMO_TILL_KEY", "DemoResult", "demo_cli", "demo_roster", "seed_demo",
           "seeding_refused"]
