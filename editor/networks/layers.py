"""Building blocks of the CRA/HiFill generator (Yi et al., CVPR 2020, "Contextual Residual Aggregation for
Ultra High-Resolution Image Inpainting"): gated convolutions, light-weight gated convolutions (LWGC), the
attention computing module (ACM) and the attention transfer module (ATM).

Tensors are ``(N, C, H, W)`` float32; images inside the network are in ``[-1, 1]``; masks are 1 = hole.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["same_padding", "GatedConv2d", "GATE_KINDS", "gate_weight_count", "downsample2x", "upsample2x",
           "cell_hole_mask", "attention_score", "AttentionComputing", "attention_transfer",
           "AttentionTransfer", "pull_push_fill"]

#: Gate branches (CRA §3.4, Eq. 5–8, Table 1): original GC, depth-separable, pixelwise, single-channel.
GATE_KINDS = ("gc", "ds", "pw", "sc")


def same_padding(kernel_size: int, dilation: int = 1) -> int:
    """Symmetric padding giving TF-style 'same' sizes: ``H`` for stride 1, exactly ``H / 2`` for stride 2
    and even ``H`` (odd kernels only)."""
    if kernel_size % 2 != 1:
        raise ValueError(f"odd kernel sizes only, got {kernel_size}")
    return dilation * (kernel_size - 1) // 2


class GatedConv2d(nn.Module):
    """Gated convolution ``O = sigmoid(G) * ELU(F)`` (CRA §3.4, Eq. 5) with a choice of gate branch.

    ``F = conv(W_f, I)`` always has ``out_channels`` channels; the gate ``G`` is computed by

    - ``"gc"``: a full ``k x k`` convolution to ``out_channels`` (Eq. 5; Table 1: ``k*k*Cin*Cout``);
    - ``"ds"``: depth-wise ``k x k`` then point-wise ``1 x 1`` (LWGC^ds, Eq. 6: ``k*k*Cin + Cin*Cout``);
    - ``"pw"``: a ``1 x 1`` convolution (LWGC^pw, Eq. 7: ``Cin*Cout``), applied to the input sampled at the
      feature branch's stride so both branches have the same size;
    - ``"sc"``: a ``k x k`` convolution to ONE channel broadcast over all features (LWGC^sc, Eq. 8:
      ``k*k*Cin``).

    Gate convolutions carry a bias each (not part of Table 1's count; see :func:`gate_weight_count`).

    Input ``(N, Cin, H, W)`` → output ``(N, Cout, H', W')`` with ``H' = H`` (stride 1) or ``H / 2`` (stride 2,
    even ``H``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 dilation: int = 1, gate: str = "pw") -> None:
        super().__init__()
        if gate not in GATE_KINDS:
            raise ValueError(f"gate must be one of {GATE_KINDS}, got {gate!r}")
        pad = same_padding(kernel_size, dilation)
        self.gate_kind = gate
        self.feature = nn.Conv2d(in_channels, out_channels, kernel_size, stride, pad, dilation)
        if gate == "gc":
            self.gate = nn.Conv2d(in_channels, out_channels, kernel_size, stride, pad, dilation)
        elif gate == "sc":
            self.gate = nn.Conv2d(in_channels, 1, kernel_size, stride, pad, dilation)
        elif gate == "pw":
            self.gate = nn.Conv2d(in_channels, out_channels, 1, stride, 0)
        else:  # ds
            self.gate = nn.Sequential(
                nn.Conv2d(in_channels, in_channels, kernel_size, stride, pad, dilation, groups=in_channels,
                          bias=False),
                nn.Conv2d(in_channels, out_channels, 1, 1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.gate(x)) * F.elu(self.feature(x))


def gate_weight_count(layer: GatedConv2d) -> int:
    """Number of gate weights (biases excluded), the quantity of CRA Table 1."""
    return sum(p.numel() for n, p in layer.gate.named_parameters() if n.endswith("weight"))


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    """Averaging down-sampling by 2 (CRA §4.1): ``(N, C, H, W)`` → ``(N, C, H/2, W/2)``."""
    return F.avg_pool2d(x, 2)


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """Bilinear up-sampling by 2 (CRA §4.1): ``(N, C, H, W)`` → ``(N, C, 2H, 2W)``."""
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def pull_push_fill(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Smooth fill of the hole from the known region: the pull-push scheme (Gortler et al., "The Lumigraph",
    SIGGRAPH 1996, §3.4), a pyramid of normalised averages.

    Pull: halve ``(image · known, known)`` by 2x2 averaging (odd sides rounded up) down to 1 px. Push: from the
    coarsest level up, a pixel keeps its own average with the weight ``min(1, known fraction)`` and takes the
    rest from the bilinear upsample of the level below. Known pixels keep their value exactly; a hole pixel gets
    the colours of the nearest known pixels, blurred over a scale that grows with its distance to them.
    Constant known region -> the same constant in the hole. Cost: ~1.4x one pass over the image.

    Args:
        image: float ``(N, C, H, W)``; hole content is ignored.
        mask: float ``(N, 1, H, W)``, 1 = hole. A sample with no known pixel gets 0 everywhere.

    Returns:
        float ``(N, C, H, W)``: ``image`` in the known region, the smooth fill in the hole.
    """
    known = 1.0 - mask
    num, den = image * known, known
    levels = []
    while num.shape[-1] > 1 or num.shape[-2] > 1:
        levels.append((num, den))
        num = F.avg_pool2d(num, 2, ceil_mode=True)
        den = F.avg_pool2d(den, 2, ceil_mode=True)
    fill = num / den.clamp_min(1e-8)
    for num, den in reversed(levels):
        up = F.interpolate(fill, size=num.shape[-2:], mode="bilinear", align_corners=False)
        w = den.clamp(0.0, 1.0)
        fill = num / den.clamp_min(1e-8) * w + up * (1.0 - w)   # num / den is 0 where w is 0
    return image * known + fill * mask


def cell_hole_mask(mask: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Which cells of an attention grid are hole: a cell is hole if ANY of its pixels is.

    Args:
        mask: float ``(N, 1, H, W)``, 1 = hole; H and W multiples of the grid.
        grid: ``(rows, cols)``.

    Returns:
        bool ``(N, rows * cols)`` flat (row-major), True = hole cell.
    """
    n, _, h, w = mask.shape
    gh, gw = grid
    if h % gh or w % gw:
        raise ValueError(f"mask size {h}x{w} is not a multiple of the grid {gh}x{gw}")
    cells = F.max_pool2d(mask, kernel_size=(h // gh, w // gw))  # N x 1 x gh x gw
    return cells.reshape(n, gh * gw) > 0.5


def attention_score(p: torch.Tensor, hole_cells: torch.Tensor, patch_size: int = 3,
                    softmax_scale: float = 10.0) -> torch.Tensor:
    """Attention scores between all cells of a feature map (CRA §3.2, ACM, Eq. 1–2).

    Each cell's descriptor is the ``patch_size x patch_size`` neighbourhood of ``p`` around it (zero-padded at
    the border), L2-normalised; ``c[j, i]`` is the cosine similarity (Eq. 1) between cell ``j`` and cell
    ``i``; ``s[j, :]`` is ``softmax(softmax_scale * c[j, :])`` over the CONTEXT cells ``i`` only (Eq. 2),
    hole columns get exactly 0. ``softmax_scale=1`` is Eq. 2 verbatim; the authors' contextual attention
    code uses 10 (sharper, see the model card).

    Args:
        p: float ``(N, C, gh, gw)``, the high-level feature P.
        hole_cells: bool ``(N, gh * gw)``, True = hole cell.

    Returns:
        float ``(N, L, L)`` with ``L = gh * gw``; row ``j`` = scores of cell ``j`` over source cells. Rows sum to
        1 when the image has at least one context cell (else they are 0).
    """
    n, c, gh, gw = p.shape
    patches = F.unfold(p, patch_size, padding=patch_size // 2)  # N x (C*k*k) x L
    patches = patches / patches.norm(dim=1, keepdim=True).clamp_min(1e-4)
    cos = torch.bmm(patches.transpose(1, 2), patches)  # N x L(j, target) x L(i, source), Eq. 1
    logits = (softmax_scale * cos).masked_fill(hole_cells[:, None, :], float("-inf"))
    has_context = (~hole_cells).any(dim=1)  # N
    logits = torch.where(has_context[:, None, None], logits, torch.zeros_like(logits))
    score = torch.softmax(logits, dim=2)  # Eq. 2
    return score * has_context[:, None, None].to(score.dtype)


class AttentionComputing(nn.Module):
    """Thin module over :func:`attention_score` (the ACM of CRA §3.2)."""

    def __init__(self, patch_size: int = 3, softmax_scale: float = 10.0) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.softmax_scale = softmax_scale

    def forward(self, p: torch.Tensor, hole_cells: torch.Tensor) -> torch.Tensor:
        return attention_score(p, hole_cells, self.patch_size, self.softmax_scale)


def attention_transfer(x: torch.Tensor, score: torch.Tensor, hole_cells: torch.Tensor,
                       grid: tuple[int, int]) -> torch.Tensor:
    """Fill the hole cells of a feature map with score-weighted context cells (CRA §3.2, ATM, Eq. 3).

    The map is tiled into ``grid`` non-overlapping cells of ``(H / gh) x (W / gw)`` pixels; hole cell ``j``
    becomes ``sum_i s[j, i] * cell_i``; context cells are kept. A one-hot row copies a context cell exactly.

    Args:
        x: float ``(N, C, H, W)``; H, W multiples of the grid.
        score: float ``(N, L, L)`` from :func:`attention_score` (hole columns are 0).
        hole_cells: bool ``(N, L)``.
        grid: ``(gh, gw)``, ``L = gh * gw``.

    Returns:
        float ``(N, C, H, W)``.
    """
    n, c, h, w = x.shape
    gh, gw = grid
    if h % gh or w % gw:
        raise ValueError(f"feature size {h}x{w} is not a multiple of the grid {gh}x{gw}")
    ph, pw = h // gh, w // gw
    cells = x.reshape(n, c, gh, ph, gw, pw).permute(0, 2, 4, 1, 3, 5).reshape(n, gh * gw, c * ph * pw)
    filled = torch.bmm(score.to(cells.dtype), cells)  # N x L x (C*ph*pw)
    cells = torch.where(hole_cells[:, :, None], filled, cells)
    return cells.reshape(n, gh, gw, c, ph, pw).permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w)


class AttentionTransfer(nn.Module):
    """Thin module over :func:`attention_transfer` (the ATM of CRA §3.2)."""

    def forward(self, x: torch.Tensor, score: torch.Tensor, hole_cells: torch.Tensor,
                grid: tuple[int, int]) -> torch.Tensor:
        return attention_transfer(x, score, hole_cells, grid)
