#!/usr/bin/env bash
# Builds the carry for the GPU machine (which has the CUDA driver and PyTorch, but no .NET):
# the CLI (gan3d), the test project (Gan3D.Tests, an xunit.v3 executable) and the bench (gan3d-bench),
# published self-contained for linux-x64 into ONE folder so they share one runtime, then packed as
# artifacts/gpu/gan3d-gpu.tar.gz together with on-gpu.sh, the PyTorch peer script and tests/golden.
#
#   bench/gpu/run.sh            # publish, pack, check the size, smoke-run the published CLI here
#
# Then, with the device tool: carry artifacts/gpu and run `bash artifacts/gpu/on-gpu.sh` there
# (see bench/gpu/README.md). The device tool carries at most 64 MiB: this script fails above 50 MiB, to leave room for growth.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$repo/artifacts/gpu"
stage="$out/stage"
publish="$stage/publish"
limit_mib=50

rm -rf "$out"
mkdir -p "$publish"

# ILGPU generates code at run time and reflects over the kernels: no trimming, no AOT. Not single-file
# either: three apps share one runtime folder, and the tar.gz compresses it about as well.
common=(-c Release -r linux-x64 --self-contained true -p:InvariantGlobalization=true
        -p:PublishTrimmed=false -p:PublishAot=false -p:DebugType=none -p:GenerateDocumentationFile=false
        -o "$publish")
for project in src/Gan3D.Cli/Gan3D.Cli.csproj tests/Gan3D.Tests/Gan3D.Tests.csproj bench/Gan3D.Bench/Gan3D.Bench.csproj; do
    echo "publishing $project"
    dotnet publish "$repo/$project" "${common[@]}" -nologo -v quiet
done

# What on-gpu.sh needs besides the binaries. The golden tensors are already in the publish folder
# (the test project copies them to its output).
mkdir -p "$stage/bench/peer"
cp "$repo/bench/peer/torch_gan.py" "$stage/bench/peer/"
cp "$repo/bench/gpu/on-gpu.sh" "$stage/"
git -C "$repo" describe --always --dirty > "$stage/COMMIT" 2>/dev/null || echo unknown > "$stage/COMMIT"

tar -C "$stage" -czf "$out/gan3d-gpu.tar.gz" .
cp "$repo/bench/gpu/on-gpu.sh" "$out/on-gpu.sh"

# Check the published CLI runs here (no GPU needed: `devices` says why there is none).
echo "published CLI, here:"
"$publish/gan3d" devices || true
"$publish/gan3d" --help > /dev/null

rm -rf "$stage"
size=$(stat -c %s "$out/gan3d-gpu.tar.gz")
mib=$(( (size + (1 << 20) - 1) >> 20 ))
echo "artifacts/gpu/gan3d-gpu.tar.gz: $size bytes (~${mib} MiB; the carry limit is 64 MiB)"
if (( mib > limit_mib )); then
    echo "error: the carry is over ${limit_mib} MiB" >&2
    exit 1
fi
