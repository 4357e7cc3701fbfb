"""Browsing the audit log (operators): filter by action, enterprise and date, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AdminUser, AuditLog

PER_PAGE = 50
# The filter's dates are China Standard Time days, like every date on the admin pages.
CST = timedelta(hours=8)


@dataclass(frozen=True)
class AuditQuery:
    """The operator's filter."""

    action: str = ""
    enterprise_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass(frozen=True)
class AuditPage:
    """A page of audit entries with the admins who acted."""

    entries: list[AuditLog]
    actors: dict[int, AdminUser]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // PER_PAGE))


def _day_start(day: date, days_after: int = 0) -> datetime | None:
    """UTC start of the China day ``days_after`` days after ``day``; None out of range."""
    try:
        return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=days_after) - CST
    except OverflowError:
        return None  # before year 1 or after year 9999: no bound at all


def actions() -> list[str]:
    """Every action name in the log, for the filter's list."""
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def audit_page(query: AuditQuery) -> AuditPage:
    """One page of the log for ``query``."""
    stmt = select(AuditLog)
    if query.action:
        stmt = stmt.where(AuditLog.action == query.action)
    if query.enterprise_id:
        stmt = stmt.where(AuditLog.enterprise_id == query.enterprise_id)
    start = _day_start(query.date_from) if query.date_from else None
    if start is not None:
        stmt = stmt.where(AuditLog.at >= start)
    end = _day_start(query.date_to, days_after=1) if query.date_to else None
    if end is not None:
        stmt = stmt.where(AuditLog.at < end)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(query.page, 1), pages)
    entries = list(
        db.session.scalars(
            stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    actor_ids = {e.actor_id for e in entries if e.actor_kind == "admin" and e.actor_id}
    actors = {
        a.id: a for a in db.session.scalars(select(AdminUser).where(AdminUser.id.in_(actor_ids)))
    }
    return AuditPage(entries, actors, total, page)
