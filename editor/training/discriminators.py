"""The CRA discriminator (CRA Appendix): K3S2C64 - K3S2C128 - K3S2C256 - K3S2C256 - K3S2C256 - K3S2C256 -
fully connected to 1. A WGAN critic: no sigmoid, no normalisation (WGAN-GP forbids batch norm)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["CRADiscriminator"]


class CRADiscriminator(nn.Module):
    """``(N, 3, H, W)`` in [-1, 1] → ``(N, 1)`` critic score. H, W multiples of 64.

    The fully connected layer's input size follows the crop: ``256 · (H/64) · (W/64)``; it is built for
    ``size`` (an int or ``(H, W)``) at construction, so checkpoints are tied to the crop size.
    Activations are leaky ReLU (0.2), as in the authors' WGAN-GP critics.
    """

    CHANNELS = (64, 128, 256, 256, 256, 256)

    def __init__(self, size: int | tuple[int, int] = 512, in_channels: int = 3) -> None:
        super().__init__()
        h, w = (size, size) if isinstance(size, int) else size
        if h % 64 or w % 64:
            raise ValueError(f"discriminator input sides must be multiples of 64, got {h}x{w}")
        convs, cin = [], in_channels
        for c in self.CHANNELS:
            convs.append(nn.Conv2d(cin, c, 3, 2, 1))
            cin = c
        self.convs = nn.ModuleList(convs)
        self.size = (h, w)
        self.fc = nn.Linear(cin * (h // 64) * (w // 64), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[2:]) != self.size:
            raise ValueError(f"discriminator built for {self.size}, got {tuple(x.shape[2:])}")
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)  # N x C x H/2^k x W/2^k
        return self.fc(x.flatten(1))
