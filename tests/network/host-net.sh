# shellcheck shell=bash
# What "leaving this machine" means, for the test cluster's seal (tests/cluster) and the egress
# guard of `make test` (egress-guard.sh). Sourced, not run. docs/testing.md explains the rules.

# external_ifaces: the interfaces that lead off this machine, one per line: those carrying a
# default route (IPv4 or IPv6), or $STELLARS_EXTERNAL_IFACES (space-separated) when set.
external_ifaces() {
  if [ -n "${STELLARS_EXTERNAL_IFACES:-}" ]; then
    tr ' ' '\n' <<<"$STELLARS_EXTERNAL_IFACES" | sed '/^$/d'
    return 0
  fi
  { ip -4 route show default; ip -6 route show default; } 2>/dev/null \
    | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u
}

# host_resolvers: the IPv4 name servers this machine uses for installs (loopback ones excluded:
# they answer on this machine), one per line. systemd-resolved's stub hides them in its own file.
host_resolvers() {
  local conf=/etc/resolv.conf
  if grep -qE '^nameserver[[:space:]]+127\.0\.0\.53' "$conf" && [ -s /run/systemd/resolve/resolv.conf ]; then
    conf=/run/systemd/resolve/resolv.conf
  fi
  awk '/^nameserver/ && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./ {print $2}' "$conf" | sort -u
}

# nft_set ITEMS...: an nftables set literal ("{ a, b }"); "" when there are no items.
nft_set() {
  [ $# -gt 0 ] || return 0
  local IFS=,
  echo "{ $* }"
}
