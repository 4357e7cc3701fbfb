"""The house rules, checked on the source: no import cycle (imports inside functions included),
services never reach up into the web layers, and no error code outside the kernel's table."""

from __future__ import annotations

import ast
from pathlib import Path

from backend.kernel.errors import ERRORS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "miniprogram_api", "supervision_api")
WEB = ("backend.admin", "miniprogram_api", "supervision_api")
ERROR_CLASSES = {"ApiError", "DomainError"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _runtime_imports(node: ast.AST):
    """Every import statement that runs, at module level or inside a function; not those under
    ``if TYPE_CHECKING:``."""
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        children = node.orelse
    else:
        children = ast.iter_child_nodes(node)
    for child in children:
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        else:
            yield from _runtime_imports(child)


def _imported(module: str, is_package: bool, node: ast.AST, modules) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        # `from package import module` imports the module; `from module import name` the module.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names
        ]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module → the application's modules it imports (module-level granularity)."""
    modules = modules or _modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        graph[module] = set()
        for node in _runtime_imports(tree):
            graph[module] |= _imported(module, is_package, node, modules)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_application_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 150  # the walk found the application
    assert cycles(graph) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from app.b import g\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.c import x\n"
        "def g():\n    from app import a\n"
    )
    (package / "c.py").write_text("from . import b\n")
    modules = {"app": package / "__init__.py"} | {
        f"app.{n}": package / f"{n}.py" for n in ("a", "b", "c")
    }
    graph = import_graph(modules)
    assert graph["app.b"] == {"app.a"}  # not app.c: a type-checking import never runs
    assert graph["app.c"] == {"app.b"}
    assert cycles(graph) == [["app.a", "app.b"]]


def test_no_service_imports_a_web_layer():
    graph = import_graph()
    problems = [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        if module.startswith("backend.services")
        for target in sorted(targets)
        if any(target == web or target.startswith(web + ".") for web in WEB)
    ]
    assert problems == []


def _error_codes(tree: ast.AST):
    """(line, code) of every ApiError / DomainError raised or built with a literal code."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in ERROR_CLASSES:
            continue
        literals = [
            arg.value
            for arg in node.args[:2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if name == "ApiError":
            yield node.lineno, "ApiError"
        elif literals:
            yield node.lineno, literals[0]


def _registered(tree: ast.AST) -> set[str]:
    """Codes a module adds to the kernel's table with ``register("code", …)``."""
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "register"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_error_code_is_in_the_kernel_table():
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _modules().values()}
    table = set(ERRORS).union(*(_registered(tree) for tree in trees.values()))
    problems = []
    for path, tree in trees.items():
        for line, code in _error_codes(tree):
            if code not in table:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {code}")
    assert problems == [], "\n".join(problems)


def test_the_error_check_catches_what_it_forbids():
    bad = ast.parse(
        'raise ApiError(400, "not_xlsx", "请上传")\n'
        'raise DomainError("no_such_code")\n'
        'raise DomainError("not_found")\n'
    )
    assert [c for _, c in _error_codes(bad) if c not in ERRORS] == ["ApiError", "no_such_code"]


def test_no_view_records_an_audit_entry():
    """The service that makes a change records it; a view never calls ``audit.record``."""
    problems = []
    for module, path in _modules().items():
        if not any(module == web or module.startswith(web + ".") for web in WEB):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and getattr(node.func.value, "id", None) == "audit"
            ):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert problems == []
