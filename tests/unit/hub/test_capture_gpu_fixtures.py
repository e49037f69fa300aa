"""scripts/capture-gpu-fixtures.py, run against an nvidia-smi that replays the real H200
captures: it must write them back byte for byte and read them with the project's parser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "capture-gpu-fixtures.py"
H200 = ROOT / "tests" / "fixtures" / "gpu" / "h200"
CAPTURES = ("query-gpu", "query-gpu-units", "list", "bad-field")
REPLAY = """#!/bin/sh
case "$*" in
  *not.a.field*) name=bad-field ;;
  *nounits*) name=query-gpu ;;
  *noheader*) name=query-gpu-units ;;
  -L) name=list ;;
  *) echo "unexpected arguments: $*" >&2; exit 99 ;;
esac
cat "{captures}/$name.stdout"
cat "{captures}/$name.stderr" >&2
exit "$(cat "{captures}/$name.exit")"
"""


def run_script(out: Path, *, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        capture_output=True,
        text=True,
        env={"PATH": path},
        timeout=60,
        check=False,
    )


def test_replayed_h200_outputs_come_back_byte_for_byte_and_parse(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "nvidia-smi"
    fake.write_text(REPLAY.replace("{captures}", str(H200)))
    fake.chmod(0o755)
    out = tmp_path / "out"

    result = run_script(out, path=f"{bin_dir}:/usr/bin:/bin")

    assert result.returncode == 0, result.stderr
    for name in CAPTURES:
        for suffix in ("stdout", "stderr", "exit"):
            captured = (out / f"{name}.{suffix}").read_bytes()
            assert captured == (H200 / f"{name}.{suffix}").read_bytes(), f"{name}.{suffix}"
    report = json.loads((out / "inventory.json").read_text())
    assert report == json.loads(result.stdout)
    assert report["exits"] == {"query-gpu": 0, "query-gpu-units": 0, "list": 0, "bad-field": 2}
    assert report["queryGpu"]["available"] is True
    assert report["queryGpu"]["models"] == ["NVIDIA H200"]
    assert report["queryGpu"]["gpus"][0]["uuid"] == "GPU-6a0a3aee-22eb-2609-f780-8ce4941992a1"
    assert report["list"]["count"] == 1


def test_without_nvidia_smi_it_says_so_and_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = tmp_path / "out"

    result = run_script(out, path=str(empty))

    assert result.returncode == 2
    assert "nvidia-smi is not on PATH" in result.stderr
    assert not out.exists()
