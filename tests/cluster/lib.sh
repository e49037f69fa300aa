# shellcheck shell=bash disable=SC2034  # variables here are used by the scripts that source it
# Shared by cluster-up.sh, cluster-down.sh and cluster-load.sh: paths, logging, pid files.
# Sourced, not run. Every path the cluster writes lives under $STATE (one `rm -rf` undoes it).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/versions.env"
CACHE=${STELLARS_CACHE:-$HOME/.cache/stellars}
BIN="$CACHE/cluster-$KUBE_VERSION/bin"
STATE=${STELLARS_CLUSTER_STATE:-/var/lib/stellars/cluster}
PKI="$STATE/pki"
LOGS="$STATE/logs"
RUN="$STATE/run"                        # pid files
CONTAINERD_SOCK="$STATE/containerd/containerd.sock"
KUBECONFIG_ADMIN="$STATE/admin.kubeconfig"
NODE_NAME=stellars-node
POD_CIDR=10.244.0.0/16
NODE_POD_RANGE=10.244.0.0/24            # one node: the bridge CNI hands out this range
SERVICE_CIDR=10.96.0.0/12
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CNI_NETWORK=stellars                    # CNI network name; also tags its iptables rules
CNI_BRIDGE=stellars0
PAUSE_IMAGE=stellars/pause:3.10
COREDNS_IMAGE=stellars/coredns:$COREDNS_VERSION
LOCAL_PATH_IMAGE=stellars/local-path-provisioner:$LOCAL_PATH_VERSION
export PATH="$BIN:$PATH"

say() { echo "==> ${SCRIPT_NAME:-cluster}: $*"; }

# fail STEP [LOG]: names the failed step, shows the log tail, exits non-zero.
fail() {
  echo "${SCRIPT_NAME:-cluster}: step '$1' failed" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "--- last 40 lines of $2 ---" >&2
    tail -n 40 "$2" >&2
  fi
  exit 1
}

# proc_cmdline PID: /proc/PID/cmdline, arguments joined by spaces.
proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

# cmdline_of PID: the process's command line, arguments joined by spaces; fails when PID is
# gone or a zombie. A process in the middle of exec (setsid becoming the daemon) shows an empty
# command line until the kernel has set up the new image's arguments: a millisecond on a warm
# machine, longer on a cold disk, and once taken by pid_of for a dead daemon (a CI run failed
# so). An empty answer is therefore read again, for up to 5 s.
cmdline_of() {
  local pid=$1 cmd stat _
  for _ in $(seq 50); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ] || return 1
    cmd=$(proc_cmdline "$pid") || return 1
    [ -z "$cmd" ] || { echo "$cmd"; return 0; }
    sleep 0.1
  done
  return 1
}

# pid_of NAME: prints the pid recorded for NAME when that process is alive and still runs
# NAME's binary (a pid file left by a killed run may name a recycled pid).
pid_of() {
  local file="$RUN/$1.pid" pid cmd
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  if [ -n "$pid" ] && cmd=$(cmdline_of "$pid") && [[ $cmd == *"$1"* ]]; then
    echo "$pid"
  else
    rm -f "$file"
    return 1
  fi
}

# ctr_k8s ARGS...: containerd's CLI against the cluster's own containerd, CRI namespace.
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# import_image IMAGE: copies a local Docker image into the cluster's containerd, unless the
# same image (by Docker image ID) was imported before.
import_image() {
  local image=$1 id marker
  id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) \
    || { echo "${SCRIPT_NAME:-cluster}: no local Docker image '$image'" >&2; return 1; }
  marker="$STATE/containerd/imported/$(echo "$image" | tr '/:' '__')"
  if [ "$(cat "$marker" 2>/dev/null)" = "$id" ] && ctr_k8s images ls -q | grep -qx "$(qualified "$image")"; then
    return 0
  fi
  say "importing $image into containerd"
  docker save "$image" | ctr_k8s images import - >/dev/null || return 1
  mkdir -p "$(dirname "$marker")" && echo "$id" >"$marker"
}

# qualified IMAGE: the name containerd stores (docker.io/library/x:tag style).
qualified() {
  local name=$1
  case $name in */*) ;; *) name="library/$name" ;; esac
  case ${name%%/*} in *.*|*:*|localhost) ;; *) name="docker.io/$name" ;; esac
  case ${name##*/} in *:*|*@*) ;; *) name="$name:latest" ;; esac
  echo "$name"
}

# stop NAME...: TERM to each named process at once, KILL to those still there after 10 s.
stop() {
  local name pid pids="" i
  for name in "$@"; do
    pid=$(pid_of "$name") || continue
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    pids+=" $pid"
    rm -f "$RUN/$name.pid"
  done
  [ -n "$pids" ] || return 0
  for i in $(seq 20); do
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && break; done || break
    sleep 0.5
  done
  for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
}

