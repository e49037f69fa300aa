#!/usr/bin/env bash
# Stops the sealed cluster started by cluster-up.sh: every process by its pid file, then what
# they leave behind (pod processes, mounts, the CNI bridge, iptables rules, kubepods cgroups,
# pod logs) and the state dir itself. Safe to run when nothing (or only part) is running.
set -euo pipefail
SCRIPT_NAME=cluster-down
source "$(dirname "$0")/lib.sh"

[ -d "$STATE" ] || { say "nothing to stop ($STATE does not exist)"; exit 0; }
for name in kube-proxy kubelet containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop "$name"
done
if [ -x "$BIN/kube-proxy" ]; then  # removes the KUBE-* chains kube-proxy created
  kube-proxy --cleanup >"$LOGS/kube-proxy-cleanup.log" 2>&1 || true
fi
clear_runtime_leftovers
ip link delete "$CNI_BRIDGE" 2>/dev/null || true
for attempt in 1 2 3; do  # empty once the killed pod processes are reaped
  find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -depth -type d -exec rmdir {} + 2>/dev/null && break
  sleep 1
done
rm -rf /var/log/pods /var/log/containers  # the kubelet's fixed log paths; only this kubelet writes them
rm -rf "$STATE"
say "stopped; removed $STATE"
