#!/usr/bin/env bash
# Runs ON the GPU machine (CUDA driver and PyTorch with CUDA, no .NET), from the repository root of the
# device tool's copy, after bench/gpu/run.sh built artifacts/gpu here and it was carried over:
#
#   bash artifacts/gpu/on-gpu.sh [steps...]      # steps: info tests smoke model layers peer (default: all)
#
# Unpacks artifacts/gpu/gan3d-gpu.tar.gz and writes every result under $OUT (./gpu-out without the
# device tool). Each step has its own time limit and its exit code goes to $OUT/summary.txt; a failed
# step does not stop the next. The device tool allows 10 minutes a command: if everything does not fit,
# run the steps in several calls (the unpacked folder is reused while the machine stays warm).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
work="$here/unpacked"
if [[ ! -x "$work/publish/gan3d" ]]; then
    rm -rf "$work" && mkdir -p "$work"
    tar -C "$work" -xzf "$here/gan3d-gpu.tar.gz"
fi
gan3d="$work/publish/gan3d"
tests="$work/publish/Gan3D.Tests"
python="${PYTHON:-python3}"
steps=("$@")
(( ${#steps[@]} )) || steps=(info tests smoke model layers peer)

summary="$OUT/summary.txt"
echo "commit $(cat "$work/COMMIT"), started $(date -u +%FT%TZ), steps: ${steps[*]}" >> "$summary"

# run NAME SECONDS COMMAND...: stdout+stderr to $OUT/NAME.txt, exit code and time to the summary.
run() {
    local name="$1" limit="$2"
    shift 2
    local start=$SECONDS
    timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.txt" 2>&1
    local rc=$?
    printf '%-40s rc=%-3s %4ss\n' "$name" "$rc" "$((SECONDS - start))" | tee -a "$summary"
}

# The GAN's layers at 64³, batch 100 (as gan3d profile --model and bench/peer/torch_gan.py build them).
layers() {
    local v="$1" b=100
    run "layer-v$v-G.convT1" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer convtranspose3d --input $b,200,1,1,1 --out-channels 512 --kernel 4 --stride 1 --padding 0
    run "layer-v$v-G.convT2" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer convtranspose3d --input $b,512,4,4,4 --out-channels 256 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-G.convT3" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer convtranspose3d --input $b,256,8,8,8 --out-channels 128 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-G.convT4" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer convtranspose3d --input $b,128,16,16,16 --out-channels 64 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-G.convT5" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer convtranspose3d --input $b,64,32,32,32 --out-channels 1 --kernel 4 --stride 2 --padding 1 --bias
    run "layer-v$v-D.conv1" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer conv3d --input $b,1,64,64,64 --out-channels 64 --kernel 4 --stride 2 --padding 1 --bias
    run "layer-v$v-D.conv2" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer conv3d --input $b,64,32,32,32 --out-channels 128 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-D.conv3" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer conv3d --input $b,128,16,16,16 --out-channels 256 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-D.conv4" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer conv3d --input $b,256,8,8,8 --out-channels 512 --kernel 4 --stride 2 --padding 1
    run "layer-v$v-D.conv5" 120 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer conv3d --input $b,512,4,4,4 --out-channels 1 --kernel 4 --stride 1 --padding 0 --bias
    run "layer-v$v-bn.G2" 60 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer batchnorm3d --input $b,256,8,8,8
    run "layer-v$v-bn.D2" 60 "$gan3d" profile --device cuda --kernel-version "$v" --json --layer batchnorm3d --input $b,128,16,16,16
}

for step in "${steps[@]}"; do
    case "$step" in
        info)
            run nvidia-smi 30 nvidia-smi
            run torch-version 60 "$python" -c "import torch; print(torch.__version__, torch.version.cuda, torch.backends.cudnn.version(), torch.cuda.get_device_name(0))"
            ;;
        tests)
            # The CUDA test classes (op tests and v2-vs-v1 on the GPU) and the PTX compile tests; the
            # emulator tests already run in CI. Run directly, the xunit.v3 test executable takes xunit's
            # own options (-class, -result-xml), not the Microsoft.Testing.Platform ones dotnet test passes.
            run tests-cuda 480 "$tests" -class '*Cuda*' -class '*IlgpuPtxCompileTests' -class '*IlgpuDevices*' \
                -noColor -reporter verbose -result-xml "$OUT/tests-cuda.xml"
            ;;
        smoke)
            run devices-smoke 120 "$gan3d" --verbose devices --smoke
            ;;
        model)
            run model-gan64-b100-v2 300 "$gan3d" profile --model gan64 --batch-size 100 --device cuda --kernel-version 2 --json
            run model-gan64-b100-v1 300 "$gan3d" profile --model gan64 --batch-size 100 --device cuda --kernel-version 1 --repeat 2 --json
            ;;
        layers)
            layers 2
            layers 1
            ;;
        peer)
            run peer-gan64-b100-fp32 300 "$python" "$work/bench/peer/torch_gan.py" --model gan64 --batch-size 100 --device cuda
            run peer-gan64-b100-tf32 300 "$python" "$work/bench/peer/torch_gan.py" --model gan64 --batch-size 100 --device cuda --tf32
            ;;
        *)
            echo "unknown step $step (use info tests smoke model layers peer)" | tee -a "$summary"
            ;;
    esac
done
echo "finished $(date -u +%FT%TZ)" >> "$summary"
