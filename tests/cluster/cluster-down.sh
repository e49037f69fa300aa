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
if [ -x "$BIN/kube-router" ]; then  # its iptables chains and ipsets
  kube-router --cleanup-config >"$LOGS/kube-router-cleanup.log" 2>&1 || true
fi
clear_runtime_leftovers
iptables -D FORWARD -j STELLARS-FORWARD 2>/dev/null || true  # cluster-up's own chains
iptables -F STELLARS-FORWARD 2>/dev/null && iptables -X STELLARS-FORWARD
iptables -t nat -D POSTROUTING -j STELLARS-POSTROUTING 2>/dev/null || true
iptables -t nat -F STELLARS-POSTROUTING 2>/dev/null && iptables -t nat -X STELLARS-POSTROUTING
# What kube-proxy --cleanup leaves: the kubelet's KUBE-* chains (only this kubelet makes them).
for cmd in iptables ip6tables; do
  command -v "$cmd-save" >/dev/null || continue
  for table in filter nat mangle; do
    rules=$("$cmd-save" -t "$table" 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | grep -v '^-A KUBE-' || true)
    while read -r rule; do
      [ -z "$rule" ] || eval "$cmd -t $table -D ${rule#-A }" 2>/dev/null || true
    done <<<"$rules"
    chains=$("$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p')
    for chain in $chains; do "$cmd" -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do "$cmd" -t "$table" -X "$chain" 2>/dev/null || true; done
  done
done
ip link delete "$CNI_BRIDGE" 2>/dev/null || true
for _ in 1 2 3 4 5; do  # a cgroup can go once its killed processes are reaped
  cgroups=$(ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods 2>/dev/null || true)
  [ -n "$cgroups" ] || break
  find $cgroups -depth -type d -exec rmdir {} + 2>/dev/null || sleep 1
done
rm -rf /var/log/pods /var/log/containers  # the kubelet's fixed log paths; only this kubelet writes them
rm -rf "$STATE"
say "stopped; removed $STATE"
