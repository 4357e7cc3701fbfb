"""Tenant scope is decided in backend/kernel/scope.py only: no module elsewhere loads a tenant
model by id with its own enterprise or trainee condition, or builds the enterprise filter."""

from __future__ import annotations

import ast
from pathlib import Path

from backend.kernel.scope import ENTERPRISE_PATHS, TRAINEE_PATHS

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "backend", ROOT / "miniprogram_api", ROOT / "supervision_api"]
KERNEL = ROOT / "backend" / "kernel"
TENANT_MODELS = {model.__name__ for model in (*ENTERPRISE_PATHS, *TRAINEE_PATHS)}
# Columns that say whose a row is.
OWNER_COLUMNS = {"enterprise_id", "trainee_id"}
LOADERS = {
    "get_scoped",
    "get_for_trainee",
    "enrolment_for",
    "scope_query",
    "trainee_query",
    "project_roster",
}
# Functions allowed to scope a lookup themselves: none any more (an attention check is now
# answered inside the beat's Redis script, which the bearer token already scopes).
ALLOWED: set[tuple[str, str]] = set()
# The loaders that once scoped by themselves: gone, or handing the question to the kernel.
DELEGATING = {
    "backend/admin/api/question_banks.py": ["course_or_404"],
    "backend/admin/api/quizzes.py": ["quiz_or_404"],
    "backend/services/support/threads.py": [
        "thread_for_admin",
        "thread_for_trainee",
        "_admin_query",
    ],
    "backend/services/people/trainee_table.py": ["_filtered"],
    "backend/services/accounts/trainee_profile.py": ["enrolled_projects"],
    "backend/services/practice/attempts.py": ["attempt_for_trainee"],
    "backend/services/learning/sessions.py": ["check_out"],
    "backend/services/practice/quizzes.py": ["quiz_for_trainee"],
    "backend/services/learning/face_checks.py": ["result"],
    "backend/services/enrolments.py": ["enrolment_or_404"],
}


def _python_files():
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            if KERNEL not in path.parents:
                yield path


def _column(node) -> tuple[str, str] | None:
    """``Model.column`` as (model, column)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None


def _looked_up(compare: ast.Compare) -> set[str]:
    """The tenant model a ``Model.id == value`` picks one row of (a join condition picks none)."""
    if len(compare.comparators) != 1 or not isinstance(compare.ops[0], ast.Eq):
        return set()
    left, right = _column(compare.left), _column(compare.comparators[0])
    found = set()
    for this, other in ((left, right), (right, left)):
        # Model.id == OtherModel.column joins; Model.id == value (or a variable) looks up.
        joins = other is not None and other[0][:1].isupper()
        if this and this[1] == "id" and this[0] in TENANT_MODELS and not joins:
            found.add(this[0])
    return found


def _chain_conditions(call: ast.Call) -> list[ast.Compare]:
    """The comparisons in every ``.where(...)`` of one query chain, from ``call`` inwards."""
    found = []
    node = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "where":
            for arg in node.args:
                found += [n for n in ast.walk(arg) if isinstance(n, ast.Compare)]
        node = node.func.value
    return found


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(
            alias.name == "visible_enterprises" for alias in node.names
        ):
            found.append((node.lineno, "enterprise filter built outside the kernel"))
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "where"
        ):
            continue
        conditions = _chain_conditions(node)
        by_id = {model for compare in conditions for model in _looked_up(compare)}
        owned = any(
            (_column(side) or ("", ""))[1] in OWNER_COLUMNS
            for compare in conditions
            for side in (compare.left, *compare.comparators)
        )
        if by_id and owned:
            found.append((node.lineno, f"own tenant-scoped lookup of {sorted(by_id)[0]}"))
    return found


def _outermost_wheres(tree: ast.AST) -> list[tuple[int, str]]:
    # One report per query chain, not one per nested .where().
    seen, result = set(), []
    for line, what in _violations(tree):
        if (line, what) not in seen:
            seen.add((line, what))
            result.append((line, what))
    return result


def test_no_tenant_scoped_lookup_outside_the_kernel():
    problems, excused = [], []
    for path in _python_files():
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {
            line
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and (relative, node.name) in ALLOWED
            for line, _ in _violations(node)
        }
        for line, what in _outermost_wheres(tree):
            (excused if line in allowed else problems).append(f"{relative}:{line}: {what}")
    assert problems == [], "\n".join(problems)
    # An exception that no longer applies is taken off the list.
    assert len(excused) == len(ALLOWED), excused


def _calls(function: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_the_old_loaders_are_gone_or_ask_the_kernel():
    for relative, names in DELEGATING.items():
        path = ROOT / relative
        if not path.exists():
            continue
        functions = {
            node.name: node
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)
        }
        for name in names:
            if name in functions:
                assert _calls(functions[name]) & LOADERS, f"{relative}:{name} scopes by itself"


def test_the_check_catches_what_it_forbids():
    old = ast.parse(
        # The trainee-side copies as they were.
        "q = select(SupportThread).where(\n"
        "    SupportThread.id == thread_id, SupportThread.trainee_id == trainee.id\n"
        ")\n"
        "q = select(QuizAttempt).where(QuizAttempt.id == a).where(QuizAttempt.trainee_id == t.id)\n"
        "q = select(Quiz).join(Project).where(Quiz.id == q, Project.enterprise_id == e)\n"
        "from backend.kernel.scope import visible_enterprises\n"
    )
    assert sorted(line for line, _ in _outermost_wheres(old)) == [1, 4, 5, 6]
    fine = ast.parse(
        "q = select(Trainee.id).where(Trainee.id == trainee.id).with_for_update()\n"
        "q = select(Evaluation).where(Evaluation.project_id == p, Evaluation.trainee_id == t)\n"
    )
    assert _outermost_wheres(fine) == []
    assert {"Course", "Quiz", "SupportThread", "QuizAttempt", "LearningSession"} <= TENANT_MODELS
