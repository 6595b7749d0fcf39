#!/usr/bin/env bash
# Side-by-side: gan3d profile and the PyTorch peer on the same work, on this machine, in one run.
# Writes bench/results/<date>-<device>.md (appending one section per configuration).
#
#   bench/compare.sh                         # CPU: gan32 width 1 and 0.5 at batch 32, gan64 width 1 at batch 4
#   bench/compare.sh gan32 32 1              # one configuration: model, batch size, width
#   ROUNDS=5 LAYERS=0 bench/compare.sh       # more rounds of the iteration; skip the per-layer tables
#
# Per configuration: each side's per-layer profile (one process each), then ROUNDS rounds of the whole
# training iteration alternating ours and the peer, each a fresh process (--iteration-only), so drifting
# load hits both alike and each process's peak RSS is the iteration's own. The report gives every round,
# the median ratio and its spread.
#
# The peer is Debian's python3-torch with libopenblas0-pthread (see ../shared/notes/pytorch-peer.md) in its
# fastest configuration found by bench/peer/tune.sh (bench/results/2026-11-29-peer-tune.md: tcmalloc preloaded);
# PEER_FLAGS and PEER_PRELOAD below hold it (PEER_PRELOAD= runs glibc's malloc). It is never a
# dependency of the product or of CI. Run on a quiet machine: nothing else may share the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cpu}
REPEAT=${REPEAT:-5}
ROUNDS=${ROUNDS:-3}
LAYERS=${LAYERS:-1}
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-$(nproc)}
PEER_FLAGS=${PEER_FLAGS:-}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 # apt-get install libtcmalloc-minimal4
PEER_PRELOAD=${PEER_PRELOAD-$([ -f "$TCMALLOC" ] && echo "$TCMALLOC" || true)}
if [ $# -ge 3 ]; then CONFIGS=("$1 $2 $3"); else CONFIGS=("gan32 32 1" "gan32 32 0.5" "gan64 4 1"); fi

dotnet build -c Release src/Gan3D.Cli bench/Gan3D.Bench >/dev/null 2>&1 || dotnet build -c Release
GAN3D="dotnet src/Gan3D.Cli/bin/Release/net10.0/gan3d.dll"
BENCH="dotnet bench/Gan3D.Bench/bin/Release/net10.0/gan3d-bench.dll"
peer() { LD_PRELOAD="$PEER_PRELOAD" $PY bench/peer/torch_gan.py --device "$DEVICE" --threads "$THREADS" --repeat "$REPEAT" $PEER_FLAGS "$@"; }
mkdir -p bench/results
OUT=${RESULTS:-"bench/results/$(date -u +%Y-%m-%d)-${DEVICE}.md"}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
[ -f "$OUT" ] || printf '# gan3d vs PyTorch on %s, %s\n\nWritten by `bench/compare.sh`. Ratio = ours ÷ PyTorch (lower is better).\n\n' "$DEVICE" "$(date -u +%Y-%m-%d)" > "$OUT"
for cfg in "${CONFIGS[@]}"; do
  read -r MODEL BATCH WIDTH <<<"$cfg"
  echo "== $MODEL batch $BATCH width $WIDTH on $DEVICE"
  ARGS=(--model "$MODEL" --batch-size "$BATCH" --width "$WIDTH")
  if [ "$LAYERS" = 1 ]; then
    $GAN3D profile "${ARGS[@]}" --device "$DEVICE" --repeat "$REPEAT" --threads "$THREADS" --json > "$TMP/ours.json"
    peer "${ARGS[@]}" --layers-only > "$TMP/peer.json"
  else
    echo '{"device": "(layers not run)", "layers": []}' | tee "$TMP/ours.json" > "$TMP/peer.json"
  fi
  OURS_IT=() PEER_IT=()
  for r in $(seq 1 "$ROUNDS"); do
    $GAN3D profile "${ARGS[@]}" --device "$DEVICE" --repeat "$REPEAT" --threads "$THREADS" --iteration-only --json > "$TMP/ours-it-$r.json"
    peer "${ARGS[@]}" --iteration-only > "$TMP/peer-it-$r.json"
    echo "   round $r: ours $(grep -m1 '"iteration_ms"' "$TMP/ours-it-$r.json" | tr -dc '0-9.') ms, PyTorch $(grep -m1 '"iteration_ms"' "$TMP/peer-it-$r.json" | tr -dc '0-9.') ms"
    OURS_IT+=("$TMP/ours-it-$r.json") PEER_IT+=("$TMP/peer-it-$r.json")
  done
  $BENCH report --ours "$TMP/ours.json" --peer "$TMP/peer.json" --title "$MODEL, batch $BATCH, width $WIDTH" \
    --ours-iteration "${OURS_IT[@]}" --peer-iteration "${PEER_IT[@]}" \
    --command "bench/compare.sh $MODEL $BATCH $WIDTH (DEVICE=$DEVICE THREADS=$THREADS REPEAT=$REPEAT ROUNDS=$ROUNDS PEER_FLAGS='$PEER_FLAGS' PEER_PRELOAD='$PEER_PRELOAD')" \
    --commit "$COMMIT" | tee -a "$OUT"
  echo >> "$OUT"
done
echo "results: $OUT"
