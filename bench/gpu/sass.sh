#!/usr/bin/env bash
# Every kernel assembled for an H100/H200 (sm_90) by NVIDIA's own ptxas, without a GPU: registers,
# spills, shared memory and the SASS instruction mix of each kernel's hottest loop.
#
#   bench/gpu/sass.sh [--json] [--markdown FILE | --no-markdown] [--no-build] [--keep DIR]
#
# 1. Fetches ptxas, cuobjdump and nvdisasm once from Debian's non-free nvidia-cuda-toolkit package
#    (trixie: CUDA 12.4) with private apt lists (the machine's own apt sources are not touched), and
#    caches them under ${XDG_CACHE_HOME:-~/.cache}/gan3d/cuda-toolkit. The package cannot be installed
#    (it depends on the driver) and need not be: its binaries are extracted.
# 2. gan3d-bench sass compiles every kernel to PTX with ILGPU (as the CUDA backend does), rewrites the
#    PTX ISA header to what this ptxas accepts, runs `ptxas -arch=sm_90 -O3 -v` and `cuobjdump -sass`.
# Prints a table (or JSON with --json) and writes bench/results/<date>-sass.md. Exits non-zero on a
# failed fetch, any ptxas error or any register spill. .ci/run runs it as a gate.
#
# Environment: GAN3D_CUDA_SUITE (Debian suite, default trixie), GAN3D_DEBIAN_MIRROR (default: the
# machine's own Debian mirror), GAN3D_CUDA_TOOLKIT (a folder with ptxas and cuobjdump: skips the fetch).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
json=() keep=() build=1
markdown="$repo/bench/results/$(date -u +%F)-sass.md"
while (( $# )); do
    case "$1" in
        --json) json=(--json) ;;
        --markdown) markdown="$2"; shift ;;
        --no-markdown) markdown="" ;;
        --no-build) build=0 ;;
        --keep) keep=(--keep "$2"); shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "sass.sh: error: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

fail() { echo "sass.sh: error: $*" >&2; exit 1; }
tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

# The machine's Debian mirror (first non-security deb822 URIs or one-line deb entry), else the default.
mirror() {
    local m
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }')
    [[ -n "$m" ]] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
    echo "${m:-http://deb.debian.org/debian}"
}

fetch_toolkit() {
    local dest="$1" suite="${GAN3D_CUDA_SUITE:-trixie}" url keyring opts
    command -v apt-get > /dev/null || fail "apt-get not found: the toolkit comes from Debian's non-free archive (or set GAN3D_CUDA_TOOLKIT)"
    command -v dpkg-deb > /dev/null || fail "dpkg-deb not found (or set GAN3D_CUDA_TOOLKIT)"
    url=$(mirror)
    tmp=$(mktemp -d)
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb" "$tmp/x"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -r "$keyring" ]] && keyring="[signed-by=$keyring] " || keyring=""
    echo "deb ${keyring}$url $suite non-free" > "$tmp/sources.list"
    opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/nonexistent
          -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Debug::NoLocking=1
          -o APT::Sandbox::User="$(id -un)")
    echo "sass.sh: fetching nvidia-cuda-toolkit from $suite non-free (about 87 MB, once)" >&2
    apt-get "${opts[@]}" -qq update > "$tmp/apt.log" 2>&1 \
        || { cat "$tmp/apt.log" >&2; fail "apt-get update of $suite non-free failed"; }
    (cd "$tmp/deb" && apt-get "${opts[@]}" -qq download nvidia-cuda-toolkit) > "$tmp/apt.log" 2>&1 \
        || { cat "$tmp/apt.log" >&2; fail "apt-get download nvidia-cuda-toolkit failed"; }
    dpkg-deb -x "$tmp"/deb/nvidia-cuda-toolkit_*.deb "$tmp/x" || fail "dpkg-deb could not extract the package"
    mkdir -p "$tmp/new/bin"
    for tool in ptxas cuobjdump nvdisasm; do
        [[ -x "$tmp/x/usr/bin/$tool" ]] || fail "the package has no usr/bin/$tool"
        mv "$tmp/x/usr/bin/$tool" "$tmp/new/bin/"
    done
    basename "$tmp"/deb/nvidia-cuda-toolkit_*.deb > "$tmp/new/PACKAGE"
    # Atomic for concurrent runs: whoever renames first wins, the other's copy is dropped.
    mkdir -p "$(dirname "$dest")"
    mv -T "$tmp/new" "$dest" 2> /dev/null || [[ -x "$dest/bin/ptxas" ]] || fail "could not move the toolkit into $dest"
}

if [[ -n "${GAN3D_CUDA_TOOLKIT:-}" ]]; then
    bin="$GAN3D_CUDA_TOOLKIT"
else
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/gan3d/cuda-toolkit/${GAN3D_CUDA_SUITE:-trixie}"
    [[ -x "$cache/bin/ptxas" && -x "$cache/bin/cuobjdump" ]] || fetch_toolkit "$cache"
    bin="$cache/bin"
fi
"$bin/ptxas" --version > /dev/null 2>&1 || fail "$bin/ptxas does not run on this machine"

bench="$repo/bench/Gan3D.Bench/bin/Release/net10.0/gan3d-bench"
if (( build )); then
    dotnet build "$repo/bench/Gan3D.Bench/Gan3D.Bench.csproj" -c Release -nologo -v quiet > /dev/null \
        || fail "dotnet build of bench/Gan3D.Bench failed (run it to see why)"
fi
[[ -x "$bench" ]] || fail "$bench not built (run without --no-build)"

md=()
[[ -n "$markdown" ]] && md=(--markdown "$markdown")
commit=$(git -C "$repo" describe --always --dirty 2> /dev/null || echo unknown)
"$bench" sass --toolkit "$bin" "${json[@]}" "${md[@]}" "${keep[@]}" --command "bench/gpu/sass.sh" --commit "$commit"
