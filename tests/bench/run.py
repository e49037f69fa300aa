"""`make bench`: every benchmark family, full size, then the table and plot in docs/.

It runs tests/bench as one pytest session with the `full` profile (the session's fixtures
start what is missing: the sealed cluster, the Docker engine, a Compose stack, the operator),
writes bench-results/<family>.json, and regenerates docs/benchmarks.md and docs/benchmarks.png.
`--report-only` redraws the table and plot from the JSON already there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from tests.bench import profile, report
from tests.fixtures.paths import REPO


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=profile.BENCH_RESULTS)
    parser.add_argument("--docs", type=Path, default=REPO / "docs")
    parser.add_argument("--profile", choices=("full", "smoke"), default="full")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, e.g. -k spawn")
    args = parser.parse_args()
    rc = 0
    if not args.report_only:
        args.out.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            profile.PROFILE_VARIABLE: args.profile,
            profile.OUT_VARIABLE: str(args.out.resolve()),
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(REPO / "tests/bench"),
            "-q",
            "-p",
            "no:cacheprovider",
            *args.pytest_args,
        ]
        rc = subprocess.run(command, env=env, cwd=REPO, check=False).returncode
    markdown, png = report.write(args.out, docs=args.docs)
    print(f"bench: results in {args.out}, table in {markdown}, plot in {png}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
