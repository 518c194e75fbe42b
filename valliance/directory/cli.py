"""`flask directory reindex`: rebuild every search document (after a bulk change made outside
the app, or to pick up a change in how documents are made) and, on PostgreSQL, the rank
indexes for the tier multipliers and point value in force."""

import time

from flask.cli import AppGroup

from valliance.directory import entries, search, search_sql
from valliance.extensions import db
from valliance.members.cli import emit, json_option, transaction
from valliance.members.models import TIERS

directory_cli = AppGroup("directory", help="The 114 directory's offer search.")


@directory_cli.command("reindex")
@json_option
def reindex_command(as_json):
    """Rebuild the search documents of every offer and the rank indexes, in one transaction."""
    started = time.perf_counter()

    def rebuild() -> int:
        written = entries.reindex_all(db.session)
        search_sql.rebuild_rank_indexes(db.session.connection(),
                                        {tier: search.rank_step(tier) for tier in TIERS})
        return written

    written = transaction(rebuild)
    seconds = round(time.perf_counter() - started, 1)
    emit(as_json, {"entries": written, "seconds": seconds},
         f"已重建 {written} 条搜索索引 / Reindexed {written} offers in {seconds} s")
