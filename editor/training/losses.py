"""Training losses of CRA §3.5 (Eq. 9–14), each a function plus a thin ``nn.Module`` that only calls it.

Images are float ``(N, 3, H, W)`` in [-1, 1]; masks float ``(N, 1, H, W)`` with 1 = hole.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

__all__ = ["reconstruction_loss", "ReconstructionLoss", "wgan_gp_d_loss", "WGANGPDiscriminatorLoss",
           "gradient_penalty", "wgan_g_loss", "WGANGeneratorLoss", "ALPHA_HOLE", "ALPHA_CONTEXT", "BETA_ADV",
           "GP_WEIGHT"]

#: CRA §3.5: α1 (in-hole), α2 (context), β (adversarial), and WGAN-GP's penalty weight (Gulrajani et al.).
ALPHA_HOLE, ALPHA_CONTEXT, BETA_ADV, GP_WEIGHT = 1.0, 1.2, 1e-4, 10.0


def _check_pair(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f"pred and target must be equal (N, C, H, W), got {tuple(pred.shape)}, "
                         f"{tuple(target.shape)}")
    if mask.shape != (pred.shape[0], 1, *pred.shape[2:]):
        raise ValueError(f"mask must be (N, 1, H, W), got {tuple(mask.shape)}")


def reconstruction_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                        alpha_hole: float = ALPHA_HOLE, alpha_context: float = ALPHA_CONTEXT,
                        normalize: str = "all") -> torch.Tensor:
    """L_rec = α1 · L_in-hole + α2 · L_context with the masked L1 maps of CRA Eq. 11–13.

    The paper does not say how the maps are reduced. ``normalize="all"``: each map is averaged over all
    elements (N·C·H·W), as a TF ``reduce_mean`` of the masked map would (context pixels then dominate the
    loss by their number). ``normalize="region"``: each map is averaged over its own pixels (hole, context),
    so the two regions weigh α1 : α2 whatever the hole size.

    Returns:
        Scalar tensor.
    """
    _check_pair(pred, target, mask)
    diff = (pred - target).abs()  # N x 3 x H x W
    hole, context = (diff * mask).sum(), (diff * (1.0 - mask)).sum()
    if normalize == "all":
        n_hole = n_context = diff.numel()
    elif normalize == "region":
        n_hole = (mask.sum() * diff.shape[1]).clamp_min(1.0)
        n_context = ((1.0 - mask).sum() * diff.shape[1]).clamp_min(1.0)
    else:
        raise ValueError(f"normalize must be 'all' or 'region', got {normalize!r}")
    return alpha_hole * hole / n_hole + alpha_context * context / n_context


class ReconstructionLoss(nn.Module):
    def __init__(self, alpha_hole: float = ALPHA_HOLE, alpha_context: float = ALPHA_CONTEXT,
                 normalize: str = "all") -> None:
        super().__init__()
        self.alpha_hole, self.alpha_context, self.normalize = alpha_hole, alpha_context, normalize

    def forward(self, pred, target, mask):
        return reconstruction_loss(pred, target, mask, self.alpha_hole, self.alpha_context, self.normalize)


def gradient_penalty(discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, alpha: torch.Tensor | None = None) -> torch.Tensor:
    """E[(‖∇_x̂ D(x̂)‖₂ − 1)²] at x̂ = (1 − a)·real + a·fake, a ~ U[0, 1] per sample (CRA Eq. 9, Algorithm 1)."""
    if alpha is None:
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x_hat = ((1.0 - alpha) * real + alpha * fake).detach().requires_grad_(True)
    out = discriminator(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()


def wgan_gp_d_loss(discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                   fake: torch.Tensor, gp_weight: float = GP_WEIGHT,
                   alpha: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
    """L_d = E[D(x̃)] − E[D(x)] + σ · GP  (CRA Eq. 9, σ = 10). ``fake`` is detached here.

    Returns:
        (scalar loss, {"d_real", "d_fake", "gp"} floats for logging).
    """
    fake = fake.detach()
    d_real, d_fake = discriminator(real).mean(), discriminator(fake).mean()
    gp = gradient_penalty(discriminator, real, fake, alpha)
    loss = d_fake - d_real + gp_weight * gp
    return loss, {"d_real": float(d_real.detach()), "d_fake": float(d_fake.detach()), "gp": float(gp.detach())}


class WGANGPDiscriminatorLoss(nn.Module):
    def __init__(self, gp_weight: float = GP_WEIGHT) -> None:
        super().__init__()
        self.gp_weight = gp_weight

    def forward(self, discriminator, real, fake, alpha=None):
        return wgan_gp_d_loss(discriminator, real, fake, self.gp_weight, alpha)


def wgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """L_adv = −E[D(x̃)]  (CRA Eq. 10); ``d_fake`` is D's output ``(N, 1)`` on the composited fakes."""
    return -d_fake.mean()


class WGANGeneratorLoss(nn.Module):
    def forward(self, d_fake):
        return wgan_g_loss(d_fake)
