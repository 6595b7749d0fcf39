#!/usr/bin/env python3
"""Writes the PyTorch golden tensors the engine's tests compare against.

Run by a developer, never by CI (CI has no Python):
    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 tests/golden/make_golden.py

Every file is a float32 C-order .npy. Each case folder holds the inputs (and weights), the upstream
gradient `grad_output.npy` and PyTorch's outputs and gradients. Shapes are odd on purpose.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20161205)
torch.set_default_dtype(torch.float32)


def save(case, name, t):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    a = t.detach().cpu().numpy().astype(np.float32) if torch.is_tensor(t) else np.asarray(t, dtype=np.float32)
    np.save(os.path.join(d, name + ".npy"), np.ascontiguousarray(a))


def rand(*shape, lo=-1.0, hi=1.0):
    return (torch.rand(*shape) * (hi - lo) + lo).requires_grad_(True)


def conv3d():
    x, w, b = rand(2, 3, 5, 7, 9), rand(4, 3, 3, 2, 4), rand(4)
    y = F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1))
    g = torch.rand_like(y) * 2 - 1
    y.backward(g)
    for n, t in [("input", x), ("weight", w), ("bias", b), ("grad_output", g), ("output", y),
                 ("grad_input", x.grad), ("grad_weight", w.grad), ("grad_bias", b.grad)]:
        save("conv3d", n, t)


def conv_transpose3d():
    x, w, b = rand(2, 3, 3, 4, 2), rand(3, 2, 4, 3, 3), rand(2)
    y = F.conv_transpose3d(x, w, b, stride=(2, 2, 1), padding=(1, 0, 1), output_padding=(1, 1, 0))
    g = torch.rand_like(y) * 2 - 1
    y.backward(g)
    for n, t in [("input", x), ("weight", w), ("bias", b), ("grad_output", g), ("output", y),
                 ("grad_input", x.grad), ("grad_weight", w.grad), ("grad_bias", b.grad)]:
        save("conv_transpose3d", n, t)


def batch_norm3d():
    bn = nn.BatchNorm3d(3, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.8, 1.2)
    save("batch_norm3d", "weight", bn.weight)
    save("batch_norm3d", "bias", bn.bias)
    save("batch_norm3d", "running_mean_before", bn.running_mean)
    save("batch_norm3d", "running_var_before", bn.running_var)
    x = (torch.randn(2, 3, 5, 7, 9) * 2 + 0.5).requires_grad_(True)
    y = bn(x)
    g = torch.rand_like(y) * 2 - 1
    y.backward(g)
    for n, t in [("input", x), ("grad_output", g), ("output", y), ("grad_input", x.grad),
                 ("grad_weight", bn.weight.grad), ("grad_bias", bn.bias.grad),
                 ("running_mean", bn.running_mean), ("running_var", bn.running_var)]:
        save("batch_norm3d", n, t)


def losses():
    x = (torch.randn(37) * 4).requires_grad_(True)
    t = torch.rand(37)
    loss = F.binary_cross_entropy_with_logits(x, t)
    loss.backward()
    for n, v in [("input", x), ("target", t), ("loss", loss.reshape(1)), ("grad_input", x.grad)]:
        save("bce_with_logits", n, v)

    mu = torch.randn(3, 11).requires_grad_(True)
    logvar = (torch.rand(3, 11) * 3 - 2).requires_grad_(True)
    kl = (-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())) / mu.shape[0]
    kl.backward()
    for n, v in [("mu", mu), ("logvar", logvar), ("loss", kl.reshape(1)), ("grad_mu", mu.grad), ("grad_logvar", logvar.grad)]:
        save("kl", n, v)

    a = rand(2, 3, 4)
    b = torch.rand(2, 3, 4)
    mse = F.mse_loss(a, b)
    mse.backward()
    for n, v in [("input", a), ("target", b), ("loss", mse.reshape(1)), ("grad_input", a.grad)]:
        save("mse", n, v)


def gan32():
    """A whole 3D-GAN at 32³ (width 1/8, z of 16), batch 2: the trainer's D loss, forward and backward."""
    zdim, w = 16, [32, 16, 8]
    G = nn.Sequential(
        nn.ConvTranspose3d(zdim, w[0], 4, 1, 0, bias=False), nn.BatchNorm3d(w[0]), nn.ReLU(),
        nn.ConvTranspose3d(w[0], w[1], 4, 2, 1, bias=False), nn.BatchNorm3d(w[1]), nn.ReLU(),
        nn.ConvTranspose3d(w[1], w[2], 4, 2, 1, bias=False), nn.BatchNorm3d(w[2]), nn.ReLU(),
        nn.ConvTranspose3d(w[2], 1, 4, 2, 1, bias=True), nn.Sigmoid())
    D = nn.Sequential(
        nn.Conv3d(1, w[2], 4, 2, 1, bias=True), nn.LeakyReLU(0.2),
        nn.Conv3d(w[2], w[1], 4, 2, 1, bias=False), nn.BatchNorm3d(w[1]), nn.LeakyReLU(0.2),
        nn.Conv3d(w[1], w[0], 4, 2, 1, bias=False), nn.BatchNorm3d(w[0]), nn.LeakyReLU(0.2),
        nn.Conv3d(w[0], 1, 4, 1, 0, bias=True))
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.uniform_(m.bias, -0.1, 0.1)
        elif isinstance(m, nn.BatchNorm3d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.uniform_(m.bias, -0.1, 0.1)
    for prefix, net in [("G", G), ("D", D)]:
        for k, v in net.state_dict().items():
            if "num_batches" not in k:
                save("gan32", f"{prefix}.{k}", v)
    z = torch.rand(2, zdim, 1, 1, 1)
    real = (torch.rand(2, 1, 32, 32, 32) > 0.7).float()
    save("gan32", "z", z)
    save("gan32", "real", real)
    fake = G(z)
    d_real = D(real).reshape(2, 1)
    d_fake = D(fake).reshape(2, 1)
    loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    loss.backward()
    save("gan32", "fake", fake)
    save("gan32", "d_real", d_real)
    save("gan32", "d_fake", d_fake)
    save("gan32", "loss", loss.reshape(1))
    for prefix, net in [("G", G), ("D", D)]:
        for k, p in net.named_parameters():
            save("gan32", f"grad.{prefix}.{k}", p.grad)
        for k, v in net.state_dict().items():
            if "running" in k:
                save("gan32", f"after.{prefix}.{k}", v)


def spectral_norm():
    """torch.nn.utils.spectral_norm on a Conv3d, training mode: one power iteration, then the
    convolution with W/σ, forward and backward; then eval mode (the stored u and v, no iteration)."""
    torch.manual_seed(20180216)  # its own seed: adding this case leaves the others' tensors as they were
    conv = nn.Conv3d(3, 5, (2, 3, 2), stride=(2, 1, 1), padding=(1, 0, 1))
    conv = nn.utils.spectral_norm(conv)
    save("spectral_norm", "weight", conv.weight_orig)
    save("spectral_norm", "bias", conv.bias)
    save("spectral_norm", "u_before", conv.weight_u)
    save("spectral_norm", "v_before", conv.weight_v)
    x = rand(2, 3, 4, 5, 3)
    y = conv(x)
    g = torch.rand_like(y) * 2 - 1
    y.backward(g)
    for n, t in [("input", x), ("grad_output", g), ("output", y), ("u_after", conv.weight_u), ("v_after", conv.weight_v),
                 ("grad_input", x.grad), ("grad_weight", conv.weight_orig.grad), ("grad_bias", conv.bias.grad)]:
        save("spectral_norm", n, t)
    conv.eval()
    with torch.no_grad():
        save("spectral_norm", "output_eval", conv(x))


def bce_pos_weight():
    """BCEWithLogitsLoss with pos_weight (the latent model's reconstruction loss), binary targets like voxels."""
    torch.manual_seed(20180612)  # its own seed: adding this case leaves the others' tensors as they were
    x = (torch.randn(4, 1, 3, 5, 2) * 4).requires_grad_(True)
    t = (torch.rand(4, 1, 3, 5, 2) < 0.3).float()
    loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(3.0))
    loss.backward()
    for n, v in [("input", x), ("target", t), ("loss", loss.reshape(1)), ("grad_input", x.grad)]:
        save("bce_pos_weight", n, v)


