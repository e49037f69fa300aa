"""The pure hot paths (rendering, GPU decisions, parsing), timed in-process."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import yaml

from stellars_hub.gpu.nvidia_smi import parse_list, parse_query_gpu
from stellars_hub.settings import load_settings
from stellars_operator.gpu import decide
from stellars_operator.render import render_children
from stellars_operator.spec import parse_hub
from tests.fixtures.paths import REPO

SECRETS = {"cookie-secret": "0" * 64, "proxy-token": "t" * 32, "admin-password": "p" * 16}


def _hub(example: str) -> Any:
    body = yaml.safe_load((REPO / "examples" / example).read_text())
    body.setdefault("metadata", {}).update(namespace="bench", uid="00000000-bench")
    return parse_hub(body)


def _nodes(count: int) -> list[dict[str, Any]]:
    """A cluster of `count` nodes, a quarter of them GFD-labelled GPU nodes."""
    template = yaml.safe_load((REPO / "tests/fixtures/nodes/gfd-labelled.yaml").read_text())
    gpu_nodes = template if isinstance(template, list) else template.get("items", [template])
    cpu = yaml.safe_load((REPO / "tests/fixtures/nodes/cpu-only.yaml").read_text())
    cpu_nodes = cpu if isinstance(cpu, list) else cpu.get("items", [cpu])
    nodes = []
    for i in range(count):
        node = json.loads(json.dumps((gpu_nodes if i % 4 == 0 else cpu_nodes)[0]))
        node["metadata"]["name"] = f"node-{i}"
        nodes.append(node)
    return nodes


def _measure(fn: Callable[[], object], *, iterations: int, repeats: int) -> dict[str, Any]:
    fn()  # warm-up: imports, caches
    per_call_us = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        per_call_us.append((time.perf_counter() - start) / iterations * 1e6)
    return {
        "iterations": iterations,
        "repeats": repeats,
        "median_us": round(statistics.median(per_call_us), 2),
        "min_us": round(min(per_call_us), 2),
        "max_us": round(max(per_call_us), 2),
    }


def cases() -> dict[str, tuple[Callable[[], object], int]]:
    gpu_fixtures = REPO / "tests/fixtures/gpu/h200"
    query = (gpu_fixtures / "query-gpu.stdout").read_text()
    listing = (gpu_fixtures / "list.stdout").read_text()
    minimal, full = _hub("minimal.yaml"), _hub("full.yaml")
    gpu_hub = _hub("gpu.yaml")
    nodes = _nodes(500)
    decision = decide(nodes, gpu_hub.spec.gpu)
    env = {"JUPYTERHUB_SPAWNER": "docker", "ENABLE_GPU_SUPPORT": "2"}
    return {
        "operator.render_children.minimal": (
            lambda: render_children(minimal, secret_values=SECRETS, gpu=decision),
            300,
        ),
        "operator.render_children.full": (
            lambda: render_children(full, secret_values=SECRETS, gpu=decision),
            300,
        ),
        "operator.gpu.decide.500_nodes": (lambda: decide(nodes, gpu_hub.spec.gpu), 50),
        "hub.nvidia_smi.parse_query_gpu.h200": (lambda: parse_query_gpu(query), 5000),
        "hub.nvidia_smi.parse_list.h200": (lambda: parse_list(listing), 5000),
        "hub.settings.load_settings": (lambda: load_settings(env), 5000),
    }


def measure_pure(*, scale: float, repeats: int) -> dict[str, Any]:
    """Every case, its iteration count times `scale` (a smoke run does a tenth)."""
    return {
        name: _measure(fn, iterations=max(1, int(n * scale)), repeats=repeats)
        for name, (fn, n) in cases().items()
    }
