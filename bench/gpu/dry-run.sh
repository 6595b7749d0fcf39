#!/usr/bin/env bash
# Rehearses the GPU machine's run here, without a GPU: builds the carry (bench/gpu/run.sh), copies ONLY
# what the device tool would carry (artifacts/gpu) into a scratch folder, and runs on-gpu.sh there end
# to end on ILGPU's CPU accelerator at tiny sizes, with a scratch $OUT (kept; OUT=DIR to choose). Checks what the device tool
# allows: the carry under 64 MiB, at most 8 files back, the archive under 50 MiB, the budget kept.
#
#   bench/gpu/dry-run.sh [--no-publish]     # --no-publish: reuse artifacts/gpu from an earlier run.sh
#
# Tiny sizes: gan32 at width 1/16, batch 2, one repetition, the default kernels of the emulator; the
# tests step runs two quick classes instead of the CUDA ones (which would all skip here). PyTorch's
# steps fail where torch is not installed; they are reported, never required.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
publish=1
[[ "${1:-}" == "--no-publish" ]] && publish=0

if (( publish )) || [[ ! -s "$repo/artifacts/gpu/gan3d-gpu.tar.gz" ]]; then
    "$repo/bench/gpu/run.sh"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/repo/artifacts/gpu"
cp "$repo/artifacts/gpu/gan3d-gpu.tar.gz" "$repo/artifacts/gpu/on-gpu.sh" "$scratch/repo/artifacts/gpu/"
carry=$(du -sb "$scratch/repo/artifacts/gpu" | cut -f1)
echo "dry run: carry artifacts/gpu is $carry bytes (the device tool carries at most 64 MiB)"
(( carry <= 64 * 1048576 )) || { echo "dry run: FAILED: the carry is over 64 MiB" >&2; exit 1; }

# Kept afterwards for a look (OUT=DIR to choose it; it must be empty, as on the device).
out="${OUT:-$(mktemp -d -t gan3d-dry-run-XXXXXX)}"
mkdir -p "$out"
[[ -z "$(ls -A "$out")" ]] || { echo "dry run: error: $out is not empty" >&2; exit 2; }
t0=$SECONDS
rc=0
(cd "$scratch/repo" && OUT="$out" DEVICE=ilgpu-cpu PEER_DEVICE=cpu MODEL=gan32 BATCHES=2 WIDTH=0.0625 REPEAT=1 \
    KERNEL_VERSION=0 TEST_CLASSES="*IlgpuDevicesCommandTests *SassParserTests" BUDGET_S="${BUDGET_S:-450}" \
    bash artifacts/gpu/on-gpu.sh) || rc=$?
seconds=$(( SECONDS - t0 ))

files=$(find "$out" -type f | wc -l)
bytes=$(du -sb "$out" | cut -f1)
problems=()
(( rc == 0 )) || problems+=("on-gpu.sh exit code $rc")
(( files <= 8 )) || problems+=("$files files in \$OUT (the device tool brings back 8)")
[[ -s "$out/summary.json" && -s "$out/gpu-run.tar.gz" ]] || problems+=("summary.json or gpu-run.tar.gz missing")
(( bytes < 50 * 1048576 )) || problems+=("\$OUT holds $bytes bytes (at most 50 MiB)")
(( seconds <= 480 )) || problems+=("took $seconds s (the GPU call has 8 minutes)")
grep -q '"smoke_ok": true' "$out/summary.json" 2> /dev/null || problems+=("the smoke step did not pass")
echo "dry run: archive holds $(tar -tzf "$out/gpu-run.tar.gz" | grep -c -v '/$') files; on-gpu.sh took $seconds s"
if (( ${#problems[@]} )); then
    printf 'dry run: FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "dry run: $files files in $out, $(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }') MiB"
