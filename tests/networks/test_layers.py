"""LWGC variants (CRA §3.4, Table 1), ACM (Eq. 1–2) and ATM (Eq. 3)."""

from __future__ import annotations

import pytest
import torch

from editor.networks.layers import (GatedConv2d, attention_score, attention_transfer, cell_hole_mask,
                                    gate_weight_count, same_padding)


@pytest.mark.parametrize("gate, expected", [("gc", 9216), ("ds", 1312), ("pw", 1024), ("sc", 288)])
def test_gate_weight_counts_match_table_1(gate, expected):
    layer = GatedConv2d(32, 32, 3, gate=gate)
    assert gate_weight_count(layer) == expected
    # The feature branch is the same vanilla convolution for every variant.
    assert layer.feature.weight.numel() == 9216


@pytest.mark.parametrize("gate", ["gc", "ds", "pw", "sc"])
@pytest.mark.parametrize("stride, dilation", [(1, 1), (1, 4), (2, 1)])
def test_gated_conv_same_padding_sizes(gate, stride, dilation):
    x = torch.randn(2, 5, 24, 40)
    y = GatedConv2d(5, 7, 3, stride, dilation, gate=gate)(x)
    assert y.shape == (2, 7, 24 // stride, 40 // stride)
    y5 = GatedConv2d(5, 7, 5, 2, gate=gate)(x)
    assert y5.shape == (2, 7, 12, 20)


def test_gate_is_sigmoid_times_elu():
    layer = GatedConv2d(3, 4, 3, gate="sc")
    x = torch.randn(1, 3, 8, 8)
    expected = torch.sigmoid(layer.gate(x)) * torch.nn.functional.elu(layer.feature(x))
    torch.testing.assert_close(layer(x), expected)
    assert layer.gate(x).shape[1] == 1  # single channel, broadcast over the 4 features


def test_same_padding_rejects_even_kernels():
    assert same_padding(3, 8) == 8
    with pytest.raises(ValueError):
        same_padding(4)


def test_cell_hole_mask_any_pixel_makes_a_hole_cell():
    mask = torch.zeros(1, 1, 8, 12)
    mask[0, 0, 5, 1] = 1  # one pixel in cell (1, 0) of a 2x3 grid of 4x4 cells
    cells = cell_hole_mask(mask, (2, 3))
    assert cells.tolist() == [[False, False, False, True, False, False]]
    with pytest.raises(ValueError):
        cell_hole_mask(mask, (3, 3))


def _random_holes(n, L, gen):
    holes = torch.rand(n, L, generator=gen) < 0.4
    holes[:, 0] = False  # at least one context cell
    holes[:, 1] = True
    return holes


def test_attention_rows_sum_to_one_over_context_and_ignore_hole_patches():
    gen = torch.Generator().manual_seed(1)
    p = torch.randn(2, 6, 4, 5, generator=gen)
    holes = _random_holes(2, 20, gen)
    s = attention_score(p, holes)
    assert s.shape == (2, 20, 20)
    torch.testing.assert_close(s.sum(2), torch.ones(2, 20))
    assert torch.all(s.masked_select(holes[:, None, :].expand_as(s)) == 0)
    assert torch.all(s >= 0)


def test_attention_is_softmax_of_scaled_cosine():
    gen = torch.Generator().manual_seed(2)
    p = torch.randn(1, 3, 3, 3, generator=gen)
    holes = torch.zeros(1, 9, dtype=torch.bool)
    holes[0, 4] = True
    s = attention_score(p, holes, patch_size=1, softmax_scale=1.0)  # 1x1 patches: plain cosine, Eq. 2 verbatim
    v = p.flatten(2)[0].T  # 9 x 3
    v = v / v.norm(dim=1, keepdim=True)
    cos = v[4] @ v.T
    ctx = torch.arange(9) != 4
    expected = torch.exp(cos[ctx]) / torch.exp(cos[ctx]).sum()
    torch.testing.assert_close(s[0, 4, ctx], expected)


def test_attention_without_context_is_zero_not_nan():
    s = attention_score(torch.randn(1, 4, 2, 2), torch.ones(1, 4, dtype=torch.bool))
    assert torch.isfinite(s).all() and (s == 0).all()


def test_attention_transfer_one_hot_copies_a_context_patch_exactly():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, 5, 12, 16, generator=gen)  # grid 3x4 -> 4x4 cells
    holes = torch.zeros(1, 12, dtype=torch.bool)
    holes[0, 5] = True  # cell (1, 1)
    score = torch.zeros(1, 12, 12)
    score[0, 5, 10] = 1.0  # copy cell (2, 2)
    y = attention_transfer(x, score, holes, (3, 4))
    assert torch.equal(y[..., 4:8, 4:8], x[..., 8:12, 8:12])
    keep = torch.ones(12, 16, dtype=torch.bool)
    keep[4:8, 4:8] = False
    assert torch.equal(y[..., keep], x[..., keep])  # context untouched


def test_attention_transfer_is_the_weighted_sum_of_eq_3():
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(1, 2, 4, 4, generator=gen)  # grid 2x2 of 2x2 cells
    holes = torch.tensor([[True, False, False, False]])
    score = torch.zeros(1, 4, 4)
    score[0, 0, 1:] = torch.tensor([0.2, 0.3, 0.5])
    y = attention_transfer(x, score, holes, (2, 2))
    expected = 0.2 * x[..., 0:2, 2:4] + 0.3 * x[..., 2:4, 0:2] + 0.5 * x[..., 2:4, 2:4]
    torch.testing.assert_close(y[..., 0:2, 0:2], expected)


def test_pull_push_fill_keeps_the_known_region_and_fills_smoothly():
    from editor.networks.layers import pull_push_fill
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 40, 56, generator=gen) * 2 - 1
    m = torch.zeros(2, 1, 40, 56)
    m[:, :, 10:30, 8:40] = 1
    y = pull_push_fill(x, m)
    assert torch.equal(y * (1 - m), x * (1 - m))                       # known pixels exactly
    # a constant known region fills the hole with that constant, whatever the hole held
    c = torch.full_like(x, 0.3)
    c[m.expand_as(c) > 0] = -0.9
    torch.testing.assert_close(pull_push_fill(c, m), torch.full_like(x, 0.3))
    # left half red-ish, right half blue-ish: the hole's left edge takes the left colour, its right the right
    two = torch.zeros(1, 3, 40, 56)
    two[:, 0, :, :28], two[:, 2, :, 28:] = 1.0, 1.0
    f = pull_push_fill(two, m[:1])
    assert f[0, 0, 20, 9] > 0.6 > f[0, 2, 20, 9] and f[0, 2, 20, 38] > 0.6 > f[0, 0, 20, 38]
    assert f.min() >= 0 and f.max() <= 1                                # a convex mix of known values
