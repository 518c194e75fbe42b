"""A merchant CSV uploaded on the back office's import page, written a chunk at a time while
the page shows how far it got (the back office's merchant operations)."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, UTCDateTime, utcnow

RUNNING, DONE, REJECTED = "running", "done", "rejected"
IMPORT_STATUSES = (RUNNING, DONE, REJECTED)


class MerchantImport(Base):
    """One upload: its rows while they are being written, how far it got, what it did."""

    __tablename__ = "merchant_imports"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'done', 'rejected')", name="status"),
        Index("ix_merchant_imports_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    #: [[line, {column: value}], …] still to write; emptied once done
    rows: Mapped[list | None] = mapped_column(JSON)
    #: rows in the file (blank rows left out)
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: rows written so far
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    #: [[line, message], …] when the file was rejected
    errors: Mapped[list | None] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
