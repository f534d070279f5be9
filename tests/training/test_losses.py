"""CRA §3.5 losses (Eq. 9–14) and the Appendix's discriminator."""

from __future__ import annotations

import pytest
import torch

from editor.training.discriminators import CRADiscriminator
from editor.training.losses import (ReconstructionLoss, WGANGeneratorLoss, WGANGPDiscriminatorLoss,
                                    gradient_penalty, reconstruction_loss, wgan_g_loss, wgan_gp_d_loss)


def test_reconstruction_loss_weights_hole_and_context():
    target = torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1  # top half hole
    pred = torch.zeros(1, 3, 4, 4)
    pred[..., :2, :] = 0.5  # error 0.5 in the hole only
    assert reconstruction_loss(pred, target, mask).item() == pytest.approx(1.0 * 0.5 * 0.5)
    pred2 = torch.zeros(1, 3, 4, 4)
    pred2[..., 2:, :] = 0.5  # error 0.5 in the context only
    assert reconstruction_loss(pred2, target, mask).item() == pytest.approx(1.2 * 0.5 * 0.5)
    assert ReconstructionLoss()(pred2, target, mask).item() == reconstruction_loss(pred2, target, mask).item()
    with pytest.raises(ValueError):
        reconstruction_loss(pred, target[:, :, :2], mask)


def test_gradient_penalty_of_a_linear_critic_is_exact():
    w = torch.randn(1, 3, 4, 4)

    def critic(x):
        return (x * w).flatten(1).sum(1, keepdim=True)

    real, fake = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    gp = gradient_penalty(critic, real, fake, torch.rand(2, 1, 1, 1))
    assert gp.item() == pytest.approx((w.norm().item() - 1) ** 2, rel=1e-5)
    loss, info = wgan_gp_d_loss(critic, real, fake, alpha=torch.full((2, 1, 1, 1), 0.3))
    expected = critic(fake).mean() - critic(real).mean() + 10 * (w.norm() - 1) ** 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert set(info) == {"d_real", "d_fake", "gp"}
    loss_m, _ = WGANGPDiscriminatorLoss()(critic, real, fake, torch.full((2, 1, 1, 1), 0.3))
    assert loss_m.item() == pytest.approx(loss.item())


def test_generator_adversarial_loss():
    d = torch.tensor([[1.0], [3.0]])
    assert wgan_g_loss(d).item() == -2.0 == WGANGeneratorLoss()(d).item()


def test_discriminator_layers_and_output():
    d = CRADiscriminator(128)
    convs = [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in d.convs]
    assert convs == [(64, 3, 2), (128, 3, 2), (256, 3, 2), (256, 3, 2), (256, 3, 2), (256, 3, 2)]
    assert d.fc.in_features == 256 * 2 * 2 and d.fc.out_features == 1
    assert d(torch.randn(3, 3, 128, 128)).shape == (3, 1)
    with pytest.raises(ValueError):
        d(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError):
        CRADiscriminator(100)


def test_region_normalisation_weighs_hole_and_context_alpha1_to_alpha2():
    target = torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., 0, 0] = 1  # 1 hole pixel, 15 context pixels
    pred = torch.full((1, 3, 4, 4), 0.5)
    assert reconstruction_loss(pred, target, mask, normalize="region").item() == pytest.approx(0.5 + 1.2 * 0.5)
    assert reconstruction_loss(pred, target, mask).item() == pytest.approx(0.5 / 16 + 1.2 * 0.5 * 15 / 16)
    with pytest.raises(ValueError):
        reconstruction_loss(pred, target, mask, normalize="nope")
