"""The operator's audit-log page: filter by action, enterprise and date, paginated."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from wtforms import DateField, Form, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from backend.admin.auth import require_permission
from backend.admin.forms import choices
from backend.api import MAX_ID
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.models import Enterprise
from backend.services.audit import browse as audit_browse
from backend.services.audit import labels as audit_labels

ACTION_NAMES = {
    "admin.login": "登录",
    "admin.login_failed": "登录失败",
    "admin.logout": "退出登录",
    "pii.reveal_id_number": "查看完整身份证号",
    "pii.reveal_mobile": "查看完整手机号",
    "trainee.wechat_bound": "学员绑定微信",
    "trainee.bind_failed": "学员绑定失败",
    "trainee.web_login": "学员扫码登录网页",
    "roster.import": "导入学员名册",
    "export.filing": "导出附件1备案表",
    "export.roster": "导出附件2人员名册",
    "export.hours": "导出课时及补贴明细表",
    "export.records": "导出培训情况记录",
    "export.integrity": "导出诚信提示",
    "question.create": "新增试题",
    "question.import": "导入题库",
    "question.update": "修改试题",
    "question.retire": "停用试题",
    "question.restore": "恢复试题",
    "quiz.create": "新建测验",
    "quiz.update": "修改测验",
    "quiz.retire": "停用测验",
    "quiz.restore": "恢复测验",
    "support.reply": "回复在线支持",
    "support.close": "关闭在线支持",
    "trainee.wechat_unbound": "解除微信绑定",
    "trainee.activation_code_issued": "生成激活码",
    "credit_code.override": "接受校验位不符的信用代码",
    "enterprise.create": "新建企业",
    "project.create": "新建项目",
    "project.update": "修改备案信息",
    "project.submit": "提交备案",
    "project.review": "审核备案",
}


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


def register(bp: Blueprint) -> None:
    """Attach the routes."""

    @bp.get("/audit")
    @require_permission(Permission.VIEW_AUDIT_LOG)
    def audit_log():
        """Browse the audit log (operators)."""
        actions = audit_browse.actions()
        form = AuditFilterForm(request.args)
        form.action.choices = choices(
            [("", "全部操作")] + [(a, ACTION_NAMES.get(a, a)) for a in actions]
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
            action_names=ACTION_NAMES,
            labels=audit_labels,
        )
