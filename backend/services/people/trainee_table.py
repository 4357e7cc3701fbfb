"""The trainee table of a project: search, filter, sort and paginate on the database.

Only the page's rows are decrypted (to be masked). The per-trainee credited time, and who passed
the assessment, are computed for every enrolled trainee only when a filter or the sort order uses
them (in SQL: credited time as a correlated subquery driven by the (project_id, trainee_id)
index); the page's own figures are read for its rows alone. In roster order the page walks the
(enterprise_id, roster_seq, id) index and stops after its rows; only the count reads them all.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, false, func, literal, or_, select

from backend import pii
from backend.extensions import db
from backend.kernel.scope import project_roster
from backend.models import CreditedSpan, Enrolment, Gender, Project, QuizAttempt, Trainee
from backend.services import hours
from backend.services.people import dashboard
from backend.services.practice import assessment
from backend.validation import InvalidValue, validate_mobile, validate_resident_id

STATUSES = {
    "not_started": "未开始",
    "in_progress": "学习中",
    "reached": "已达计划课时",
    "passed": "考核已通过",
}
SORTS = (
    "seq",
    "name",
    "account",
    "gender",
    "bound",
    "enrolled",
    "created",
    "credited",
    "last",
    "passed",
)
PER_PAGE_CHOICES = (20, 50, 100)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class TableParams:
    """What the admin asked for: search text, filters, sort and page."""

    q: str = ""
    status: str = ""  # one of STATUSES, or "" for all
    gender: Gender | None = None
    bound: bool | None = None  # WeChat bound or not
    sort: str = "seq"  # one of SORTS
    descending: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class TableRow:
    """One row of the table, personal data already masked."""

    id: int
    seq: int
    name: str
    gender: str  # 男 / 女
    account: str
    id_number: str
    mobile: str
    bound: bool
    active: bool
    credited_s: int
    class_hours: int = 0
    last_at: datetime | None = None
    passed: bool = False
    enrolled_at: datetime | None = None
    withdrawn: bool = False  # 已退出: no more learning, figures kept


@dataclass
class TablePage:
    """A page of the table and where it sits in the whole."""

    rows: list[TableRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20

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


def _per_trainee(project: Project, aggregate):
    # Correlated subqueries driven by the (project_id, trainee_id, start_at) index: each costs an
    # index range per trainee whatever the planner's statistics say (a join on a grouped subquery
    # can turn into a nested loop over every span when statistics are stale, e.g. after an import).
    # Only spans within the project's dates count, as in hours.project_credit_seconds.
    start, end = hours.project_window(project)
    return (
        select(aggregate)
        .where(
            CreditedSpan.project_id == project.id,
            CreditedSpan.trainee_id == Trainee.id,
            CreditedSpan.start_at >= start,
            CreditedSpan.start_at < end,
        )
        .correlate(Trainee)
        .scalar_subquery()
    )


def _filtered(project: Project, params: TableParams, passed: Select | None) -> tuple[Select, dict]:
    """The enrolled trainees matching the query, and the extra columns it may sort on
    (``passed``: the SELECT of trainees who passed the assessment, None when it has none)."""
    stmt = project_roster(project, Trainee, Enrolment.enrolled_at, Enrolment.withdrawn_at)
    credited = _per_trainee(project, func.coalesce(func.sum(CreditedSpan.seconds), 0))
    columns: dict = {
        # Who passed is the quiz service's rule; the table only filters and sorts by its answer.
        "passed": case((Trainee.id.in_(passed), 1), else_=0) if passed is not None else literal(0),
        "credited": credited,
        "last": _per_trainee(project, func.max(CreditedSpan.end_at)),
    }
    threshold = dashboard.reached_planned_seconds(project)
    if params.status == "not_started":
        stmt = stmt.where(credited == 0)
    elif params.status == "in_progress":
        stmt = stmt.where(credited > 0, credited < threshold)
    elif params.status == "reached":
        stmt = stmt.where(credited >= threshold)
    elif params.status == "passed":
        stmt = stmt.where(Trainee.id.in_(passed) if passed is not None else false())
    if params.gender is not None:
        stmt = stmt.where(Trainee.gender == params.gender)
    if params.bound is not None:
        bound = Trainee.wx_openid.is_not(None)
        stmt = stmt.where(bound if params.bound else ~bound)
    if params.q.strip():
        stmt = stmt.where(_search_condition(params.q.strip()))
    return stmt, columns


def _order(params: TableParams, columns: dict):
    by = {
        "seq": Trainee.roster_seq,
        "name": Trainee.name,
        "account": Trainee.account,
        "gender": Trainee.gender,
        "bound": Trainee.bound_at,
        "enrolled": Enrolment.enrolled_at,
        "created": Trainee.created_at,
        **columns,
    }
    column = by.get(params.sort, Trainee.roster_seq)
    key = column.desc() if params.descending else column.asc()
    # Unknown dates sort last whichever way, and ties keep a stable order.
    if params.sort in ("last", "bound"):
        key = key.nulls_last()
    return key, Trainee.id.asc()


def trainee_page(project: Project, params: TableParams) -> TablePage:
    """One page of the project's trainees; the caller loaded ``project`` through the scope."""
    passed = assessment.passed_all_query(project.id)
    stmt, columns = _filtered(project, params, passed)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(params.per_page, MAX_PER_PAGE))
    page = min(max(params.page, 1), max(1, -(-total // per_page)))
    rows = db.session.execute(
        stmt.order_by(*_order(params, columns)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [trainee.id for trainee, _, _ in rows]
    passed_ids = _passed_among(passed, ids)
    seconds = dashboard.credited_seconds_by_trainee(project, ids)
    last = _last_study(project.id, ids)
    return TablePage(
        rows=[
            TableRow(
                id=trainee.id,
                seq=trainee.roster_seq,
                name=trainee.name,
                gender="男" if trainee.gender is Gender.MALE else "女",
                account=trainee.account,
                id_number=pii.masked_id_number(trainee),
                mobile=pii.masked_mobile(trainee),
                bound=trainee.wx_openid is not None,
                active=trainee.active,
                credited_s=seconds.get(trainee.id, 0),
                class_hours=dashboard.trainee_hours(
                    project, seconds.get(trainee.id, 0)
                ).class_hours,
                last_at=last.get(trainee.id),
                passed=trainee.id in passed_ids,
                enrolled_at=enrolled_at,
                withdrawn=withdrawn_at is not None,
            )
            for trainee, enrolled_at, withdrawn_at in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


def _passed_among(passed: Select | None, trainee_ids: list[int]) -> set[int]:
    if passed is None or not trainee_ids:
        return set()
    return set(db.session.scalars(passed.where(QuizAttempt.trainee_id.in_(trainee_ids))))


def _last_study(project_id: int, trainee_ids: list[int]) -> dict[int, datetime]:
    if not trainee_ids:
        return {}
    query = (
        select(CreditedSpan.trainee_id, func.max(CreditedSpan.end_at))
        .where(CreditedSpan.project_id == project_id, CreditedSpan.trainee_id.in_(trainee_ids))
        .group_by(CreditedSpan.trainee_id)
    )
    return dict(db.session.execute(query).all())
