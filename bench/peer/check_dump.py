#!/usr/bin/env python3
"""Recomputes a `gan3d profile --layer ... --dump DIR` with PyTorch and prints the max differences.

    /usr/bin/python3 bench/peer/check_dump.py DIR conv3d|convtranspose3d|batchnorm3d \
        --stride 2 --padding 1 [--output-padding 0] [--kernel is taken from weight.npy]
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F


def triple(s):
    v = [int(x) for x in s.split(",")]
    return tuple(v * 3) if len(v) == 1 else tuple(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("layer", choices=["conv3d", "convtranspose3d", "batchnorm3d"])
    ap.add_argument("--stride", default="1")
    ap.add_argument("--padding", default="0")
    ap.add_argument("--output-padding", default="0")
    a = ap.parse_args()
    t = {n[:-4]: torch.from_numpy(np.load(os.path.join(a.dir, n))) for n in os.listdir(a.dir) if n.endswith(".npy")}
    x = t["input"].double().requires_grad_(True)
    g = t["grad_output"].double()
    if a.layer == "batchnorm3d":
        c = x.shape[1]
        w = t["weight"].double().requires_grad_(True)
        b = t["bias"].double().requires_grad_(True)
        rm, rv = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
        y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5)
        extra = {"running_mean": rm, "running_var": rv}
    else:
        w = t["weight"].double().requires_grad_(True)
        b = t["bias"].double().requires_grad_(True) if "bias" in t else None
        if a.layer == "conv3d":
            y = F.conv3d(x, w, b, stride=triple(a.stride), padding=triple(a.padding))
        else:
            y = F.conv_transpose3d(x, w, b, stride=triple(a.stride), padding=triple(a.padding),
                                   output_padding=triple(a.output_padding))
        extra = {}
    y.backward(g)
    checks = {"output": y, "grad_input": x.grad, "grad_weight": w.grad, **extra}
    if b is not None:
        checks["grad_bias"] = b.grad
    for name, ref in checks.items():
        ours = t[name].double()
        assert ours.shape == ref.shape, f"{name}: shape {tuple(ours.shape)} vs torch {tuple(ref.shape)}"
        diff = (ours - ref.detach()).abs().max().item()
        scale = ref.detach().abs().max().item()
        print(f"{name:13s} max |diff| = {diff:.3e}  (max |ref| = {scale:.3e})")


if __name__ == "__main__":
    main()
