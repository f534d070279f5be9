"""The CRA generator: shapes through every stage, parameter count, gradients, golden output (CRA §3.3, Appendix)."""

from __future__ import annotations

import math

import pytest
import torch

from editor.networks.cra import MULTIPLE, CRAGenerator
from editor.networks.layers import GatedConv2d
from editor.networks.registry import create_network, list_networks


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return CRAGenerator()


def _inputs(h, w, n=1):
    gen = torch.Generator().manual_seed(h * 1000 + w)
    x = torch.rand(n, 3, h, w, generator=gen) * 2 - 1
    m = torch.zeros(n, 1, h, w)
    m[..., h // 4: h // 2, w // 3: w // 2 + 3] = 1
    return x, m


@pytest.mark.parametrize("h, w", [(64, 64), (48, 80), (80, 32)])
def test_shapes_through_every_stage(net, h, w):
    seen = {}
    hooks = [getattr(net.refine, k).register_forward_hook(lambda mod, i, o, k=k: seen.__setitem__(k, o.shape))
             for k in ("enc1", "enc2", "enc3", "att3", "att2", "att1", "dec3", "dec2", "dec1")]
    hooks.append(net.coarse.encoder.register_forward_hook(lambda mod, i, o: seen.__setitem__("coarse", o.shape)))
    x, m = _inputs(h, w, n=2)
    try:
        with torch.no_grad():
            out = net(x, m)
    finally:
        for hk in hooks:
            hk.remove()
    gh, gw = h // 16, w // 16
    assert out.grid == (gh, gw)
    assert out.coarse.shape == out.refined.shape == (2, 3, h, w)
    assert out.score.shape == (2, gh * gw, gh * gw) and out.hole_cells.shape == (2, gh * gw)
    assert seen["coarse"] == (2, 64, h // 8, w // 8)  # 2x down, then two stride-2 layers
    assert seen["enc1"] == seen["att1"] == (2, 32, h // 2, w // 2)  # P^{l=1}
    assert seen["enc2"] == seen["att2"] == seen["dec2"] == (2, 64, h // 4, w // 4)  # P^{l=2}
    assert seen["enc3"] == seen["att3"] == seen["dec3"] == (2, 128, h // 8, w // 8)  # P^{l=3}
    assert seen["dec1"] == (2, 32, h // 2, w // 2)
    for t in (out.coarse, out.refined):
        assert torch.isfinite(t).all() and t.min() >= -1 and t.max() <= 1  # clip


def test_rejects_sizes_off_the_multiple(net):
    x, m = _inputs(64, 64)
    with pytest.raises(ValueError, match="multiples of 16"):
        net(x[..., :60], m[..., :60])
    with pytest.raises(ValueError):
        net(x, m[:, :, :32])
    assert MULTIPLE == 16 and CRAGenerator.multiple == 16


def test_layer_list_and_parameter_count(net):
    # Coarse: 26 gated layers before the first upsample, one after; LWGC^sc. Refine: LWGC^pw.
    assert len(net.coarse.encoder) == 26
    dil = [layer.feature.dilation[0] for layer in net.coarse.encoder]
    assert dil == [1] * 9 + [2] * 6 + [4] * 5 + [8] * 2 + [1] * 4
    assert all(m.gate_kind == "sc" for m in net.coarse.modules() if isinstance(m, GatedConv2d))
    assert all(m.gate_kind == "pw" for m in net.refine.modules() if isinstance(m, GatedConv2d))
    assert [layer.feature.dilation[0] for layer in net.refine.enc3] == [1, 1, 2, 4, 8, 16]
    n = sum(p.numel() for p in net.parameters())
    assert n == 2_663_237  # paper: "2.7M parameters"
    assert abs(n - 2.7e6) / 2.7e6 < 0.02


def test_gradient_reaches_every_parameter():
    torch.manual_seed(1)
    g = CRAGenerator()
    x, m = _inputs(32, 48)
    out = g(x, m)
    (out.refined.square().mean() + out.coarse.square().mean()).backward()
    missing = [n for n, p in g.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert missing == []


def test_known_region_of_input_does_not_leak_from_hole(net):
    # The hole's content is ignored (x * (1 - m), CRA §3.5): changing it changes nothing.
    x, m = _inputs(32, 32)
    y = x.clone()
    y[m.expand_as(x) > 0] = 0.77
    with torch.no_grad():
        torch.testing.assert_close(net(x, m).refined, net(y, m).refined)


def test_pull_push_coarse_stage_has_no_coarse_network_and_ignores_the_hole():
    torch.manual_seed(0)
    g = CRAGenerator(coarse="pull-push").eval()
    assert g.coarse is None and not any(k.startswith("coarse.") for k in g.state_dict())
    full = CRAGenerator()
    assert set(g.state_dict()) == {k for k in full.state_dict() if not k.startswith("coarse.")}
    x, m = _inputs(32, 32)
    y = x.clone()
    y[m.expand_as(x) > 0] = 0.77
    with torch.no_grad():
        a, b = g(x, m), g(y, m)
    torch.testing.assert_close(a.refined, b.refined)
    from editor.networks.layers import pull_push_fill
    torch.testing.assert_close(a.coarse, pull_push_fill(x, m))      # the coarse stage is the smooth fill
    with pytest.raises(ValueError, match="coarse"):
        CRAGenerator(coarse="mean")


def test_registry_builds_cra():
    assert "cra" in list_networks()
    assert isinstance(create_network("cra", softmax_scale=5.0), CRAGenerator)
    with pytest.raises(KeyError):
        create_network("nope")


def _deterministic_generator():
    """Weights from a fixed formula (independent of torch's initialisers and RNG)."""
    g = CRAGenerator().eval()
    with torch.no_grad():
        for i, (_, p) in enumerate(g.named_parameters()):
            fan_in = p[0].numel() if p.ndim > 1 else 1
            v = torch.sin(torch.arange(p.numel(), dtype=torch.float64) * 0.37 + i)
            p.copy_((v * (1.5 / math.sqrt(fan_in))).reshape(p.shape).float())
    return g


def test_golden_output():
    g = _deterministic_generator()
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(48.0), indexing="ij")
    img = torch.stack([torch.sin(xx / 5), torch.cos(yy / 7), torch.sin((xx + yy) / 9)])[None]
    m = torch.zeros(1, 1, 32, 48)
    m[..., 8:20, 10:30] = 1
    with torch.no_grad():
        out = g(img, m)
    tol = dict(abs=1e-4)
    assert out.refined.mean().item() == pytest.approx(0.295353502035141, **tol)
    assert out.refined.abs().mean().item() == pytest.approx(0.47774064540863037, **tol)
    assert out.coarse.mean().item() == pytest.approx(0.700120210647583, **tol)
    assert out.refined[0, :, 12, 15].tolist() == pytest.approx(
        [0.8505783677101135, 0.30155009031295776, -0.27719539403915405], **tol)
    assert out.score[0, 1].tolist() == pytest.approx(
        [0.0, 0.0, 0.983414351940155, 0.0, 0.0, 0.016585631296038628], **tol)
    assert out.hole_cells[0].tolist() == [True, True, False, True, True, False]


def test_initialisation_keeps_the_signal_through_the_coarse_stack():
    # With torch's default init the 26 gated layers wash the input out (std ~0.013, bias-dominated, at any
    # input); reset_parameters keeps it (~0.26 at 128 px; see CRAGenerator.reset_parameters).
    torch.manual_seed(0)
    g = CRAGenerator()
    x, m = _inputs(128, 128)
    h = torch.nn.functional.avg_pool2d(torch.cat([x * (1 - m), m], 1), 2)
    with torch.no_grad():
        ours = g.coarse.encoder(h).std().item()
        for mod in g.modules():
            if isinstance(mod, torch.nn.Conv2d):
                mod.reset_parameters()  # torch's default
        default = g.coarse.encoder(h).std().item()
    assert ours > 0.1 and ours > 5 * default
