"""A trainee's record kept current: edit, deactivate and reactivate, withdraw from a project."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from backend import pii
from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import REQUIRED, choices
from backend.admin.pages.base import bp
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError, NotFoundError
from backend.kernel.permissions import Permission, can
from backend.kernel.scope import get_scoped
from backend.models import Project, Trainee
from backend.services import shown_once
from backend.services.accounts import privacy
from backend.services.practice.bank_xlsx import XLSX_MIMETYPE
from backend.services.roster import activation_sheet, enrolling, trainee_accounts

FIELD_OF_ERROR = {
    "mobile_taken": "mobile",
    "account_taken": "account",
    "id_number_taken": "id_number",
    "reason_required": "reason",
}


class TraineeEditForm(FlaskForm):
    """Name, gender, mobile; the ID number (operators only) with a reason."""

    name = StringField("姓名", [DataRequired(REQUIRED), Length(max=100)])
    gender = SelectField("性别", choices=choices([("male", "男"), ("female", "女")]))
    mobile = StringField("手机号码（留空不修改）", [Optional(), Length(max=32)])
    id_number = StringField("身份证号码（留空不修改）", [Optional(), Length(max=32)])
    reason = TextAreaField("修改身份证号码的原因", [Optional(), Length(max=500)])


def _back(trainee: Trainee):
    project_id = request.args.get("project", type=int)
    extra = {"project": project_id} if project_id else {}
    return redirect(url_for("admin_pages.trainee", trainee_id=trainee.id, **extra))


@bp.route("/trainees/<id:trainee_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_edit(trainee_id: int):
    """Edit a trainee; a mobile or ID already used in the enterprise is a form error."""
    admin = current_admin()
    trainee = get_scoped(Trainee, trainee_id, admin)
    form = TraineeEditForm(
        request.form if request.method == "POST" else None,
        data={"name": trainee.name, "gender": trainee.gender.value},
    )
    may_edit_id = can(admin, Permission.EDIT_ID_NUMBER)
    if request.method == "POST" and form.validate():
        changes = trainee_accounts.Changes(
            name=form.name.data,
            gender=form.gender.data,
            mobile=form.mobile.data or None,
            id_number=(form.id_number.data or None) if may_edit_id else None,
            reason=form.reason.data or "",
        )
        try:
            changed = trainee_accounts.edit(
                admin, trainee, changes, client_address=client_address()
            )
        except DomainError as exc:
            db.session.rollback()
            target = FIELD_OF_ERROR.get(exc.code) or exc.params.get("field") or "name"
            form[target].errors = [*form[target].errors, exc.message]
        else:
            db.session.commit()
            flash("已保存学员信息" if changed else "没有需要保存的修改", "success")
            return _back(trainee)
    status = 422 if form.errors else 200
    html = render_template(
        "admin/trainee_edit.html",
        trainee=trainee,
        form=form,
        may_edit_id=may_edit_id,
        mobile=pii.masked_mobile(trainee),
        id_number=pii.masked_id_number(trainee),
    )
    return html, status


@bp.post("/trainees/<id:trainee_id>/deactivate")
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_deactivate(trainee_id: int):
    """Stop the account at once (tokens revoked); the figures stay."""
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    trainee_accounts.deactivate(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    flash("已停用该学员账号：其登录已失效，不能再学习", "success")
    return _back(trainee)


@bp.post("/trainees/<id:trainee_id>/reactivate")
@require_permission(Permission.MANAGE_TRAINEES)
def trainee_reactivate(trainee_id: int):
    """Let the trainee sign in again."""
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    trainee_accounts.reactivate(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    flash("已启用该学员账号", "success")
    return _back(trainee)


@bp.post("/trainees/<id:trainee_id>/erase")
@require_permission(Permission.ERASE_PERSON)
def trainee_erase(trainee_id: int):
    """Erase the person's data after the retention period; figures and spans stay."""
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    privacy.erase(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    flash("已删除该学员的个人信息，学时与补贴记录保留", "success")
    return _back(trainee)


@bp.post("/projects/<id:project_id>/trainees/<id:trainee_id>/withdraw")
@require_permission(Permission.IMPORT_ROSTER)
def trainee_withdraw(project_id: int, trainee_id: int):
    """Take the trainee out of the project (removed, or 已退出 when there are records)."""
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    trainee = get_scoped(Trainee, trainee_id, admin)
    outcome = enrolling.withdraw(admin, project, trainee, client_address=client_address())
    db.session.commit()
    if outcome == "removed":
        flash(f"{trainee.name} 没有学习记录，已从本项目移除", "success")
    else:
        flash(f"{trainee.name} 已退出本项目：不能再学习，已有学时保留", "success")
    return redirect(url_for("admin_pages.project_trainees", project_id=project.id))


@bp.get("/projects/<id:project_id>/activation-codes/<token>.xlsx")
@require_permission(Permission.MANAGE_TRAINEES)
def activation_sheet_download(project_id: int, token: str):
    """The printable sheet of the codes just issued, downloadable once."""
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    payload = shown_once.take(admin.id, token)
    if payload is None or payload.get("kind") != "activation_sheet":
        message = "激活码表只能下载一次，已经下载过或已过期；如需新的激活码，请重新勾选学员生成"
        html = render_template("error.html", status=410, code="already_shown", message=message)
        return html, 410, {"Cache-Control": "no-store"}
    content = activation_sheet.sheet(project.name, payload["rows"])
    response = send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"激活码-{project.name}.xlsx",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/projects/<id:project_id>/trainees/bulk")
@require_permission(Permission.IMPORT_ROSTER)
def project_trainees_bulk(project_id: int):
    """The table's bulk action on the ticked trainees: enrol them into another project."""
    admin = current_admin()
    source = get_scoped(Project, project_id, admin)
    back = redirect(url_for("admin_pages.project_trainees", project_id=source.id))
    ids = [int(v) for v in request.form.getlist("trainee_id") if v.isdigit()]
    if not ids:
        flash("请先勾选学员", "error")
        return back
    if request.form.get("bulk") == "activation_codes":
        return _activation_sheet(admin, source, ids)
    target_id = request.form.get("target_project", type=int)
    if target_id is None:
        flash("请选择要报名的培训项目", "error")
        return back
    target = get_scoped(Project, target_id, admin)
    if target.enterprise_id != source.enterprise_id:
        raise NotFoundError()
    done = enrolling.enrol(
        admin, target, ids[: enrolling.MAX_BULK], client_address=client_address()
    )
    db.session.commit()
    flash(
        f"已为“{target.name}”报名 {done.enrolled} 名学员"
        + (f"（{done.already} 人此前已报名）" if done.already else ""),
        "success",
    )
    return back


def _activation_sheet(admin, project: Project, ids: list[int]):
    """Issue codes for the ticked trainees and redirect to their one-time xlsx."""
    if not can(admin, Permission.MANAGE_TRAINEES):
        raise DomainError("forbidden")
    issued = activation_sheet.issue_for(
        admin, project, ids[: enrolling.MAX_BULK], client_address=client_address()
    )
    db.session.commit()
    if not issued.rows:
        flash("勾选的学员都已绑定微信（或已停用），没有生成激活码", "error")
        return redirect(url_for("admin_pages.project_trainees", project_id=project.id))
    token = shown_once.put(admin.id, {"kind": "activation_sheet", "rows": issued.rows})
    return redirect(
        url_for("admin_pages.activation_sheet_download", project_id=project.id, token=token)
    )
