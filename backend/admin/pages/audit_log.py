"""The operator's audit-log page: filter by action, enterprise and date, paginated."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select
from wtforms import DateField, Form, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from backend.admin.auth import require_permission
from backend.admin.forms import choices
from backend.admin.pages.base import bp
from backend.api import MAX_ID
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.models import Enterprise
from backend.services.audit import browse as audit_browse
from backend.services.audit import labels as audit_labels


class AuditFilterForm(Form):
    """The audit page's query string."""

    action = SelectField(default="")
    enterprise = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    date_from = DateField(validators=[Optional()])
    date_to = DateField(validators=[Optional()])
    page = IntegerField(default=1, validators=[Optional()])

    def to_query(self) -> audit_browse.AuditQuery:
        """The query, ignoring whatever did not parse."""
        self.validate()

        def ok(name):
            return None if self[name].errors else self[name].data

        return audit_browse.AuditQuery(
            action=ok("action") or "",
            enterprise_id=ok("enterprise"),
            date_from=ok("date_from"),
            date_to=ok("date_to"),
            page=ok("page") or 1,
        )


@bp.get("/audit")
@require_permission(Permission.VIEW_AUDIT_LOG)
def audit_log():
    """Browse the audit log (operators)."""
    actions = audit_browse.actions()
    form = AuditFilterForm(request.args)
    form.action.choices = choices(
        [("", "全部操作")] + [(a, audit_labels.action_name(a)) for a in actions]
    )
    query = form.to_query()
    enterprises = list(db.session.scalars(select(Enterprise).order_by(Enterprise.name)))
    return render_template(
        "admin/audit_log.html",
        form=form,
        query=query,
        page=audit_browse.audit_page(query),
        enterprises=enterprises,
        enterprise_names={e.id: e.name for e in enterprises},
        labels=audit_labels,
    )
