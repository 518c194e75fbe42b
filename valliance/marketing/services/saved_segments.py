"""Saved segments: create, change and delete one (each audited), list them with their count."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.marketing.models import Segment
from valliance.marketing.services.segment_filters import Filters, parse_filters
from valliance.marketing.services.segments import members_of

MAX_NAME = 80


@dataclass(frozen=True)
class SavedSegment:
    segment: Segment
    filters: Filters
    #: how many members it names now
    count: int


def _name(session: Session, name: str, segment_id: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(details={"name": [bilingual("请填写分群名称")]})
    if len(name) > MAX_NAME:
        raise ValidationError(details={"name": [bilingual("不超过%(max)s字", max=MAX_NAME)]})
    taken = session.scalar(select(Segment.id).where(Segment.name == name))
    if taken is not None and taken != segment_id:
        raise ValidationError(details={"name": [bilingual("已有同名分群")]})
    return name


def get_segment(session: Session, segment_id: str, *, lock: bool = False) -> Segment:
    query = select(Segment).where(Segment.id == segment_id)
    segment = session.scalar(query.with_for_update() if lock else query)
    if segment is None:
        raise NotFound(bilingual("没有这个分群"))
    return segment


def create_segment(session: Session, name: str, filters: Filters, staff_id: str) -> Segment:
    """Save these filters under a new name (audited)."""
    segment = Segment(id=new_id("seg"), name=_name(session, name, None),
                      filters=filters.to_dict(), created_by=staff_id)
    session.add(segment)
    session.flush()
    record_event(session, actor=f"staff:{staff_id}", action="segment.create",
                 subject=segment.id, reason="created", name=segment.name,
                 filters=segment.filters)
    return segment


def update_segment(session: Session, segment_id: str, name: str, filters: Filters,
                   staff_id: str) -> Segment:
    """Rename a segment and/or change its filters (audited, with what it was)."""
    segment = get_segment(session, segment_id, lock=True)
    before = {"name": segment.name, "filters": segment.filters}
    segment.name = _name(session, name, segment.id)
    segment.filters = filters.to_dict()
    segment.updated_at = utcnow()
    session.flush()
    record_event(session, actor=f"staff:{staff_id}", action="segment.update",
                 subject=segment.id, reason="edited", before=before, name=segment.name,
                 filters=segment.filters)
    return segment


def delete_segment(session: Session, segment_id: str, staff_id: str) -> str:
    """Delete a segment (audited, with its filters); its name."""
    segment = get_segment(session, segment_id, lock=True)
    name, filters = segment.name, segment.filters
    session.delete(segment)
    session.flush()
    record_event(session, actor=f"staff:{staff_id}", action="segment.delete",
                 subject=segment_id, reason="deleted", name=name, filters=filters)
    return name


def saved_segments(session: Session) -> list[SavedSegment]:
    """Every saved segment, by name, with the number of members it names now."""
    out = []
    for segment in session.scalars(select(Segment).order_by(Segment.name)):
        filters = parse_filters(segment.filters or {})
        count = session.scalar(select(func.count()).select_from(
            members_of(session, filters).subquery()))
        out.append(SavedSegment(segment, filters, count or 0))
    return out
