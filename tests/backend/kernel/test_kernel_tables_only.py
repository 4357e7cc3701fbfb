"""The kernel's tables are the only place roles and project statuses decide anything: no role
tuple, no role comparison and no project-status comparison anywhere else in the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "backend", ROOT / "miniprogram_api", ROOT / "supervision_api"]
# The tables themselves, and the models that define the enums.
ALLOWED = {ROOT / "backend" / "kernel", ROOT / "backend" / "models"}
TEMPLATES = ROOT / "backend" / "templates"
# A role or a project status compared in a template (showing its name is fine).
COMPARED = re.compile(r"(role|project\.status)(\.value)?\s*(==|!=|\bin\b|\bnot in\b)")


def _python_files():
    for base in SOURCES:
        for path in base.rglob("*.py"):
            if not any(parent in ALLOWED for parent in path.parents):
                yield path


def _names(node) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name)
    }


def _is_attr(node, name: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == name


def _is_role(node) -> bool:
    if _is_attr(node, "role") or (isinstance(node, ast.Name) and node.id == "role"):
        return True
    return _is_member(node, "Role") or (isinstance(node, ast.Name) and node.id.endswith("_ROLES"))


def _is_member(node, enum: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == enum
    )


def _mentions(node, enum: str) -> bool:
    return any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == enum
        for n in ast.walk(node)
    )


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            # actor.role is / in / == ..., a role variable, a Role member, a tuple of roles: who
            # may do what is the permission table's question.
            if any(_is_role(side) for side in sides):
                found.append((node.lineno, "role comparison"))
            # project.status compared with a ProjectStatus: the lifecycle table's question.
            if any(_is_attr(side, "status") for side in sides) and any(
                _mentions(side, "ProjectStatus") for side in sides
            ):
                found.append((node.lineno, "project-status comparison"))
        elif isinstance(node, ast.Tuple | ast.Set | ast.List):
            roles = [e for e in node.elts if _is_member(e, "Role")]
            if len(roles) >= 2:
                found.append((node.lineno, "role tuple"))
            statuses = [e for e in node.elts if _is_member(e, "ProjectStatus")]
            if len(statuses) >= 2:
                found.append((node.lineno, "project-status tuple"))
        elif (
            isinstance(node, ast.Call)
            and (_is_attr(node.func, "in_") or _is_attr(node.func, "not_in"))
            and _mentions(node, "ProjectStatus")
        ):
            # Column.status.in_(...) / .not_in(...) take lifecycle.statuses_allowing(...).
            found.append((node.lineno, "project-status query"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "admin_required"
            and (node.args or node.keywords)
        ):
            found.append((node.lineno, "admin_required with roles"))
    return found


def test_no_role_or_status_rule_outside_the_kernel_tables():
    problems = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, what in _violations(tree):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert problems == [], "\n".join(problems)


def test_no_template_compares_a_role_or_a_project_status():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if COMPARED.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert problems == [], "\n".join(problems)


def test_the_check_catches_what_it_forbids():
    bad = ast.parse(
        "if admin.role is Role.OPERATOR: pass\n"
        "if role is Role.ENTERPRISE_ADMIN: pass\n"
        "if kind not in CREATABLE_ROLES: pass\n"
        "EDITORS = (Role.OPERATOR, Role.ENTERPRISE_ADMIN)\n"
        "if project.status is ProjectStatus.CLOSED: pass\n"
        "q.where(Project.status.in_((ProjectStatus.FILED, ProjectStatus.APPROVED)))\n"
        "admin_required(Role.REVIEWER)\n"
    )
    found = _violations(bad)
    assert [line for line, what in found if what == "role comparison"] == [1, 2, 3]
    kinds = {what for _, what in found}
    assert kinds == {
        "role comparison",
        "role tuple",
        "project-status comparison",
        "project-status tuple",
        "project-status query",
        "admin_required with roles",
    }
