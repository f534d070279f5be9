"""Metrics against known values and a direct (loop) SSIM implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from editor.evaluation.metrics import l1, psnr, ssim, ssim_map


def _img(seed=0, h=40, w=48):
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 200, w)[None, :, None] + np.linspace(0, 40, h)[:, None, None]
    return np.clip(base + rng.normal(0, 10, (h, w, 3)), 0, 255).astype(np.uint8)


def test_identical():
    a = _img()
    m = np.zeros(a.shape[:2], bool)
    m[5:15, 5:20] = True
    assert psnr(a, a) == math.inf and psnr(a, a, m) == math.inf
    assert ssim(a, a) == 1.0 and ssim(a, a, m) == 1.0
    assert l1(a, a) == 0.0 and l1(a, a, m) == 0.0


def test_psnr_known_values():
    a = np.full((10, 10, 3), 100, np.uint8)
    b = a.copy()
    b[..., 0] += 10  # error 10 in one channel of three: MSE = 100 / 3
    assert psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 * 3 / 100))
    # error only inside the mask: in-hole PSNR sees it, the rest does not count
    c = a.copy()
    m = np.zeros((10, 10), bool)
    m[:5] = True
    c[m] = 116  # error 16 everywhere in the hole: MSE = 256
    assert psnr(a, c, m) == pytest.approx(10 * math.log10(255 ** 2 / 256))
    assert psnr(a, c, ~m) == math.inf
    # Gaussian noise of sigma 5 (no clipping at mid-grey) -> about 20 log10(255 / 5) = 34.15 dB
    rng = np.random.default_rng(1)
    g = np.full((200, 200, 3), 128, np.uint8)
    n = np.clip(np.rint(128 + rng.normal(0, 5, g.shape)), 0, 255).astype(np.uint8)
    assert psnr(g, n) == pytest.approx(20 * math.log10(255 / 5), abs=0.1)


def test_l1_units():
    a = np.zeros((4, 4, 3), np.uint8)
    b = np.full((4, 4, 3), 51, np.uint8)
    assert l1(a, b) == pytest.approx(0.2)
    m = np.zeros((4, 4), bool)
    m[0, 0] = True
    b2 = a.copy()
    b2[0, 0] = 255
    assert l1(a, b2, m) == pytest.approx(1.0)
    assert l1(a, b2) == pytest.approx(1 / 16)


def _ssim_direct(x: np.ndarray, y: np.ndarray, i: int, j: int) -> float:
    """SSIM at one interior pixel, straight from Wang et al. 2004 Eq. 13 with an explicit Gaussian window."""
    r = 5
    g = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * 1.5 ** 2))
    w = np.outer(g, g)
    w /= w.sum()
    px = x[i - r:i + r + 1, j - r:j + r + 1].astype(float)
    py = y[i - r:i + r + 1, j - r:j + r + 1].astype(float)
    mx, my = (w * px).sum(), (w * py).sum()
    vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
    cxy = (w * (px - mx) * (py - my)).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))


def test_ssim_matches_direct_formula():
    a, b = _img(0), _img(1)
    smap = ssim_map(a, b)
    for i, j in [(10, 10), (20, 30), (29, 37)]:
        direct = np.mean([_ssim_direct(a[..., c], b[..., c], i, j) for c in range(3)])
        assert smap[i, j] == pytest.approx(direct, abs=1e-9)


def test_ssim_properties_and_mask():
    a = _img(0)
    noisy = np.clip(a + np.random.default_rng(2).normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    assert 0 < ssim(a, noisy) < ssim(a, np.clip(a.astype(int) + 3, 0, 255).astype(np.uint8)) < 1
    assert ssim(a, noisy) == pytest.approx(ssim(noisy, a))  # symmetric
    # damage only the left half: in-hole SSIM of the right half stays far higher
    d = a.copy()
    d[:, :16] = noisy[:, :16]
    right = np.zeros(a.shape[:2], bool)
    right[:, 32:] = True
    assert ssim(a, d, right) == pytest.approx(1.0, abs=1e-6)
    assert ssim(a, d, ~right) < 0.9
    assert -1 <= ssim(a, d, luma=True) <= 1


def test_bad_inputs():
    a = _img()
    with pytest.raises(ValueError):
        psnr(a, a[:-1])
    with pytest.raises(ValueError):
        ssim(a, a, np.zeros(a.shape[:2], bool))  # empty mask
    with pytest.raises(ValueError):
        l1(a.astype(np.float32), a)
