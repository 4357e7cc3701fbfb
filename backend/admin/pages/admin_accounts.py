"""Admin accounts in the web: the operator's list and actions, everyone's own password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from backend.admin.auth import admin_required, current_admin, require_permission
from backend.admin.forms import REQUIRED, ActionForm, choices
from backend.admin.pages.base import bp
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.models import AdminUser, Enterprise, Role
from backend.services import shown_once
from backend.services.accounts import admin_accounts

ROLE_CHOICES = [("enterprise_admin", "企业管理员"), ("reviewer", "审核人员")]


class AdminCreateForm(FlaskForm):
    """A new enterprise admin or reviewer; the password is generated and shown once."""

    username = StringField("用户名", [DataRequired(REQUIRED), Length(max=64)])
    display_name = StringField("姓名", [Optional(), Length(max=100)])
    role = SelectField("角色", choices=choices(ROLE_CHOICES))
    enterprise_id = SelectField("所属企业（企业管理员）", choices=[], validate_choice=False)


class OwnPasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField("当前密码", [DataRequired(REQUIRED)])
    new = PasswordField("新密码", [DataRequired(REQUIRED), Length(max=128)])
    repeat = PasswordField(
        "再次输入新密码", [DataRequired(REQUIRED), EqualTo("new", message="两次输入的新密码不一致")]
    )


def _enterprise_choices():
    rows = db.session.execute(select(Enterprise.id, Enterprise.name).order_by(Enterprise.name))
    return choices([("", "—"), *((str(i), name) for i, name in rows)])


def _show_once(admin: AdminUser, password: str, what: str):
    # POST-redirect-GET: the secret is read once by the GET; a reload shows it no more.
    token = shown_once.put(
        current_admin().id,
        {"kind": "admin_password", "admin_id": admin.id, "password": password, "what": what},
    )
    return redirect(url_for("admin_pages.admin_secret", token=token))


@bp.get("/admins")
@require_permission(Permission.MANAGE_ADMINS)
def admins():
    """Every admin account, with the operator's actions."""
    rows = db.session.scalars(select(AdminUser).order_by(AdminUser.id)).all()
    return render_template("admin/admins.html", admins=rows, action_form=ActionForm())


@bp.route("/admins/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_ADMINS)
def admin_new():
    """Create an enterprise admin or reviewer with a temporary password."""
    form = AdminCreateForm()
    form.enterprise_id.choices = _enterprise_choices()
    if request.method == "POST" and form.validate():
        enterprise = form.enterprise_id.data
        try:
            admin, password = admin_accounts.create(
                current_admin(),
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                enterprise_id=int(enterprise) if enterprise and enterprise.isdigit() else None,
                client_address=client_address(),
            )
        except DomainError as exc:
            db.session.rollback()
            target = form.username if exc.code == "username_taken" else form.role
            if "企业" in exc.message:
                target = form.enterprise_id
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
            return _show_once(admin, password, "created")
    status = 422 if form.errors else 200
    return render_template("admin/admin_form.html", form=form), status


@bp.get("/admins/secret/<token>")
@require_permission(Permission.MANAGE_ADMINS)
def admin_secret(token: str):
    """The temporary password, shown once."""
    payload = shown_once.take(current_admin().id, token)
    if payload is None or payload.get("kind") != "admin_password":
        html = render_template("admin/admin_secret.html", payload=None, admin=None)
        return html, 410, {"Cache-Control": "no-store"}
    admin = db.session.get(AdminUser, payload["admin_id"])
    html = render_template("admin/admin_secret.html", payload=payload, admin=admin)
    return html, 200, {"Cache-Control": "no-store"}


def _target(admin_id: int) -> AdminUser:
    admin = db.session.get(AdminUser, admin_id)
    if admin is None:
        abort(404)
    return admin


@bp.post("/admins/<id:admin_id>/disable")
@require_permission(Permission.MANAGE_ADMINS)
def admin_disable(admin_id: int):
    """Disable an account: its sessions end at once."""
    admin = _target(admin_id)
    admin_accounts.set_active(current_admin(), admin, False, client_address=client_address())
    db.session.commit()
    flash(f"已停用 {admin.username}，其登录已全部失效", "success")
    return redirect(url_for("admin_pages.admins"))


@bp.post("/admins/<id:admin_id>/enable")
@require_permission(Permission.MANAGE_ADMINS)
def admin_enable(admin_id: int):
    """Enable an account again."""
    admin = _target(admin_id)
    admin_accounts.set_active(current_admin(), admin, True, client_address=client_address())
    db.session.commit()
    flash(f"已启用 {admin.username}", "success")
    return redirect(url_for("admin_pages.admins"))


@bp.post("/admins/<id:admin_id>/reset-password")
@require_permission(Permission.MANAGE_ADMINS)
def admin_reset_password(admin_id: int):
    """Set a temporary password, to be changed at the next sign-in."""
    admin = _target(admin_id)
    password = admin_accounts.reset_password(
        current_admin(), admin, client_address=client_address()
    )
    db.session.commit()
    return _show_once(admin, password, "reset")


@bp.route("/account/password", methods=["GET", "POST"])
@admin_required()
def own_password():
    """Change one's own password (required after a reset)."""
    admin = current_admin()
    form = OwnPasswordForm()
    if request.method == "POST" and form.validate():
        try:
            admin_accounts.change_own_password(
                admin,
                form.current.data,
                form.new.data,
                session.get("admin_sid"),
                client_address=client_address(),
            )
        except DomainError as exc:
            db.session.rollback()
            target = form.current if exc.code == "wrong_password" else form.new
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
            flash("密码已修改", "success")
            return redirect(url_for("admin_pages.index"))
    status = 422 if form.errors else 200
    return render_template("admin/own_password.html", form=form, admin=admin), status
