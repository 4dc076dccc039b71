#!/usr/bin/env python3
"""PyTorch reference for `ngvm bench`: training-step throughput of the course's models.

Every workload here mirrors, layer for layer, a model of this repository's Rust code (burn
0.22) and the training step the Rust side times; the Rust file each one mirrors is named in
the comment above its builder below. Same layers, shapes, batch, loss and optimiser, f32,
train mode; initialisation is mirrored only where it is simple (it does not change the cost).

Each workload builds its model(s) and optimiser(s) once, draws ONE fixed random batch (with
its labels / steps) up front, runs W warm-up steps and S timed steps, and prints one JSON line
on stdout:

  {"workload": ..., "batch": B, "images_per_second": B / median, "median_step_ms": ...,
   "steps": S, "threads": N, "torch": "...", "device": "cpu"}

A step is zero_grad + forward + loss + `loss.item()` + backward + optimizer.step(), in the
order of src/bench/workloads.rs (which reads the loss back before its optimiser step); the
item is the synchronisation point, with --device cuda also torch.cuda.synchronize() at the end.
The batch (images, labels, t, noise) is drawn once; only dcgan-64 draws its z every step, as
the Rust does.
Progress goes to stderr.

Usage:
  python bench.py [--workload NAME ...] [--threads N] [--warmup W] [--steps S]
                  [--device cpu|cuda] [--batch N] [--list] [--params]
  python bench.py --time-to-accuracy --data-dir D [--epochs E] [--limit N] [--threads N]

--params prints {"workload": ..., "parameters": N, "burn_num_params": M, "torch_parameters": P}
per workload without timing. N is counted by hand from the Rust constructors (the functions
`rust_*_params` below): learnable parameters, as nn_core's `learnable_parameter_count` and
PyTorch count them. M adds batch norm's running mean and variance, which burn's
`Module::num_params` also counts (so `train_stage` summaries record M, e.g. 131,530 for
cnn-fashion). P is what the PyTorch model built here has; the script fails (exit 1) when it,
or its number of running-statistics elements, differs from the hand count. dcgan-64 also
gives parameters_generator and parameters_discriminator.

Exit codes: 0 ok, 1 parameter-count mismatch, 2 usage error (e.g. unknown workload),
3 torch missing.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn

    _Module = nn.Module
except ImportError:  # reported in main(), with exit code 3
    torch = None
    nn = None
    F = None
    _Module = object


WORKLOADS = ["mlp-fashion", "cnn-fashion", "cnn-cifar", "vgg19-32", "unet-32", "dcgan-64"]


# --------------------------------------------------------------------------------------------
# Parameter counts by hand, following the Rust constructors (independent of the torch models).
# --------------------------------------------------------------------------------------------


def _linear(i, o, bias=True):
    return i * o + (o if bias else 0)


def _conv(i, o, k, bias=True):
    return i * o * k * k + (o if bias else 0)


def _norm(c):
    # BatchNorm / GroupNorm (affine): gamma and beta; running stats are not counted.
    return 2 * c


class _Count:
    """Learnable parameters, and batch norm's running mean and variance (2 per channel):
    burn's `Module::num_params` counts those too (nn_core's `train_stage` records that number,
    e.g. 131,530 for cnn-fashion), `learnable_parameter_count` and PyTorch do not."""

    def __init__(self):
        self.learnable = 0
        self.running = 0

    def add(self, n):
        self.learnable += n

    def bn(self, c):
        self.learnable += 2 * c
        self.running += 2 * c


def rust_mlp_params(sizes):
    # Mlp::new: one Linear per window of `sizes`.
    n = _Count()
    for a, b in zip(sizes, sizes[1:]):
        n.add(_linear(a, b))
    return n


def rust_small_cnn_params(in_channels, side, channels, batch_norm, hidden, classes):
    # SmallCnn::new: per block Conv2d 3x3 (bias) [+ BatchNorm]; side halves per block.
    n, c, s = _Count(), in_channels, side
    for out in channels:
        n.add(_conv(c, out, 3))
        if batch_norm:
            n.bn(out)
        c, s = out, s // 2
    flat = c * max(s, 1) * max(s, 1)
    n.add(_linear(flat, hidden) + _linear(hidden, classes))
    return n


def rust_vgg_params(depth, classes, batch_norm, hidden, pool, width_divisor):
    # VggConfig::init: convs from vgg_layers (bias = true, + BatchNorm), three Linear layers.
    stages = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}
    n, c = _Count(), 3
    for convs, width in zip(stages[depth], [64, 128, 256, 512, 512]):
        for _ in range(convs):
            out = max(width // max(width_divisor, 1), 1)
            n.add(_conv(c, out, 3))
            if batch_norm:
                n.bn(out)
            c = out
    flat = c * pool * pool
    n.add(_linear(flat, hidden) + _linear(hidden, hidden) + _linear(hidden, classes))
    return n


def rust_unet_params(channels, width, channel_mults, res_blocks, attention, classes):
    # UNet::new with ResBlock::new / SelfAttention::new / Downsample / Upsample of blocks.rs
    # (group norm only: no running statistics).
    e = 4 * width

    def res_block(i, o):
        skip = _conv(i, o, 1) if i != o else 0
        return _norm(i) + _conv(i, o, 3) + _linear(e, o) + _norm(o) + _conv(o, o, 3) + skip

    total = _conv(channels, width, 3)  # conv_in
    total += _linear(width, e) + _linear(e, e)  # time_1, time_2
    if classes > 0:
        total += (classes + 1) * e  # label embedding with the null class
    skips, current = [width], width
    levels = len(channel_mults)
    for i, mult in enumerate(channel_mults):
        out = width * mult
        for _ in range(res_blocks):
            total += res_block(current, out)
            current = out
            skips.append(current)
        if i + 1 != levels:
            skips.append(current)
            total += _conv(current, current, 3)  # Downsample
    total += 2 * res_block(current, current)  # mid_1, mid_2
    if attention:
        total += _norm(current) + _linear(current, 3 * current) + _linear(current, current)
    for i in reversed(range(levels)):
        out = width * channel_mults[i]
        for _ in range(res_blocks + 1):
            skip = skips.pop() if skips else width
            total += res_block(current + skip, out)
            current = out
        if i > 0:
            total += _conv(current, current, 3)  # Upsample
    total += _norm(current) + _conv(current, channels, 3)  # norm_out, conv_out
    n = _Count()
    n.add(total)
    return n


def _doublings(side):
    # models.rs doublings(): how many doublings take 4x4 to `side`.
    v = max(side // 4, 1)
    return (v & -v).bit_length() - 1


def rust_dcgan_params(latent, width, channels, side):
    # DcGenerator::new / DcDiscriminator::new: ConvTranspose2d / Conv2d 4x4 without bias.
    steps = _doublings(side)
    base = width << (steps - 1)
    g, c = _Count(), base
    g.add(_linear(latent, base * 16))
    g.bn(base)
    for _ in range(steps - 1):
        g.add(_conv(c, c // 2, 4, bias=False))
        g.bn(c // 2)
        c //= 2
    g.add(_conv(c, channels, 4, bias=False))
    d, c = _Count(), width
    d.add(_conv(channels, width, 4, bias=False))
    for _ in range(steps - 1):
        d.add(_conv(c, 2 * c, 4, bias=False))
        d.bn(2 * c)
        c *= 2
    d.add(_linear(c * 16, 1))
    return g, d


# --------------------------------------------------------------------------------------------
# Models.
# --------------------------------------------------------------------------------------------


# crates/nn-core/src/models/mlp.rs: Mlp (Linear layers, ReLU between, logits from the last;
# ImageClassifier::forward flattens [b, c, h, w] to [b, c*h*w]).
class Mlp(_Module):
    def __init__(self, sizes, negative_slope=0.0):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.negative_slope = negative_slope

    def forward(self, images):
        a = images.flatten(1)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            z = layer(a)
            if i == last:
                return z
            a = F.relu(z) if self.negative_slope == 0.0 else F.leaky_relu(z, self.negative_slope)
        raise AssertionError("an MLP has at least one layer")


# crates/cnn/src/models.rs: ConvBlock = Conv2d 3x3 padding 1 (bias) -> BatchNorm -> ReLU ->
# MaxPool2d 2x2 (stride 2).
class ConvBlock(_Module):
    def __init__(self, cin, cout, batch_norm):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1) if batch_norm else None
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.pool(F.relu(x))


# crates/cnn/src/models.rs: SmallCnn = blocks -> flatten -> dropout -> hidden Linear -> ReLU
# (= features) -> dropout -> output Linear. One Dropout module used twice.
class SmallCnn(_Module):
    def __init__(self, in_channels, side, channels, batch_norm, hidden, dropout, classes):
        super().__init__()
        blocks, c, s = [], in_channels, side
        for out in channels:
            blocks.append(ConvBlock(c, out, batch_norm))
            c, s = out, s // 2
        self.blocks = nn.ModuleList(blocks)
        flat = c * max(s, 1) * max(s, 1)
        self.hidden = nn.Linear(flat, hidden)
        self.output = nn.Linear(hidden, classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, images):
        x = images
        for block in self.blocks:
            x = block(x)
        x = self.dropout(x.flatten(1))
        x = F.relu(self.hidden(x))
        return self.output(self.dropout(x))


# crates/transfer/src/models/vgg.rs (+ models/mod.rs conv()/linear()): features = units of
# Conv2d 3x3 padding 1 WITH bias -> BatchNorm -> ReLU (-> MaxPool2d 2x2 after each stage's last
# conv); AdaptiveAvgPool2d(pool); flatten; Linear -> ReLU -> Dropout -> Linear -> ReLU ->
# Dropout -> Linear. Init as the Rust: Kaiming normal (fan-out for convs, fan-in for dense
# layers, gain sqrt 2), zero biases.
class Vgg(_Module):
    def __init__(self, depth, classes, batch_norm, hidden, pool, dropout, width_divisor):
        super().__init__()
        stages = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3],
                  19: [2, 2, 4, 4, 4]}[depth]
        layers, c = [], 3
        for convs, width in zip(stages, [64, 128, 256, 512, 512]):
            for _ in range(convs):
                out = max(width // max(width_divisor, 1), 1)
                conv = nn.Conv2d(c, out, 3, stride=1, padding=1, bias=True)
                nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(conv.bias)
                layers.append(conv)
                if batch_norm:
                    layers.append(nn.BatchNorm2d(out, eps=1e-5, momentum=0.1))
                layers.append(nn.ReLU())
                c = out
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((pool, pool))
        self.classifier = nn.ModuleList(
            [nn.Linear(c * pool * pool, hidden), nn.Linear(hidden, hidden),
             nn.Linear(hidden, classes)])
        for layer in self.classifier:
            nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, images):
        x = self.avgpool(self.features(images)).flatten(1)
        last = len(self.classifier) - 1
        for i, layer in enumerate(self.classifier):
            x = layer(x)
            if i != last:
                x = self.dropout(F.relu(x))
        return x


# crates/diffusion/src/blocks.rs: group_norm() takes the largest group count <= groups (and
# <= channels) that divides the channels; burn GroupNorm eps 1e-5, affine.
def group_norm(groups, channels):
    g = next((g for g in range(min(groups, channels), 0, -1) if channels % g == 0), 1)
    return nn.GroupNorm(g, channels, eps=1e-5, affine=True)


# crates/diffusion/src/blocks.rs: timestep_embedding (computed in f64 on the host, then f32):
# half sines then half cosines of t * exp(-ln(10000) i / half), zero-padded to an odd dim.
def timestep_embedding(steps, dim, device):
    half = dim // 2
    t = torch.tensor(steps, dtype=torch.float64).unsqueeze(1)
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float64) / half)
    angles = t * freqs.unsqueeze(0)
    parts = [angles.sin(), angles.cos()]
    if dim - 2 * half:
        parts.append(torch.zeros(len(steps), dim - 2 * half, dtype=torch.float64))
    return torch.cat(parts, 1).to(device=device, dtype=torch.float32)


# crates/diffusion/src/blocks.rs: ResBlock. norm1 -> SiLU -> conv1 (3x3 pad 1); + Linear(SiLU(emb))
# as [b, c, 1, 1]; norm2 -> SiLU -> dropout -> conv2 (3x3 pad 1, zero init); + skip (1x1 conv
# when the channels change, else identity).
class ResBlock(_Module):
    def __init__(self, cin, cout, emb, groups, dropout):
        super().__init__()
        self.norm1 = group_norm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.embedding = nn.Linear(emb, cout)
        self.norm2 = group_norm(groups, cout)
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        b, c = h.shape[0], h.shape[1]
        h = h + self.embedding(F.silu(emb)).reshape(b, c, 1, 1)
        h = F.silu(self.norm2(h))
        if self.dropout_p != 0.0:  # burn's Dropout returns its input unchanged at p = 0
            h = self.dropout(h)
        h = self.conv2(h)
        skip = self.skip(x) if self.skip is not None else x
        return h + skip


# crates/diffusion/src/blocks.rs: SelfAttention, single head over h*w positions: GroupNorm ->
# [b, hw, c] -> Linear qkv (c -> 3c) -> softmax(q k^T / sqrt(c)) v -> Linear out (zero init)
# -> back to [b, c, h, w], + x.
class SelfAttention(_Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.norm = group_norm(groups, channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        qkv = self.qkv(tokens)
        q, k, v = qkv[:, :, :c], qkv[:, :, c:2 * c], qkv[:, :, 2 * c:]
        weights = torch.softmax(q.matmul(k.transpose(1, 2)) / math.sqrt(c), dim=2)
        mixed = self.out(weights.matmul(v))
        return x + mixed.transpose(1, 2).reshape(b, c, h, w)


# crates/diffusion/src/unet.rs: UNet (DownLevel/UpLevel, Downsample = 3x3 stride-2 conv pad 1,
# Upsample = nearest interpolation to the skip's size then 3x3 conv; mid ResBlock, attention,
# ResBlock; norm_out -> SiLU -> conv_out (zero init)).
class UNet(_Module):
    def __init__(self, channels, width, channel_mults, res_blocks, attention, groups, dropout,
                 classes):
        super().__init__()
        w, e, g, p = width, 4 * width, groups, dropout
        levels = len(channel_mults)
        skips, current = [w], w
        self.down_blocks = nn.ModuleList()
        self.down_samples = nn.ModuleList()
        for i, mult in enumerate(channel_mults):
            out = w * mult
            blocks = nn.ModuleList()
            for _ in range(res_blocks):
                blocks.append(ResBlock(current, out, e, g, p))
                current = out
                skips.append(current)
            last = i + 1 == levels
            if not last:
                skips.append(current)
            self.down_blocks.append(blocks)
            self.down_samples.append(
                nn.Conv2d(current, current, 3, stride=2, padding=1) if not last else nn.Identity())
        self.down_has_sample = [i + 1 != levels for i in range(levels)]
        self.mid_1 = ResBlock(current, current, e, g, p)
        self.mid_attention = SelfAttention(current, g) if attention else None
        self.mid_2 = ResBlock(current, current, e, g, p)
        self.up_blocks = nn.ModuleList()
        self.up_samples = nn.ModuleList()
        self.up_has_sample = []
        for i in reversed(range(levels)):
            out = w * channel_mults[i]
            blocks = nn.ModuleList()
            for _ in range(res_blocks + 1):
                skip = skips.pop() if skips else w
                blocks.append(ResBlock(current + skip, out, e, g, p))
                current = out
            self.up_blocks.append(blocks)
            self.up_samples.append(
                nn.Conv2d(current, current, 3, padding=1) if i > 0 else nn.Identity())
            self.up_has_sample.append(i > 0)
        self.conv_in = nn.Conv2d(channels, w, 3, padding=1)
        self.time_1 = nn.Linear(w, e)
        self.time_2 = nn.Linear(e, e)
        self.label = nn.Embedding(classes + 1, e) if classes > 0 else None
        self.norm_out = group_norm(g, current)
        self.conv_out = nn.Conv2d(current, channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        self.width = w

    def embed(self, t, labels, device):
        emb = self.time_2(F.silu(self.time_1(timestep_embedding(t, self.width, device))))
        if self.label is None:
            return emb
        if labels is None:
            labels = [self.label.num_embeddings - 1] * len(t)
        ids = torch.tensor(labels, dtype=torch.int64, device=device).reshape(len(labels), 1)
        return emb + self.label(ids).reshape(emb.shape[0], emb.shape[1])

    def forward(self, x, t, labels):
        emb = self.embed(t, labels, x.device)
        h = self.conv_in(x)
        skips = [h]
        for blocks, sample, has in zip(self.down_blocks, self.down_samples,
                                       self.down_has_sample):
            for block in blocks:
                h = block(h, emb)
                skips.append(h)
            if has:
                h = sample(h)
                skips.append(h)
        h = self.mid_1(h, emb)
        if self.mid_attention is not None:
            h = self.mid_attention(h)
        h = self.mid_2(h, emb)
        for blocks, sample, has in zip(self.up_blocks, self.up_samples, self.up_has_sample):
            for block in blocks:
                h = block(torch.cat([h, skips.pop()], 1), emb)
            if has:
                size = skips[-1].shape[2:]
                h = sample(F.interpolate(h, size=tuple(size), mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


# crates/gans/src/models.rs: DcGenerator. Linear(latent, base*16) -> [b, base, 4, 4] ->
# BatchNorm -> ReLU; (ConvTranspose2d 4x4 s2 p1 no bias -> BatchNorm -> ReLU)...;
# ConvTranspose2d 4x4 s2 p1 no bias -> tanh.
class DcGenerator(_Module):
    def __init__(self, latent, width, channels, side):
        super().__init__()
        steps = _doublings(side)
        self.base = width << (steps - 1)
        c = self.base
        ups, bns = [], []
        for _ in range(steps - 1):
            ups.append(nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1, bias=False))
            bns.append(nn.BatchNorm2d(c // 2, eps=1e-5, momentum=0.1))
            c //= 2
        self.project = nn.Linear(latent, self.base * 16)
        self.project_bn = nn.BatchNorm2d(self.base, eps=1e-5, momentum=0.1)
        self.ups = nn.ModuleList(ups)
        self.bns = nn.ModuleList(bns)
        self.last = nn.ConvTranspose2d(c, channels, 4, stride=2, padding=1, bias=False)

    def forward(self, z):
        x = self.project(z).reshape(z.shape[0], self.base, 4, 4)
        x = F.relu(self.project_bn(x))
        for up, bn in zip(self.ups, self.bns):
            x = F.relu(bn(up(x)))
        return torch.tanh(self.last(x))


# crates/gans/src/models.rs: DcDiscriminator. Conv2d 4x4 s2 p1 no bias -> LeakyReLU(0.2);
# (Conv2d 4x4 s2 p1 no bias -> BatchNorm -> LeakyReLU(0.2))... down to 4x4; flatten;
# Linear(c*16, 1).
class DcDiscriminator(_Module):
    def __init__(self, width, channels, side):
        super().__init__()
        steps = _doublings(side)
        c = width
        downs, bns = [], []
        for _ in range(steps - 1):
            downs.append(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1, bias=False))
            bns.append(nn.BatchNorm2d(2 * c, eps=1e-5, momentum=0.1))
            c *= 2
        self.first = nn.Conv2d(channels, width, 4, stride=2, padding=1, bias=False)
        self.downs = nn.ModuleList(downs)
        self.bns = nn.ModuleList(bns)
        self.out = nn.Linear(c * 16, 1)

    def forward(self, images):
        x = F.leaky_relu(self.first(images), 0.2)
        for down, bn in zip(self.downs, self.bns):
            x = F.leaky_relu(bn(down(x)), 0.2)
        return self.out(x.flatten(1))


# --------------------------------------------------------------------------------------------
# Workloads: models, fixed batch, optimiser, one training step.
# --------------------------------------------------------------------------------------------


def _count(*modules):
    """(learnable parameters, batch-norm running mean + variance elements) of the modules."""
    learnable = sum(p.numel() for m in modules for p in m.parameters() if p.requires_grad)
    running = sum(b.numel() for m in modules for name, b in m.named_buffers()
                  if name.rsplit(".", 1)[-1] in ("running_mean", "running_var"))
    return learnable, running


def _total(rust):
    """A _Count, or the sum of a dict of them (one per network)."""
    if isinstance(rust, _Count):
        return rust
    total = _Count()
    for part in rust.values():
        total.learnable += part.learnable
        total.running += part.running
    return total


def _adam(model, lr=1e-3, betas=(0.9, 0.999)):
    # nn_core::train::optim: OptimizerKind::Adam / adam(b1, b2): burn Adam, epsilon 1e-8,
    # no weight decay.
    return torch.optim.Adam(model.parameters(), lr=lr, betas=betas, eps=1e-8)


class Workload:
    def __init__(self, name, batch, step, torch_count, rust, parts=None):
        # torch_count: (learnable, running) of the PyTorch model(s); rust: the hand count (a
        # _Count, or a dict of them per network); parts: torch counts per network.
        self.name, self.batch, self.step = name, batch, step
        self.torch_count, self.rust, self.parts = torch_count, rust, parts or {}

    def mismatches(self):
        """Where the PyTorch model's counts differ from the hand count of the Rust model."""
        rust = _total(self.rust)
        found = []
        if self.torch_count != (rust.learnable, rust.running):
            found.append(f"torch {self.torch_count}, rust {(rust.learnable, rust.running)}")
        if isinstance(self.rust, dict):
            for key, part in self.rust.items():
                if self.parts.get(key) != (part.learnable, part.running):
                    found.append(f"{key}: torch {self.parts.get(key)}, rust "
                                 f"{(part.learnable, part.running)}")
        return found


