#!/usr/bin/env bash
# Runs ON the GPU machine (CUDA driver and PyTorch with CUDA, no .NET), as ONE device-tool call, from
# the repository root of the tool's copy, after bench/gpu/run.sh built artifacts/gpu here:
#
#   bash artifacts/gpu/on-gpu.sh          # see bench/gpu/README.md for the device tool call
#
# Steps, in order, inside one time budget (BUDGET_S, default 450 s: the call's limit is 8 minutes):
#   info     nvidia-smi and PyTorch's versions (never fatal)
#   smoke    gan3d --verbose devices --smoke: opens the device, one kernel of each kind vs the CPU.
#            If it fails, the run stops here with a clear message: nothing else can work.
#   tests    the CUDA test classes (every op and the v2 kernels vs float64 on the GPU); a skipped test
#            counts as a failure (a test skips when no device opens, so a dead GPU must not look green)
#   per batch size (32, then 100): gan3d profile --model gan64 with the fastest fp32 kernels, then with
#            --precision tf32 (tensor cores; reported, not required), then PyTorch's figures for the same
#            work (bench/peer/torch_gan.py), fp32 then TF32
# Every step has a cap, and no step starts past the budget; after each step the results so far are
# packed again, so even a run killed at the limit leaves them. $OUT gets exactly two files:
#   gpu-run.tar.gz  every step's output (stdout, stderr, test XML), under 50 MiB
#   summary.json    each step's exit code and seconds, the test counts, and ours and PyTorch's
#                   profile JSON inline; also printed at the end
# Exit code 0 when smoke, tests and our profiles passed (PyTorch's figures are reported, not required).
#
# Settings (environment), for bench/gpu/dry-run.sh and other machines: OUT (default ./gpu-out),
# DEVICE (cuda), PEER_DEVICE (cuda), MODEL (gan64), BATCHES ("32 100"; empty: none), WIDTH (1), REPEAT (5),
# KERNEL_VERSION (2: the fastest fp32 version; 0 = the backend's default), TEST_CLASSES ("*Cuda*"),
# BUDGET_S (450), PYTHON (python3).
set -uo pipefail

start_epoch=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$PWD/gpu-out}"
DEVICE="${DEVICE:-cuda}" PEER_DEVICE="${PEER_DEVICE:-cuda}" MODEL="${MODEL:-gan64}" BATCHES="${BATCHES-32 100}"
WIDTH="${WIDTH:-1}" REPEAT="${REPEAT:-5}" KERNEL_VERSION="${KERNEL_VERSION:-2}" TEST_CLASSES="${TEST_CLASSES:-*Cuda*}"
BUDGET_S="${BUDGET_S:-450}" python="${PYTHON:-python3}"
pack_reserve=10  # seconds kept for the last pack

mkdir -p "$OUT"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
work="$here/unpacked"
if [[ ! -x "$work/publish/gan3d" ]]; then
    rm -rf "$work" && mkdir -p "$work"
    tar -C "$work" -xzf "$here/gan3d-gpu.tar.gz" || { echo "on-gpu.sh: error: cannot unpack $here/gan3d-gpu.tar.gz" >&2; exit 1; }
fi
gan3d="$work/publish/gan3d"
tests="$work/publish/Gan3D.Tests"
commit=$(cat "$work/COMMIT" 2> /dev/null || echo unknown)
steps_json=()   # one JSON object per step
stopped=""      # why the run stopped early, if it did

json_str() {  # a JSON string literal of $1
    local s="$1"
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/}; s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

# The file's content when it is one JSON object (what --json and the peer print), else null.
json_or_null() {
    if [[ -s "$1" ]] && [[ "$(tr -d ' \n\r\t' < "$1" | head -c 1)" == "{" ]] && [[ "$(tr -d ' \n\r\t' < "$1" | tail -c 1)" == "}" ]]; then
        cat "$1"
    else
        echo null
    fi
}

elapsed() { echo $(( $(date +%s) - start_epoch )); }

# step NAME CAP_SECONDS COMMAND...: stdout to NAME.out, stderr to NAME.err; sets step_rc.
# Runs for at most min(CAP, what is left of the budget); a step with under 10 s left is not started.
step() {
    local name="$1" cap="$2"
    shift 2
    local left=$(( BUDGET_S - pack_reserve - $(elapsed) ))
    local limit=$(( cap < left ? cap : left ))
    if (( limit < 10 )); then
        step_rc=125
        steps_json+=("{\"name\": $(json_str "$name"), \"rc\": null, \"seconds\": 0, \"note\": \"not started: out of time\"}")
        printf '%-28s not started (out of time)\n' "$name"
        pack
        return
    fi
    local t0=$SECONDS
    timeout --kill-after=5 "$limit" "$@" > "$stage/$name.out" 2> "$stage/$name.err"
    step_rc=$?
    local note=""
    (( step_rc == 124 || step_rc == 137 )) && note=", \"note\": \"killed at its limit of $limit s\""
    steps_json+=("{\"name\": $(json_str "$name"), \"rc\": $step_rc, \"seconds\": $(( SECONDS - t0 )), \"limit\": $limit$note}")
    printf '%-28s rc=%-3s %4ss (limit %ss)\n' "$name" "$step_rc" "$(( SECONDS - t0 ))" "$limit"
    pack
}

