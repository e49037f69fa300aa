#!/usr/bin/env bash
# Starts the sealed one-node Kubernetes cluster: upstream binaries built by build-binaries.sh,
# Debian's containerd/runc/CNI plugins, locally built images. Idempotent: what runs is kept,
# what is missing (or was killed, leaving stale pid files, mounts and rules) is started.
#
#   cluster-up.sh                       etcd, control plane, containerd, kubelet, kube-proxy,
#                                       CoreDNS, local-path provisioner + StorageClass "standard"
#   cluster-up.sh --control-plane-only  etcd + API server + controller manager + scheduler
#   STELLARS_NETWORK_POLICY=0 cluster-up.sh   full, without NetworkPolicy enforcement (kube-router)
#
# State, logs (logs/NAME.log) and pid files (run/NAME.pid) live under $STELLARS_CLUSTER_STATE
# (default /var/lib/stellars/cluster); the admin kubeconfig is $STATE/admin.kubeconfig.
set -euo pipefail
SCRIPT_NAME=cluster-up
source "$(dirname "$0")/lib.sh"

mode=full
case "${1:-}" in
  "") ;;
  --control-plane-only) mode=control-plane ;;
  *) echo "usage: $0 [--control-plane-only]" >&2; exit 2 ;;
esac
# NetworkPolicies are enforced by kube-router's policy controller unless this is 0.
network_policy=${STELLARS_NETWORK_POLICY:-1}
[ "$(id -u)" = 0 ] || { echo "cluster-up: run as root (kubelet, containerd, iptables)" >&2; exit 2; }
mkdir -p "$PKI" "$LOGS" "$RUN"
exec 9>"$STATE/up.lock"
flock 9  # parallel callers (several pytest sessions) take turns

# start NAME CMD...: runs CMD in its own session (it outlives this script), logs and pid file
# under $STATE, unless NAME's recorded process is alive already.
start() {
  local name=$1 pid
  shift
  if pid=$(pid_of "$name"); then say "$name already running (pid $pid)"; return 0; fi
  say "starting $name (log: $LOGS/$name.log)"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &  # 9: the lock, not theirs to hold
  pid=$!
  echo "$pid" >"$RUN/$name.pid"
  # Until the forked shell has exec'd setsid, and setsid the command, /proc/PID/cmdline names
  # this script or setsid, and pid_of would take the process for a stale one: wait for the
  # command itself (a busy machine can take a while to get there).
  local cmd
  for _ in $(seq 600); do
    cmd=$(cmdline_of "$pid") || return 0  # exited at once: wait_ready reports it with the log
    [[ $cmd == *"$name"* && $cmd != setsid\ * ]] && return 0
    sleep 0.05
  done
  fail "$name (not started: still '${cmd%% *}' after 30 s)" "$LOGS/$name.log"
}