# --batch: every workload's batch size instead of its own (None: its own).
BATCH = None


def _batch(own):
    return BATCH or own


def _classifier(name, model, batch, shape, classes, rust_params, device):
    # Mirrors src/bench/workloads.rs classifier() (= the step of nn_core::train::classifier::
    # train_classifier): logits, CrossEntropyLoss (burn default: mean over the batch, no
    # weights, no smoothing), the loss read back, then backward and the Adam step.
    model = model.to(device).train()
    opt = _adam(model)
    x = torch.randn(batch, *shape, device=device)
    y = torch.randint(0, classes, (batch,), device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        value = loss.item()
        loss.backward()
        opt.step()
        return value

    return Workload(name, batch, step, _count(model), rust_params)


# crates/nn-core/src/models/mlp.rs: Mlp [784, 256, 128, 10], ReLU; Fashion-MNIST 1x28x28.
def build_mlp_fashion(device, build=True):
    rust = rust_mlp_params([784, 256, 128, 10])
    if not build:
        return rust
    return _classifier("mlp-fashion", Mlp([784, 256, 128, 10], 0.0), _batch(128), (1, 28, 28), 10,
                       rust, device)


# crates/cnn/src/models.rs: SmallCnn { channels [32, 64, 64], batch_norm, hidden 128,
# dropout 0.25 } on 1x28x28, 10 classes.
def build_cnn_fashion(device, build=True):
    rust = rust_small_cnn_params(1, 28, [32, 64, 64], True, 128, 10)
    if not build:
        return rust
    return _classifier("cnn-fashion", SmallCnn(1, 28, [32, 64, 64], True, 128, 0.25, 10), _batch(128),
                       (1, 28, 28), 10, rust, device)


# crates/cnn/src/models.rs: SmallCnn { channels [32, 64, 128], batch_norm, hidden 256,
# dropout 0.3 } on 3x32x32, 100 classes.
def build_cnn_cifar(device, build=True):
    rust = rust_small_cnn_params(3, 32, [32, 64, 128], True, 256, 100)
    if not build:
        return rust
    return _classifier("cnn-cifar", SmallCnn(3, 32, [32, 64, 128], True, 256, 0.3, 100), _batch(64),
                       (3, 32, 32), 100, rust, device)


# crates/transfer/src/models/vgg.rs (+ models/mod.rs): VggConfig { depth 19, classes 10,
# batch_norm true, hidden 256, pool 1, dropout 0.5, width_divisor 1 } on 3x32x32.
def build_vgg19_32(device, build=True):
    rust = rust_vgg_params(19, 10, True, 256, 1, 1)
    if not build:
        return rust
    return _classifier("vgg19-32", Vgg(19, 10, True, 256, 1, 0.5, 1), _batch(32), (3, 32, 32), 10,
                       rust, device)


# crates/diffusion/src/unet.rs + blocks.rs: UNet with UNetSpec { channels 3, width 16,
# channel_mults [1, 2, 4], res_blocks 1, attention true, groups 8, dropout 0.0, classes 10 }
# (config.rs unet() of full_base()), at 32x32. The step mirrors src/bench/workloads.rs unet():
# training.rs noise_mse (schedule.rs q_sample with the linear schedule 1e-4..0.02 over T = 1000,
# model at t - 1, per-image MSE) and its mean as the loss, read back; Adam adam(0.9, 0.999),
# lr 1e-3. (train_diffusion also reads the per-image losses back and updates an EMA of the
# weights each step; the bench, like this script, leaves both out.)
def build_unet_32(device, build=True):
    spec = dict(channels=3, width=16, channel_mults=[1, 2, 4], res_blocks=1, attention=True,
                classes=10)
    rust = rust_unet_params(**spec)
    if not build:
        return rust
    model = UNet(groups=8, dropout=0.0, **spec).to(device).train()
    opt = _adam(model)
    batch, steps_total = _batch(32), 1000
    # schedule.rs NoiseSchedule::linear + from_betas, in f64 as the Rust.
    betas = [1e-4 + (0.02 - 1e-4) * i / (max(steps_total, 2) - 1) for i in range(steps_total)]
    alpha_bars, product = [], 1.0
    for beta in betas:
        product *= 1.0 - beta
        alpha_bars.append(product)

    def alpha_bar(t):
        return 1.0 if t == 0 else alpha_bars[t - 1]

    x0 = torch.rand(batch, 3, 32, 32, device=device) * 2 - 1  # symmetric normalisation
    noise = torch.randn(batch, 3, 32, 32, device=device)
    t = [int(v) for v in torch.randint(1, steps_total + 1, (batch,))]  # 1..=T
    labels = [int(v) for v in torch.randint(0, 10, (batch,))]

    def per_image(f):
        # schedule.rs per_image: host f64 -> f32 tensor [n, 1, 1, 1], built every call.
        return torch.tensor([f(ti) for ti in t], dtype=torch.float32,
                            device=device).reshape(batch, 1, 1, 1)

    def step():
        opt.zero_grad()
        # training.rs noise_mse
        xt = x0 * per_image(lambda s: math.sqrt(alpha_bar(s))) + noise * per_image(
            lambda s: math.sqrt(1.0 - alpha_bar(s)))
        error = model(xt, [s - 1 for s in t], labels) - noise
        loss = error.pow(2).reshape(batch, -1).mean(1).mean()
        value = loss.item()
        loss.backward()
        opt.step()
        return value

    return Workload("unet-32", batch, step, _count(model), rust)


# crates/gans/src/models.rs: DcGenerator::new(64, 32, 3, 32), DcDiscriminator::new(32, 3, 32);
# the step mirrors src/bench/workloads.rs dcgan() (= one batch of crates/gans/src/training.rs
# train_gan with d_steps = g_steps = 1): fresh z; D on the real batch and on the detached fake
# batch (two separate forwards), loss = mean softplus(-real) + mean softplus(fake), read back,
# D step; fresh z; G with the non-saturating loss mean softplus(-D(G(z))), read back, G step.
# Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8) each. (train_gan also reads back D(x) and
# D(G(z)) each step; the bench, like this script, leaves them out.)
def build_dcgan_64(device, build=True):
    rust_g, rust_d = rust_dcgan_params(64, 32, 3, 32)
    rust = {"generator": rust_g, "discriminator": rust_d}
    if not build:
        return rust
    latent, batch = 64, _batch(64)
    g = DcGenerator(latent, 32, 3, 32).to(device).train()
    d = DcDiscriminator(32, 3, 32).to(device).train()
    opt_g = _adam(g, lr=2e-4, betas=(0.5, 0.999))
    opt_d = _adam(d, lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 3, 32, 32, device=device) * 2 - 1  # symmetric normalisation

    def step():
        z = torch.randn(batch, latent, device=device)  # drawn every step, as the Rust
        fake = g(z).detach()
        loss_d = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
        d_loss = loss_d.item()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        z = torch.randn(batch, latent, device=device)
        loss_g = F.softplus(-d(g(z))).mean()
        g_loss = loss_g.item()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return d_loss + g_loss

    return Workload("dcgan-64", batch, step, _count(g, d), rust,
                    {"generator": _count(g), "discriminator": _count(d)})


BUILDERS = {
    "mlp-fashion": build_mlp_fashion,
    "cnn-fashion": build_cnn_fashion,
    "cnn-cifar": build_cnn_cifar,
    "vgg19-32": build_vgg19_32,
    "unet-32": build_unet_32,
    "dcgan-64": build_dcgan_64,
}
assert list(BUILDERS) == WORKLOADS


# --------------------------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------------------------


def log(message):
    print(message, file=sys.stderr, flush=True)


# The layers of src/bench/conv_layers.rs: (name, channels in, channels out, size, batch).
CONV_LAYERS = [
    ("cnn-fashion conv2", 32, 64, 14, 128),
    ("cnn-fashion conv3", 64, 64, 7, 128),
    ("vgg19 stage 1", 64, 64, 32, 32),
    ("vgg19 stage 2", 128, 128, 16, 32),
    ("vgg19 stage 3", 256, 256, 8, 32),
    ("vgg19 stage 4", 512, 512, 4, 32),
    ("vgg19 stage 5", 512, 512, 2, 32),
]


def _median_ms(fn, warmup, steps, device):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def conv_layers(device, warmup, steps):
    """Forward, forward + backward (input and weight gradients), and the weight gradient
    alone of one 3x3 convolution per layer of CONV_LAYERS, as JSON lines."""
    for name, c, o, s, n in CONV_LAYERS:
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(c, o, 3, padding=1).to(device)
        x = torch.randn(n, c, s, s, device=device)
        g = torch.randn(n, o, s, s, device=device)

        def forward():
            with torch.no_grad():
                return conv(x).sum().item()

        def step():
            conv.zero_grad(set_to_none=True)
            xg = x.clone().requires_grad_(True)
            conv(xg).sum().backward()
            return xg.grad.sum().item() + conv.weight.grad.sum().item()

        def weight_grad():
            return torch.nn.grad.conv2d_weight(x, conv.weight.shape, g, padding=1).sum().item()

        print(json.dumps({
            "layer": name,
            "forward_ms": _median_ms(forward, warmup, steps, device),
            "step_ms": _median_ms(step, warmup, steps, device),
            "weight_grad_ms": _median_ms(weight_grad, warmup, steps, device),
        }), flush=True)
    return 0


def _read_idx(path):
    """An IDX file (gzip or raw) as a uint8 tensor: [n, 28, 28] images or [n] labels."""
    import gzip
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).view(*shape)


