#!/usr/bin/env python3
"""Capture nvidia-smi's raw outputs on a GPU machine as test fixtures, and read them back with
the project's own parser.

    python3 scripts/capture-gpu-fixtures.py OUT_DIR

Runs, with the `nvidia-smi` on PATH, the commands the hub relies on and writes for each
`NAME.stdout`, `NAME.stderr` and `NAME.exit` into OUT_DIR (the layout of tests/fixtures/gpu):

    query-gpu        the probe's own command (stellars_hub.gpu.nvidia_smi.QUERY_COMMAND)
    query-gpu-units  the same without `nounits`
    list             nvidia-smi -L (the only listing that shows MIG devices)
    bad-field        a query of a field that does not exist (nvidia-smi's error shape)

Then parses query-gpu and list with stellars_hub.gpu.nvidia_smi and writes what it found to
OUT_DIR/inventory.json and stdout. Standard library only: it runs on a bare GPU host or the
device machine with nothing installed (the parser is imported from hub_config/).
Exit status: 0 when captured (whatever nvidia-smi said), 2 when nvidia-smi is not on PATH.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub_config"))

from stellars_hub.gpu.nvidia_smi import (
    QUERY_COMMAND,
    QUERY_FIELDS,
    parse_list,
    parse_query_gpu,
)

TIMEOUT_S = 60
COMMANDS: dict[str, list[str]] = {
    "query-gpu": list(QUERY_COMMAND),
    "query-gpu-units": ["nvidia-smi", f"--query-gpu={QUERY_FIELDS}", "--format=csv,noheader"],
    "list": ["nvidia-smi", "-L"],
    "bad-field": ["nvidia-smi", "--query-gpu=not.a.field", "--format=csv"],
}


def capture(out: Path, name: str, command: list[str]) -> tuple[str, str, int]:
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        stdout, stderr, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as expired:
        stdout, stderr, code = expired.stdout or b"", expired.stderr or b"", 124
    (out / f"{name}.stdout").write_bytes(stdout)
    (out / f"{name}.stderr").write_bytes(stderr)
    (out / f"{name}.exit").write_text(f"{code}\n")
    return stdout.decode(errors="replace"), stderr.decode(errors="replace"), code


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    if shutil.which("nvidia-smi") is None:
        print("capture-gpu-fixtures: nvidia-smi is not on PATH (not a GPU host?)", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    outputs = {name: capture(out, name, command) for name, command in COMMANDS.items()}
    stdout, stderr, code = outputs["query-gpu"]
    query = parse_query_gpu(stdout, exit_code=code, stderr=stderr)
    stdout, stderr, code = outputs["list"]
    listing = parse_list(stdout, exit_code=code, stderr=stderr)
    report = {
        "exits": {name: output[2] for name, output in outputs.items()},
        "queryGpu": json.loads(query.to_json()),
        "list": json.loads(listing.to_json()),
    }
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    (out / "inventory.json").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
