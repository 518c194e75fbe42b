"""Merchant services, split by verb."""

# TEMPORARY, for this branch only (remove when merging the branch that regroups
# merchants/services.py into this package): that module is shadowed by this package, so its
# functions are loaded here until it moves.
from pathlib import Path as _Path

exec(compile((_Path(__file__).parent.parent / "services.py").read_text(encoding="utf-8"),  # noqa: S102
             str(_Path(__file__).parent.parent / "services.py"), "exec"))