# Test counts from the xunit XML; skips count as failures (a test skips when no device opens).
tests_json() {
    local xml="$stage/tests.xml" total=0 passed=0 failed=0 skipped=0 errors=0 notrun=0 a
    if [[ -s "$xml" ]]; then
        a=$(grep -o '<assembly [^>]*>' "$xml" | head -1)
        attr() { echo "$a" | grep -oE " $1=\"[0-9]+\"" | grep -oE '[0-9]+' || echo 0; }
        total=$(attr total) passed=$(attr passed) failed=$(attr failed) skipped=$(attr skipped) errors=$(attr errors) notrun=$(attr not-run)
    fi
    local ok=false
    (( total > 0 && passed == total && failed == 0 && skipped == 0 && errors == 0 )) && ok=true
    tests_ok=$ok
    echo "{\"total\": $total, \"passed\": $passed, \"failed\": $failed, \"skipped\": $skipped, \"errors\": $errors, \"not_run\": $notrun, \"ok\": $ok, \"rule\": \"skipped counts as failed\"}"
}

# summary.json from everything so far, and the archive of $stage; both written atomically.
pack() {
    local runs="" b first=1
    for b in $BATCHES; do
        (( first )) || runs+=", "
        first=0
        runs+="\"$b\": {\"ours\": $(json_or_null "$stage/ours-b$b.out"), \"ours_tf32\": $(json_or_null "$stage/ours-b$b-tf32.out"), \"torch_fp32\": $(json_or_null "$stage/torch-b$b-fp32.out"), \"torch_tf32\": $(json_or_null "$stage/torch-b$b-tf32.out")}"
    done
    local steps
    steps=$(IFS=,; echo "${steps_json[*]}")
    {
        echo "{"
        echo "  \"commit\": $(json_str "$commit"),"
        echo "  \"started\": \"$(date -u -d "@$start_epoch" +%FT%TZ)\", \"elapsed_s\": $(elapsed), \"budget_s\": $BUDGET_S,"
        echo "  \"device\": $(json_str "$DEVICE"), \"model\": $(json_str "$MODEL"), \"width\": $WIDTH, \"kernel_version\": $KERNEL_VERSION,"
        echo "  \"smoke_ok\": ${smoke_ok:-null}, \"tests\": $(tests_json), \"ours_ok\": ${ours_ok:-null}, \"stopped\": $(json_str "$stopped"),"
        echo "  \"ok\": ${run_ok:-false},"
        echo "  \"steps\": [$steps],"
        echo "  \"profiles\": {$runs}"
        echo "}"
    } > "$OUT/summary.json.tmp" && mv "$OUT/summary.json.tmp" "$OUT/summary.json"
    cp "$OUT/summary.json" "$stage/summary.json"
    tar -C "$stage" -czf "$OUT/gpu-run.tar.gz.tmp" . && mv "$OUT/gpu-run.tar.gz.tmp" "$OUT/gpu-run.tar.gz"
}

echo "on-gpu.sh: commit $commit, device $DEVICE, budget ${BUDGET_S}s, results in $OUT"
step info 20 bash -c 'nvidia-smi; echo; "$1" -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"no cuda\")"' _ "$python"

step smoke 90 "$gan3d" --verbose devices --smoke --device "$DEVICE"
if (( step_rc != 0 )); then
    smoke_ok=false
    stopped="the smoke check failed (rc $step_rc): ILGPU could not open $DEVICE or its kernels disagree with the CPU; see smoke.out and smoke.err in gpu-run.tar.gz"
    pack
    echo "on-gpu.sh: error: $stopped" >&2
    tail -n 30 "$stage/smoke.out" "$stage/smoke.err" >&2
    cat "$OUT/summary.json"
    exit 1
fi
smoke_ok=true

# xunit.v3's own options: the test executable is run directly (no dotnet on this machine).
class_args=()
for c in $TEST_CLASSES; do class_args+=(-class "$c"); done
step tests 180 "$tests" "${class_args[@]}" -noColor -reporter verbose -result-xml "$stage/tests.xml"

ours_ok=true
for b in $BATCHES; do
    step "ours-b$b" 120 "$gan3d" profile --model "$MODEL" --batch-size "$b" --width "$WIDTH" --device "$DEVICE" \
        --kernel-version "$KERNEL_VERSION" --repeat "$REPEAT" --json
    (( step_rc == 0 )) || ours_ok=false
    # Our TF32 tensor-core convolutions (--precision tf32), reported beside PyTorch's TF32, not required.
    step "ours-b$b-tf32" 120 "$gan3d" profile --model "$MODEL" --batch-size "$b" --width "$WIDTH" --device "$DEVICE" \
        --kernel-version "$KERNEL_VERSION" --precision tf32 --repeat "$REPEAT" --json
    step "torch-b$b-fp32" 60 "$python" "$work/bench/peer/torch_gan.py" --model "$MODEL" --batch-size "$b" --width "$WIDTH" \
        --device "$PEER_DEVICE" --repeat "$REPEAT"
    step "torch-b$b-tf32" 60 "$python" "$work/bench/peer/torch_gan.py" --model "$MODEL" --batch-size "$b" --width "$WIDTH" \
        --device "$PEER_DEVICE" --repeat "$REPEAT" --tf32
done

tests_json > /dev/null
run_ok=false
[[ "$tests_ok" == true && "$ours_ok" == true ]] && run_ok=true
pack
size=$(stat -c %s "$OUT/gpu-run.tar.gz")
if (( size > 50 * 1048576 )); then
    echo "on-gpu.sh: error: gpu-run.tar.gz is $size bytes, over 50 MiB" >&2
    run_ok=false
fi
cat "$OUT/summary.json"
echo "on-gpu.sh: $(find "$OUT" -maxdepth 1 -type f | wc -l) files in $OUT, gpu-run.tar.gz $size bytes, $(elapsed) s; ok: $run_ok"
[[ "$run_ok" == true ]]
