"""The audit log in words: object names (personal ones masked), detail keys and values in
Chinese, times in Beijing time."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import AdminUser, Course, Enterprise, Project, Quiz, SupportThread, Trainee

OBJECT_TYPES = {
    "project": "培训项目",
    "trainee": "学员",
    "enterprise": "企业",
    "course": "课程",
    "lesson": "课节",
    "question": "题目",
    "quiz": "测验",
    "support_thread": "学员问题",
    "admin": "管理员",
    "admin_user": "管理员",
    "roster_import": "名册导入",
    "claim": "补贴申请",
}
# Every action the code records (a test scans each `record(` call and fails on a missing one).
ACTIONS = {
    "admin.login": "登录",
    "admin.login_failed": "登录失败",
    "admin.logout": "退出登录",
    "admin.created": "新建管理员",
    "admin.enabled": "启用管理员",
    "admin.disabled": "停用管理员",
    "admin.password_reset": "重置管理员密码",
    "admin.password_changed": "修改本人密码",
    "admin.cities": "设置审核人员负责的城市",
    "bureau_key.issue": "签发监管接口密钥",
    "bureau_key.revoke": "吊销监管接口密钥",
    "pii.reveal_id_number": "查看完整身份证号",
    "pii.reveal_mobile": "查看完整手机号",
    "trainee.wechat_bound": "学员绑定微信",
    "trainee.bind_failed": "学员绑定失败",
    "trainee.web_login": "学员扫码登录网页",
    "trainee.wechat_unbound": "解除微信绑定",
    "trainee.activation_code_issued": "生成激活码",
    "trainee.edit": "修改学员信息",
    "trainee.deactivated": "停用学员账号",
    "trainee.reactivated": "恢复学员账号",
    "trainee.erased": "清除学员个人信息（保存期满）",
    "roster.import": "导入学员名册",
    "enrolment.enrol": "学员报名培训项目",
    "enrolment.withdrawn": "学员退出培训项目（保留学习记录）",
    "enrolment.removed": "移出培训项目（无学习记录）",
    "export.filing": "导出附件1备案表",
    "export.roster": "导出附件2人员名册",
    "export.hours": "导出课时及补贴明细表",
    "export.records": "导出培训情况记录",
    "export.integrity": "导出诚信提示",
    "export.claim": "导出补贴申领名册及汇总表",
    "course.create": "新建课程",
    "course.update": "修改课程",
    "course.retire": "停用课程",
    "lesson.create": "新增课节",
    "lesson.update": "修改课节",
    "lesson.retire": "停用课节",
    "lesson.delete": "删除课节",
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
    "credit_code.override": "接受校验位不符的信用代码",
    "enterprise.create": "新建企业",
    "enterprise.city_override": "修改企业所属城市",
    "project.create": "新建项目",
    "project.update": "修改备案信息",
    "project.submit": "提交备案",
    "project.review": "审核备案",
    "project.course_attach": "项目加入课程",
    "project.course_detach": "项目移除课程",
    "project.course_reorder": "调整项目课程顺序",
    "project.close": "结束项目并冻结数据",
    "certificate.issue_at_close": "结项时签发培训证明",
    "certificate.issue": "单独签发培训证明",
    "certificate.reissue": "更正后重新签发培训证明（原编号撤销）",
    "certificate.revoke": "撤销培训证明",
    "claim.submit": "提交补贴申领",
    "claim.approve": "补贴申领审核通过",
    "claim.return": "退回补贴申领",
}
# Actions recorded as f"{prefix}{value}": the values each prefix takes (checked by the same test).
ACTION_FAMILIES = {
    "export.": ("filing", "roster", "hours", "records", "integrity", "claim"),
    "claim.": ("submit", "approve", "return"),
    "enrolment.": ("withdrawn", "removed"),
}
DETAIL_KEYS = {
    "decision": "审核结果",
    "comment": "意见",
    "full_numbers": "含完整号码",
    "format": "格式",
    "rows": "行数",
    "count": "数量",
    "role": "角色",
    "purpose": "用途",
    "title": "名称",
    "reason": "理由",
    "expires_at": "有效期至",
    "created": "新建",
    "updated": "更新",
    "existing": "已有",
    "username": "用户名",
    "method": "方式",
    "filename": "文件名",
    "status": "状态",
    "kind": "类型",
    "already": "原已存在",
    "before": "修改前",
    "after": "修改后",
    "credit_code": "统一社会信用代码",
    "account": "账号",
    "activation_code_id": "激活码编号",
    "bureau": "监管部门",
    "bytes": "文件大小（字节）",
    "changes": "修改内容",
    "cities": "城市",
    "course_id": "课程编号",
    "course_ids": "课程顺序（编号）",
    "digest": "数据摘要（SHA-256）",
    "certificates": "培训证明份数",
    "serial": "证明编号",
    "replaces": "被替换的证明编号",
    "trainee_id": "学员编号",
    "early": "早于培训结束日期",
    "existing_ids": "已有学员编号",
    "failures": "该地址连续失败次数",
    "username_failures": "该用户名连续失败次数",
    "fields": "修改项",
    "file_replaced": "更换了文件",
    "name": "名称",
    "project_id": "项目编号",
    "retention_ended": "保存期满日",
    "sessions_closed": "结束的学习会话数",
    "source": "来源",
    "trainee_ids": "学员编号",
}
VALUES = {
    True: "是",
    False: "否",
    "approved": "通过",
    "returned": "退回",
    "operator": "平台运营",
    "enterprise_admin": "企业管理员",
    "reviewer": "审核人员",
    "xlsx": "Excel",
    "csv": "CSV",
    "withdrawn": "退出（保留记录）",
    "removed": "移出",
    "admin": "管理页面",
    "admin_trainee_page": "学员页面查看",
    "roster_import": "名册导入",
    "face_check": "人脸核身",
    "phone_code": "手机号快速验证",
    "encrypted_data": "手机号（加密数据）",
    "activation_code": "激活码",
    "unknown_account": "账号不存在",
    "activation_code_rejected": "激活码无效",
    "phone_mismatch": "手机号与名册不符",
    "encrypted_data_rejected": "加密数据无效",
    "no_phone_in_data": "未取得手机号",
    "phone_not_mainland": "非中国大陆手机号",
}
# Field names in ``fields`` and ``changes``.
FIELD_NAMES = {
    "name": "名称",
    "summary": "简介",
    "gender": "性别",
    "account": "账号",
    "mobile": "手机号",
    "id_number": "身份证号",
    "title": "标题",
}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


def masked_name(name: str) -> str:
    """A person's name with all but its first character hidden: 张三 → 张*."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def _names(model, column, ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def object_labels(entries) -> dict[tuple[str, int], str]:
    """A readable name for each (object type, id) of the entries."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type and entry.object_id:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    found = {
        "project": _names(Project, Project.name, wanted.get("project")),
        "enterprise": _names(Enterprise, Enterprise.name, wanted.get("enterprise")),
        "course": _names(Course, Course.name, wanted.get("course")),
        "quiz": _names(Quiz, Quiz.title, wanted.get("quiz")),
        "support_thread": _names(
            SupportThread, SupportThread.subject, wanted.get("support_thread")
        ),
        "trainee": {
            tid: masked_name(name)
            for tid, name in _names(Trainee, Trainee.name, wanted.get("trainee")).items()
        },
    }
    labels = {}
    for kind, ids in wanted.items():
        for object_id in ids:
            name = found.get(kind, {}).get(object_id)
            label = OBJECT_TYPES.get(kind, kind)
            labels[(kind, object_id)] = (
                f"{label}：{name}" if name else f"{label}（编号 {object_id}）"
            )
    return labels


def actor_names(entries) -> dict[int, str]:
    """Admins' display names (their username when they have none)."""
    ids = {e.actor_id for e in entries if e.actor_kind == "admin" and e.actor_id}
    if not ids:
        return {}
    rows = db.session.execute(
        select(AdminUser.id, AdminUser.display_name, AdminUser.username).where(
            AdminUser.id.in_(ids)
        )
    )
    return {admin_id: display or username for admin_id, display, username in rows}


def action_name(action: str) -> str:
    """The action in words (its code only if nobody gave it a label, which a test forbids)."""
    return ACTIONS.get(action, action)


def detail_items(detail: dict | None) -> list[tuple[str, str]]:
    """An entry's details as (Chinese key, readable value)."""
    # An empty detail (no comment given) says nothing: left out.
    return [
        (DETAIL_KEYS.get(key, key), _value(value))
        for key, value in (detail or {}).items()
        if value is not None and value != ""
    ]


def _value(value) -> str:
    if isinstance(value, bool) or (isinstance(value, str) and value in VALUES):
        return VALUES[value]
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"
    if isinstance(value, dict):
        return "；".join(f"{FIELD_NAMES.get(k, k)}：{_change(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(
            FIELD_NAMES.get(v, str(v)) if isinstance(v, str) else str(v) for v in value
        )
    return "" if value is None else str(value)


def _change(value) -> str:
    if isinstance(value, dict) and set(value) == {"old", "new"}:
        return f"{_value(value['old'])} → {_value(value['new'])}"
    return _value(value)
