"""Enterprises: operators list and create them; an enterprise admin edits their own."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import EnterpriseForm
from backend.admin.pages.base import bp, show_field_error
from backend.admin.scope import get_enterprise_or_404
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission, can
from backend.models import Enterprise
from backend.services.projects import filing


def _save(form: EnterpriseForm, enterprise: Enterprise | None):
    if not form.validate_on_submit():
        return None
    admin = current_admin()
    try:
        if enterprise is None:
            enterprise = filing.create_enterprise(form.data, admin, client_address=client_address())
        else:
            filing.update_enterprise(enterprise, form.data, admin, client_address=client_address())
        db.session.commit()
    except filing.FieldError as exc:
        db.session.rollback()
        show_field_error(form, exc)
        return None
    flash("企业信息已保存", "success")
    if can(admin, Permission.CREATE_ENTERPRISE):
        return redirect(url_for("admin_pages.enterprises"))
    return redirect(url_for("admin_pages.projects"))


def _render(form: EnterpriseForm, enterprise: Enterprise | None):
    status = 422 if form.errors else 200
    html = render_template("admin/enterprise_form.html", form=form, enterprise=enterprise)
    return html, status


@bp.get("/enterprises")
@require_permission(Permission.CREATE_ENTERPRISE)
def enterprises():
    """Every enterprise (operators)."""
    rows = db.session.scalars(select(Enterprise).order_by(Enterprise.name))
    return render_template("admin/enterprises.html", enterprises=list(rows))


@bp.route("/enterprises/new", methods=["GET", "POST"])
@require_permission(Permission.CREATE_ENTERPRISE)
def enterprise_new():
    """Register an enterprise (operators)."""
    form = EnterpriseForm()
    if request.method == "POST" and (response := _save(form, None)) is not None:
        return response
    return _render(form, None)


@bp.route("/enterprises/<id:enterprise_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.EDIT_ENTERPRISE)
def enterprise_edit(enterprise_id: int):
    """Change an enterprise's filing data."""
    enterprise = get_enterprise_or_404(enterprise_id, current_admin())
    form = EnterpriseForm(obj=enterprise if request.method == "GET" else None)
    if request.method == "POST" and (response := _save(form, enterprise)) is not None:
        return response
    return _render(form, enterprise)
