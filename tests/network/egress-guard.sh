#!/usr/bin/env bash
# The egress guard of `make test`: while the tests run, nothing of ours may send a packet off this
# machine except to the DNS resolver and the package registries that builds use. Forwarded
# traffic (containers, pods, test network namespaces) to any other outside address is refused at
# once; whatever still leaves for a disallowed address (from any process) is counted and recorded.
#
#   egress-guard.sh start    install the guard with fresh counters (replaces an old one)
#   egress-guard.sh running  exit 0 when the guard is installed
#   egress-guard.sh count    packets that left for a disallowed address since start
#   egress-guard.sh check    that count and what left (source, target, protocol, port); exit 1 if any
#   egress-guard.sh refused  forwarded attempts the guard refused (they never left); informational
#   egress-guard.sh stop     remove the guard
#
# Rules live in their own nftables table (inet stellars_egress_guard), hooked ahead of the
# iptables chains of Docker, kube-proxy and kube-router, so no ACCEPT of theirs can skip them.
# Allowed: udp/tcp 53 to the host's resolvers; tcp 80/443 to the addresses the registry names
# resolve to (REGISTRY_HOSTS, the hosts of apt's sources, $STELLARS_EGRESS_ALLOW_HOSTS; none with
# STELLARS_EGRESS_RESOLVE=0).
# "Off this machine" = out of an interface from external_ifaces (tests/network/host-net.sh).
set -euo pipefail
source "$(dirname "$0")/host-net.sh"
TABLE=stellars_egress_guard
REGISTRY_HOSTS="pypi.org files.pythonhosted.org registry.npmjs.org proxy.golang.org sum.golang.org
deb.debian.org security.debian.org"

say() { echo "egress-guard: $*"; }
die() { echo "egress-guard: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs nftables rules)"
if ! command -v nft >/dev/null; then
  say "installing nftables"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null || die "cannot install nftables"
fi

running() { nft list table inet "$TABLE" >/dev/null 2>&1; }

# registry_hosts: the registry names, apt's source hosts and the extra allowed names.
registry_hosts() {
  echo "$REGISTRY_HOSTS" | tr ' ' '\n'
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^/[:space:]]+' | sed -E 's#https?://##; s#:.*##' || true
  tr ' ' '\n' <<<"${STELLARS_EGRESS_ALLOW_HOSTS:-}"
}

# allowed_elements FAMILY: "addr . proto . port" elements of the allowed set for ipv4 or ipv6.
allowed_elements() {
  local family=$1 db=ahostsv4 addr host
  [ "$family" = ipv6 ] && db=ahostsv6
  if [ "$family" = ipv4 ]; then
    for addr in $(host_resolvers); do echo "$addr . udp . 53"; echo "$addr . tcp . 53"; done
  fi
  # STELLARS_EGRESS_RESOLVE=0: no registry names (a model machine in a test namespace cannot
  # resolve them, and would wait for every lookup to time out).
  [ "${STELLARS_EGRESS_RESOLVE:-1}" = 0 ] && return 0
  for host in $(registry_hosts | sed '/^$/d' | sort -u); do
    for addr in $(getent "$db" "$host" | awk '{print $1}' | sort -u); do
      if [ "$family" = ipv4 ] && [[ $addr == *:* ]]; then continue; fi
      if [ "$family" = ipv6 ] && { [[ $addr != *:* ]] || [[ $addr == ::ffff:* ]]; }; then continue; fi
      echo "$addr . tcp . 443"; echo "$addr . tcp . 80"
    done
  done | sort -u
}

