"""Imports in onboarding/ run one way: views/admin/tasks -> services/selectors -> models and
leaf modules. Read from the source (no import-linter in the environment), so a service that
imports a task module, a view or the admin fails here, also inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import onboarding

ROOT = Path(onboarding.__file__).parent
# The layers that the lower ones must never import.
UPPER = ("onboarding.tasks", "onboarding.views", "onboarding.admin", "onboarding.forms")
LOWER = sorted(
    [*(ROOT / "services").glob("*.py"), *(ROOT / name for name in ("selectors.py", "emails.py"))]
    + [ROOT / f"{name}.py" for name in ("models", "crypto", "limits", "ratelimit", "task_names")]
)


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", LOWER, ids=lambda p: str(p.relative_to(ROOT)))
def test_services_selectors_and_models_import_no_task_view_form_or_admin(path):
    upward = {
        name
        for name in _imported(path)
        if any(name == upper or name.startswith(upper + ".") for upper in UPPER)
    }

    assert upward == set()


def test_task_names_imports_nothing():
    assert _imported(ROOT / "task_names.py") == set()
