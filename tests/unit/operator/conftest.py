"""Shared builders for the operator's unit tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stellars_operator.spec import Hub, parse_hub

REPO = Path(__file__).resolve().parents[3]
NODE_FIXTURES = REPO / "tests" / "fixtures" / "nodes"


def make_hub(
    spec: dict[str, Any] | None = None,
    *,
    name: str = "demo",
    namespace: str = "team",
    uid: str | None = None,
    generation: int = 1,
) -> Hub:
    return parse_hub(
        {
            "apiVersion": "stellars.io/v1alpha1",
            "kind": "StellarsHub",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": uid or f"uid-{name}",
                "generation": generation,
            },
            "spec": spec or {},
        }
    )


def load_nodes(cluster: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = yaml.safe_load((NODE_FIXTURES / f"{cluster}.yaml").read_text())
    return nodes


@pytest.fixture
def hub() -> Hub:
    return make_hub()