start() {
  local ext v4 v6 rules
  mapfile -t ext < <(external_ifaces)
  mapfile -t v4 < <(allowed_elements ipv4)
  mapfile -t v6 < <(allowed_elements ipv6)
  # Nothing leads off the machine: the table still exists (counters read 0) but matches nothing.
  [ ${#ext[@]} -gt 0 ] || ext=(stellars-none)
  local quoted=() i
  for i in "${ext[@]}"; do quoted+=("\"$i\""); done
  local leaving="oifname $(nft_set "${quoted[@]}")"
  local elements4="" elements6=""
  [ ${#v4[@]} -eq 0 ] || elements4="elements = $(nft_set "${v4[@]}")"
  [ ${#v6[@]} -eq 0 ] || elements6="elements = $(nft_set "${v6[@]}")"
  rules=$(cat <<NFT
table inet $TABLE
delete table inet $TABLE
table inet $TABLE {
  set allowed4 { type ipv4_addr . inet_proto . inet_service; $elements4 }
  set allowed6 { type ipv6_addr . inet_proto . inet_service; $elements6 }
  set left4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags dynamic; size 65536; }
  set left4_other { type ipv4_addr . ipv4_addr . inet_proto; flags dynamic; size 65536; }
  set left6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags dynamic; size 65536; }
  set left6_other { type ipv6_addr . ipv6_addr . inet_proto; flags dynamic; size 65536; }
  set refused4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags dynamic; size 65536; }
  counter left { }
  counter refused { }
  # Forwarded traffic (containers, pods, namespaces) bound off the machine for a disallowed
  # address: refused here, before Docker's or kube-router's ACCEPTs (iptables runs at priority 0)
  # and after the test cluster's own seal (priority -10), which refuses pod traffic itself.
  chain forward {
    type filter hook forward priority -5; policy accept;
    $leaving ip daddr . meta l4proto . th dport @allowed4 accept
    $leaving ip6 daddr . meta l4proto . th dport @allowed6 accept
    $leaving ip6 daddr { fe80::/10, ff00::/8 } accept
    $leaving meta nfproto ipv4 meta l4proto { tcp, udp } add @refused4 { ip saddr . ip daddr . meta l4proto . th dport }
    $leaving meta l4proto tcp counter name refused reject with tcp reset
    $leaving counter name refused reject
  }
  # Whatever still goes out (forwarded or from a local process): counted and recorded before
  # masquerading rewrites the source.
  chain postrouting {
    type filter hook postrouting priority -200; policy accept;
    $leaving ip daddr . meta l4proto . th dport @allowed4 accept
    $leaving ip6 daddr . meta l4proto . th dport @allowed6 accept
    $leaving ip6 daddr { fe80::/10, ff00::/8 } accept
    $leaving meta nfproto ipv4 meta l4proto { tcp, udp } add @left4 { ip saddr . ip daddr . meta l4proto . th dport }
    $leaving meta nfproto ipv4 meta l4proto != { tcp, udp } add @left4_other { ip saddr . ip daddr . meta l4proto }
    $leaving meta nfproto ipv6 meta l4proto { tcp, udp } add @left6 { ip6 saddr . ip6 daddr . meta l4proto . th dport }
    $leaving meta nfproto ipv6 meta l4proto != { tcp, udp } add @left6_other { ip6 saddr . ip6 daddr . meta l4proto }
    $leaving counter name left
  }
}
NFT
)
  nft -f - <<<"$rules" || die "could not install the rules"
  say "on: leaving through ${ext[*]}; allowed: ${#v4[@]} IPv4 and ${#v6[@]} IPv6 address/port pairs (resolvers, registries)"
}

# counter_packets NAME: the packet count of a named counter.
counter_packets() {
  nft list counter inet "$TABLE" "$1" | awk '/packets/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}'
}

# set_elements SET: the recorded elements of a set, one per line.
set_elements() {
  nft list set inet "$TABLE" "$1" | tr -d '\n' | sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' \
    | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | awk 'NF'
}

count() { running || die "not running (start it first)"; counter_packets left; }

check() {
  running || die "not running, so nothing was counted: the run is not proven clean"
  local n set
  n=$(counter_packets left)
  if [ "$n" = 0 ]; then
    say "0 packets left this machine for a disallowed address"
    return 0
  fi
  echo "egress-guard: $n packet(s) left this machine for disallowed addresses:" >&2
  echo "  source . target . protocol . port" >&2
  for set in left4 left4_other left6 left6_other; do set_elements "$set" | sed 's/^/  /' >&2; done
  return 1
}

refused() {
  running || die "not running"
  say "$(counter_packets refused) forwarded packet(s) refused"
  set_elements refused4 | sed 's/^/  /'
}

case "${1:-}" in
  start) start ;;
  running) running ;;
  count) count ;;
  check) check ;;
  refused) refused ;;
  stop) nft delete table inet "$TABLE" 2>/dev/null || true ;;
  *) echo "usage: $0 start|running|count|check|refused|stop" >&2; exit 2 ;;
esac
