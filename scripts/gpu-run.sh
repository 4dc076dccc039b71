#!/usr/bin/env bash
# The GPU runbook's one script, run from the repository root on the lent GPU machine with
# the bundle of `cargo xtask gpu-bundle` beside it (carry: [".gpu"]). It unpacks the
# bundle, says what the machine is, then measures:
#   1. `ngvm bench` on wgpu beside PyTorch (CUDA when torch sees a GPU, else its CPU), at
#      each batch size of --batches (default "64 256");
#   2. the quick curriculum on wgpu (`--only` picks a part), with its wall time;
# and writes everything under one folder: $OUT when the device tool sets it, else
# gpu-results/ (or --out DIR). Each part's log is kept; a part that fails is recorded and
# the next one still runs (the exit code says whether all passed).
#
# On a machine without a GPU it runs on Mesa's lavapipe (bundle built with --no-vulkan,
# --no-packages): that is how it is tried here, e.g.
#   bash scripts/gpu-run.sh --workload mlp-fashion --steps 2 --batches 64 --only mlp/perceptron
set -uo pipefail

bundle=.gpu
out="${OUT:-gpu-results}"
batches="64 256"
steps=10
data_dir=""
workloads=()
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --workload) workloads+=(--workload "$2"); shift 2 ;;
    --only) only+=(--only "$2"); shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu-run.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$bundle/ngvm.gz" ]; then
  echo "gpu-run.sh: $bundle/ngvm.gz not found: run \`cargo xtask gpu-bundle\` first and carry $bundle" >&2
  exit 2
fi
mkdir -p "$out"
log() { echo "[gpu-run $(date -u +%H:%M:%S)] $*" | tee -a "$out/run.log" >&2; }

# The bundle: the Vulkan loader and glvnd (absent from the GPU machine), the NVIDIA ICD.
for deb in "$bundle"/*.deb; do
  [ -e "$deb" ] && dpkg -x "$deb" / && log "unpacked $(basename "$deb")"
done
command -v ldconfig >/dev/null && ldconfig 2>/dev/null
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
gunzip -c "$bundle/ngvm.gz" > "$bundle/ngvm-bin" && chmod +x "$bundle/ngvm-bin"
ngvm="$bundle/ngvm-bin"
cp "$bundle/bundle.json" "$out/" 2>/dev/null

# The machine.
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpus: $(nproc)"
  command -v nvidia-smi >/dev/null &&
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName' | sed 's/^ */vulkan: /'
} | tee "$out/machine.txt"

python="${NGVM_PYTHON:-python3}"
torch_device=cpu
if "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  torch_device=cuda
fi
log "PyTorch runs on: $torch_device"

failed=0
for batch in $batches; do
  log "bench at batch $batch"
  start=$(date +%s)
  if "$ngvm" bench --backend wgpu --compare torch --python "$python" --torch-device "$torch_device" \
      --batch "$batch" --steps "$steps" --warmup 3 "${workloads[@]}" --out "$out/bench-batch-$batch" \
      > "$out/bench-batch-$batch.log" 2>&1; then
    log "bench at batch $batch: done in $(( $(date +%s) - start )) s"
  else
    log "bench at batch $batch: FAILED (see bench-batch-$batch.log)"; failed=1
  fi
done

data=(--synthetic)
[ -n "$data_dir" ] && data=(--data-dir "$data_dir")
[ -z "$data_dir" ] && [ -d "$bundle/datasets" ] && data=(--data-dir "$bundle/datasets")
log "quick curriculum on wgpu (${only[*]:-all}; data: ${data[*]})"
start=$(date +%s)
if "$ngvm" curriculum --preset quick --backend wgpu "${only[@]}" "${data[@]}" --out "$out/runs" \
    > "$out/curriculum.log" 2>&1; then
  log "quick curriculum: passed in $(( $(date +%s) - start )) s"
else
  log "quick curriculum: FAILED or partly failed after $(( $(date +%s) - start )) s (see curriculum.log)"; failed=1
fi
rm -f "$bundle/ngvm-bin"
log "results in $out"
exit "$failed"
