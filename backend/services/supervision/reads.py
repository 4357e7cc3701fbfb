"""What a bureau's key may read, page by page: filings, claims, rosters, hours, credited spans.

Every list is ordered by id and continues after a cursor (the last id seen), so a bureau's
system reads incrementally: rows added since its last read come after its last cursor.
Everything outside the key's cities is 404, never an empty page that would confirm it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from backend import audit, pii
from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.lifecycle import Activity, statuses_allowing
from backend.models import (
    BureauApiKey,
    Certificate,
    Claim,
    CreditedSpan,
    Enrolment,
    Enterprise,
    Project,
    Trainee,
)
from backend.services import hours
from backend.services.claims.summary import summary


def in_scope(key: BureauApiKey, enterprise_column):
    """A WHERE clause: the enterprise lies in one of the key's cities."""
    return enterprise_column.in_(
        sa.select(Enterprise.id).where(Enterprise.city_code.in_(list(key.cities)))
    )


def project_in_scope(key: BureauApiKey, project_id: int) -> Project:
    """A filed project of the key's cities, else 404."""
    project = db.session.scalar(
        sa.select(Project).where(
            Project.id == project_id,
            Project.status.in_(statuses_allowing(Activity.SUPERVISE)),
            in_scope(key, Project.enterprise_id),
        )
    )
    if project is None:
        raise NotFoundError()
    return project


def _page(query: sa.Select, id_column, cursor: int, limit: int) -> Sequence:
    return db.session.execute(
        query.where(id_column > cursor).order_by(id_column).limit(limit)
    ).all()


def filings(key: BureauApiKey, cursor: int, limit: int, *, client_address: str) -> list[dict]:
    """Filed projects (every status but draft) with their enterprise and 附件1 snapshot; the
    person in charge's mobile as the roster's numbers: in full only for a key allowed them,
    each read audit-logged."""
    query = (
        sa.select(Project, Enterprise)
        .join(Enterprise, Enterprise.id == Project.enterprise_id)
        .where(
            Project.status.in_(statuses_allowing(Activity.SUPERVISE)),
            in_scope(key, Project.enterprise_id),
        )
    )
    return [
        {
            "id": project.id,
            "enterprise_id": enterprise.id,
            "enterprise_name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "city_code": enterprise.city_code,
            "name": project.name,
            "status": project.status.value,
            "start_date": project.start_date,
            "end_date": project.end_date,
            "planned_class_hours": project.planned_class_hours,
            "filed_at": project.filed_at,
            "filing": pii.shown_snapshot(
                project.filing_snapshot,
                project,
                audit.bureau_key(key, client_address) if key.full_numbers else None,
                purpose=f"监管平台备案读取（项目 {project.id}）",
            ),
        }
        for project, enterprise in _page(query, Project.id, cursor, limit)
    ]


def claims(key: BureauApiKey, cursor: int, limit: int) -> list[dict]:
    """Claims of closed projects with their totals per year and digest."""
    query = sa.select(Claim).join(Project, Project.id == Claim.project_id)
    query = query.where(in_scope(key, Project.enterprise_id))
    result = []
    for (claim,) in _page(query, Claim.id, cursor, limit):
        totals = summary(claim)
        result.append(
            {
                "id": claim.id,
                "project_id": claim.project_id,
                "status": claim.status.value,
                "closed_at": claim.closed_at,
                "digest": claim.digest,
                "trainees": totals.trainees,
                "qualifying_trainees": totals.qualifying,
                "class_hours": totals.class_hours,
                "subsidy_fen": totals.subsidy_fen,
                "years": [vars(year) for year in totals.years],
            }
        )
    return result


def roster(
    key: BureauApiKey, project: Project, cursor: int, limit: int, *, client_address: str
) -> list[dict]:
    """The project's enrolled trainees; full ID numbers only for a key allowed them, each read
    audit-logged."""
    query = (
        sa.select(Enrolment.id, Enrolment.withdrawn_at, Trainee)
        .join(Trainee, Trainee.id == Enrolment.trainee_id)
        .where(Enrolment.project_id == project.id)
    )
    rows = []
    for enrolment_id, withdrawn_at, trainee in _page(query, Enrolment.id, cursor, limit):
        if key.full_numbers:
            id_number = pii.reveal_id_number(
                trainee,
                audit.bureau_key(key, client_address),
                purpose=f"监管平台名册读取（项目 {project.id}）",
            )
        else:
            id_number = pii.masked_id_number(trainee)
        rows.append(
            {
                "id": enrolment_id,
                "trainee_id": trainee.id,
                "name": trainee.name,
                "gender": trainee.gender.value,
                "id_number": id_number,
                "account": trainee.account,
                "withdrawn": withdrawn_at is not None,
            }
        )
    return rows


def trainee_hours(project: Project, cursor: int, limit: int) -> list[dict]:
    """Per enrolled trainee (by trainee id): credit, class hours and subsidy (frozen once
    closed, else live after the yearly cap)."""
    lines = [
        (row[0], line)
        for row, line in hours.sheet_rows(project, order_by=(Enrolment.trainee_id,))
        if row[0] > cursor
    ][:limit]
    return [
        {
            "id": trainee_id,
            "trainee_id": trainee_id,
            "credited_s": line.credited_s,
            "class_hours": line.class_hours,
            "subsidizable_hours": line.subsidizable_hours,
            "subsidy_fen": line.subsidy_fen,
        }
        for trainee_id, line in lines
    ]


def spans(key: BureauApiKey, project_id: int | None, cursor: int, limit: int) -> list[dict]:
    """Credited spans, the evidence behind every credited second, of the key's cities."""
    query = sa.select(CreditedSpan).join(Project, Project.id == CreditedSpan.project_id)
    query = query.where(in_scope(key, Project.enterprise_id))
    if project_id is not None:
        project_in_scope(key, project_id)
        query = query.where(CreditedSpan.project_id == project_id)
    return [
        {
            "id": span.id,
            "trainee_id": span.trainee_id,
            "project_id": span.project_id,
            "session_id": span.session_id,
            "lesson_id": span.lesson_id,
            "start_at": span.start_at,
            "end_at": span.end_at,
            "seconds": span.seconds,
        }
        for (span,) in _page(query, CreditedSpan.id, cursor, limit)
    ]


def certificates(key: BureauApiKey, project_id: int | None, cursor: int, limit: int) -> list[dict]:
    """Training certificates (ID numbers masked), valid and revoked, of one project or of every
    project of the key's cities."""
    from backend.services.certificates.issuing import verify_url

    query = sa.select(Certificate).join(Project, Project.id == Certificate.project_id)
    query = query.where(in_scope(key, Project.enterprise_id))
    if project_id is not None:
        project_in_scope(key, project_id)
        query = query.where(Certificate.project_id == project_id)
    return [
        {
            "id": certificate.id,
            "serial": certificate.serial,
            "project_id": certificate.project_id,
            "trainee_id": certificate.trainee_id,
            "valid": certificate.revoked_at is None,
            "issued_at": certificate.issued_at,
            "revoked_at": certificate.revoked_at,
            "revoke_reason": certificate.revoke_reason,
            "fields": certificate.fields,
            "pdf_sha256": certificate.pdf_sha256,
            "verify_url": verify_url(certificate.serial),
        }
        for (certificate,) in _page(query, Certificate.id, cursor, limit)
    ]