def _fashion(data_dir, split, limit):
    base = os.path.join(data_dir, "fashion-mnist")
    prefix = "train" if split == "train" else "t10k"
    def find(kind):
        for name in (f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz",
                     f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"):
            if os.path.exists(os.path.join(base, name)):
                return os.path.join(base, name)
        raise FileNotFoundError(f"no Fashion-MNIST {split} {kind} in {base}")
    images = _read_idx(find("images")).float().div(255.0).unsqueeze(1)
    labels = _read_idx(find("labels")).long()
    if limit is not None and limit < len(labels):
        keep = torch.randperm(len(labels), generator=torch.Generator().manual_seed(42))[:limit]
        images, labels = images[keep], labels[keep]
    return images, labels


def time_to_accuracy(data_dir, epochs, limit, device):
    """cnn/fashion-mnist's CNN trained as the Rust trains it (ClassifierOptions::adam with
    cosine decay: Adam lr 1e-3, the epoch's lr = lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2,
    batch 128, a fresh shuffle every epoch, inputs normalised by the training set's mean and
    standard deviation). Prints one JSON line per epoch: cumulative training seconds (batches
    only) and the test accuracy after it."""
    train_x, train_y = _fashion(data_dir, "train", limit)
    test_x, test_y = _fashion(data_dir, "test", limit)
    mean, std = train_x.mean(), train_x.std()
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    torch.manual_seed(42)
    model = SmallCnn(1, 28, [32, 64, 64], True, 128, 0.25, 10).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds, batch = 0.0, 128
    for epoch in range(1, epochs + 1):
        lr = 1e-3 * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs)) if epochs > 1 else 1e-3
        for group in optimiser.param_groups:
            group["lr"] = lr
        model.train()
        order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(epoch))
        start = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x, y = train_x[idx].to(device), train_y[idx].to(device)
            optimiser.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.item()
            loss.backward()
            optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(test_y), 1000):
                x = test_x[i:i + 1000].to(device)
                correct += (model(x).argmax(1).cpu() == test_y[i:i + 1000]).sum().item()
        accuracy = correct / len(test_y)
        log(f"time-to-accuracy: epoch {epoch}/{epochs} {seconds:.1f} s, test accuracy {accuracy:.4f}")
        print(json.dumps({"epoch": epoch, "train_seconds": seconds, "test_accuracy": accuracy}),
              flush=True)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", action="extend", nargs="+", metavar="NAME",
                        help="workloads to run (default: all): " + ", ".join(WORKLOADS))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=None,
                        help="every workload's batch size instead of its own (ngvm bench --batch)")
    parser.add_argument("--list", action="store_true", help="print the workload names")
    parser.add_argument("--params", action="store_true",
                        help="print each workload's parameter count, no timing")
    parser.add_argument("--conv-layers", action="store_true",
                        help="time single 3x3 convolutions (ngvm bench --workload conv-layers)")
    parser.add_argument("--time-to-accuracy", action="store_true",
                        help="train the Fashion-MNIST CNN, one JSON line per epoch "
                             "(ngvm bench --workload time-to-accuracy)")
    parser.add_argument("--data-dir", default="datasets", help="for --time-to-accuracy")
    parser.add_argument("--epochs", type=int, default=8, help="for --time-to-accuracy")
    parser.add_argument("--limit", type=int, default=None,
                        help="for --time-to-accuracy: at most this many train and test images")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.warmup < 0 or args.steps < 1 or (args.batch or 1) < 1:
        parser.error("need --threads >= 1, --warmup >= 0, --steps >= 1, --batch >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name in WORKLOADS:
            print(name)
        return 0
    names = args.workload or WORKLOADS
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        log(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
        return 2
    if torch is None:
        log("PyTorch is not installed: pip install torch")
        return 3
    if args.device == "cuda" and not torch.cuda.is_available():
        log("--device cuda: no CUDA device is available to torch")
        return 2
    global BATCH
    BATCH = args.batch
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float32)
    if args.conv_layers:
        return conv_layers(device, args.warmup, args.steps)
    if args.time_to_accuracy:
        return time_to_accuracy(args.data_dir, args.epochs, args.limit, device)

    status = 0
    for name in names:
        torch.manual_seed(0)
        if args.params:
            rust = BUILDERS[name](device, build=False)
            total = _total(rust)
            work = BUILDERS[name](device)
            # parameters: learnable, as nn_core's learnable_parameter_count and PyTorch count;
            # burn_num_params: plus batch norm's running mean and variance, as burn's
            # Module::num_params (and so the `*_params` of train_stage summaries) counts.
            line = {"workload": name, "parameters": total.learnable,
                    "burn_num_params": total.learnable + total.running,
                    "torch_parameters": work.torch_count[0]}
            if isinstance(rust, dict):
                for key, part in rust.items():
                    line[f"parameters_{key}"] = part.learnable
            print(json.dumps(line), flush=True)
            for problem in work.mismatches():
                log(f"{name}: parameter count mismatch (learnable, running): {problem}")
                status = 1
            continue

        log(f"{name}: building")
        work = BUILDERS[name](device)
        for problem in work.mismatches():
            log(f"{name}: parameter count mismatch (learnable, running): {problem}")
            status = 1
        log(f"{name}: {args.warmup} warm-up step(s)")
        for _ in range(args.warmup):
            work.step()
            if args.device == "cuda":
                torch.cuda.synchronize()
        times, loss = [], float("nan")
        for i in range(args.steps):
            start = time.perf_counter()
            loss = work.step()
            if args.device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
            log(f"{name}: step {i + 1}/{args.steps} {times[-1] * 1e3:.1f} ms loss {loss:.4f}")
        median = statistics.median(times)
        print(json.dumps({
            "workload": name,
            "batch": work.batch,
            "parameters": work.torch_count[0],
            "images_per_second": work.batch / median,
            "median_step_ms": median * 1e3,
            "steps": args.steps,
            "threads": args.threads,
            "torch": torch.__version__,
            "device": args.device,
        }), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
