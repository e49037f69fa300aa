"""Benchmarks of the pure hot paths, written as JSON (`make bench`).

Measured, never asserted: each case runs a fixed number of iterations several times and
reports the median and the spread, so runs on the same machine can be compared.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from stellars_hub.gpu.nvidia_smi import parse_list, parse_query_gpu
from stellars_hub.settings import load_settings
from stellars_operator.gpu import decide
from stellars_operator.render import render_children
from stellars_operator.spec import parse_hub

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"cookie-secret": "0" * 64, "proxy-token": "t" * 32, "admin-password": "p" * 16}


def _hub(example: str) -> Any:
    body = yaml.safe_load((ROOT / "examples" / example).read_text())
    body.setdefault("metadata", {}).update(namespace="bench", uid="00000000-bench")
    return parse_hub(body)


def _nodes(count: int) -> list[dict[str, Any]]:
    """A cluster of `count` nodes, a quarter of them GFD-labelled GPU nodes."""
    template = yaml.safe_load((ROOT / "tests/fixtures/nodes/gfd-labelled.yaml").read_text())
    gpu_nodes = template if isinstance(template, list) else template.get("items", [template])
    cpu = yaml.safe_load((ROOT / "tests/fixtures/nodes/cpu-only.yaml").read_text())
    cpu_nodes = cpu if isinstance(cpu, list) else cpu.get("items", [cpu])
    nodes = []
    for i in range(count):
        node = json.loads(json.dumps((gpu_nodes if i % 4 == 0 else cpu_nodes)[0]))
        node["metadata"]["name"] = f"node-{i}"
        nodes.append(node)
    return nodes


def _measure(fn: Callable[[], object], *, iterations: int, repeats: int = 5) -> dict[str, Any]:
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
    gpu_fixtures = ROOT / "tests/fixtures/gpu/h200"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args()
    results = {name: _measure(fn, iterations=n) for name, (fn, n) in cases().items()}
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bench.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for name, result in results.items():
        print(f"{name:45s} {result['median_us']:>12.2f} us/call")
    print(f"bench: results in {path}")


if __name__ == "__main__":
    main()
