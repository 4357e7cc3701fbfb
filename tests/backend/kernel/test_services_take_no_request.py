"""Business rules never read the HTTP request: the services, the kernel, the audit log and the
personal-data module get the actor and the client address from their caller."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECKED = [
    ROOT / "backend" / "services",
    ROOT / "backend" / "kernel",
    ROOT / "backend" / "audit.py",
    ROOT / "backend" / "pii.py",
]
# What belongs to the request being served (current_app and url_for do not).
REQUEST_NAMES = {"request", "g", "session", "has_request_context"}


def _modules():
    for base in CHECKED:
        yield from sorted(base.rglob("*.py")) if base.is_dir() else [base]


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "flask":
            for alias in node.names:
                if alias.name in REQUEST_NAMES or alias.name == "*":
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "flask" or alias.name.startswith("flask."):
                    found.append((node.lineno, f"import {alias.name}"))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in REQUEST_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
        ):
            found.append((node.lineno, f"flask.{node.attr}"))
    return found


def test_no_business_module_reads_the_request():
    modules = list(_modules())
    assert len(modules) > 40  # the walk found the services
    problems = []
    for path in modules:
        for line, what in _violations(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert problems == [], "\n".join(problems)


def test_the_check_catches_what_it_forbids():
    bad = ast.parse(
        "from flask import current_app, request\n"
        "from flask import g as context\n"
        "from flask import has_request_context\n"
        "import flask\n"
        "ip = flask.request.remote_addr\n"
    )
    assert [line for line, _ in _violations(bad)] == [1, 2, 3, 4, 5]
    assert _violations(ast.parse("from flask import current_app, url_for\n")) == []
