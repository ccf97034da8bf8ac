"""Imports flow one way (STYLE habit 13): core -> accounts -> audit -> assessments ->
evaluations, voting, scores -> results -> reports, workspace -> the app factory and the CLI.

Every ``import`` in ``ballot/`` is read, at module level and inside functions alike (a deferred
import is still a dependency), and none may reach a layer above its own module's. Packages on
the same layer may use each other. Two parts sit lower than their package:

- every ``models.py`` is the schema, on the core layer: tables refer to each other (an audit
  entry to its assessment, an account to its counties), and every feature may read any table;
- ``audit.services`` (writing an entry of the append-only log) is on the accounts layer, since
  signing in and managing accounts are audited too; the log's pages stay on the audit layer.

``tally/`` never imports ``ballot``, Flask or SQLAlchemy.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Layer of each part of ballot/, lowest first.
LAYERS: dict[str, int] = {
    **dict.fromkeys(("db", "config", "clock", "parsing", "i18n", "errors", "forms", "labels",
                     "redirects", "migrate", "gunicorn_logging", "commands"), 0),
    "migrations": 7,
    "accounts": 1,
    "audit": 2,
    "assessments": 3,
    **dict.fromkeys(("evaluations", "slips", "voting", "paper", "box", "scores"), 4),
    "results": 5,
    **dict.fromkeys(("reports", "workspace"), 6),
    **dict.fromkeys(("__init__", "cli", "wsgi", "models"), 7),
}
#: Modules placed below their package (see the module's docstring); ``ballot.models`` gathers
#: every table for Alembic and the tests, so it sits at the top.
MODULE_LAYERS: dict[str, int] = {"audit.services": 1, "models": 7}
#: The schema: ``ballot.<package>.models`` is on the core layer.
SCHEMA_LAYER = 0


def _part(module: str) -> str:
    """``ballot.voting.services`` -> ``voting``; ``ballot`` -> ``__init__``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def _layer(module: str) -> int:
    """The layer of ``ballot.x`` or ``ballot.x.y`` (``ballot`` itself: the app factory)."""
    if module == "ballot":
        return LAYERS["__init__"]
    inner = module.split(".", 1)[1]
    if inner in MODULE_LAYERS:
        return MODULE_LAYERS[inner]
    pieces = inner.split(".")
    if len(pieces) == 2 and pieces[1] in MODULE_LAYERS:
        return MODULE_LAYERS[pieces[1]] if pieces[1] != "models" else SCHEMA_LAYER
    if len(pieces) >= 2 and pieces[1] == "models":
        return SCHEMA_LAYER
    return LAYERS[pieces[0]]


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] if len(parts) > 1 else parts
    return ".".join(parts) if parts != ["ballot", "__init__"] else "ballot"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "ballot":
                found.append((node.lineno, node.module))
                continue
            for alias in node.names:  # from ballot import db (a module), or create_app
                found.append((node.lineno, f"ballot.{alias.name}" if alias.name in LAYERS
                              else "ballot"))
    return found


def test_every_part_of_ballot_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in (ROOT / "ballot").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    parts.discard("translations")
    assert parts <= set(LAYERS), f"give these a layer in LAYERS: {sorted(parts - set(LAYERS))}"


def test_ballot_imports_flow_one_way():
    wrong = []
    for path in sorted((ROOT / "ballot").rglob("*.py")):
        level = _layer(_module_name(path))
        for line, imported in _imports(path):
            if not (imported == "ballot" or imported.startswith("ballot.")):
                continue
            if _layer(imported) > level:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_tally_is_pure():
    wrong = []
    for path in sorted((ROOT / "tally").rglob("*.py")):
        for line, imported in _imports(path):
            if imported.split(".")[0] in ("ballot", "flask", "sqlalchemy", "flask_babel"):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)
