"""The trainee table of a project: search, filter, sort and paginate on the database.

Only the page's rows are decrypted (to be masked). The per-trainee credited time is computed for
every enrolled trainee only when a filter or the sort order uses it (as a correlated subquery the
database evaluates only then); the page's own figures are read for the page's trainees alone.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, false, func, literal, or_, select

from backend import pii
from backend.extensions import db
from backend.models import CreditedSpan, Enrolment, Project, Trainee
from backend.services import dashboard, quizzes
from backend.validation import InvalidValue, validate_mobile, validate_resident_id

STATUSES = {
    "not_started": "未开始",
    "in_progress": "学习中",
    "reached": "已达计划课时",
    "passed": "考核已通过",
}
SORTS = ("seq", "name", "account", "gender", "bound", "enrolled", "hours", "last", "passed")
PER_PAGE_CHOICES = (20, 50, 100)


@dataclass(frozen=True)
class TraineeQuery:
    """What the admin asked for: search text, status filter, sort and page."""

    q: str = ""
    status: str = ""
    sort: str = "seq"
    direction: str = "asc"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class TraineeRow:
    """One row of the table, personal data already masked."""

    id: int
    roster_seq: int
    name: str
    account: str
    gender: str
    id_number: str
    mobile: str
    bound: bool
    enrolled_at: datetime
    credited_s: int
    class_hours: int
    last_at: datetime | None
    passed: bool


@dataclass(frozen=True)
class TraineePage:
    """A page of the table and where it sits in the whole."""

    rows: list[TraineeRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _search_condition(text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    options = [
        Trainee.name.ilike(pattern, escape="\\"),
        Trainee.account.ilike(pattern, escape="\\"),
    ]
    # A full mobile or ID number is found through its blind index, never by decrypting.
    with contextlib.suppress(InvalidValue):
        options.append(Trainee.mobile_hash == pii.blind_index(validate_mobile(text)))
    with contextlib.suppress(InvalidValue):
        options.append(Trainee.id_number_hash == pii.blind_index(validate_resident_id(text)))
    return or_(*options)


def _per_trainee(project_id: int, aggregate):
    # Correlated subqueries driven by the (project_id, trainee_id) index: each costs an index
    # lookup per trainee whatever the planner's statistics say (a join on a grouped subquery
    # can turn into a nested loop over every span when statistics are stale, e.g. after an import).
    return (
        select(aggregate)
        .where(CreditedSpan.project_id == project_id, CreditedSpan.trainee_id == Trainee.id)
        .correlate(Trainee)
        .scalar_subquery()
    )


def _filtered(project: Project, query: TraineeQuery, passed_ids: list[int]) -> tuple[Select, dict]:
    """The enrolled trainees matching the query, and the extra columns it may sort on."""
    stmt = (
        select(Trainee, Enrolment.enrolled_at)
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(Enrolment.project_id == project.id, Trainee.enterprise_id == project.enterprise_id)
    )
    credited = _per_trainee(project.id, func.coalesce(func.sum(CreditedSpan.seconds), 0))
    columns: dict = {
        # Who passed is the quiz service's rule; the table only filters and sorts by its answer.
        "passed": case((Trainee.id.in_(passed_ids), 1), else_=0) if passed_ids else literal(0),
        "hours": credited,
        "last": _per_trainee(project.id, func.max(CreditedSpan.end_at)),
    }
    threshold = dashboard.reached_planned_seconds(project)
    if query.status == "not_started":
        stmt = stmt.where(credited == 0)
    elif query.status == "in_progress":
        stmt = stmt.where(credited > 0, credited < threshold)
    elif query.status == "reached":
        stmt = stmt.where(credited >= threshold)
    elif query.status == "passed":
        stmt = stmt.where(Trainee.id.in_(passed_ids) if passed_ids else false())
    if query.q.strip():
        stmt = stmt.where(_search_condition(query.q.strip()))
    return stmt, columns


def _order(query: TraineeQuery, columns: dict):
    by = {
        "seq": Trainee.roster_seq,
        "name": Trainee.name,
        "account": Trainee.account,
        "gender": Trainee.gender,
        "bound": Trainee.bound_at,
        "enrolled": Enrolment.enrolled_at,
        **columns,
    }
    column = by.get(query.sort, Trainee.roster_seq)
    key = column.desc() if query.direction == "desc" else column.asc()
    # Unknown last-study dates sort last whichever way, and ties keep a stable order.
    if query.sort == "last":
        key = key.nulls_last()
    return key, Trainee.id.asc()


def trainee_page(project: Project, query: TraineeQuery) -> TraineePage:
    """One page of the project's trainees for ``query``."""
    passed_by_trainee = quizzes.assessment_passed_by_trainee(project.id)
    passed_ids = [trainee_id for trainee_id, ok in passed_by_trainee.items() if ok]
    stmt, columns = _filtered(project, query, passed_ids)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = query.per_page if query.per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    pages = max(1, -(-total // per_page))
    page = min(max(query.page, 1), pages)
    rows = db.session.execute(
        stmt.order_by(*_order(query, columns)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [trainee.id for trainee, _ in rows]
    seconds = dashboard.credited_seconds_by_trainee(project.id, ids)
    last = _last_study(project.id, ids)
    return TraineePage(
        rows=[
            TraineeRow(
                id=trainee.id,
                roster_seq=trainee.roster_seq,
                name=trainee.name,
                account=trainee.account,
                gender=trainee.gender.value,
                id_number=pii.masked_id_number(trainee),
                mobile=pii.masked_mobile(trainee),
                bound=trainee.wx_openid is not None,
                enrolled_at=enrolled_at,
                credited_s=seconds.get(trainee.id, 0),
                class_hours=dashboard.trainee_hours(seconds.get(trainee.id, 0)).class_hours,
                last_at=last.get(trainee.id),
                passed=passed_by_trainee.get(trainee.id, False),
            )
            for trainee, enrolled_at in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


def _last_study(project_id: int, trainee_ids: list[int]) -> dict[int, datetime]:
    if not trainee_ids:
        return {}
    query = (
        select(CreditedSpan.trainee_id, func.max(CreditedSpan.end_at))
        .where(CreditedSpan.project_id == project_id, CreditedSpan.trainee_id.in_(trainee_ids))
        .group_by(CreditedSpan.trainee_id)
    )
    return dict(db.session.execute(query).all())
