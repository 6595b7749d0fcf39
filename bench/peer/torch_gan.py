#!/usr/bin/env python3
"""The PyTorch peer of `gan3d profile --model ...`: the same layers and the same training iteration,
timed the same way (medians after warm-up), printed as the same JSON.

    /usr/bin/python3 bench/peer/torch_gan.py --model gan32 --batch-size 32 --threads 2 --layers-only
    /usr/bin/python3 bench/peer/torch_gan.py --model gan32 --batch-size 32 --threads 2 --iteration-only
    python3 bench/peer/torch_gan.py --model gan64 --batch-size 100 --device cuda [--tf32]

It is meant to be the fastest PyTorch we can set up for the same work (a slow peer makes every ratio a
lie), so the training iteration is written the way a careful PyTorch user writes it: in-place
activations, `zero_grad(set_to_none=True)`, D frozen (`requires_grad_(False)`) during the G step
exactly as gan3d's trainer freezes it, no host read-back inside the timed loop. Run the iteration in a
fresh process (`--iteration-only`): timing it after the per-layer runs measures a process whose
allocator and thread pool the layer runs left behind, and its peak RSS would be theirs.
`bench/peer/tune.sh` times the knobs that are left (allocator, channels-last, OpenMP wait policy,
denormals) and `bench/compare.sh` uses the fastest.

On the CPU, install OpenBLAS first (apt-get install libopenblas0-pthread): without it PyTorch 1.13's
transposed convolutions run on the reference BLAS and are about 10x slower. The script prints which
BLAS the process loaded. Never a dependency of the product or of CI.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def channels(res, width, kind):
    base = {("G", 64): [512, 256, 128, 64], ("G", 32): [256, 128, 64],
            ("D", 64): [64, 128, 256, 512], ("D", 32): [64, 128, 256]}[(kind, res)]
    return [max(1, int(round(c * width))) for c in base]


def build(res, width, zdim, inplace):
    """Generator3D / Discriminator3D of Gan3D.Models, layer for layer; names match `gan3d profile`."""
    g_layers, d_layers = [], []
    gc = channels(res, width, "G")
    cin = zdim
    for i, c in enumerate(gc):
        g_layers.append((f"G.convT{i + 1}", nn.ConvTranspose3d(cin, c, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False)))
        g_layers.append((f"G.bn{i + 1}+relu", nn.Sequential(nn.BatchNorm3d(c), nn.ReLU(inplace=inplace))))
        cin = c
    g_layers.append((f"G.convT{len(gc) + 1}", nn.ConvTranspose3d(cin, 1, 4, 2, 1, bias=True)))
    g_layers.append(("G.sigmoid", nn.Sigmoid()))
    dc = channels(res, width, "D")
    cin = 1
    for i, c in enumerate(dc):
        d_layers.append((f"D.conv{i + 1}", nn.Conv3d(cin, c, 4, 2, 1, bias=(i == 0))))
        if i == 0:
            d_layers.append(("D.lrelu1", nn.LeakyReLU(0.2, inplace=inplace)))
        else:
            d_layers.append((f"D.bn{i + 1}+lrelu", nn.Sequential(nn.BatchNorm3d(c), nn.LeakyReLU(0.2, inplace=inplace))))
        cin = c
    d_layers.append((f"D.conv{len(dc) + 1}", nn.Conv3d(cin, 1, 4, 1, 0, bias=True)))
    return g_layers, d_layers


def conv_flops(m, x_shape, y_shape):
    if isinstance(m, nn.Conv3d):
        macs = y_shape.numel() * m.in_channels * m.weight[0, 0].numel()
    elif isinstance(m, nn.ConvTranspose3d):  # counted as its adjoint convolution
        macs = x_shape.numel() * m.out_channels * m.weight[0, 0].numel()
    else:
        return 0
    return 2 * macs


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def times_ms(fn, dev, warmup, repeat, warmup_seconds):
    # The same warm-up as gan3d's (SteadyState.WarmUp): at least `warmup` calls and `warmup_seconds`, at most 10x that.
    start, calls = time.perf_counter(), 0
    while calls < warmup or (time.perf_counter() - start < warmup_seconds):
        fn()
        sync(dev)
        calls += 1
        if time.perf_counter() - start >= 10 * warmup_seconds > 0:
            break
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def shape_str(s):
    return "x".join(str(v) for v in s)


def loaded(name_parts):
    """Which of these libraries the process has mapped (what matters, whatever the packages say)."""
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return "unknown"
    return next((name for name, part in name_parts if part in maps), "none")


def describe(a, dev, fmt):
    if dev.type == "cuda":
        return f"pytorch {torch.__version__} cuda ({torch.cuda.get_device_name(0)}, tf32 {'on' if a.tf32 else 'off'})"
    blas = loaded([("openblas", "openblas"), ("mkl", "libmkl"), ("reference BLAS", "libblas.so")])
    alloc = loaded([("jemalloc", "jemalloc"), ("tcmalloc", "tcmalloc")])
    extras = [f"{torch.get_num_threads()} threads", blas]
    if alloc != "none":
        extras.append(alloc)
    if fmt == torch.channels_last_3d:
        extras.append("channels-last-3d")
    if a.flush_denormal:
        extras.append("flush denormals")
    if os.environ.get("OMP_WAIT_POLICY"):
        extras.append("OMP_WAIT_POLICY=" + os.environ["OMP_WAIT_POLICY"])
    return f"pytorch {torch.__version__} cpu ({', '.join(extras)})"


def profile_layers(layers, x0, dev, a, fmt, out):
    x = x0
    for i, (name, m) in enumerate(layers):
        # A bare in-place activation cannot run on a leaf that requires grad; in the network it runs
        # on a conv's output. Forward is timed with autograd recording, as gan3d profile times it.
        was_inplace = getattr(m, "inplace", False)
        if was_inplace:
            m.inplace = False
        xin = x.detach().contiguous(memory_format=fmt) if x.dim() == 5 else x.detach()
        xin.requires_grad_(i > 0)
        with torch.no_grad():
            y = m(xin.clone())  # in-place activations would write into xin
        gy = torch.randn_like(y)

        def fwd():
            m(xin)

        def fb():
            for p in m.parameters():
                p.grad = None
            xin.grad = None
            m(xin).backward(gy)
        f = statistics.median(times_ms(fwd, dev, a.warmup, a.repeat, a.warmup_seconds))
        total = statistics.median(times_ms(fb, dev, a.warmup, a.repeat, a.warmup_seconds))
        bwd = max(total - f, 0.0)
        fl = conv_flops(m, xin.shape, y.shape)
        bwd_fl = fl * (2 if i > 0 else 1)
        out.append({"name": name, "input": shape_str(xin.shape), "output": shape_str(y.shape),
                    "forward_ms": f, "backward_ms": bwd,
                    "gflops": (fl + bwd_fl) / ((f + bwd) * 1e6) if fl and f + bwd > 0 else 0.0})
        if was_inplace:
            m.inplace = True
        x = y.detach()


def time_iteration(g_layers, d_layers, res, dev, a, fmt, result):
    n = a.batch_size
    G = nn.Sequential(*[m for _, m in g_layers]).train()
    D = nn.Sequential(*[m for _, m in d_layers]).train()
    opt_g = torch.optim.Adam(G.parameters(), lr=0.0025, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-5, betas=(0.5, 0.999))
    real = (torch.rand(n, 1, res, res, res, device=dev) > 0.7).float().contiguous(memory_format=fmt)
    ones = torch.ones(n, device=dev)
    zeros = torch.zeros(n, device=dev)
    d_params = list(D.parameters())

    def iteration():
        z = torch.randn(n, a.latent, 1, 1, 1, device=dev).contiguous(memory_format=fmt)
        fake = G(z)
        loss_d = F.binary_cross_entropy_with_logits(D(real).view(-1), ones) + \
            F.binary_cross_entropy_with_logits(D(fake.detach()).view(-1), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        for p in d_params:  # D frozen for the G step, as gan3d's trainer does: no D weight gradients
            p.requires_grad_(False)
        loss_g = F.binary_cross_entropy_with_logits(D(fake).view(-1), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)

    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    samples = times_ms(iteration, dev, a.warmup, a.repeat, a.warmup_seconds)
    result["iteration_ms"] = statistics.median(samples)
    result["iteration_samples_ms"] = samples
    if dev.type == "cuda":
        result["peak_bytes"] = torch.cuda.max_memory_allocated()
        result["peak_bytes_kind"] = "torch.cuda.max_memory_allocated()"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["g32", "d32", "g64", "d64", "gan32", "gan64"])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--latent", type=int, default=200)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2, help="warm-up calls at least")
    ap.add_argument("--warmup-seconds", type=float, default=1.0, help="warm-up time at least (gan3d profile's --warm-up)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (default: strict fp32)")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--layers-only", action="store_true", help="per-layer times only")
    only.add_argument("--iteration-only", action="store_true", help="the training iteration only (gan*), in this fresh process")
    ap.add_argument("--channels-last", action="store_true", help="channels_last_3d tensors and weights")
    ap.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True)")
    ap.add_argument("--no-inplace", action="store_true", help="out-of-place activations (for checking what in-place buys)")
    a = ap.parse_args()

    dev = torch.device(a.device)
    torch.manual_seed(0)
    if dev.type == "cpu":
        torch.set_num_threads(a.threads)
    else:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    fmt = torch.channels_last_3d if a.channels_last else torch.contiguous_format

    res = 64 if a.model.endswith("64") else 32
    g_layers, d_layers = build(res, a.width, a.latent, inplace=not a.no_inplace)
    for _, m in g_layers + d_layers:
        m.to(dev, memory_format=fmt)
    n = a.batch_size
    result = {"device": describe(a, dev, fmt), "layers": []}
    if not a.iteration_only:
        if a.model.startswith("g"):  # g32, g64, gan32, gan64
            profile_layers(g_layers, torch.rand(n, a.latent, 1, 1, 1, device=dev), dev, a, fmt, result["layers"])
        if a.model.startswith(("d", "gan")):
            profile_layers(d_layers, (torch.rand(n, 1, res, res, res, device=dev) > 0.7).float(), dev, a, fmt, result["layers"])
    if a.model.startswith("gan") and not a.layers_only:
        time_iteration(g_layers, d_layers, res, dev, a, fmt, result)
    if dev.type == "cpu":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["peak_process_bytes"] = peak
        result.setdefault("peak_bytes", peak)
        result.setdefault("peak_bytes_kind", "the process's peak RSS (Python and torch included)")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
