#!/bin/sh
# Entry point of the data-science lab: honours the hub's GPU variables, points MLflow clients at
# the store the MLflow UI reads, then runs the command (jupyterhub-singleuser).
set -e
# ENABLE_GPU_SUPPORT=1 (the hub found or was told of GPUs): show them in the lab's log.
if [ "${ENABLE_GPU_SUPPORT:-0}" = 1 ] && command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi || echo "start-lab: GPU support is on but nvidia-smi failed" >&2
fi
if [ "${ENABLE_SERVICE_MLFLOW:-0}" = 1 ]; then
  # Notebooks log straight into the store, so runs are there whether or not the UI was opened.
  mkdir -p "$HOME/.mlflow/artifacts"
  export MLFLOW_TRACKING_URI="${MLFLOW_TRACKING_URI:-sqlite:///$HOME/.mlflow/mlflow.db}"
fi
exec "$@"
