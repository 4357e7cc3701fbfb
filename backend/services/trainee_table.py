"""The admin trainee table of a project: search, filter, sort and one page of rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, or_, select

from backend import pii
from backend.crypto import mask_mobile, mask_resident_id
from backend.extensions import db
from backend.models import CreditedSpan, Enrolment, Gender, Project, Trainee

SortKey = Literal["seq", "name", "account", "created", "credited"]
MAX_PER_PAGE = 200
_ID_LIKE = re.compile(r"[0-9]{17}[0-9Xx]")
_MOBILE_LIKE = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class TableParams:
    """What the table shows: search text, filters, sort and the page."""

    q: str = ""
    gender: Gender | None = None
    bound: bool | None = None  # WeChat bound or not
    sort: SortKey = "seq"
    descending: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class TableRow:
    """A trainee as listed (ID number and mobile masked)."""

    id: int
    seq: int
    name: str
    gender: str
    account: str
    id_number: str
    mobile: str
    bound: bool
    active: bool
    credited_s: int


@dataclass
class TablePage:
    """One page and the total count of matching trainees."""

    rows: list[TableRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20


def _filters(project: Project, params: TableParams) -> list:
    conditions = [Enrolment.project_id == project.id]
    q = params.q.strip()
    if q:
        if _ID_LIKE.fullmatch(q):
            conditions.append(Trainee.id_number_hash == pii.blind_index(q.upper()))
        elif _MOBILE_LIKE.fullmatch(q):
            conditions.append(Trainee.mobile_hash == pii.blind_index(q))
        else:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            conditions.append(
                or_(
                    Trainee.name.ilike(pattern, escape="\\"),
                    Trainee.account.ilike(pattern, escape="\\"),
                )
            )
    if params.gender is not None:
        conditions.append(Trainee.gender == params.gender)
    if params.bound is not None:
        bound = Trainee.wx_openid.is_not(None)
        conditions.append(bound if params.bound else ~bound)
    return conditions


def trainee_page(project: Project, params: TableParams) -> TablePage:
    """One page of the project's trainees; the caller loaded ``project`` through the scope."""
    per_page = max(1, min(params.per_page, MAX_PER_PAGE))
    page = max(1, params.page)
    conditions = _filters(project, params)
    base = select(Trainee).join(Enrolment, Enrolment.trainee_id == Trainee.id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))

    # Credited time only for the rows on the page (index on project_id, trainee_id), except when
    # sorting by it, where every row needs it.
    credited = (
        select(func.coalesce(func.sum(CreditedSpan.seconds), 0))
        .where(CreditedSpan.project_id == project.id, CreditedSpan.trainee_id == Trainee.id)
        .correlate(Trainee)
        .scalar_subquery()
    )
    sort_column = {
        "seq": Trainee.roster_seq,
        "name": Trainee.name,
        "account": Trainee.account,
        "created": Trainee.created_at,
        "credited": credited,
    }[params.sort]
    order = sort_column.desc() if params.descending else sort_column.asc()
    query = (
        select(Trainee, credited.label("credited_s"))
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(*conditions)
        .order_by(order, Trainee.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    cipher = pii.cipher()
    rows = [
        TableRow(
            id=t.id,
            seq=t.roster_seq,
            name=t.name,
            gender="男" if t.gender == Gender.MALE else "女",
            account=t.account,
            id_number=mask_resident_id(cipher.decrypt(t.id_number_enc)),
            mobile=mask_mobile(cipher.decrypt(t.mobile_enc)),
            bound=t.wx_openid is not None,
            active=t.active,
            credited_s=int(seconds),
        )
        for t, seconds in db.session.execute(query)
    ]
    return TablePage(rows=rows, total=total or 0, page=page, per_page=per_page)
