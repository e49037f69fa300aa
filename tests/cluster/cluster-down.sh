#!/usr/bin/env bash
# Stops the sealed cluster started by cluster-up.sh: every process by its pid file, then what
# they leave behind (pod processes, mounts, the CNI bridge, iptables rules, kubepods cgroups,
# pod logs) and the state dir itself. Safe to run when nothing (or only part) is running.
set -euo pipefail
SCRIPT_NAME=cluster-down
source "$(dirname "$0")/lib.sh"

[ -d "$STATE" ] || { say "nothing to stop ($STATE does not exist)"; exit 0; }
stop kube-router kube-proxy kubelet containerd kube-scheduler kube-controller-manager kube-apiserver etcd
mkdir -p "$LOGS"
if [ -x "$BIN/kube-proxy" ]; then  # removes the KUBE-* chains kube-proxy created
  kube-proxy --cleanup >"$LOGS/kube-proxy-cleanup.log" 2>&1 || true
fi
clear_runtime_leftovers
# cluster-up's own chains; what kube-proxy --cleanup leaves: the kubelet's and kube-router's
# KUBE-* chains (only this cluster makes them); then kube-router's sets.
remove_chains 'STELLARS-|KUBE-'
remove_ipsets "$KUBE_ROUTER_IPSETS"
remove_seal
ip link delete "$CNI_BRIDGE" 2>/dev/null || true
for _ in 1 2 3 4 5; do  # a cgroup can go once its killed processes are reaped
  cgroups=$(ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods 2>/dev/null || true)
  [ -n "$cgroups" ] || break
  find $cgroups -depth -type d -exec rmdir {} + 2>/dev/null || sleep 1
done
rm -rf /var/log/pods /var/log/containers  # the kubelet's fixed log paths; only this kubelet writes them
rm -rf "$STATE"
say "stopped; removed $STATE"
