#!/usr/bin/env bash
# The system tiers of `make test` (integration, e2e, browser, faults, bench smoke):
#   1. two pytest-xdist workers side by side, one for the tests of the Docker engine and one for
#      those of the cluster (tests/conftest.py puts each test in its group); most of their time is
#      spent waiting on containers and pods, so two workers fit on two cores;
#   2. then, alone, the tests marked `exclusive` (they restart dockerd or the API server, which
#      the other worker relies on).
# Both workers use the one sealed cluster, so it is started here once rather than by each
# worker's session, and stopped at the end when it was started here (unless
# STELLARS_KEEP_CLUSTER=1), as the sessions' cluster fixture does.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=${PYTEST:-.venv/bin/pytest}
STATE=${STELLARS_CLUSTER_STATE:-/var/lib/stellars/cluster}
TIERS=(tests/integration tests/e2e tests/browser tests/faults tests/bench)

answers() { curl -sk --max-time 5 https://127.0.0.1:6443/readyz 2>/dev/null | grep -qx ok; }

started_here=0
if [ -z "${KUBECONFIG:-}" ]; then
  answers || started_here=1
  tests/cluster/cluster-up.sh || { echo "run-system-tests: the sealed cluster did not come up" >&2; exit 1; }
  export KUBECONFIG="$STATE/admin.kubeconfig"
fi

rc=0
echo "==> system tests: two workers (Docker engine | cluster)"
"$PYTEST" "${TIERS[@]}" -q -m "not exclusive" -n 2 --dist loadgroup --durations=25 || rc=$?
echo "==> system tests: the tests that restart a shared daemon, alone"
"$PYTEST" "${TIERS[@]}" -q -m exclusive --durations=10 || {
  code=$?
  # 5: none collected (no such test yet) is not a failure.
  [ "$code" = 5 ] || rc=$code
}

if [ "$started_here" = 1 ] && [ "${STELLARS_KEEP_CLUSTER:-}" != 1 ]; then
  tests/cluster/cluster-down.sh >/dev/null || echo "run-system-tests: cluster-down failed" >&2
fi
exit "$rc"
