"""Trainees: the project's trainee table, a trainee's record, and the admin's actions on it."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from backend import pii
from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm, choices
from backend.admin.pages.base import bp
from backend.admin.scope import get_project_or_404, get_trainee_or_404
from backend.caller import as_admin, client_address
from backend.extensions import db
from backend.kernel.permissions import Permission, can
from backend.models import Trainee
from backend.services import shown_once
from backend.services.accounts import binding
from backend.services.learning import live_status
from backend.services.people import dashboard, trainee_detail, trainee_table
from backend.services.roster import enrolling


class TraineeFilterForm(Form):
    """The table's query string; an unknown value falls back to the default."""

    q = StringField(default="")
    status = SelectField(
        choices=choices([("", "全部"), *trainee_table.STATUSES.items()]), default=""
    )
    bound = SelectField(
        choices=choices([("", "全部"), ("1", "已绑定"), ("0", "未绑定")]), default=""
    )
    sort = SelectField(choices=choices((s, s) for s in trainee_table.SORTS), default="seq")
    dir = SelectField(choices=choices([("asc", "升序"), ("desc", "降序")]), default="asc")
    page = IntegerField(default=1, validators=[Optional()])
    per_page = SelectField(
        choices=choices((str(n), f"每页 {n} 条") for n in trainee_table.PER_PAGE_CHOICES),
        default="20",
    )

    def to_params(self) -> trainee_table.TableParams:
        """The validated query, with defaults for whatever was not valid."""
        self.validate()
        valid = {name for name, field in self._fields.items() if not field.errors}

        def value(name, default):
            return self[name].data if name in valid and self[name].data else default

        bound = value("bound", "")
        return trainee_table.TableParams(
            q=(value("q", "") or "")[:64],
            status=value("status", ""),
            bound={"1": True, "0": False}.get(bound),
            sort=value("sort", "seq"),
            descending=value("dir", "asc") == "desc",
            page=value("page", 1),
            per_page=int(value("per_page", "20")),
        )


def _detail(trainee: Trainee, revealed_id: str | None = None, code: tuple | None = None):
    admin = current_admin()
    projects = trainee_detail.projects_of(trainee)
    project_id = request.args.get("project", type=int)
    project = next((p for p in projects if p.id == project_id), projects[0] if projects else None)
    entries = trainee_detail.sessions(trainee, project.id) if project else []
    seconds = dashboard.trainee_credit_s(project, trainee.id) if project else 0
    live = live_status.learning_now(project, [trainee.id]).get(trainee.id) if project else None
    html = render_template(
        "admin/trainee.html",
        trainee=trainee,
        projects=projects,
        project=project,
        entries=entries,
        devices=trainee_detail.devices(entries),
        checks=trainee_detail.checks_summary(entries),
        live=live,
        hours=dashboard.trainee_hours(project, seconds) if project else None,
        attempts=trainee_detail.quiz_attempts(trainee, project.id) if project else [],
        evaluation=trainee_detail.evaluation(trainee, project.id) if project else None,
        id_number=revealed_id or pii.masked_id_number(trainee),
        mobile=pii.masked_mobile(trainee),
        revealed=revealed_id is not None,
        activation_code=code[0] if code else None,
        activation_expires=code[1] if code else None,
        can_manage=can(admin, Permission.MANAGE_TRAINEES),
        withdrawn=enrolling.withdrawn(trainee.id, project.id) if project else False,
        action_form=ActionForm(),
    )
    # A page holding a full ID number or a fresh activation code must not be cached.
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/projects/<id:project_id>/trainees")
@require_permission(Permission.VIEW_PROJECT)
def project_trainees(project_id: int):
    """The project's trainees: search, filter, sort and pages on the server."""
    project = get_project_or_404(project_id, current_admin())
    form = TraineeFilterForm(request.args)
    params = form.to_params()
    page = trainee_table.trainee_page(project, params)
    live = live_status.learning_now(project, [row.id for row in page.rows])
    return render_template(
        "admin/trainees.html",
        project=project,
        form=form,
        params=params,
        page=page,
        targets=enrolling.enrol_targets(project),
        action_form=ActionForm(),
        live=live,
    )


@bp.get("/trainees/<id:trainee_id>")
@require_permission(Permission.VIEW_PROJECT)
def trainee(trainee_id: int):
    """A trainee's sessions, spans, devices, checks, quizzes and evaluation."""
    return _detail(get_trainee_or_404(trainee_id, current_admin()))


@bp.post("/trainees/<id:trainee_id>/reveal-id")
@require_permission(Permission.REVEAL_PII)
def trainee_reveal_id(trainee_id: int):
    """Show the full ID number once; the reveal is audit-logged."""
    admin = current_admin()
    trainee = get_trainee_or_404(trainee_id, admin)
    full = pii.reveal_id_number(trainee, as_admin(admin), purpose="admin_trainee_page")
    db.session.commit()
    return _detail(trainee, revealed_id=full)


@bp.post("/trainees/<id:trainee_id>/unbind")
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_unbind(trainee_id: int):
    """Unbind the trainee's WeChat."""
    trainee = get_trainee_or_404(trainee_id, current_admin())
    binding.unbind_wechat(trainee, current_admin(), client_address=client_address())
    db.session.commit()
    flash("已解除微信绑定，该学员需重新绑定后才能学习", "success")
    return redirect(url_for("admin_pages.trainee", trainee_id=trainee.id, **_project_arg()))


@bp.post("/trainees/<id:trainee_id>/activation-code")
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_activation_code(trainee_id: int):
    """Issue an activation code, then redirect to the page that shows it once."""
    admin = current_admin()
    trainee = get_trainee_or_404(trainee_id, admin)
    code, expires_at = binding.issue_activation_code(
        trainee, admin, client_address=client_address()
    )
    db.session.commit()
    # POST-redirect-GET: reloading the page showing the code must not issue another one.
    token = shown_once.put(
        admin.id,
        {
            "kind": "activation_code",
            "trainee_id": trainee.id,
            "code": code,
            "expires_at": expires_at.isoformat(),
        },
    )
    return redirect(
        url_for(
            "admin_pages.trainee_activation_code_shown",
            trainee_id=trainee.id,
            token=token,
            **_project_arg(),
        )
    )


@bp.get("/trainees/<id:trainee_id>/activation-code/<token>")
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_activation_code_shown(trainee_id: int, token: str):
    """The code just issued, once; a reload shows the trainee page without it."""
    admin = current_admin()
    trainee = get_trainee_or_404(trainee_id, admin)
    payload = shown_once.take(admin.id, token)
    if (
        payload is None
        or payload.get("kind") != "activation_code"
        or payload.get("trainee_id") != trainee.id
    ):
        flash("激活码只显示一次，已经显示过。如学员未记下，请重新生成（旧码随即失效）", "error")
        return _detail(trainee)
    expires_at = datetime.fromisoformat(payload["expires_at"])
    return _detail(trainee, code=(payload["code"], expires_at))


def _project_arg() -> dict:
    project_id = request.args.get("project", type=int)
    return {"project": project_id} if project_id else {}
