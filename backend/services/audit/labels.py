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


def detail_items(detail: dict | None) -> list[tuple[str, str]]:
    """An entry's details as (Chinese key, readable value)."""
    return [(DETAIL_KEYS.get(key, key), _value(value)) for key, value in (detail or {}).items()]


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
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)