# clear_runtime_leftovers: what a killed containerd/kubelet leaves behind: container shims and
# pod processes, mounts under $STATE, CNI address leases, the CNI plugins' iptables rules. Only
# called while containerd is not running, so every pod is already gone for the runtime.
clear_runtime_leftovers() {
  local proc pids mnt
  for proc in /proc/[0-9]*; do  # shims of our containerd name its socket on their command line
    if tr '\0' ' ' 2>/dev/null <"$proc/cmdline" | grep -q -- "-address $CONTAINERD_SOCK "; then
      kill -9 "${proc#/proc/}" 2>/dev/null || true
    fi
  done
  for root in /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/kubepods; do  # cgroup v1, v2
    [ -d "$root" ] || continue
    pids=$(find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  done
  awk '{print $5}' /proc/self/mountinfo | { grep "^$STATE/" || true; } | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf "$STATE/containerd/state" "$STATE/cni/ipam"
  remove_cni_rules
}

# remove_cni_rules: the CNI plugins' iptables rules for this cluster's network.
remove_cni_rules() {
  local table tagged rule chains chain
  for table in nat filter; do
    # portmap tags its rules with the network name; its per-pod chains are their targets.
    tagged=$(iptables-save -t "$table" | grep -F -- "name: \\\"$CNI_NETWORK\\\"" | grep '^-A ' || true)
    [ -n "$tagged" ] || continue
    chains=$(grep -o -- '-j CNI-[A-Za-z0-9-]*' <<<"$tagged" | awk '{print $2}' | sort -u || true)
    while read -r rule; do
      eval "iptables -t $table -D ${rule#-A }" 2>/dev/null || true
    done <<<"$tagged"
    for chain in $chains; do
      case $chain in CNI-HOSTPORT-*) continue ;; esac  # shared by every CNI network: keep
      iptables -t "$table" -F "$chain" 2>/dev/null && iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

# remove_chains REGEX: deletes the iptables and ip6tables chains (filter, nat, mangle) whose
# names start with REGEX, after the rules that jump to them.
remove_chains() {
  local cmd table chains rules rule chain
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null || continue
    for table in filter nat mangle; do
      chains=$("$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | grep -E "^($1)" || true)
      [ -n "$chains" ] || continue
      rules=$("$cmd-save" -t "$table" | grep -E "^-A .* -j ($1)" || true)
      while read -r rule; do
        [ -z "$rule" ] || eval "$cmd -t $table -D ${rule#-A }" 2>/dev/null || true
      done <<<"$rules"
      for chain in $chains; do "$cmd" -t "$table" -F "$chain" 2>/dev/null || true; done
      for chain in $chains; do "$cmd" -t "$table" -X "$chain" 2>/dev/null || true; done
    done
  done
}

# remove_ipsets REGEX: destroys the ipsets whose names start with REGEX (once no rule uses them).
remove_ipsets() {
  local set
  command -v ipset >/dev/null || return 0
  for set in $(ipset list -n 2>/dev/null | grep -E "^(inet6:)?($1)" || true); do
    ipset destroy "$set" 2>/dev/null || true
  done
}

# kube-router's policy chains and sets (its own --cleanup-config crashes without IPVS).
KUBE_ROUTER_CHAINS='KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-'
KUBE_ROUTER_IPSETS='KUBE-SRC-|KUBE-DST-|kube-router'

# The seal: nothing of this cluster reaches an address off this machine (docs/testing.md, "What
# may leave this machine"). Its own nftables table, hooked ahead of the iptables chains of
# kube-proxy, kube-router and Docker (priority 0), sees addresses after kube-proxy's DNAT, so:
# - a packet still addressed to the Service CIDR has no endpoint: refused at once, as kube-proxy
#   means to (kube-router's ACCEPT for policy-allowed traffic otherwise lets it out, masqueraded);
# - the pod CIDR beyond this node's range has no node: refused;
# - pod traffic bound off the machine is refused, except DNS to the host's resolvers (CoreDNS
#   forwards outside names there).
SEAL_TABLE=stellars_cluster_seal
source "$repo/tests/network/host-net.sh"

install_seal() {
  local ext=() resolvers=() name
  for name in $(external_ifaces); do ext+=("\"$name\""); done
  [ ${#ext[@]} -gt 0 ] || ext=('"stellars-none"')
  mapfile -t resolvers < <(host_resolvers)
  local leaving="oifname $(nft_set "${ext[@]}")" dns=""
  [ ${#resolvers[@]} -eq 0 ] \
    || dns="ip saddr $POD_CIDR $leaving ip daddr $(nft_set "${resolvers[@]}") meta l4proto { tcp, udp } th dport 53 accept"
  nft -f - <<NFT
table ip $SEAL_TABLE
delete table ip $SEAL_TABLE
table ip $SEAL_TABLE {
  counter refused { }
  chain refuse {
    counter name refused
    meta l4proto tcp reject with tcp reset
    reject with icmp type host-unreachable
  }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip daddr $SERVICE_CIDR jump refuse
    ip daddr $POD_CIDR ip daddr != $NODE_POD_RANGE jump refuse
    $dns
    ip saddr $POD_CIDR $leaving jump refuse
  }
  chain output {
    type filter hook output priority -10; policy accept;
    ip daddr $SERVICE_CIDR jump refuse
    ip daddr $POD_CIDR ip daddr != $NODE_POD_RANGE jump refuse
  }
}
NFT
}

remove_seal() { nft delete table ip "$SEAL_TABLE" 2>/dev/null || true; }
