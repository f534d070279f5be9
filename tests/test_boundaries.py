"""Architecture boundaries (DESIGN.md "Rooms"), checked on the source with an AST walk:

- PySide6 / qtawesome are imported only inside ``editor/ui``;
- torch is not imported at module level by the app's light packages (core, pipeline, ui, cli, the method
  interface and classical methods), so the editor opens fast and classical methods work without torch;
- ``editor.training`` is never imported by the app at module level (only lazily by the ``train`` command).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "editor"
SOURCES = sorted(PACKAGE.rglob("*.py"))
NO_TORCH_AT_MODULE_LEVEL = ("core", "pipeline", "ui", "cli.py", "paths.py", "selftest.py",
                            "methods/base.py", "methods/classical.py", "evaluation")


def _imports(tree: ast.AST, module_level_only: bool) -> list[tuple[str, int]]:
    """Top-level package names imported in ``tree`` with their line numbers."""
    found = []
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    for node in nodes:
        # a module-level ``try: import x`` or ``if TYPE_CHECKING:`` still counts as module level
        if module_level_only and isinstance(node, (ast.Try, ast.If)):
            inner = ast.Module(body=[n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))],
                               type_ignores=[])
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            found += _imports(inner, module_level_only=True)
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_qt_only_in_ui(path: Path):
    if _rel(path).startswith("ui/"):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [(name, line) for name, line in _imports(tree, module_level_only=False)
           if name.split(".")[0] in {"PySide6", "qtawesome", "qtpy", "PyQt5", "PyQt6"}]
    assert not bad, f"{_rel(path)} imports Qt outside editor/ui: {bad}"


@pytest.mark.parametrize("path", [p for p in SOURCES if _rel(p).startswith(NO_TORCH_AT_MODULE_LEVEL)], ids=_rel)
def test_no_module_level_torch_in_light_packages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [(name, line) for name, line in _imports(tree, module_level_only=True)
           if name.split(".")[0] == "torch" or name.startswith("editor.networks") or name.startswith("editor.training")]
    assert not bad, f"{_rel(path)} imports torch/networks/training at module level: {bad}"


@pytest.mark.parametrize("path", [p for p in SOURCES if not _rel(p).startswith("training/")], ids=_rel)
def test_app_never_imports_training_at_module_level(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [(name, line) for name, line in _imports(tree, module_level_only=True)
           if name.startswith("editor.training")]
    assert not bad, f"{_rel(path)} imports editor.training at module level: {bad}"


def test_checker_sees_a_violation():
    """The walker itself must catch a module-level torch import (else the tests above could not fail)."""
    tree = ast.parse("import os\ntry:\n    import torch\nexcept ImportError:\n    pass\n")
    assert ("torch", 3) in _imports(tree, module_level_only=True)
    lazy = ast.parse("def f():\n    import torch\n")
    assert _imports(lazy, module_level_only=True) == []