# wait_ready NAME SECONDS CHECK...: polls CHECK until it succeeds; fails the step with NAME's
# log tail when NAME's process exits or time runs out.
wait_ready() {
  local name=$1 timeout=$2 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    pid_of "$name" >/dev/null || fail "$name (process exited)" "$LOGS/$name.log"
    [ $SECONDS -lt $deadline ] || fail "$name (not ready after ${timeout}s)" "$LOGS/$name.log"
    sleep 0.5
  done
}
# write_config FILE: stdin into FILE, only when it differs (kube-proxy exits when its config
# file is touched; a running process keeps the config it started with either way).
write_config() {
  local new
  new=$(cat)
  [ "$(cat "$1" 2>/dev/null)" = "$new" ] || printf '%s\n' "$new" >"$1"
}
https_ok() { curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$1"; }

step_prerequisites() {
  local packages=() cmd
  for cmd in openssl curl; do command -v $cmd >/dev/null || packages+=("$cmd"); done
  if [ $mode = full ]; then
    command -v containerd >/dev/null || packages+=(containerd)
    command -v runc >/dev/null || packages+=(runc)
    [ -x /usr/lib/cni/bridge ] || packages+=(containernetworking-plugins)
    command -v iptables >/dev/null || packages+=(iptables)
    command -v nft >/dev/null || packages+=(nftables)
    command -v conntrack >/dev/null || packages+=(conntrack)
    command -v socat >/dev/null || packages+=(socat)
    [ "$network_policy" = 0 ] || command -v ipset >/dev/null || packages+=(ipset)
    command -v gcc >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || packages+=(gcc libc6-dev)
  fi
  if [ ${#packages[@]} -gt 0 ]; then
    say "installing Debian packages: ${packages[*]}"
    (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq "${packages[@]}") \
      >"$LOGS/apt.log" 2>&1 || fail "prerequisites (apt-get install ${packages[*]})" "$LOGS/apt.log"
  fi
  local wanted="etcd kube-apiserver kube-controller-manager kube-scheduler kubectl" missing="" b
  [ $mode = control-plane ] || wanted+=" kubelet kube-proxy coredns local-path-provisioner"
  [ $mode = control-plane ] || [ "$network_policy" = 0 ] || wanted+=" kube-router"
  for b in $wanted; do [ -x "$BIN/$b" ] || missing+=" $b"; done
  if [ -n "$missing" ]; then
    say "building binaries:$missing (log: $LOGS/build-binaries.log)"
    "$here/build-binaries.sh" $missing >"$LOGS/build-binaries.log" 2>&1 \
      || fail "binaries (build-binaries.sh$missing)" "$LOGS/build-binaries.log"
  fi
}

# The address pods reach the API server on (through the kubernetes Service): the host's main IP.
detect_host_ip() {
  HOST_IP=${STELLARS_HOST_IP:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}
  HOST_IP=${HOST_IP:-$(hostname -I 2>/dev/null | awk '{print $1}')}
  [ -n "$HOST_IP" ] || fail "host address (no IPv4 address found; set STELLARS_HOST_IP)"
}

# cert NAME CN [ORG] [SANS]: a key and a certificate signed by the cluster CA, made once.
cert() {
  local name=$1 cn=$2 org=${3:-} sans=${4:-}
  [ -s "$PKI/$name.crt" ] && return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$PKI/$name.key" \
    -subj "/CN=$cn${org:+/O=$org}" -out "$PKI/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n%s\n' \
    "${sans:+subjectAltName=$sans}" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig NAME CERT: a kubeconfig for the client certificate CERT, with certificates inline.
kubeconfig() {
  local file="$STATE/$1.kubeconfig"
  [ -s "$file" ] && return 0
  kubectl config set-cluster stellars --server=https://127.0.0.1:6443 --certificate-authority="$PKI/ca.crt" \
    --embed-certs --kubeconfig="$file.tmp" >/dev/null
  kubectl config set-credentials "$2" --client-certificate="$PKI/$2.crt" --client-key="$PKI/$2.key" \
    --embed-certs --kubeconfig="$file.tmp" >/dev/null
  kubectl config set-context stellars --cluster=stellars --user="$2" --kubeconfig="$file.tmp" >/dev/null
  kubectl config use-context stellars --kubeconfig="$file.tmp" >/dev/null
  mv "$file.tmp" "$file"
}

step_pki() {
  if [ ! -s "$PKI/ca.crt" ]; then
    say "creating the cluster CA and certificates in $PKI"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=stellars-cluster-ca" 2>/dev/null
  fi
  # Certificates naming the host's address are remade when the address changed.
  if [ "$(cat "$PKI/host-ip" 2>/dev/null)" != "$HOST_IP" ]; then
    rm -f "$PKI/apiserver.crt" "$PKI/kubelet.crt" "$STATE/kubelet.kubeconfig"
    echo "$HOST_IP" >"$PKI/host-ip"
  fi
  cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$HOST_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kubelet "system:node:$NODE_NAME" system:nodes "IP:$HOST_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
  cert kube-proxy system:kube-proxy
  cert kube-router kube-router
  [ -s "$PKI/sa.key" ] || openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  [ -s "$PKI/sa.pub" ] || openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kubelet kubelet
  kubeconfig kube-proxy kube-proxy
  kubeconfig kube-router kube-router
}

step_control_plane() {
  # fsync off: a test cluster trades crash safety for speed on a shared disk.
  start etcd etcd --name stellars --data-dir "$STATE/etcd" --unsafe-no-fsync \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster stellars=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
  wait_ready etcd 60 sh -c 'curl -fsS http://127.0.0.1:2379/health | grep -q "\"health\":\"true\""'

  start kube-apiserver kube-apiserver --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="$HOST_IP" --bind-address=0.0.0.0 --secure-port=6443 \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,PodSecurity --allow-privileged=true --profiling=false
  wait_ready kube-apiserver 120 https_ok https://127.0.0.1:6443/readyz

  start kube-controller-manager kube-controller-manager --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" --allocate-node-cidrs=false \
    --profiling=false
  start kube-scheduler kube-scheduler --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false
  wait_ready kube-controller-manager 60 curl -fsk https://127.0.0.1:10257/healthz
  wait_ready kube-scheduler 60 curl -fsk https://127.0.0.1:10259/healthz
}

step_host_network() {
  modprobe br_netfilter 2>/dev/null || true  # may be built in, or modprobe absent: tolerated
  modprobe overlay 2>/dev/null || true
  echo 1 >/proc/sys/net/ipv4/ip_forward
  [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  # Docker sets the FORWARD policy to DROP: let pod traffic through, and masquerade what leaves.
  iptables -N STELLARS-FORWARD 2>/dev/null || iptables -F STELLARS-FORWARD
  iptables -A STELLARS-FORWARD -s "$POD_CIDR" -j ACCEPT
  iptables -A STELLARS-FORWARD -d "$POD_CIDR" -j ACCEPT
  iptables -C FORWARD -j STELLARS-FORWARD 2>/dev/null || iptables -I FORWARD 1 -j STELLARS-FORWARD
  iptables -t nat -N STELLARS-POSTROUTING 2>/dev/null || iptables -t nat -F STELLARS-POSTROUTING
  iptables -t nat -A STELLARS-POSTROUTING -s "$POD_CIDR" ! -d "$POD_CIDR" -j MASQUERADE
  iptables -t nat -C POSTROUTING -j STELLARS-POSTROUTING 2>/dev/null || iptables -t nat -I POSTROUTING 1 -j STELLARS-POSTROUTING
  install_seal || fail "host network (seal: nftables rules)"
  # The bridge CNI puts every pod of the node on one link, so the host keeps a vanished pod's
  # address as a "reachable" neighbour for up to 45 s: a connection that kube-proxy still sent
  # there (in the second between a pod's end and the Service's update) hung for 20-70 s, e.g. the
  # proxy's request to a restarting hub. Created here so that its neighbour timings can be set
  # (the CNI plugin uses an existing bridge): a gone address fails within a few seconds, as with
  # CNIs that route each pod separately.
  ip link show "$CNI_BRIDGE" >/dev/null 2>&1 || ip link add "$CNI_BRIDGE" type bridge
  ip link set "$CNI_BRIDGE" up
  sysctl -qw "net.ipv4.neigh.$CNI_BRIDGE.base_reachable_time_ms=1000" \
    "net.ipv4.neigh.$CNI_BRIDGE.delay_first_probe_time=1" "net.ipv4.neigh.$CNI_BRIDGE.retrans_time_ms=300"
  mkdir -p "$STATE/cni/net.d"
  write_config "$STATE/cni/net.d/10-stellars.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam",
              "ranges": [[{"subnet": "$NODE_POD_RANGE"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

# build_image TAG DOCKERFILE FILE [BUILD-ARGS...]: a docker build whose context holds FILE only.
build_image() {
  local tag=$1 dockerfile=$2 file=$3 ctx
  shift 3
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  say "building image $tag"
  ctx=$(mktemp -d)
  cp "$file" "$dockerfile" "$ctx/"
  docker build -q -t "$tag" -f "$ctx/$(basename "$dockerfile")" "$@" "$ctx" >"$LOGS/image-build.log" 2>&1 \
    || { rm -rf "$ctx"; fail "images (docker build $tag)" "$LOGS/image-build.log"; }
  rm -rf "$ctx"
}

step_images() {
  "$repo/scripts/ensure-docker.sh" >"$LOGS/docker.log" 2>&1 || fail "images (Docker engine)" "$LOGS/docker.log"
  BASE_IMAGE=$("$repo/scripts/base-image.sh" 2>"$LOGS/base-image.log") || fail "images (base image)" "$LOGS/base-image.log"
  local pause="$CACHE/cluster-$KUBE_VERSION/pause"
  [ -x "$pause/pause" ] || { mkdir -p "$pause" && gcc -static -Os -o "$pause/pause" "$here/images/pause/pause.c"; }
  build_image "$PAUSE_IMAGE" "$here/images/pause/Dockerfile" "$pause/pause"
  build_image "$COREDNS_IMAGE" "$here/images/static-binary.Dockerfile" "$BIN/coredns" --build-arg BINARY=coredns
  build_image "$LOCAL_PATH_IMAGE" "$here/images/static-binary.Dockerfile" "$BIN/local-path-provisioner" \
    --build-arg BINARY=local-path-provisioner
}

step_containerd() {
  if ! pid_of containerd >/dev/null; then
    clear_runtime_leftovers
    rm -f "$CONTAINERD_SOCK" "$CONTAINERD_SOCK.ttrpc"
  fi
  mkdir -p "$STATE/containerd"
  write_config "$STATE/containerd/config.toml" <<EOF
# The cluster's own containerd: own socket, root and state, so Docker's containerd is untouched.
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Without CAP_SYS_RESOURCE (as in some VMs and containers) runc cannot lower a process's
  # oom_score_adj below its own, and the kubelet asks -998 for every pod sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$STATE/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_ready containerd 60 ctr --address "$CONTAINERD_SOCK" version
  local image
  for image in "$PAUSE_IMAGE" "$COREDNS_IMAGE" "$LOCAL_PATH_IMAGE" "$BASE_IMAGE"; do
    import_image "$image" >>"$LOGS/image-import.log" 2>&1 || fail "images (import $image)" "$LOGS/image-import.log"
  done
}

step_node() {
  # Pods resolve outside names through the host's resolvers; loopback ones would loop in CoreDNS.
  awk '/^nameserver/ && $2 !~ /^127\./ && $2 != "::1"' /etc/resolv.conf >"$STATE/resolv.conf" || true
  mkdir -p "$STATE/kubelet"
  write_config "$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$PKI/kubelet.crt"
tlsPrivateKeyFile: "$PKI/kubelet.key"
cgroupDriver: cgroupfs
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
clusterDNS: ["$DNS_SERVICE_IP"]
clusterDomain: cluster.local
resolvConf: "$STATE/resolv.conf"
failSwapOn: false
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
serializeImagePulls: false
# Images only arrive by import (nothing can be pulled): never collect them, never evict on a
# busy shared disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%", imagefs.inodesFree: "1%"}
containerLogMaxSize: 10Mi
# A pod's mounted ConfigMaps follow their object at the pod's next sync: every 10 s here rather
# than the default minute, so a test waits seconds, not minutes, for what a hub reads from one
# (its gpu.json).
syncFrequency: 10s
EOF
  start kubelet kubelet --config="$STATE/kubelet/config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$HOST_IP"
  wait_ready kubelet 60 curl -fsS http://127.0.0.1:10248/healthz

  write_config "$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$STATE/kube-proxy.kubeconfig"}
mode: iptables
clusterCIDR: "$POD_CIDR"
hostnameOverride: "$NODE_NAME"
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# 0 = leave the host's conntrack sysctls alone (they may be read-only here).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy kube-proxy --config="$STATE/kube-proxy.yaml"
  wait_ready kube-proxy 60 curl -fsS http://127.0.0.1:10256/livez
  wait_ready kubelet 120 kubectl --kubeconfig="$KUBECONFIG_ADMIN" wait "node/$NODE_NAME" --for=condition=Ready --timeout=5s
}

# kube-router as a NetworkPolicy controller only (no routing, no service proxy): it filters
# pod traffic with iptables and ipsets, ahead of the cluster's accept-all STELLARS-FORWARD.
step_network_policy() {
  if [ "$network_policy" = 0 ]; then
    if pid_of kube-router >/dev/null; then
      stop kube-router
      remove_chains "$KUBE_ROUTER_CHAINS"
      remove_ipsets "$KUBE_ROUTER_IPSETS"
    fi
    return 0
  fi
  kubectl --kubeconfig="$KUBECONFIG_ADMIN" apply --server-side --force-conflicts \
    -f "$here/manifests/kube-router-rbac.yaml" >>"$LOGS/addons.log" 2>&1 \
    || fail "network policy (kube-router RBAC)" "$LOGS/addons.log"
  start kube-router kube-router --kubeconfig="$STATE/kube-router.kubeconfig" --hostname-override="$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --service-cluster-ip-range="$SERVICE_CIDR" --health-port=20244 --metrics-port=0
  wait_ready kube-router 60 curl -fsS http://127.0.0.1:20244/healthz
}

step_addons() {
  local forward="" manifest
  [ ! -s "$STATE/resolv.conf" ] || forward="forward . /etc/resolv.conf"
  mkdir -p "$STATE/local-path"
  for manifest in coredns local-path; do
    sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|; s|@LOCAL_PATH_IMAGE@|$LOCAL_PATH_IMAGE|" \
      -e "s|@HELPER_IMAGE@|$BASE_IMAGE|; s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|" \
      -e "s|@FORWARD@|$forward|; s|@VOLUME_DIR@|$STATE/local-path|" "$here/manifests/$manifest.yaml" \
      | kubectl --kubeconfig="$KUBECONFIG_ADMIN" apply --server-side --force-conflicts -f - \
        >>"$LOGS/addons.log" 2>&1 || fail "addons (apply $manifest)" "$LOGS/addons.log"
  done
  kubectl --kubeconfig="$KUBECONFIG_ADMIN" -n kube-system rollout status deploy/coredns --timeout=120s \
    >>"$LOGS/addons.log" 2>&1 || fail "addons (CoreDNS rollout)" "$LOGS/addons.log"
  kubectl --kubeconfig="$KUBECONFIG_ADMIN" -n local-path-storage rollout status deploy/local-path-provisioner \
    --timeout=120s >>"$LOGS/addons.log" 2>&1 || fail "addons (local-path-provisioner rollout)" "$LOGS/addons.log"
  # After a restart the rollout status above may still be the old pods' (their sandboxes died
  # with containerd): ask CoreDNS itself, through the API server's pod proxy.
  wait_ready kubelet 120 coredns_answers
}

coredns_answers() {
  local pod
  pod=$(kubectl --kubeconfig="$KUBECONFIG_ADMIN" -n kube-system get pods -l k8s-app=kube-dns \
    --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}')
  [ -n "$pod" ] && [ "$(kubectl --kubeconfig="$KUBECONFIG_ADMIN" get --raw \
    "/api/v1/namespaces/kube-system/pods/$pod:8181/proxy/ready")" = OK ]
}

step_prerequisites
detect_host_ip
step_pki
step_control_plane
if [ $mode = full ]; then
  step_host_network
  step_images
  step_containerd
  step_node
  step_network_policy
  step_addons
fi
say "cluster is up ($mode, ${SECONDS}s). To use it:"
echo "  export KUBECONFIG=$KUBECONFIG_ADMIN PATH=$BIN:\$PATH"
echo "  kubectl get nodes"
