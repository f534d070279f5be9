"""The CRA/HiFill generator (Yi et al., CVPR 2020, §3.2–3.4 and the Appendix's layer list).

Coarse network (LWGC^sc) on the 2x-downsampled input, refine network (LWGC^pw) with an attention
computing branch on ``P^{l=3}`` and attention transfer at ``P^{l=1..3}`` sharing one score matrix.
``K5S2C32`` reads kernel 5, stride 2, 32 channels; ``D2`` dilation 2.

Input: ``image`` float ``(N, 3, H, W)`` in ``[-1, 1]`` and ``mask`` float ``(N, 1, H, W)`` (1 = hole), with H
and W multiples of :data:`MULTIPLE` (16). The attention grid is ``(H / 16, W / 16)`` — 32x32 at 512 px.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from editor.networks.layers import (GatedConv2d, attention_score, attention_transfer, cell_hole_mask,
                                    downsample2x, pull_push_fill, upsample2x)

__all__ = ["MULTIPLE", "COARSE_STAGES", "CRAOutput", "CoarseNetwork", "RefineNetwork", "CRAGenerator"]

#: H and W must be multiples of this: the refine network's P (attention map) is at 1/16 of the input.
MULTIPLE = 16
#: The coarse stage (CRA §3.3's coarse network, whose output the refine network starts from):
#: ``"network"`` — the paper's coarse network on the masked image; ``"pull-push"`` — no coarse network: the hole
#: is filled smoothly from the known region (:func:`~editor.networks.layers.pull_push_fill`, no parameters).
#: The second is this project's deviation for CPU-trained weights: its coarse network, trained for hours
#: instead of days, paints colour blobs the refine network cannot undo, while the refine network given a
#: smooth fill transfers texture well (measured in ``models/cra.*.md``).
COARSE_STAGES = ("network", "pull-push")

# (kernel, stride, channels, dilation) per layer, CRA Appendix.
_COARSE_ENCODER = ([(5, 2, 32, 1), (3, 1, 32, 1), (3, 2, 64, 1)] + [(3, 1, 64, 1)] * 6 + [(3, 1, 64, 2)] * 6
                   + [(3, 1, 64, 4)] * 5 + [(3, 1, 64, 8)] * 2 + [(3, 1, 64, 1)] * 4)


@dataclass
class CRAOutput:
    """What :class:`CRAGenerator` returns.

    Attributes:
        coarse: float ``(N, 3, H, W)`` in [-1, 1], the coarse network's raw prediction (up-sampled 2x).
        refined: float ``(N, 3, H, W)`` in [-1, 1], the refine network's raw prediction (``fake_res``).
        score: float ``(N, L, L)``, ``L = gh * gw``; row j = attention of cell j over all cells (hole
            columns 0). Only rows of hole cells are used.
        hole_cells: bool ``(N, L)``, True = cell intersects the hole.
        grid: ``(gh, gw)`` = ``(H / 16, W / 16)``.
    """

    coarse: torch.Tensor
    refined: torch.Tensor
    score: torch.Tensor
    hole_cells: torch.Tensor
    grid: tuple[int, int]


def _check(image: torch.Tensor, mask: torch.Tensor) -> None:
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"image must be (N, 3, H, W), got {tuple(image.shape)}")
    if mask.shape != (image.shape[0], 1, *image.shape[2:]):
        raise ValueError(f"mask must be (N, 1, H, W) matching the image, got {tuple(mask.shape)}")
    h, w = image.shape[2:]
    if h % MULTIPLE or w % MULTIPLE:
        raise ValueError(f"height and width must be multiples of {MULTIPLE}, got {h}x{w}")


class CoarseNetwork(nn.Module):
    """Coarse network (CRA Appendix): downsample(2x) - K5S2C32 - K3S1C32 - K3S2C64 - 6x K3S1C64 - 6x D2 -
    5x D4 - 2x D8 - 4x K3S1C64 - up(2x) - K3S1C32 - up(2x) - K3S1C3 - clip - up(2x); LWGC^sc everywhere
    except the last 3-channel convolution (plain, no activation, then clipped).

    ``(N, 4, H, W)`` (masked image, mask) → ``(N, 3, H, W)`` in [-1, 1].
    """

    def __init__(self, gate: str = "sc") -> None:
        super().__init__()
        layers, cin = [], 4
        for k, s, c, d in _COARSE_ENCODER:
            layers.append(GatedConv2d(cin, c, k, s, d, gate=gate))
            cin = c
        self.encoder = nn.Sequential(*layers)
        self.up1 = GatedConv2d(64, 32, 3, gate=gate)
        self.out = nn.Conv2d(32, 3, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.encoder(downsample2x(x))  # N x 64 x H/8 x W/8
        x = self.up1(upsample2x(x))  # N x 32 x H/4 x W/4
        x = self.out(upsample2x(x)).clamp(-1.0, 1.0)  # N x 3 x H/2 x W/2
        return upsample2x(x)


class RefineNetwork(nn.Module):
    """Refine network (CRA Appendix) with LWGC^pw and multi-scale attention transfer.

    K5S2C32 - K3S1C32[P1] - K3S2C64 - K3S1C64[P2] - K3S2C128 - K3S1C128 - D2 - D4 - D8 - D16[P3] - concat -
    K3S1C128 - up - K3S1C64 - K3S1C64 - concat - up - K3S1C32 - K3S1C32 - concat - up - K3S1C3 - clip.
    Attention computing: P3 - downsample(2x) - P - ACM. Transfer branches: P3 - ATM - K3S1C128;
    P2 - ATM - K3S1C64 - K3S1C64D2; P1 - ATM - K3S1C32 - K3S1C32D2; each concatenated as listed.
    """

    def __init__(self, gate: str = "pw", softmax_scale: float = 10.0) -> None:
        super().__init__()
        g = dict(gate=gate)
        self.softmax_scale = softmax_scale
        self.enc1 = nn.Sequential(GatedConv2d(4, 32, 5, 2, **g), GatedConv2d(32, 32, 3, **g))  # P1: H/2
        self.enc2 = nn.Sequential(GatedConv2d(32, 64, 3, 2, **g), GatedConv2d(64, 64, 3, **g))  # P2: H/4
        self.enc3 = nn.Sequential(GatedConv2d(64, 128, 3, 2, **g), GatedConv2d(128, 128, 3, **g),
                                  *[GatedConv2d(128, 128, 3, 1, d, **g) for d in (2, 4, 8, 16)])  # P3: H/8
        self.att3 = GatedConv2d(128, 128, 3, **g)
        self.att2 = nn.Sequential(GatedConv2d(64, 64, 3, **g), GatedConv2d(64, 64, 3, 1, 2, **g))
        self.att1 = nn.Sequential(GatedConv2d(32, 32, 3, **g), GatedConv2d(32, 32, 3, 1, 2, **g))
        self.dec3 = GatedConv2d(256, 128, 3, **g)
        self.dec2 = nn.Sequential(GatedConv2d(128, 64, 3, **g), GatedConv2d(64, 64, 3, **g))
        self.dec1 = nn.Sequential(GatedConv2d(128, 32, 3, **g), GatedConv2d(32, 32, 3, **g))
        self.out = nn.Conv2d(64, 3, 3, 1, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor):
        """``x`` ``(N, 4, H, W)``, ``mask`` ``(N, 1, H, W)`` → (image ``(N, 3, H, W)``, score, hole_cells, grid)."""
        h, w = x.shape[2:]
        grid = (h // MULTIPLE, w // MULTIPLE)
        p1 = self.enc1(x)  # N x 32 x H/2 x W/2
        p2 = self.enc2(p1)  # N x 64 x H/4 x W/4
        p3 = self.enc3(p2)  # N x 128 x H/8 x W/8
        hole_cells = cell_hole_mask(mask, grid)  # N x L
        score = attention_score(downsample2x(p3), hole_cells, 3, self.softmax_scale)  # N x L x L
        a3 = self.att3(attention_transfer(p3, score, hole_cells, grid))
        a2 = self.att2(attention_transfer(p2, score, hole_cells, grid))
        a1 = self.att1(attention_transfer(p1, score, hole_cells, grid))
        y = self.dec3(torch.cat([p3, a3], 1))  # N x 128 x H/8
        y = self.dec2(upsample2x(y))  # N x 64 x H/4
        y = upsample2x(torch.cat([y, a2], 1))  # N x 128 x H/2
        y = torch.cat([self.dec1(y), a1], 1)  # N x 64 x H/2
        y = self.out(upsample2x(y)).clamp(-1.0, 1.0)  # N x 3 x H x W
        return y, score, hole_cells, grid


class CRAGenerator(nn.Module):
    """The CRA generator (CRA §3.3, Fig. 2): coarse → paste into the input's hole → refine with attention.

    ``forward(image, mask)``: image float ``(N, 3, H, W)`` in [-1, 1] (hole content is ignored: it is zeroed,
    ``x * (1 - m)``, §3.5), mask float ``(N, 1, H, W)`` 1 = hole; H, W multiples of 16. Returns
    :class:`CRAOutput`.

    ``coarse`` (:data:`COARSE_STAGES`): ``"network"`` builds the paper's coarse network; ``"pull-push"`` builds
    none (``self.coarse is None``, no ``coarse.*`` weights) and starts the refine network from the pull-push
    fill. It is part of what weights were trained with: weight files record it in their model card (absent =
    ``"network"``). Raises ValueError for an unknown ``coarse``.
    """

    multiple = MULTIPLE

    def __init__(self, coarse_gate: str = "sc", refine_gate: str = "pw", softmax_scale: float = 10.0,
                 coarse: str = "network") -> None:
        super().__init__()
        if coarse not in COARSE_STAGES:
            raise ValueError(f"coarse must be one of {', '.join(COARSE_STAGES)}, got {coarse!r}")
        self.coarse = CoarseNetwork(coarse_gate) if coarse == "network" else None
        self.refine = RefineNetwork(refine_gate, softmax_scale)
        self.reset_parameters()

    def reset_parameters(self, gate_bias: float = 2.0) -> None:
        """Initialise for a trainable 26-layer gated stack (the paper does not specify an init).

        Feature convolutions: Kaiming-normal (fan-in, ReLU gain), zero bias; gate biases ``gate_bias``
        (sigmoid(2) = 0.88: gates start mostly open). With torch's default init the coarse network's
        activations lose the input after ~10 layers (std ~1e-2, bias-dominated) and it barely trains;
        with this one they keep a std of ~0.3 through all 26 layers (measured on random inputs).
        """
        for mod in self.modules():
            if isinstance(mod, GatedConv2d):
                nn.init.kaiming_normal_(mod.feature.weight, nonlinearity="relu")
                nn.init.zeros_(mod.feature.bias)
                last = mod.gate[-1] if isinstance(mod.gate, nn.Sequential) else mod.gate
                nn.init.constant_(last.bias, gate_bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> CRAOutput:
        _check(image, mask)
        masked = image * (1.0 - mask)
        if self.coarse is None:
            coarse = pull_push_fill(image, mask)
        else:
            coarse = self.coarse(torch.cat([masked, mask], 1))
        blended = coarse * mask + masked  # hole from the coarse prediction, context from the input
        refined, score, hole_cells, grid = self.refine(torch.cat([blended, mask], 1), mask)
        return CRAOutput(coarse, refined, score, hole_cells, grid)
