"""How an unexpected error reaches the log: with its traceback, and never the values of a
database statement (contract §10). The driver's message can quote them (PostgreSQL's
"DETAIL: Key (phone)=(…)", "Failing row contains (…)" — a password hash once), and so can
an error raised behind a database error (SQLAlchemy's PendingRollbackError repeats it)."""

import logging
import traceback

from sqlalchemy.exc import SQLAlchemyError, StatementError


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log `what` ("{kind}" in it says "error" or "database error") with the error: in full,
    or, when a database error is anywhere in its chain, each error's kind, the SQL and the
    tracebacks but no message."""
    chain = _chain(exc)
    if not any(_from_database(link) for link in chain):
        log.error(what.format(kind="error"), exc_info=exc)
        return
    text = "\n".join(database_error_text(link) if isinstance(link, StatementError) else
                     f"{type(link).__name__}\nTraceback:\n"
                     + "".join(traceback.format_tb(link.__traceback__))
                     for link in reversed(chain))
    log.error("%s\n%s", what.format(kind="database error"), text)


def _from_database(exc: BaseException) -> bool:
    """SQLAlchemy's errors, and the drivers' own (psycopg used directly, sqlite3)."""
    return (isinstance(exc, SQLAlchemyError)
            or type(exc).__module__.partition(".")[0] in {"psycopg", "sqlite3"})


def _chain(exc: BaseException) -> list[BaseException]:
    """The error and those behind it (its cause or context, and theirs), first the newest."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def database_error_text(exc: StatementError) -> str:
    """A database error for the log: where and which, never the values.

    The driver's message can quote them (PostgreSQL's "DETAIL: Key (phone)=(…)", "Failing
    row contains (…)" — a password hash once), and the statement's parameters are the
    request's data; both stay out. The statement's SQL, the SQLSTATE, the constraint and
    the traceback stay in.
    """
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    facts = [f"{type(exc).__name__} from {type(orig).__name__}"]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        facts.append(f"SQLSTATE {sqlstate}")
    for name in ("table_name", "column_name", "constraint_name"):
        value = getattr(diag, name, None) if diag is not None else None
        if value:
            facts.append(f"{name.split('_')[0]} {value}")
    if diag is None and orig is not None:  # sqlite3 names the constraint, never the values
        facts.append(str(orig).splitlines()[0][:200])
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{'; '.join(facts)}\n[SQL: {exc.statement}]\nTraceback:\n{frames}"


