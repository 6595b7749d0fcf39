#!/usr/bin/env python3
"""The PyTorch peer of `gan3d profile --model ...`: the same layers and the same training iteration,
timed the same way (medians after warm-up), printed as the same JSON.

    /usr/bin/python3 bench/peer/torch_gan.py --model gan32 --batch-size 32 --width 1 --device cpu --threads 2
    python3 bench/peer/torch_gan.py --model gan64 --batch-size 100 --device cuda [--tf32]

On the CPU, install OpenBLAS first (apt-get install libopenblas0-pthread): without it PyTorch's transposed
convolutions run on the reference BLAS and are about 10x slower. The script prints which BLAS it found.
Never a dependency of the product or of CI.
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


def build(res, width, zdim):
    """Generator3D / Discriminator3D of Gan3D.Models, layer for layer; names match `gan3d profile`."""
    g_layers, d_layers = [], []
    gc = channels(res, width, "G")
    cin = zdim
    for i, c in enumerate(gc):
        g_layers.append((f"G.convT{i + 1}", nn.ConvTranspose3d(cin, c, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False)))
        g_layers.append((f"G.bn{i + 1}+relu", nn.Sequential(nn.BatchNorm3d(c), nn.ReLU())))
        cin = c
    g_layers.append((f"G.convT{len(gc) + 1}", nn.ConvTranspose3d(cin, 1, 4, 2, 1, bias=True)))
    g_layers.append(("G.sigmoid", nn.Sigmoid()))
    dc = channels(res, width, "D")
    cin = 1
    for i, c in enumerate(dc):
        d_layers.append((f"D.conv{i + 1}", nn.Conv3d(cin, c, 4, 2, 1, bias=(i == 0))))
        if i == 0:
            d_layers.append(("D.lrelu1", nn.LeakyReLU(0.2)))
        else:
            d_layers.append((f"D.bn{i + 1}+lrelu", nn.Sequential(nn.BatchNorm3d(c), nn.LeakyReLU(0.2))))
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


def median_ms(fn, dev, warmup, repeat):
    for _ in range(warmup):
        fn()
    sync(dev)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def shape_str(s):
    return "x".join(str(v) for v in s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["g32", "d32", "g64", "d64", "gan32", "gan64"])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--latent", type=int, default=200)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (default: strict fp32)")
    a = ap.parse_args()

    dev = torch.device(a.device)
    torch.manual_seed(0)
    if dev.type == "cpu":
        torch.set_num_threads(a.threads)
    else:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    cfg = torch.__config__.show()
    blas = "openblas" if "openblas" in cfg.lower() else ("mkl" if "mkl" in cfg.lower() else "unknown")
    try:  # what the process actually loaded, which is what matters for Debian's alternatives
        maps = open("/proc/self/maps").read()
        blas = "openblas" if "openblas" in maps else ("mkl" if "libmkl" in maps else "reference/generic")
    except OSError:
        pass
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    res = 64 if a.model.endswith("64") else 32
    g_layers, d_layers = build(res, a.width, a.latent)
    for _, m in g_layers + d_layers:
        m.to(dev)
    n = a.batch_size
    layers_out = []
    want_g = a.model.startswith("g")
    want_d = a.model.startswith("d") or a.model.startswith("gan")
    if a.model.startswith("gan"):
        want_g = True

    def profile_chain(layers, x0):
        x = x0
        for i, (name, m) in enumerate(layers):
            xin = x.detach().requires_grad_(i > 0)
            y = m(xin)
            gy = torch.randn_like(y)
            fwd = median_ms(lambda: m(xin), dev, a.warmup, a.repeat)

            def fb():
                out = m(xin)
                out.backward(gy)
            total = median_ms(fb, dev, a.warmup, a.repeat)
            bwd = max(total - fwd, 0.0)
            fl = conv_flops(m, xin.shape, y.shape)
            bwd_fl = fl * (2 if i > 0 else 1)
            layers_out.append({"name": name, "input": shape_str(xin.shape), "output": shape_str(y.shape),
                               "forward_ms": fwd, "backward_ms": bwd,
                               "gflops": (fl + bwd_fl) / ((fwd + bwd) * 1e6) if fl and fwd + bwd > 0 else 0.0})
            x = y.detach()

    if want_g:
        profile_chain(g_layers, torch.rand(n, a.latent, 1, 1, 1, device=dev))
    if want_d:
        profile_chain(d_layers, (torch.rand(n, 1, res, res, res, device=dev) > 0.7).float())

    result = {"device": f"pytorch {torch.__version__} {a.device}" + (f" ({a.threads} threads, {blas})" if dev.type == "cpu" else
              f" ({torch.cuda.get_device_name(0)}, tf32 {'on' if a.tf32 else 'off'})"),
              "layers": layers_out}

    if a.model.startswith("gan"):
        G = nn.Sequential(*[m for _, m in g_layers])
        D = nn.Sequential(*[m for _, m in d_layers])
        opt_g = torch.optim.Adam(G.parameters(), lr=0.0025, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-5, betas=(0.5, 0.999))
        real = (torch.rand(n, 1, res, res, res, device=dev) > 0.7).float()

        def iteration():
            z = torch.rand(n, a.latent, 1, 1, 1, device=dev)
            fake = G(z)
            d_real = D(real).reshape(n, 1)
            d_fake = D(fake.detach()).reshape(n, 1)
            loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            for p in D.parameters():
                p.requires_grad_(False)
            out = D(fake).reshape(n, 1)
            loss_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            for p in D.parameters():
                p.requires_grad_(True)
            return loss_d.item() + loss_g.item()

        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        result["iteration_ms"] = median_ms(iteration, dev, a.warmup, a.repeat)
        if dev.type == "cuda":
            result["peak_bytes"] = torch.cuda.max_memory_allocated()
            result["peak_bytes_kind"] = "torch.cuda.max_memory_allocated()"
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            result["peak_bytes"] = peak
            result["peak_bytes_above_start"] = peak - rss_base
            result["peak_bytes_kind"] = "the process's peak RSS (Python and torch included; growth during the run: %.0f MiB)" % ((peak - rss_base) / 2**20)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
