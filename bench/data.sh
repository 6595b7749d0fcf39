#!/usr/bin/env bash
# The data layer against the usual Python tools on the same work, one after the other, on this machine:
# gan3d-bench data (voxelizer, procedural shapes, marching cubes, renderers, .npy.gz and mesh files),
# each case validated then timed, beside bench/peer/data_peer.py (NumPy; scikit-image for marching cubes).
# Writes bench/results/<date>-data.md.
#
#   bench/data.sh                 # REPEAT=5, PYTHON=/usr/bin/python3 (Debian's, with numpy and python3-skimage)
#
# The peer is never a dependency of the product or of CI; without NumPy the table has our column only.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-5}
PY=${PYTHON:-/usr/bin/python3}
dotnet build -c Release bench/Gan3D.Bench >/dev/null 2>&1 || dotnet build -c Release
BENCH="dotnet bench/Gan3D.Bench/bin/Release/net10.0/gan3d-bench.dll"
mkdir -p bench/results
OUT="bench/results/$(date -u +%Y-%m-%d)-data.md"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
PEER=()
if "$PY" -c "import numpy" 2>/dev/null; then
  "$PY" bench/peer/data_peer.py --repeat "$REPEAT" > "$TMP/peer.json"
  PEER=(--peer "$TMP/peer.json")
else
  echo "data.sh: $PY has no NumPy, so the table has no peer column" >&2
fi
[ -f "$OUT" ] || printf '# Data layer vs NumPy / scikit-image, %s\n\nWritten by `bench/data.sh`. Ratio = ours ÷ peer (lower is better).\n\n' "$(date -u +%Y-%m-%d)" > "$OUT"
$BENCH data --repeat "$REPEAT" "${PEER[@]}" --markdown "$OUT" --command "bench/data.sh (REPEAT=$REPEAT)" --commit "$COMMIT"
echo "results: $OUT"
