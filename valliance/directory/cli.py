"""`flask directory reindex`: rebuild every search document (after a bulk change made outside
the app, or to pick up a change in how documents are made) and, on PostgreSQL, the rank
indexes for the tier multipliers and point value in force."""

import time

from flask.cli import AppGroup

from valliance.cli import emit, json_option, transaction
from valliance.directory import entries, search, search_sql
from valliance.extensions import db
from valliance.members.models import TIERS

directory_cli = AppGroup("directory", help="The 114 directory's offer search.")


@directory_cli.command("reindex")
@json_option
def reindex_command(as_json):
    """Rebuild the search documents of every offer in one transaction; then, in a short one
    of its own (it locks the table), any rank index made for other multipliers."""
    started = time.perf_counter()
    written = transaction(lambda: entries.reindex_all(db.session))
    steps = {tier: search.rank_step(tier) for tier in TIERS}
    stale = search_sql.stale_rank_indexes(db.session.connection(), steps)
    db.session.rollback()
    if stale:
        transaction(lambda: search_sql.rebuild_rank_indexes(db.session.connection(), stale,
                                                            steps))
    seconds = round(time.perf_counter() - started, 1)
    emit(as_json, {"entries": written, "rank_indexes_rebuilt": stale, "seconds": seconds},
         f"已重建 {written} 条搜索索引 / Reindexed {written} offers in {seconds} s"
         + (f"; rank indexes rebuilt: {', '.join(stale)}" if stale else ""))
