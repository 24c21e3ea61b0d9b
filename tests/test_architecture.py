"""Imports run downwards only (quality → tendering → portal) and no module grows past ~500 lines."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"portal": {"tendering", "quality"}, "tendering": {"quality"}, "quality": set()}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_downwards(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        if package == "portal" and path.name == "__init__.py" and path.parent.name == "portal":
            continue  # the app factory lists the three packages' register() functions, nothing else
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders


def test_app_factory_imports_only_register_functions_of_other_packages():
    tree = ast.parse((ROOT / "portal" / "__init__.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"tendering", "quality"}:
                    assert alias.name.endswith(".register"), alias.name


def test_no_module_over_500_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for pkg in FORBIDDEN for p in (ROOT / pkg).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500]
    assert not long
