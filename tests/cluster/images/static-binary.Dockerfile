# A static Go binary (CoreDNS, local-path-provisioner) alone in an image; built by cluster-up.sh.
FROM scratch
ARG BINARY
COPY $BINARY /entrypoint
ENTRYPOINT ["/entrypoint"]
