"""The import rule of README "Design", enforced by walking the package's source with ``ast``.

1. No module imports another module's private (``_name``) functions or classes: what is
   shared is public in its module. (Foundation modules whose own name starts with ``_``, such
   as ``_checks`` and ``_results``, are the package's shared internals: importing them is
   allowed; reaching into a name that starts with ``_`` is not.)
2. Imports between the package's modules form no cycle (a deferred import inside a function
   counts too: it is still a dependency).
3. Imports run one way through the layers of README "Design" (LAYERS below): a module never
   imports a layer above its own.
Each rule is also checked to fail on a planted violation, so the test can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "psychometrics"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(root: Path):
    """(importer, imported module, imported name or None, line) for every import in the tree."""
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, path.name == "__init__.py")
                for alias in node.names:
                    yield module, target, alias.name, node.lineno
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield module, alias.name, None, node.lineno


def private_reach_ins(root: Path = PACKAGE) -> list[str]:
    top = root.name
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    bad = []
    for importer, target, name, line in imports_of(root):
        if not target.startswith(top) or name is None or f"{target}.{name}" in modules:
            continue
        if name.startswith("_") and not name.startswith("__") and target != importer:
            bad.append(f"{importer}:{line} imports {target}.{name}")
    return bad


def cycles(root: Path = PACKAGE) -> list[list[str]]:
    top = root.name
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for importer, target, name, _ in imports_of(root):
        if not target.startswith(top):
            continue
        dep = f"{target}.{name}" if name and f"{target}.{name}" in modules else target
        # a package's __init__ re-exporting its own submodules is not a dependency cycle
        if dep in modules and dep != importer and not dep.startswith(importer + "."):
            graph[importer].add(dep)
    found, state = [], {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                found.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    return found


def test_no_module_imports_another_modules_private_names():
    assert private_reach_ins() == []


def test_no_import_cycles():
    assert cycles() == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "psychometrics"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_fail_on_planted_violations(tmp_path):
    root = _plant(tmp_path, {"__init__.py": "", "a.py": "from .b import _secret\n",
                             "b.py": "def f():\n    from . import a\n_secret = 1\n"})
    assert private_reach_ins(root) == ["psychometrics.a:1 imports psychometrics.b._secret"]
    assert cycles(root) == [["psychometrics.a", "psychometrics.b", "psychometrics.a"]]


# The layers of README "Design", lowest first. A module may import its own layer and the layers
# below it, never one above (a deferred import inside a function counts too).
LAYERS = [
    ("foundation", ["errors", "_checks", "_results", "_frozen", "limits", "threads",
                    "distributions", "i18n", "resample", "progress", "strings", "schemas"]),
    ("instruments", ["instruments"]),
    ("scoring and io", ["io", "scoring"]),
    ("statistics", ["norms", "groups", "careless", "effects", "reliability", "factor",
                    "diagnostic", "classify", "irt",
                    "norms_stream"]),
    ("figures and report", ["report"]),
    ("commands, cli and app", ["commands", "cli", "app"]),
]


def layer_of(module: str) -> int:
    """The rank of ``module`` (``psychometrics.x.y``) in LAYERS; the package itself is the top."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)
    for rank, (_, names) in enumerate(LAYERS):
        if parts[1] in names:
            return rank
    raise AssertionError(f"{module} is in no layer of README 'Design': add it to LAYERS")


def upward_imports(root: Path = PACKAGE) -> list[str]:
    top = root.name
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    bad = []
    for importer, target, name, line in imports_of(root):
        if not target.startswith(top) or importer == top:
            continue
        dep = f"{target}.{name}" if name and f"{target}.{name}" in modules else target
        if dep == top:
            continue
        if layer_of(dep) > layer_of(importer):
            bad.append(f"{importer}:{line} imports {dep} "
                       f"({LAYERS[layer_of(importer)][0]} -> {LAYERS[layer_of(dep)][0]})")
    return sorted(set(bad))


def test_every_module_is_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer_of(_module_name(path, PACKAGE))


def test_imports_run_one_way():
    assert upward_imports() == []


def test_the_layer_check_fails_on_a_planted_violation(tmp_path):
    root = _plant(tmp_path, {"__init__.py": "", "errors.py": "from .report import render\n",
                             "report.py": "from .errors import Oops\n"})
    assert upward_imports(root) == [
        "psychometrics.errors:1 imports psychometrics.report (foundation -> figures and report)"]
