"""Filing data of 附件1 (enterprise, institution, platform, project, plan), its submit and its
review; the document itself (its fields, snapshot and display) is ``filing_document``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from backend import audit
from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure, statuses_allowing
from backend.kernel.scope import get_scoped
from backend.models import (
    AdminUser,
    CoursePlanRow,
    Enrolment,
    Enterprise,
    Institution,
    Platform,
    Project,
    ProjectStatus,
    ResourceForm,
    TrainingType,
)
from backend.policy import choose_policy_id, policy_for
from backend.services.content import plan
from backend.services.projects.credit_codes import set_credit_code
from backend.services.projects.filing_document import (
    ENTERPRISE_FIELDS,
    INSTITUTION_FIELDS,
    PLATFORM_FIELDS,
    PROJECT_FIELDS,
    filing_form,
)


class FieldError(DomainError):
    """A rejected value of one form field, shown next to that field."""

    def __init__(self, field: str, status: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status = status
        self.field = field


register("institution_shared", 409, "该培训机构已在其他备案中登记，其信息不能在此修改")
register("credit_code_taken", 409, "该统一社会信用代码已登记为其他企业")
register("project_has_trainees", 409, "项目已有学员报名，不能改为其他企业的项目")
register("comment_required", 422, "退回时请填写审核意见")
register("decision_invalid", 422, "请选择通过或退回")


def _credit_code(holder, data: Mapping, field: str, actor: AdminUser, client_address: str) -> None:
    code = data["credit_code"]
    model = type(holder)
    clash = db.session.scalar(
        select(model.id).where(
            model.credit_code == code.strip().upper(), model.id != (holder.id or 0)
        )
    )
    if clash is not None and model is Enterprise:
        raise _credit_code_taken(field)
    try:
        set_credit_code(
            holder,
            code,
            actor=actor,
            client_address=client_address,
            override_reason=data.get("override_reason"),
        )
    except DomainError as exc:
        raise FieldError(field, exc.status, exc.code, exc.message) from None


def _credit_code_taken(field: str) -> FieldError:
    return FieldError(field, 409, "credit_code_taken", "该统一社会信用代码已登记为其他企业")


@contextmanager
def _enterprise_code_race(field: str) -> Iterator[None]:
    """Write the enterprise at the end; losing a race for its credit code is the pre-check's 409."""
    # The pre-check cannot see another admin's uncommitted enterprise with the same code: the
    # unique constraint decides. Only the savepoint is undone here; the view, which owns the
    # transaction, rolls the loser's save back whole.
    savepoint = db.session.begin_nested()
    try:
        yield
        db.session.flush()
    except IntegrityError as exc:
        savepoint.rollback()
        if not _is_enterprise_code_clash(exc):
            raise
        raise _credit_code_taken(field) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


def _is_enterprise_code_clash(exc: IntegrityError) -> bool:
    # PostgreSQL names the constraint; SQLite only names the column.
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    return constraint == "uq_enterprise_credit_code" or "enterprise.credit_code" in str(exc.orig)


def create_enterprise(data: Mapping, actor: AdminUser, *, client_address: str) -> Enterprise:
    """Register an enterprise (operators only)."""
    enterprise = Enterprise(**{k: data[k] for k in ENTERPRISE_FIELDS})
    with _enterprise_code_race("credit_code"):
        _credit_code(enterprise, data, "credit_code", actor, client_address)
        db.session.add(enterprise)
    audit.record(
        "enterprise.create",
        audit.admin(actor, client_address),
        object_type="enterprise",
        object_id=enterprise.id,
        enterprise_id=enterprise.id,
    )
    return enterprise


def update_enterprise(
    enterprise: Enterprise, data: Mapping, actor: AdminUser, *, client_address: str
) -> None:
    """Change an enterprise's filing data (section one of 附件1)."""
    for key in ENTERPRISE_FIELDS:
        setattr(enterprise, key, data[key])
    if data["credit_code"].strip().upper() != enterprise.credit_code:
        with _enterprise_code_race("credit_code"):
            _credit_code(enterprise, data, "credit_code", actor, client_address)


def _institution(
    project: Project, data: Mapping | None, actor: AdminUser, client_address: str
) -> None:
    if not data or not (data.get("name") or "").strip():
        project.institution = None
        return
    code = (data.get("credit_code") or "").strip().upper()
    institution = project.institution
    if institution is None or institution.credit_code != code:
        # Institutions are shared by the enterprises they train for: find it by its code.
        institution = db.session.scalar(select(Institution).where(Institution.credit_code == code))
    if institution is None:
        institution = Institution(**{k: data[k] for k in INSTITUTION_FIELDS})
        _credit_code(institution, data, "institution-credit_code", actor, client_address)
    elif _in_other_filings(institution, project):
        # Another enterprise's filing, or one already submitted, shows this institution: its
        # registered data is kept as is (blank fields take it), and a different value is refused.
        if any(data[k] and data[k] != getattr(institution, k) for k in INSTITUTION_FIELDS):
            raise FieldError(
                "institution-name",
                409,
                "institution_shared",
                "该培训机构已在其他备案中登记，其信息不能在此修改；请按已登记的信息填写，"
                "或留空由平台带出，如需更正请联系平台运营人员",
            )
        project.institution = institution
        return
    for key in INSTITUTION_FIELDS:
        setattr(institution, key, data[key])
    project.institution = institution


