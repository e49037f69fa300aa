"""Each test tier imports only its own modules and tests/fixtures, where shared helpers live.

A tier is a directory under tests/ (each of tests/e2e/* is one): unit, chart, integration,
e2e/compose, e2e/kubernetes, ..., browser, bench. A helper two tiers need belongs in
tests/fixtures, never in one tier's conftest or helper module for the other to reach into;
tests/fixtures and tests/conftest.py import nothing but tests/fixtures. Imports are read from
the source (absolute, `from tests.x import y`, relative, and `pytest_plugins` names).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

TESTS: Final = Path(__file__).resolve().parents[1]
SHARED: Final = "fixtures"
ROOT_TIER: Final = ""  # tests/conftest.py and tests/__init__.py
NESTED: Final = ("e2e",)  # directories whose subdirectories are the tiers


def tier_of_module(module: str) -> str | None:
    """The tier a dotted module name lies in ("tests.e2e.chart.x" -> "e2e/chart"); None for
    modules outside tests/."""
    parts = module.split(".")
    if parts[0] != "tests":
        return None
    if len(parts) == 1:
        return ROOT_TIER
    if parts[1] in NESTED and len(parts) > 2:
        return f"{parts[1]}/{parts[2]}"
    return parts[1]


def module_of_path(path: Path) -> str:
    relative = path.relative_to(TESTS.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, dotted name) of what a module of `package` imports, relative imports resolved;
    `from x import y` counts as `x.y` (y may be a module of package x)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in node.targets
        ):
            found += [
                (node.lineno, element.value)
                for element in ast.walk(node.value)
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            ]
    return found


def allowed_tiers(tier: str) -> set[str]:
    if tier in (SHARED, ROOT_TIER):
        return {SHARED}
    return {tier, SHARED}


def cross_tier_imports(path: Path, source: str) -> list[str]:
    module = module_of_path(path)
    tier = tier_of_module(module)
    assert tier is not None
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    problems = []
    for line, name in imported_modules(source, package):
        target = tier_of_module(name)
        if target is not None and target not in allowed_tiers(tier):
            where = path.relative_to(TESTS.parent)
            problems.append(f"{where}:{line} imports {name} (tier {target or 'tests'})")
    return problems


def python_modules() -> list[Path]:
    return sorted(
        path for path in TESTS.rglob("*.py") if "gomod" not in path.relative_to(TESTS).parts
    )


def test_no_tier_imports_another_tiers_modules() -> None:
    problems = [
        problem
        for path in python_modules()
        for problem in cross_tier_imports(path, path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "move what two tiers share into tests/fixtures:\n" + "\n".join(problems)


def test_the_scan_sees_the_tiers_and_the_shared_fixtures() -> None:
    tiers = {tier_of_module(module_of_path(path)) for path in python_modules()}
    expected = {"unit", "chart", "integration", "e2e/chart", "e2e/kubernetes", "e2e/compose"}
    assert expected | {SHARED, ROOT_TIER} <= tiers


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("e2e/kubernetes/hub_story.py", "from tests.integration.operator.conftest import HUBS"),
        ("e2e/kubernetes/conftest.py", "from tests.integration.operator import conftest"),
        ("e2e/chart/test_x.py", "import tests.e2e.compose.hub_client"),
        ("e2e/chart/test_x.py", "from tests.e2e import compose"),
        ("e2e/chart/test_x.py", "from ...chart import chart_render"),
        ("integration/operator/conftest.py", 'pytest_plugins = ["tests.unit.operator.fake"]'),
        ("fixtures/kubectl.py", "from tests.e2e.chart.conftest import IMAGES"),
        ("conftest.py", 'pytest_plugins = ["tests.e2e.compose.conftest"]'),
    ],
)
def test_a_cross_tier_import_is_caught(where: str, source: str) -> None:
    assert cross_tier_imports(TESTS / where, source)


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("e2e/kubernetes/test_x.py", "from tests.e2e.kubernetes.hub_story import small_hub"),
        ("e2e/kubernetes/test_x.py", "from tests.fixtures.polling import wait_for"),
        ("e2e/compose/test_x.py", "from . import lone_hub"),
        ("e2e/compose/test_x.py", "from .lone_hub import LoneHubs"),
        ("unit/operator/test_x.py", "from tests.unit.operator.conftest import make_hub"),
        ("chart/test_x.py", "from tests.chart import kube_schemas"),
        ("fixtures/operator_process.py", "from tests.fixtures.stellarshub import HUBS"),
        ("conftest.py", 'pytest_plugins = ["tests.fixtures.cluster"]'),
        ("unit/test_x.py", "import json\nfrom stellars_operator.kube import Kube"),
    ],
)
def test_own_tier_and_fixtures_are_allowed(where: str, source: str) -> None:
    assert cross_tier_imports(TESTS / where, source) == []
