#!/bin/sh
# Compose path: a self-signed certificate for Traefik (and for the hub when
# ENABLE_JUPYTERHUB_SSL=1) in the shared certificate volume, plus Traefik's file-provider
# config pointing at it. Kept when one is already there; skipped where no such volume is
# mounted (Kubernetes: TLS is the Ingress's business).
set -eu

CERTS_DIR="${STELLARS_CERTS_DIR:-/mnt/certs}"
HOSTNAME_FOR_CERT="${JUPYTERHUB_HOSTNAME:-localhost}"
CERT="$CERTS_DIR/server.crt"
KEY="$CERTS_DIR/server.key"
TRAEFIK_CONFIG="$CERTS_DIR/certs.yml"

log() { echo "10-certificates: $*"; }

spawner="${JUPYTERHUB_SPAWNER:-}"
if [ -z "$spawner" ] && [ -n "${KUBERNETES_SERVICE_HOST:-}" ]; then
    spawner=kubernetes
fi
if [ "$spawner" = "kubernetes" ] && [ "${ENABLE_JUPYTERHUB_SSL:-0}" != "1" ]; then
    log "Kubernetes mode without ENABLE_JUPYTERHUB_SSL: no certificate needed, skipped"
    exit 0
fi
if [ ! -d "$CERTS_DIR" ] || [ ! -w "$CERTS_DIR" ]; then
    log "$CERTS_DIR is not a writable directory (no certificate volume mounted): skipped"
    exit 0
fi

if [ -s "$CERT" ] && [ -s "$KEY" ]; then
    log "certificate present in $CERTS_DIR, kept"
else
    command -v openssl >/dev/null 2>&1 || { log "openssl is not installed" >&2; exit 1; }
    san="DNS:$HOSTNAME_FOR_CERT,DNS:localhost,IP:127.0.0.1"
    if [ "$HOSTNAME_FOR_CERT" = "localhost" ]; then
        san="DNS:localhost,IP:127.0.0.1"
    fi
    # Written next to the final names and moved in, so a crash never leaves half a pair.
    umask 077
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 825 \
        -subj "/CN=$HOSTNAME_FOR_CERT" -addext "subjectAltName=$san" \
        -keyout "$KEY.tmp" -out "$CERT.tmp" 2>/dev/null
    # The key stays 0600 (Traefik reads it as root); the certificate is public.
    chmod 644 "$CERT.tmp"
    mv "$KEY.tmp" "$KEY"
    mv "$CERT.tmp" "$CERT"
    log "self-signed certificate for $HOSTNAME_FOR_CERT written to $CERTS_DIR"
fi

if [ ! -s "$TRAEFIK_CONFIG" ]; then
    cat > "$TRAEFIK_CONFIG.tmp" <<YAML
# Traefik file provider: the platform's certificate (written by 10-certificates.sh).
tls:
  certificates:
    - certFile: $CERT
      keyFile: $KEY
  stores:
    default:
      defaultCertificate:
        certFile: $CERT
        keyFile: $KEY
YAML
    chmod 644 "$TRAEFIK_CONFIG.tmp"
    mv "$TRAEFIK_CONFIG.tmp" "$TRAEFIK_CONFIG"
    log "Traefik certificate config written to $TRAEFIK_CONFIG"
fi
