"""Layers point one way: the protocol core (`tribunal`) imports no role; the roles (`backend`,
`worker`, `verifier`) import the core and not each other; the applications (`deploy`) sit on top.

Every import counts: at the top of a module, inside a function, and the string given to
``importlib.import_module``, so a dependency cannot be hidden by importing it late.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tribunal.paths import REPO_ROOT

# package -> the top-level packages it must not import
FORBIDDEN: dict[str, set[str]] = {
    "tribunal": {"backend", "worker", "verifier", "deploy"},
    "backend": {"worker", "verifier", "deploy"},
    "worker": {"backend", "verifier", "deploy"},
    "verifier": {"backend", "worker", "deploy"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``path``, relative imports resolved."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    return imports_in(path.read_text(), package)


def imports_in(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``source``, a module of ``package``."""
    package_parts = package.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package_parts[: len(package_parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:  # `from tribunal import models` imports tribunal.models
                yield node.lineno, f"{module}.{alias.name}"
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "import_module"):
            yield node.lineno, node.args[0].value


def sources(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


def imports_of(package: str, prefixes: set[str]) -> list[str]:
    """``file:line imports module`` for each import in ``package`` of a module under ``prefixes``."""
    found = []
    for path in sources(package):
        for line, module in imported_modules(path):
            if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
                found.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it_nor_beside_it(package: str) -> None:
    assert sources(package), f"no sources under {package}/"
    assert imports_of(package, FORBIDDEN[package]) == []


def test_the_graph_does_not_import_the_models_that_build_on_it() -> None:
    found = [f"tribunal/graph.py:{line} imports {module}"
             for line, module in imported_modules(REPO_ROOT / "tribunal" / "graph.py")
             if module == "tribunal.models" or module.startswith("tribunal.models.")]
    assert found == []


def test_the_scan_sees_late_relative_and_importlib_imports() -> None:
    source = ("import importlib\n"
              "def late():\n"
              "    from worker import cli\n"
              "    from ..models import mlp\n"
              "    return importlib.import_module('verifier.cli')\n")
    modules = {module for _, module in imports_in(source, "tribunal.chain")}
    assert {"worker.cli", "tribunal.models", "tribunal.models.mlp", "verifier.cli"} <= modules
