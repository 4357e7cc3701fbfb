"""Read-only routes of the supervision API: every list pages on with a cursor."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from flask import current_app, g, jsonify, request
from pydantic import Field

from backend.api import MAX_ID, RequestModel, ResponseModel, build_openapi, endpoint, set_auth_hook
from backend.caller import client_address
from backend.extensions import db
from backend.services.supervision import keys, reads
from supervision_api.blueprint import bp

MAX_PAGE = 500


def authenticate_key() -> None:
    """Load the bureau's key into ``g.bureau_key`` (401 unknown or revoked, 429 over its rate)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    g.bureau_key = keys.key_for(token.strip() if scheme.lower() == "bearer" else None)


class PageQuery(RequestModel):
    """Where to continue (the ``next_cursor`` of the previous page; 0 from the start)."""

    # Every id is a PostgreSQL integer: a larger cursor would fail in the database, not here.
    cursor: Annotated[int, Field(ge=0, le=MAX_ID)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 100


class SpanQuery(PageQuery):
    """Spans of one project, or of every project of the key's cities."""

    project_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class CertificateQuery(PageQuery):
    """Certificates of one project, or of every project of the key's cities."""

    project_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class CertificateFieldsOut(ResponseModel):
    """What the certificate states; the ID number masked."""

    name: str
    id_number: str
    enterprise: str
    institution: str | None
    project: str
    post: str | None
    training_type: str
    start_date: str
    end_date: str
    class_hours: int
    assessment: str
    platform: str
    issue_date: str
    digest: str


class CertificateOut(ResponseModel):
    """A training certificate (培训证明): valid or revoked, its fields and PDF digest."""

    id: int
    serial: str
    project_id: int
    trainee_id: int
    valid: bool
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    fields: CertificateFieldsOut
    pdf_sha256: str
    verify_url: str


class YearOut(ResponseModel):
    """A claim's totals in one calendar year."""

    year: int
    trainees: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


class FilingOut(ResponseModel):
    """A filed project, its enterprise and the 附件1 snapshot taken at submit."""

    id: int
    enterprise_id: int
    enterprise_name: str
    credit_code: str
    city_code: str | None
    name: str
    status: str
    start_date: date
    end_date: date
    planned_class_hours: int
    filed_at: datetime | None
    filing: dict[str, Any] | None


class ClaimOut(ResponseModel):
    """A closed project's claim: status, digest of the frozen figures, totals."""

    id: int
    project_id: int
    status: str
    closed_at: datetime
    digest: str
    trainees: int
    qualifying_trainees: int
    class_hours: int
    subsidy_fen: int
    years: list[YearOut]


class RosterOut(ResponseModel):
    """An enrolled trainee; the ID number masked unless the key allows full numbers."""

    id: int
    trainee_id: int
    name: str
    gender: str
    id_number: str
    account: str
    withdrawn: bool


class HoursOut(ResponseModel):
    """One trainee's credit, class hours and subsidy in fen."""

    id: int
    trainee_id: int
    credited_s: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


class SpanOut(ResponseModel):
    """A credited span [start_at, end_at)."""

    id: int
    trainee_id: int
    project_id: int
    session_id: int
    lesson_id: int
    start_at: datetime
    end_at: datetime
    seconds: int


def _page_model(item: type[ResponseModel], name: str) -> type[ResponseModel]:
    return type(
        name,
        (ResponseModel,),
        {
            "__annotations__": {"items": list[item], "next_cursor": int, "has_more": bool},
            "__doc__": f"A page of {item.__name__}; continue with next_cursor.",
        },
    )


FilingPage = _page_model(FilingOut, "FilingPage")
ClaimPage = _page_model(ClaimOut, "ClaimPage")
RosterPage = _page_model(RosterOut, "RosterPage")
HoursPage = _page_model(HoursOut, "HoursPage")
SpanPage = _page_model(SpanOut, "SpanPage")
CertificatePage = _page_model(CertificateOut, "CertificatePage")


def _paged(items: list[dict], query: PageQuery) -> dict:
    # The cursor stays put on an empty page, so polling again later picks up new rows.
    last = items[-1]["id"] if items else query.cursor
    return {"items": items, "next_cursor": last, "has_more": len(items) == query.limit}


set_auth_hook("bureau_key", authenticate_key)
tags = ("supervision",)


@bp.get("/openapi.json")
def supervision_openapi():
    document = build_openapi(
        current_app, prefix="/api/supervision/v1", title="适岗 Shigang 监管平台 API"
    )
    return jsonify(document)


@bp.get("/filings")
@endpoint(
    summary="备案（按 id 增量读取；负责人手机号按密钥权限脱敏或完整，完整读取记入审计日志）",
    query=PageQuery,
    response=FilingPage,
    auth="bureau_key",
    tags=tags,
)
def supervision_filings(query: PageQuery):
    items = reads.filings(g.bureau_key, query.cursor, query.limit, client_address=client_address())
    db.session.commit()  # the audit entries of full reads
    return _paged(items, query)


@bp.get("/claims")
@endpoint(
    summary="补贴申领（按 id 增量读取）",
    query=PageQuery,
    response=ClaimPage,
    auth="bureau_key",
    tags=tags,
)
def supervision_claims(query: PageQuery):
    return _paged(reads.claims(g.bureau_key, query.cursor, query.limit), query)


@bp.get("/projects/<id:project_id>/roster")
@endpoint(
    summary="学员名册（身份证号码按密钥权限脱敏或完整，完整读取记入审计日志）",
    query=PageQuery,
    response=RosterPage,
    auth="bureau_key",
    tags=tags,
)
def supervision_roster(project_id: int, query: PageQuery):
    project = reads.project_in_scope(g.bureau_key, project_id)
    items = reads.roster(
        g.bureau_key, project, query.cursor, query.limit, client_address=client_address()
    )
    db.session.commit()  # the audit entries of full reads
    return _paged(items, query)


@bp.get("/projects/<id:project_id>/hours")
@endpoint(
    summary="每名学员的有效学时、课时与补贴",
    query=PageQuery,
    response=HoursPage,
    auth="bureau_key",
    tags=tags,
)
def supervision_hours(project_id: int, query: PageQuery):
    project = reads.project_in_scope(g.bureau_key, project_id)
    return _paged(reads.trainee_hours(project, query.cursor, query.limit), query)


@bp.get("/spans")
@endpoint(
    summary="计入时段（学时证据，按 id 增量读取）",
    query=SpanQuery,
    response=SpanPage,
    auth="bureau_key",
    tags=tags,
)
def supervision_spans(query: SpanQuery):
    items = reads.spans(g.bureau_key, query.project_id, query.cursor, query.limit)
    return _paged(items, query)


@bp.get("/certificates")
@endpoint(
    summary="培训证明（project_id 指定项目，否则密钥所辖全部；身份证号码脱敏；按 id 增量读取）",
    query=CertificateQuery,
    response=CertificatePage,
    auth="bureau_key",
    tags=tags,
)
def supervision_certificates(query: CertificateQuery):
    items = reads.certificates(g.bureau_key, query.project_id, query.cursor, query.limit)
    return _paged(items, query)
