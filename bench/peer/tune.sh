#!/usr/bin/env bash
# Which PyTorch configuration is fastest on this machine for the training iteration bench/compare.sh times?
# Every variant runs in its own fresh process; the variants alternate for ROUNDS rounds, and the table gives
# each variant's median over the rounds. Also runs the repository's previous peer script (if given as OLD=path)
# and the reference peer ../shared/peers/torch_cpu_peer.py, so a slow peer shows up as a slow row.
#
#   bench/peer/tune.sh                       # gan32, batch 32, width 1, 3 rounds
#   bench/peer/tune.sh gan64 4 1
#
# Needs: apt-get install -y python3-torch python3-numpy libopenblas0-pthread libjemalloc2 libtcmalloc-minimal4
# Run on a quiet machine: nothing else may share the CPU. Never part of the product or CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-gan32} BATCH=${2:-32} WIDTH=${3:-1}
ROUNDS=${ROUNDS:-3} REPEAT=${REPEAT:-5} THREADS=${THREADS:-$(nproc)} PY=${PYTHON:-/usr/bin/python3}
LIB=/usr/lib/x86_64-linux-gnu
JEMALLOC=$LIB/libjemalloc.so.2 TCMALLOC=$LIB/libtcmalloc_minimal.so.4
VARIANTS=(
  "out-of-place||--no-inplace"
  "default||"
  "jemalloc|$JEMALLOC|"
  "tcmalloc|$TCMALLOC|"
  "flush-denormal||--flush-denormal"
  "channels-last||--channels-last"
  "jemalloc+flush-denormal|$JEMALLOC|--flush-denormal"
)
SHARED=../shared/peers/torch_cpu_peer.py
RES=${MODEL#gan}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
declare -A T
for r in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    IFS='|' read -r name preload flags <<<"$v"
    [ -z "$preload" ] || [ -f "$preload" ] || { echo "skip $name: $preload missing"; continue; }
    ms=$(LD_PRELOAD="$preload" $PY bench/peer/torch_gan.py --model "$MODEL" --batch-size "$BATCH" --width "$WIDTH" \
         --threads "$THREADS" --repeat "$REPEAT" --iteration-only $flags | $PY -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["iteration_ms"])')
    T[$name]="${T[$name]:-} $ms"
    echo "round $r  $name: $ms ms"
  done
  if [ -n "${OLD:-}" ]; then
    ms=$($PY "$OLD" --model "$MODEL" --batch-size "$BATCH" --width "$WIDTH" --threads "$THREADS" --repeat "$REPEAT" \
         | $PY -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["iteration_ms"])')
    T[old-script]="${T[old-script]:-} $ms"
    echo "round $r  old-script: $ms ms"
  fi
  if [ -f "$SHARED" ] && [ "$WIDTH" = 1 ]; then
    ms=$($PY "$SHARED" --worker train --res "$RES" --batch "$BATCH" --threads "$THREADS" \
         | tail -1 | $PY -c 'import json,sys; print("%.0f" % (1000 * json.load(sys.stdin)["median_s"]))')
    T[shared-reference-peer]="${T[shared-reference-peer]:-} $ms"
    echo "round $r  shared-reference-peer: $ms ms"
  fi
done
echo
echo "| PyTorch configuration ($MODEL, batch $BATCH, width $WIDTH, $THREADS threads) | median ms | rounds |"
echo "|---|---:|---|"
for k in "${!T[@]}"; do
  med=$(tr ' ' '\n' <<<"${T[$k]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  echo "| $k | $med |${T[$k]} |"
done | sort -t'|' -k3 -n
