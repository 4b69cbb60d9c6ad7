#!/usr/bin/env bash
# Device check for exported policies: which onnxruntime-node execution providers load on this machine (CUDA,
# WebGPU, CPU), and act() latency CPU vs GPU for an exported policy (p50/p99 at batch 1 and 8).
#
#   scripts/device-check.sh                  # exports tiny-vlm + the CALVIN-size LSTM head first (temp folder)
#   scripts/device-check.sh exports/my-pol   # an existing export (robovla export)
#
# Without an NVIDIA GPU (or without the provider libraries) it says so and measures CPU only; it exits 0 then.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== GPU"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/  /'
else
  echo "  no NVIDIA GPU visible (nvidia-smi absent or finds none): only CPU can be measured here"
fi

if [ ! -d node_modules/onnxruntime-node ]; then
  echo "node_modules is missing: run 'npm ci' first" >&2
  exit 1
fi
exec npx tsx packages/export/bench/device-check.ts "$@"
