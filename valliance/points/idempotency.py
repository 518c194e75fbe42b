"""Idempotency keys for HTTP writes, claimed in the same transaction as the ledger write.

The claim is an INSERT … ON CONFLICT DO NOTHING on (scope, key). On PostgreSQL a second
identical request blocks on the first one's uncommitted row and, once it commits, finds the
stored answer; if the first one failed, its rollback removed the claim and the key is free
again. Only successful answers are stored.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import IdempotencyInProgress, IdempotencyKeyReused
from valliance.points.models import IdempotencyKey

keys = IdempotencyKey.__table__

#: terminals can be offline for days; answers are kept at least this long
MIN_RETENTION_DAYS = 7

# Built once: a statement built per request costs more CPU than its round trip.
_claim_stmts = {
    engine: insert(keys).values(
        scope=bindparam("scope"), key=bindparam("key"), request_hash=bindparam("hash"),
        created_at=bindparam("now"),
    ).on_conflict_do_nothing(index_elements=["scope", "key"]).returning(keys.c.id)
    for engine, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_stored_stmt = select(keys.c.request_hash, keys.c.status_code, keys.c.response_body).where(
    keys.c.scope == bindparam("scope"), keys.c.key == bindparam("key"))
_store_stmt = update(keys).where(keys.c.id == bindparam("key_id")).values(
    status_code=bindparam("status"), response_body=bindparam("body"))


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict


@dataclass(frozen=True)
class Claim:
    #: the claimed row, when this request is the first with its key
    key_id: int | None
    #: the first answer, when this request repeats an earlier one
    replay: StoredResponse | None


def request_fingerprint(method: str, path: str, body: object) -> str:
    """Hash a request so that the same key with another body can be told apart."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_key(session: Session, scope: str, key: str, fingerprint: str) -> Claim:
    """Claim a key for this request, or return the stored answer of the identical first one."""
    conn = session.connection()
    key_id = conn.execute(_claim_stmts[conn.dialect.name], {
        "scope": scope, "key": key, "hash": fingerprint, "now": utcnow()}).scalar()
    if key_id is not None:
        return Claim(key_id=key_id, replay=None)
    row = conn.execute(_stored_stmt, {"scope": scope, "key": key}).one()
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if row.status_code is None:
        raise IdempotencyInProgress()
    return Claim(key_id=None, replay=StoredResponse(row.status_code, json.loads(row.response_body)))


def store_response(session: Session, claim: Claim, status: int, body: dict) -> None:
    """Keep the successful answer with the claimed key (same transaction as the write)."""
    if claim.key_id is None:
        raise ValueError("only a first request stores its answer")
    session.connection().execute(_store_stmt, {
        "key_id": claim.key_id, "status": status,
        "body": json.dumps(body, ensure_ascii=False)})


def purge_keys(session: Session, older_than: datetime) -> int:
    """Forget keys created before older_than; refuses to cut into the retention window."""
    if (utcnow() - older_than).days < MIN_RETENTION_DAYS:
        raise ValueError(f"keys are kept at least {MIN_RETENTION_DAYS} days")
    result = session.connection().execute(delete(keys).where(keys.c.created_at < older_than))
    return result.rowcount
