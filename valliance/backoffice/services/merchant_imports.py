"""Bulk import from the back office: the CSV `flask merchants import` takes, uploaded on a page.

The file is read and every row checked at once when it is uploaded (valliance.merchants'
import service: the same columns, the same per-row errors with line numbers); a file with any
bad row is refused whole and nothing is written. A good file is then written CHUNK rows per
request by the same service, each chunk in its own transaction, while the page shows how far
it got. Re-running a file, or a chunk again after an interruption, skips what is already
there and updates what changed (the service's natural keys), never duplicates.
"""

import csv
import io

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.backoffice.import_jobs import DONE, REJECTED, RUNNING, MerchantImport
from valliance.csv_rows import ImportRejected, RowError, read_csv
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual, localized
from valliance.ids import new_id
from valliance.input_guard import UNUSABLE_MESSAGE, printable, unusable
from valliance.merchants.services import imports

#: the largest file the page takes (the CLI takes any size)
MAX_UPLOAD_BYTES = 1024 * 1024
#: rows written per request while the page watches
CHUNK = 500
#: per-row errors kept for the report (a file of nothing but errors is not kept whole)
MAX_ERRORS = 1000
RECENT = 10
#: pg_advisory_xact_lock key: chunks of different imports are written one at a time, so two
#: imports of one file at once make each merchant once (the second finds the first's)
WRITE_LOCK = 0x494D5054  # "IMPT"


def _refused(message) -> ValidationError:
    return ValidationError(details={"file": [message]})


def read_upload(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows, or a ValidationError saying plainly what is wrong with the file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refused(bilingual("文件过大：最多 %(mb)s MB，请拆成几个文件分别导入",
                                 mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refused(bilingual("文件不是 UTF-8 编码。请在 Excel 中选择"
                                 "“另存为 → CSV UTF-8（逗号分隔）”后再上传")) from None
    if not text.strip():
        raise _refused(bilingual("文件是空的"))
    if unusable(text):  # a NUL byte: no database stores it
        raise _refused(UNUSABLE_MESSAGE)
    try:
        rows = read_csv(io.StringIO(text), imports.COLUMNS)
    except csv.Error:  # a cell over the csv module's field limit (131072 characters)
        raise _refused(bilingual("文件无法按 CSV 读取（可能有一格内容过长），请检查后再上传")
                       ) from None
    except ImportRejected as exc:
        raise _refused(bilingual("表头不对：第 1 行须为 %(columns)s（%(problem)s）",
                                 columns=",".join(imports.COLUMNS),
                                 problem=localized(exc.errors[0].message))) from None
    if not rows:
        raise _refused(bilingual("文件只有表头，没有数据行"))
    return rows


def start_import(session: Session, *, filename: str, data: bytes, staff_id: str
                 ) -> MerchantImport:
    """Check the uploaded file whole; a job to write it, or one that records why not."""
    rows = read_upload(data)
    _, errors = imports.validate_rows(rows)
    job = MerchantImport(id=new_id("imp"), filename=printable(filename or "merchants.csv")[:200],
                         total=len(rows), made_by=staff_id, created_at=utcnow())
    # kept while running (a merchant's rows side by side: a chunk never splits a merchant, so
    # the counts are the CLI's), or to explain why not
    job.rows = [[line, row] for line, row in sorted(rows, key=lambda pair: _merchant(pair[1]))]
    if errors:
        job.status, job.finished_at = REJECTED, job.created_at
        job.errors = _report(dict(rows), errors)
    else:
        job.status = RUNNING
    session.add(job)
    record_event(session, actor=f"staff:{staff_id}", action="merchant_import.upload",
                 subject=job.id, filename=job.filename, rows=job.total, status=job.status,
                 bad_rows=len(errors))
    session.flush()
    return job


def _merchant(row: dict[str, str]) -> tuple[str, str]:
    """The merchant a row is about (the import's natural key, spaces as it folds them)."""
    return " ".join(row["name"].split()), " ".join(row["district"].split())


def find_import(session: Session, import_id: str, *, lock: bool = False) -> MerchantImport:
    job = session.get(MerchantImport, import_id, with_for_update=lock, populate_existing=lock)
    if job is None:
        raise NotFound()
    return job


def run_chunk(session: Session, import_id: str, *, staff_id: str) -> MerchantImport:
    """Write the next CHUNK rows of a running import (nothing, once it is done). The job is
    locked, so two pages watching one import never write a chunk twice."""
    job = find_import(session, import_id, lock=True)
    if job.status != RUNNING:
        return job
    _take_turns(session)
    end = min(job.position + CHUNK, job.total)
    while end < job.total and _merchant(job.rows[end][1]) == _merchant(job.rows[end - 1][1]):
        end += 1  # the rest of this merchant's rows
    chunk = [(line, row) for line, row in job.rows[job.position:end]]
    try:
        result = imports.import_merchants(session, chunk)
    except ImportRejected as exc:  # checked whole at upload: only if the service's rules moved
        return _reject(session, job, exc.errors)
    job.created += result.created
    job.updated += result.updated
    job.skipped += result.skipped
    job.position += len(chunk)
    if job.position >= job.total:
        job.status, job.rows, job.finished_at = DONE, None, utcnow()
        record_event(session, actor=f"staff:{staff_id}", action="merchant_import.done",
                     subject=job.id, filename=job.filename, rows=job.total,
                     created=job.created, updated=job.updated, skipped=job.skipped)
    session.flush()
    return job


def _take_turns(session: Session) -> None:
    """Wait for any other import's chunk to commit (PostgreSQL; SQLite has one writer)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})


def _report(rows: dict[int, dict[str, str]], errors: list[RowError]) -> list[list]:
    """[[line, message], …] in the uploader's language (the service joins a row's problems,
    each "中文 / English", for the shell: they are asked for one by one here)."""
    report = []
    for error in errors[:MAX_ERRORS]:
        problems = imports.row_problems(rows[error.line]) if error.line in rows else []
        message = ("; ".join(localized(problem) for problem in problems) if problems
                   else localized(error.message))
        report.append([error.line, message])
    return report


def row_errors(job: MerchantImport) -> list[list]:
    """A refused file's [[line, message], …] in the reader's language (worked out again from
    its rows; as first reported, when they are gone)."""
    if not job.rows:
        return job.errors or []
    rows = sorted((line, row) for line, row in job.rows)  # in the file's order
    return _report(dict(rows), imports.validate_rows(rows)[1]) or job.errors or []


def _reject(session: Session, job: MerchantImport, errors: list[RowError]) -> MerchantImport:
    job.status, job.finished_at = REJECTED, utcnow()
    job.errors = _report({line: row for line, row in job.rows}, errors)
    session.flush()
    return job


def progress(job: MerchantImport) -> dict:
    """What the page polls: how far the import got."""
    return {"id": job.id, "status": job.status, "total": job.total, "done": job.position,
            "created": job.created, "updated": job.updated, "skipped": job.skipped,
            "errors": len(job.errors or [])}


def recent_imports(session: Session, limit: int = RECENT) -> list[MerchantImport]:
    return list(session.scalars(select(MerchantImport).order_by(
        MerchantImport.created_at.desc()).limit(limit)))