def _in_other_filings(institution: Institution, project: Project) -> bool:
    """Whether a project of another enterprise, or a submitted one, refers to ``institution``."""
    return (
        db.session.scalar(
            select(Project.id)
            .where(
                Project.institution_id == institution.id,
                Project.id != project.id,
                or_(
                    Project.enterprise_id != project.enterprise_id,
                    Project.status.not_in(statuses_allowing(Activity.EDIT_FILING)),
                ),
            )
            .limit(1)
        )
        is not None
    )


def _platform(project: Project, data: Mapping | None) -> None:
    if not data or not (data.get("name") or "").strip():
        project.platform = None
        return
    if project.platform is None:
        project.platform = Platform()
    for key in PLATFORM_FIELDS:
        setattr(project.platform, key, data[key])


def _plan_rows(project: Project, rows: list[Mapping]) -> None:
    project.plan_rows.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        project.plan_rows.append(
            CoursePlanRow(
                position=position,
                resource_name=row["resource_name"],
                key_content=row.get("key_content") or "",
                resource_form=ResourceForm(row["resource_form"]),
                duration_minutes=row["duration_minutes"],
            )
        )


def _has_enrolments(project: Project) -> bool:
    query = select(Enrolment.trainee_id).where(Enrolment.project_id == project.id).limit(1)
    return db.session.scalar(query) is not None


def _face_check_policy(project: Project, data: Mapping) -> None:
    # Not part of 附件1: when a trainee must pass a face check (None keeps the policy default).
    if "face_check_at_check_in" in data:
        project.face_check_at_check_in = data["face_check_at_check_in"] or None
    if "face_check_interval_minutes" in data:
        minutes = data["face_check_interval_minutes"]
        project.face_check_interval_s = None if minutes is None else minutes * 60


def _learning_settings(project: Project, data: Mapping) -> None:
    # Not part of 附件1: attention checks, whether the assessment must be passed, lesson order.
    for key in ("attention_checks_enabled", "assessment_required", "sequential"):
        if key in data:
            setattr(project, key, bool(data[key]))
    if "attention_check_interval_minutes" in data:
        minutes = data["attention_check_interval_minutes"]
        project.attention_check_interval_s = None if minutes is None else minutes * 60


def save_project(
    project: Project | None,
    enterprise: Enterprise,
    data: Mapping,
    actor: AdminUser,
    *,
    client_address: str,
) -> Project:
    """Create or change a project's filing data; only a draft or returned filing can change."""
    # The enterprise must be one the actor may see (a 404 otherwise, never a hint).
    get_scoped(Enterprise, enterprise.id, actor)
    created = project is None
    if project is None:
        project = Project(enterprise=enterprise, status=ProjectStatus.DRAFT)
        # A city with its own policy file (e.g. Shenzhen) gets it from the start.
        project.policy_id = choose_policy_id(project)
        db.session.add(project)
    else:
        ensure(project, Activity.EDIT_FILING)
    if not created and project.enterprise_id != enterprise.id and _has_enrolments(project):
        # Trainees belong to the enterprise: moving their project would show them to another.
        raise FieldError(
            "enterprise_id", 409, "project_has_trainees", "项目已有学员报名，不能改为其他企业的项目"
        )
    for key in PROJECT_FIELDS:
        # The form shows the mobile masked: sent back untouched, the stored one stays.
        if key == "person_mobile" and not created and data[key] == project.person_mobile:
            continue
        setattr(project, key, data[key])
    project.training_type = TrainingType(data["training_type"])
    project.enterprise = enterprise
    _face_check_policy(project, data)
    _learning_settings(project, data)
    db.session.flush()
    _institution(project, data.get("institution"), actor, client_address)
    _platform(project, data.get("platform"))
    _plan_rows(project, data.get("plan_rows") or [])
    db.session.flush()
    audit.record(
        "project.create" if created else "project.update",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=enterprise.id,
    )
    return project


def submit_for_filing(project: Project, actor: AdminUser, *, client_address: str) -> None:
    """Submit a draft (or returned) project for filing: draft → filed."""
    ensure(project, Activity.SUBMIT)
    form = filing_form(project)
    plan.ensure_submittable(project, form["plan_rows"], policy_for(project).minutes_per_class_hour)
    project.status = ProjectStatus.FILED
    # A resubmit after a return replaces the snapshot of the previous submit.
    project.filing_snapshot = form
    project.filed_at = now()
    audit.record(
        "project.submit",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
    )


def review_filing(
    project: Project, decision: str, comment: str, actor: AdminUser, *, client_address: str
) -> None:
    """A reviewer approves a filed project or returns it with a comment."""
    ensure(project, Activity.REVIEW)
    comment = (comment or "").strip()
    if decision == "returned" and not comment:
        raise FieldError("comment", 422, "comment_required", "退回时请填写审核意见")
    if decision not in ("approved", "returned"):
        raise FieldError("decision", 422, "decision_invalid", "请选择通过或退回")
    project.status = ProjectStatus(decision)
    project.review_comment = comment or None
    project.reviewed_by_id = actor.id
    project.reviewed_at = now()
    audit.record(
        "project.review",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        decision=decision,
        comment=comment,
    )