def r1_case(case, D, rename=lambda k: k, n=3, pack=1):
    """Saves D's weights, a batch of n shapes (3 unless given; D sees runs of `pack` shapes stacked as channels) with a little instance noise (as D sees them when both are on), the logits,
    their input gradient ∇ₓ Σ D(x) taken with create_graph, Σ‖∇ₓD‖² and its gradients in D's weights (double backward)."""
    for k, v in D.state_dict().items():
        save(case, f"D.{rename(k)}", v)
    x = ((torch.rand(n, 1, 32, 32, 32) > 0.7).float() + 0.05 * torch.randn(n, 1, 32, 32, 32)).requires_grad_(True)
    logits = D(x.reshape(n // pack, pack, 32, 32, 32)).reshape(n // pack, 1)
    g, = torch.autograd.grad(logits.sum(), x, create_graph=True)
    penalty = g.pow(2).sum()
    penalty.backward()
    for n, t in [("input", x), ("logits", logits), ("grad_input", g), ("penalty", penalty.reshape(1))]:
        save(case, n, t)
    for k, p in D.named_parameters():
        # A parameter the input gradient does not involve (the biases of a D without the std channel only move the
        # kinks) has a zero gradient, or None for the last one.
        save(case, f"grad.D.{rename(k)}", p.grad if p.grad is not None else torch.zeros_like(p))


def r1():
    """The R1 penalty's pieces for a 32³ D without batch norm (width 1/8, batch 3)."""
    torch.manual_seed(20180413)  # its own seed: adding this case leaves the others' tensors as they were
    w = [8, 16, 32]
    r1_case("r1", nn.Sequential(
        nn.Conv3d(1, w[0], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv3d(w[0], w[1], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv3d(w[1], w[2], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv3d(w[2], 1, 4, 1, 0)))


class MinibatchStd(nn.Module):
    """Karras et al.'s channel: for each group of `group` consecutive shapes (None: the whole batch), the mean over
    features of the group's standard deviation (divisor the group's size, eps 1e-8 under the root), appended as one
    more channel of every shape of the group."""

    def __init__(self, group=None):
        super().__init__()
        self.group = group

    def forward(self, x):
        n = x.shape[0]
        m = self.group or n
        s = torch.sqrt(x.reshape(n // m, m, -1).var(dim=1, unbiased=False) + 1e-8).mean(dim=1)  # one per group
        s = s.repeat_interleave(m).reshape(n, 1, 1, 1, 1)
        return torch.cat([x, s.expand(n, 1, *x.shape[2:])], 1)


def mbstd_d(group=None, pack=1):
    """r1's D with the channel before its last convolution, its first taking `pack` shapes as channels."""
    w = [8, 16, 32]
    return nn.Sequential(
        nn.Conv3d(pack, w[0], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv3d(w[0], w[1], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv3d(w[1], w[2], 4, 2, 1), nn.LeakyReLU(0.2),
        MinibatchStd(group), nn.Conv3d(w[2] + 1, 1, 4, 1, 0))


def last_conv_at_6(k):
    """Names under r1's (the last convolution at 6, as if the channel had no slot of its own)."""
    return k.replace("7.", "6.", 1) if k.startswith("7.") else k


def r1_mbstd():
    """As r1, with a minibatch standard deviation channel before the last convolution: every logit depends on the
    whole batch, and ∇ₓ Σ D(x) carries the channel's path (StyleGAN2's R1 with such a D)."""
    torch.manual_seed(20180414)
    r1_case("r1_mbstd", mbstd_d(), last_conv_at_6)


def r1_mbstd_groups():
    """As r1_mbstd with the channel in groups of 2 on a batch of 4: each logit depends on its own pair only."""
    torch.manual_seed(20180415)
    r1_case("r1_mbstd_groups", mbstd_d(group=2), last_conv_at_6, n=4)


def r1_mbstd_pack():
    """As r1_mbstd with D judging packs of 2 shapes (PacGAN) on a batch of 4: two logits, the channel over the two packs."""
    torch.manual_seed(20180416)
    r1_case("r1_mbstd_pack", mbstd_d(pack=2), last_conv_at_6, n=4, pack=2)


CASES = {f.__name__: f for f in [conv3d, conv_transpose3d, batch_norm3d, losses, gan32, spectral_norm, bce_pos_weight, r1, r1_mbstd, r1_mbstd_groups, r1_mbstd_pack]}

if __name__ == "__main__":
    # With names, only those cases are written (e.g. `make_golden.py spectral_norm`); the first five
    # share one random stream, so write them together.
    print(f"torch {torch.__version__}, numpy {np.__version__}", file=sys.stderr)
    for name in sys.argv[1:] or list(CASES):
        CASES[name]()
    print("golden tensors written to", HERE, file=sys.stderr)
