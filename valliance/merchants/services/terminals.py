"""POS terminals and their API keys: create (the key is shown once), revoke, and find the
terminal a key belongs to."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.api_keys import issue_key, key_digest
from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.merchants.models import Merchant, Terminal

#: the terminals.name column's length
TERMINAL_NAME_MAX = 100


def create_terminal(session: Session, merchant: Merchant, name: str = "", *,
                    actor: str | None = None) -> tuple[Terminal, str]:
    """A POS terminal and its API key (returned once; only its hash is stored)."""
    name = (name or "").strip()
    if len(name) > TERMINAL_NAME_MAX:
        raise ValidationError(details={"name": [
            bilingual(
                "终端名称最多%(TERMINAL_NAME_MAX)s个字",
                TERMINAL_NAME_MAX=TERMINAL_NAME_MAX,
            )]})
    key, digest = issue_key("vt")
    terminal = Terminal(id=new_id("ter"), merchant_id=merchant.id, name=name, key_hash=digest)
    session.add(terminal)
    if actor:
        record_event(session, actor=actor, action="terminal.create", subject=terminal.id,
                     merchant_id=merchant.id, name=terminal.name)
    session.flush()
    return terminal, key


def revoke_terminal(session: Session, terminal_id: str, *, actor: str | None = None,
                    reason: str = "") -> Terminal:
    """Refuse the terminal's key from now on (revoking twice changes nothing); reason: why
    (alliance staff give one). Locked and read again: two revokes at once are one event."""
    terminal = session.get(Terminal, terminal_id, with_for_update=True, populate_existing=True)
    if terminal is None:
        raise NotFound()
    if terminal.revoked_at is None:
        terminal.revoked_at = utcnow()
        if actor:
            record_event(session, actor=actor, action="terminal.revoke", subject=terminal.id,
                         merchant_id=terminal.merchant_id, reason=reason, name=terminal.name)
    session.flush()
    return terminal


def terminal_for_key(session: Session, key: str) -> Terminal | None:
    """The live terminal a key belongs to, or None (unknown or revoked)."""
    terminal = session.scalar(select(Terminal).where(Terminal.key_hash == key_digest(key)))
    return terminal if terminal and terminal.revoked_at is None else None


def list_terminals(session: Session, merchant_id: str, *, live_first: bool = False
                   ) -> list[Terminal]:
    """The merchant's terminals: oldest first, or (live_first) live ones first, newest first."""
    order = ((Terminal.revoked_at.is_not(None), Terminal.created_at.desc()) if live_first
             else (Terminal.created_at,))
    return list(session.scalars(select(Terminal).where(Terminal.merchant_id == merchant_id)
                                .order_by(*order)))
