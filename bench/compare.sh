#!/usr/bin/env bash
# Side-by-side: gan3d profile and the PyTorch peer on the same work, one after the other, on this machine.
# Writes bench/results/<date>-<device>.md (appending one section per configuration).
#
#   bench/compare.sh                         # CPU: gan32 width 1 and 0.5 at batch 32, gan64 at batch 4
#   bench/compare.sh gan32 32 1              # one configuration: model, batch size, width
#
# The peer is Debian's python3-torch with libopenblas0-pthread and 2 threads (see ../shared/notes/pytorch-peer.md);
# it is never a dependency of the product or of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cpu}
REPEAT=${REPEAT:-5}
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-$(nproc)}
if [ $# -ge 3 ]; then CONFIGS=("$1 $2 $3"); else CONFIGS=("gan32 32 1" "gan32 32 0.5" "gan64 4 1"); fi

dotnet build -c Release src/Gan3D.Cli bench/Gan3D.Bench >/dev/null 2>&1 || dotnet build -c Release
GAN3D="dotnet src/Gan3D.Cli/bin/Release/net10.0/gan3d.dll"
BENCH="dotnet bench/Gan3D.Bench/bin/Release/net10.0/gan3d-bench.dll"
mkdir -p bench/results
OUT="bench/results/$(date -u +%Y-%m-%d)-${DEVICE}.md"
TMP=$(mktemp -d)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -f "$OUT" ] || printf '# gan3d vs PyTorch on %s, %s\n\nWritten by `bench/compare.sh`. Ratio = ours ÷ PyTorch (lower is better).\n\n' "$DEVICE" "$(date -u +%Y-%m-%d)" > "$OUT"
for cfg in "${CONFIGS[@]}"; do
  read -r MODEL BATCH WIDTH <<<"$cfg"
  echo "== $MODEL batch $BATCH width $WIDTH on $DEVICE"
  $GAN3D profile --model "$MODEL" --batch-size "$BATCH" --width "$WIDTH" --device "$DEVICE" --repeat "$REPEAT" --threads "$THREADS" --json > "$TMP/ours.json"
  $PY bench/peer/torch_gan.py --model "$MODEL" --batch-size "$BATCH" --width "$WIDTH" --device "$DEVICE" --threads "$THREADS" --repeat "$REPEAT" > "$TMP/peer.json"
  $BENCH report --ours "$TMP/ours.json" --peer "$TMP/peer.json" --title "$MODEL, batch $BATCH, width $WIDTH" \
    --command "bench/compare.sh $MODEL $BATCH $WIDTH (DEVICE=$DEVICE THREADS=$THREADS REPEAT=$REPEAT)" --commit "$COMMIT" | tee -a "$OUT"
  echo >> "$OUT"
done
echo "results: $OUT"
