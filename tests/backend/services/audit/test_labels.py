"""Every audit action and detail key the code records has its Chinese label.

The code is read, not run: every call of ``record(…)`` (``audit.record``) and of the modules'
``_audit(…)`` helpers is found in the source, with its action (a literal, either branch of a
conditional, or an f-string prefix whose values ``ACTION_FAMILIES`` lists) and its detail keywords.
"""

from __future__ import annotations

import ast
from pathlib import Path

from backend.services.audit import labels
from backend.services.exports.catalog import EXPORTS

ROOT = Path(__file__).resolve().parents[4]
SOURCES = ("backend", "miniprogram_api", "supervision_api")
RECORDERS = {"record", "_audit"}
NOT_DETAIL = {"object_type", "object_id", "enterprise_id"}


def _recorded() -> tuple[set[str], set[str], set[str]]:
    """(literal actions, f-string prefixes, detail keys) of every recording call in the code."""
    actions, prefixes, keys = set(), set(), set()
    for path in (p for root in SOURCES for p in (ROOT / root).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in RECORDERS:
                continue
            keys |= {k.arg for k in node.keywords if k.arg and k.arg not in NOT_DETAIL}
            first = node.args[0]
            candidates = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for arg in candidates:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    actions.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    prefixes.add(arg.values[0].value)
                else:
                    # A helper passing its own parameter on: its callers are scanned instead.
                    assert isinstance(arg, ast.Name), f"{path}:{node.lineno}: unreadable action"
    return actions, prefixes, keys


def test_the_scan_sees_the_recording_calls():
    actions, prefixes, keys = _recorded()
    assert {"admin.login", "project.close", "lesson.create", "course.create"} <= actions
    assert {"export.", "claim.", "enrolment."} <= prefixes
    assert {"digest", "early", "sessions_closed", "course_id", "project_id"} <= keys


def test_every_recorded_action_has_a_chinese_label():
    actions, prefixes, _ = _recorded()
    missing = sorted(a for a in actions if a not in labels.ACTIONS)
    assert missing == [], f"add these to backend/services/audit/labels.py ACTIONS: {missing}"
    unlisted = sorted(p for p in prefixes if p not in labels.ACTION_FAMILIES)
    assert unlisted == [], f"list the values of these prefixes in ACTION_FAMILIES: {unlisted}"
    family = [p + v for p, values in labels.ACTION_FAMILIES.items() for v in values]
    assert sorted(a for a in family if a not in labels.ACTIONS) == []
    assert set(labels.ACTION_FAMILIES["export."]) == set(EXPORTS)  # every export kind
    for action in labels.ACTIONS.values():
        assert action and not action.isascii()


def test_every_recorded_detail_key_has_a_chinese_label():
    _, _, keys = _recorded()
    missing = sorted(k for k in keys if k not in labels.DETAIL_KEYS)
    assert missing == [], f"add these to backend/services/audit/labels.py DETAIL_KEYS: {missing}"


def test_values_and_changes_read_as_words():
    items = dict(
        labels.detail_items(
            {
                "early": True,
                "fields": ["name", "summary"],
                "changes": {"name": {"old": "张三", "new": "张叁"}},
                "method": "phone_code",
                "digest": "ab" * 32,
            }
        )
    )
    assert items["早于培训结束日期"] == "是"
    assert items["修改项"] == "名称、简介"
    assert items["修改内容"] == "名称：张三 → 张叁"
    assert items["方式"] == "手机号快速验证"
    assert items["数据摘要（SHA-256）"] == "ab" * 32
