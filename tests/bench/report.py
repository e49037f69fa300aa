"""bench-results/*.json -> docs/benchmarks.md (a table: figure, goal, measured, raw times, met
or not) and docs/benchmarks.png (matplotlib). The part of benchmarks.md after ANALYSIS_MARKER
is written by people (where the time goes) and kept as it is when the table is regenerated."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

ANALYSIS_MARKER: Final = "<!-- Below this line is written by hand; `make bench` keeps it. -->"
MARKDOWN: Final = "benchmarks.md"
PLOT: Final = "benchmarks.png"

Results = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Figure:
    label: str
    family: str
    goal: str
    value: Callable[[dict[str, Any]], float]  # the number the goal is about
    shown: Callable[[dict[str, Any]], str]  # how it reads in the table
    raw: Callable[[dict[str, Any]], str]  # the raw times beside it
    met: Callable[[float], bool] | None  # None: no goal, reported only


def _spread(s: dict[str, Any]) -> str:
    return f"{s['median']:.2f} s [{s['min']:.2f}-{s['max']:.2f}], n={s['n']}"


def _ratio(f: dict[str, Any]) -> str:
    return f"{f['ratio']:.2f}x [{f['ratio_min']:.2f}-{f['ratio_max']:.2f}]"


def _pair(measured: str, baseline: str) -> Callable[[dict[str, Any]], str]:
    return lambda f: f"{measured} {_spread(f['measured'])}; {baseline} {_spread(f['baseline'])}"


def _lab_answered(family: str) -> Figure:
    """How long after the lab first answered on its own address the hub called it ready."""
    key = "ready_after_lab_answered"
    return Figure(
        "  of which: hub said ready after the lab itself answered",
        family,
        "(reported)",
        lambda f: f[key]["median"] if key in f else float("nan"),
        lambda f: f"{f[key]['median']:.2f} s" if key in f else "not seen",
        lambda f: _spread(f[key]) if key in f else "",
        None,
    )


def _idle_window(f: dict[str, Any]) -> str:
    quiet = (
        f" once the namespace was quiet ({f['quiet_after_s']:.0f} s)"
        if "quiet_after_s" in f
        else ""
    )
    resync = f", every hub resynced in it ({f['resync_s']:.0f} s resync)" if "resync_s" in f else ""
    return f"over {f['idle_window_s']:.0f} s{quiet}{resync}"


def _concurrency(path: str) -> list[Figure]:
    family = f"concurrency_{path}"
    return [
        Figure(
            f"{path}: concurrent users, spawns that succeeded",
            family,
            "all",
            lambda f: f["users"] - f["succeeded"],
            lambda f: f"{f['succeeded']}/{f['users']}",
            lambda f: f"wall {f['wall_s']:.1f} s",
            lambda v: v == 0,
        ),
        Figure(
            f"{path}: spawn time under load, p50 / p95",
            family,
            "(reported)",
            lambda f: f["spawn"]["median"],
            lambda f: f"{f['spawn']['median']:.2f} s / {f['spawn']['p95']:.2f} s",
            lambda f: _spread(f["spawn"]),
            None,
        ),
        Figure(
            f"{path}: hub login under load, p95",
            family,
            "(reported)",
            lambda f: f["login_under_load"]["p95"],
            lambda f: f"{f['login_under_load']['p95']:.2f} s",
            lambda f: _spread(f["login_under_load"]),
            None,
        ),
    ]


FIGURES: Final = [
    Figure(
        "Hub apply -> Ready: operator / kubectl apply of its rendered objects",
        "apply_to_ready",
        "<= 1.10x",
        lambda f: f["ratio"],
        _ratio,
        _pair("operator", "kubectl"),
        lambda v: v <= 1.10,
    ),
    Figure(
        "  of which: Ready written after both Deployments were available",
        "apply_to_ready",
        "(reported)",
        lambda f: f["ready_after_deployments_available"]["median"],
        lambda f: f"{f['ready_after_deployments_available']['median']:.2f} s",
        lambda f: _spread(f["ready_after_deployments_available"]),
        None,
    ),
    Figure(
        "Spec change -> children updated, p50",
        "spec_change",
        "< 0.5 s",
        lambda f: f["median"],
        lambda f: f"{f['median']:.3f} s",
        _spread,
        lambda v: v < 0.5,
    ),
    Figure(
        "Spec change -> children updated, p99",
        "spec_change",
        "< 2 s",
        lambda f: f["p99"],
        lambda f: f"{f['p99']:.3f} s",
        _spread,
        lambda v: v < 2,
    ),
    Figure(
        "Drift repair (child deleted or edited by hand), p50",
        "drift_repair",
        "< 2 s",
        lambda f: f["median"],
        lambda f: f"{f['median']:.3f} s",
        _spread,
        lambda v: v < 2,
    ),
    Figure(
        "Spawn -> ready, Kubernetes: hub / the same pod created directly",
        "spawn_kubernetes",
        "<= 1.3x",
        lambda f: f["ratio"],
        _ratio,
        _pair("hub", "pod"),
        lambda v: v <= 1.3,
    ),
    _lab_answered("spawn_kubernetes"),
    Figure(
        "Spawn -> ready, Docker: hub / `docker run` of the same lab",
        "spawn_docker",
        "<= 1.3x",
        lambda f: f["ratio"],
        _ratio,
        _pair("hub", "docker run"),
        lambda v: v <= 1.3,
    ),
    _lab_answered("spawn_docker"),
    *_concurrency("kubernetes"),
    *_concurrency("docker"),
    Figure(
        "Scale: StellarsHubs all reconciled (status written, children created)",
        "scale",
        "< 60 s",
        lambda f: f["reconciled_s"],
        lambda f: f"{f['reconciled_s']:.1f} s ({f['hubs']} hubs)",
        lambda f: (
            f"meanwhile {f['reconcile_requests']:.0f} API requests "
            f"({f['reconcile_writes']:.0f} writes), "
            f"operator CPU {f.get('reconcile_cpu_s', 0):.1f} s"
        ),
        lambda v: v < 60,
    ),
    Figure(
        "Scale: operator RSS",
        "scale",
        "< 150 MB",
        lambda f: f["rss_mb"],
        lambda f: f"{f['rss_mb']:.0f} MB",
        lambda f: (
            f"{f['rss_reconciled_mb']:.0f} MB once reconciled" if "rss_reconciled_mb" in f else ""
        ),
        lambda v: v < 150,
    ),
    Figure(
        "Scale: operator CPU while idle",
        "scale",
        "< 1% of a core",
        lambda f: f["idle_cpu_percent"],
        lambda f: f"{f['idle_cpu_percent']:.2f}%",
        _idle_window,
        lambda v: v < 1,
    ),
    Figure(
        "Scale: operator's API requests per minute while idle (API server's audit log)",
        "scale",
        "< 10 /min",
        lambda f: f["idle_requests_per_minute"],
        lambda f: f"{f['idle_requests_per_minute']:.1f} /min",
        _idle_window,
        lambda v: v < 10,
    ),
    Figure(
        "Scale: operator's API writes per minute while idle",
        "scale",
        "0",
        lambda f: f["idle_writes_per_minute"],
        lambda f: f"{f['idle_writes_per_minute']:.1f} /min",
        _idle_window,
        lambda v: v == 0,
    ),
]


def load(results_dir: Path) -> Results:
    return {
        path.stem: json.loads(path.read_text())
        for path in sorted(results_dir.glob("*.json"))
        if path.stem != "bench"
    }


def _row(figure: Figure, results: Results) -> str:
    document = results.get(figure.family)
    if document is None:
        return f"| {figure.label} | {figure.goal} | not measured | | |"
    figures = document["figures"]
    value = figure.value(figures)
    verdict = "(no goal)" if figure.met is None else ("met" if figure.met(value) else "**not met**")
    cells = [figure.label, figure.goal, figure.shown(figures), figure.raw(figures), verdict]
    return "| " + " | ".join(cells) + " |"


def _conditions(results: Results) -> list[str]:
    profiles = sorted({d["profile"] for d in results.values()})
    times = sorted(d["time"] for d in results.values())
    span = f"{times[0]} to {times[-1]}" if times else "never"
    return [
        f"- Profile: {', '.join(profiles) or 'none'}; measured {span} (UTC).",
        f"- Machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python "
        f"{platform.python_version()}; the sealed one-node cluster and the Docker engine of "
        "this machine, shared with whatever else ran at the time (noisy: see the spreads); "
        "the scale case on a control plane of its own (etcd, API server, controller manager), "
        "with the operator's image as it ships (its Python and packages, host network).",
    ]


def _pure_rows(results: Results) -> list[str]:
    document = results.get("pure")
    if document is None:
        return []
    rows = [
        "",
        "Pure hot paths (in-process, per call):",
        "",
        "| Case | Median | Min - max |",
        "| --- | --- | --- |",
    ]
    for name, case in document["figures"].items():
        rows.append(
            f"| {name} | {case['median_us']:.1f} us | "
            f"{case['min_us']:.1f} - {case['max_us']:.1f} us |"
        )
    return rows


def markdown(results: Results, *, plot_name: str, kept: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` from `bench-results/*.json` (tests/bench/). Every ratio is",
        "measured side by side in one run, in pairs that alternate which side goes first;",
        "times are the median with [min-max] over the repetitions. Tests never assert these",
        "numbers: `make test` runs the same harness once with tiny counts so it cannot rot.",
        "",
        "Conditions of this run:",
        "",
        *_conditions(results),
        "",
        "| Figure | Goal | Measured | Raw times | Met |",
        "| --- | --- | --- | --- | --- |",
        *(_row(figure, results) for figure in FIGURES),
        *_pure_rows(results),
        "",
        f"![Benchmarks]({plot_name})",
        "",
        ANALYSIS_MARKER,
        "",
        kept,
    ]
    return "\n".join(lines).rstrip() + "\n"


def plot(results: Results, path: Path) -> None:
    fig, (ratios, latencies) = plt.subplots(1, 2, figsize=(12, 4.5))
    pairs = [
        ("apply_to_ready", "hub apply\n->Ready", 1.10),
        ("spawn_kubernetes", "spawn\nKubernetes", 1.3),
        ("spawn_docker", "spawn\nDocker", 1.3),
    ]
    for x, (family, _label, goal) in enumerate(pairs):
        figures = (results.get(family) or {}).get("figures")
        if figures:
            ratios.bar(x, figures["ratio"], color="tab:blue")
            ratios.errorbar(
                x,
                figures["ratio"],
                fmt="none",
                ecolor="black",
                capsize=4,
                yerr=[
                    [figures["ratio"] - figures["ratio_min"]],
                    [figures["ratio_max"] - figures["ratio"]],
                ],
            )
        ratios.hlines(goal, x - 0.4, x + 0.4, colors="tab:red", linestyles="dashed")
    ratios.set_xticks(range(len(pairs)), [label for _, label, _ in pairs])
    ratios.set_ylabel("ratio to the direct baseline (goal dashed)")
    ratios.set_title("Side-by-side ratios, median [min-max]")
    spots = [
        ("spec_change", "median", "spec change\np50", 0.5),
        ("spec_change", "p99", "spec change\np99", 2.0),
        ("drift_repair", "median", "drift repair\np50", 2.0),
    ]
    for x, (family, key, _label, goal) in enumerate(spots):
        figures = (results.get(family) or {}).get("figures")
        if figures:
            latencies.bar(x, figures[key], color="tab:green")
        latencies.hlines(goal, x - 0.4, x + 0.4, colors="tab:red", linestyles="dashed")
    latencies.set_xticks(range(len(spots)), [label for _, _, label, _ in spots])
    latencies.set_ylabel("seconds (goal dashed)")
    latencies.set_title("Operator reaction times")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(results_dir: Path, *, docs: Path) -> tuple[Path, Path]:
    """Regenerate docs/benchmarks.md and docs/benchmarks.png from results_dir."""
    results = load(results_dir)
    md_path, png_path = docs / MARKDOWN, docs / PLOT
    previous = md_path.read_text() if md_path.exists() else ""
    kept = previous.split(ANALYSIS_MARKER, 1)[1].strip("\n") if ANALYSIS_MARKER in previous else ""
    plot(results, png_path)
    md_path.write_text(markdown(results, plot_name=PLOT, kept=kept))
    return md_path, png_path
