"""Projects: the list, and creating, editing and submitting the filing data of 附件1."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm, ProjectForm, choices
from backend.admin.pages.base import bp, show_field_error
from backend.admin.scope import get_enterprise_or_404, get_project_or_404
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.permissions import Permission, sees_all_enterprises
from backend.kernel.scope import scope_query
from backend.models import Enterprise, Project, ProjectStatus
from backend.services.projects import filing, filing_document

EXTRA_PLAN_ROWS = 2


def _enterprise_choices(form: ProjectForm) -> None:
    admin = current_admin()
    if sees_all_enterprises(admin):
        enterprises = db.session.scalars(select(Enterprise).order_by(Enterprise.name))
        form.enterprise_id.choices = choices((e.id, e.name) for e in enterprises)
    else:
        # An enterprise admin files only for their own enterprise: no choice to make.
        del form.enterprise_id


def _form_data(project: Project) -> dict:
    # The mobile as every mobile on screen: masked (the model reads it so); sent back
    # untouched, the stored one is kept.
    data = {key: getattr(project, key) for key in filing_document.PROJECT_FIELDS}
    data["training_type"] = project.training_type.value
    data["enterprise_id"] = project.enterprise_id
    data["face_check_at_check_in"] = project.face_check_at_check_in or ""
    interval = project.face_check_interval_s
    data["face_check_interval_minutes"] = None if interval is None else interval // 60
    data["attention_checks_enabled"] = project.attention_checks_enabled
    attention = project.attention_check_interval_s
    data["attention_check_interval_minutes"] = None if attention is None else attention // 60
    data["assessment_required"] = project.assessment_required
    data["sequential"] = project.sequential
    if project.institution:
        inst = project.institution
        data["institution"] = {
            "credit_code": inst.credit_code,
            **{k: getattr(inst, k) for k in filing_document.INSTITUTION_FIELDS},
        }
    if project.platform:
        platform = project.platform
        data["platform"] = {k: getattr(platform, k) for k in filing_document.PLATFORM_FIELDS}
    data["plan_rows"] = [
        {
            "resource_name": row.resource_name,
            "key_content": row.key_content,
            "resource_form": row.resource_form.value,
            "duration_minutes": row.duration_minutes,
        }
        for row in project.plan_rows
    ]
    return data


def _save(form: ProjectForm, project: Project | None):
    """Validate and save; returns a redirect, or None to show the form again."""
    admin = current_admin()
    if not form.validate_on_submit():
        return None
    enterprise_id = form.enterprise_id.data if "enterprise_id" in form else admin.enterprise_id
    enterprise = get_enterprise_or_404(enterprise_id, admin)
    try:
        saved = filing.save_project(
            project, enterprise, form.service_data(), admin, client_address=client_address()
        )
        db.session.commit()
    except filing.FieldError as exc:
        db.session.rollback()
        show_field_error(form, exc)
        return None
    flash("备案信息已保存", "success")
    return redirect(url_for("admin_pages.project_dashboard", project_id=saved.id))


def _render_form(form: ProjectForm, project: Project | None, status: int = 200):
    if request.method == "GET":
        # Blank rows to fill in without script; blank rows are ignored on save.
        for _ in range(EXTRA_PLAN_ROWS):
            form.plan_rows.append_entry()
    code = 422 if form.errors or any(f.errors for f in form) else status
    return render_template("admin/project_form.html", form=form, project=project), code


def _fix_url(fix: str, project: Project) -> tuple[str, str]:
    """(link text, address) of the page that fixes a problem of the filing."""
    if fix == "platform":
        return "填写平台情况", url_for("admin_pages.project_edit", project_id=project.id)
    return "管理项目课程", url_for("admin_pages.project_courses", project_id=project.id)


@bp.get("/projects")
@require_permission(Permission.VIEW_PROJECT)
def projects():
    """Projects the admin may see, newest first."""
    admin = current_admin()
    query = scope_query(select(Project), Project, admin)
    status = request.args.get("status", "")
    if status in {s.value for s in ProjectStatus}:
        query = query.where(Project.status == ProjectStatus(status))
    rows = db.session.scalars(query.order_by(Project.created_at.desc(), Project.id.desc()))
    return render_template(
        "admin/projects.html", projects=list(rows), status=status, action_form=ActionForm()
    )


@bp.route("/projects/new", methods=["GET", "POST"])
@require_permission(Permission.EDIT_PROJECT)
def project_new():
    """Create a project (enterprise admins: for their own enterprise only)."""
    form = ProjectForm()
    _enterprise_choices(form)
    if request.method == "POST":
        response = _save(form, None)
        if response is not None:
            return response
    return _render_form(form, None)


@bp.route("/projects/<id:project_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.EDIT_PROJECT)
def project_edit(project_id: int):
    """Change a draft or returned project's filing data."""
    project = get_project_or_404(project_id, current_admin())
    ensure(project, Activity.EDIT_FILING)
    form = ProjectForm(data=_form_data(project) if request.method == "GET" else None)
    form.kept_mobile = project.person_mobile
    _enterprise_choices(form)
    if request.method == "POST":
        response = _save(form, project)
        if response is not None:
            return response
    return _render_form(form, project)


@bp.post("/projects/<id:project_id>/submit")
@require_permission(Permission.EDIT_PROJECT)
def project_submit(project_id: int):
    """Submit the project for filing (draft → filed)."""
    project = get_project_or_404(project_id, current_admin())
    try:
        filing.submit_for_filing(project, current_admin(), client_address=client_address())
    except DomainError as exc:
        if exc.code != "filing_incomplete":
            raise
        db.session.rollback()
        # What is missing, on the project's filing page, each with the page that fixes it.
        problems = [(item["problem"], _fix_url(item["fix"], project)) for item in exc.details]
        shown = filing_document.shown_filing(project)
        page = render_template(
            "admin/project_filing.html", project=project, shown=shown, problems=problems
        )
        return page, 422
    db.session.commit()
    flash("已提交备案，等待人社部门审核", "success")
    return redirect(url_for("admin_pages.projects"))


@bp.get("/projects/<id:project_id>/filing")
@require_permission(Permission.VIEW_PROJECT)
def project_filing(project_id: int):
    """The project's filing data as filed (read-only)."""
    project = get_project_or_404(project_id, current_admin())
    shown = filing_document.shown_filing(project)
    return render_template("admin/project_filing.html", project=project, shown=shown)
