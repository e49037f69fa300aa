#!/usr/bin/env bash
# Installs the host packages the platform's scripts and tests use (Debian bookworm, as root).
# Each is installed only when missing, so a warm machine spends no time here.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for pkg in docker.io debootstrap containerd runc containernetworking-plugins iptables conntrack \
           socat nftables openssl jq curl chromium ca-certificates util-linux python3-venv; do
  have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "install-deps: Go is required to build the test cluster (golang >= 1.24)" >&2; exit 1; }
echo "install-deps: host packages present"
