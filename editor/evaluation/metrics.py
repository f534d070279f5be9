"""Full-reference image quality metrics for inpainting, optionally restricted to the hole (numpy/OpenCV only).

All functions take two uint8 ``(H, W, 3)`` RGB images of the same shape (the result and the ground truth)
and an optional bool ``(H, W)`` mask (True = pixels that count, normally the hole mask). With a mask, only
those pixels count ("in-hole" metrics); without, the whole image does.

- :func:`psnr`: peak signal-to-noise ratio in dB over all three channels, peak 255. ``inf`` when identical.
- :func:`ssim`: structural similarity of Wang et al. 2004 ("Image quality assessment: from error visibility
  to structural similarity", IEEE TIP 13(4), Eq. 13) with its standard constants: an 11x11 Gaussian window
  with sigma 1.5 (``cv2.GaussianBlur``), K1 = 0.01, K2 = 0.03, L = 255. The SSIM map is computed on the
  whole image for each RGB channel (so windows near the hole border see the known region, as they should)
  and averaged over channels; the in-hole SSIM is the mean of that map over the mask's pixels. ``1.0`` when
  identical. ``luma=True`` computes it on BT.601 luma instead.
- :func:`l1`: mean absolute error in **[0, 1] units** (absolute difference / 255, averaged over pixels and
  channels). ``0.0`` when identical.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["psnr", "ssim", "ssim_map", "l1"]

_K1, _K2, _L = 0.01, 0.03, 255.0
_C1, _C2 = (_K1 * _L) ** 2, (_K2 * _L) ** 2
_WINDOW, _SIGMA = 11, 1.5


def _check(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {a.dtype} and {b.dtype}")
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"images must be (H, W, 3), got {a.shape}")
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != a.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match the images' {a.shape[:2]}")
    if not mask.any():
        raise ValueError("mask selects no pixels")
    return mask


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB (peak 255) over the masked pixels' three channels.

    Args:
        a, b: uint8 ``(H, W, 3)``.
        mask: bool ``(H, W)``, True = pixels that count; ``None`` = all pixels.

    Returns:
        ``10 * log10(255**2 / MSE)``; ``inf`` when the selected pixels are identical.
    """
    mask = _check(a, b, mask)
    diff = a.astype(np.float64) - b.astype(np.float64)
    if mask is not None:
        diff = diff[mask]
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(_L * _L / mse)


def l1(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean absolute error in [0, 1] units (|a - b| / 255) over the masked pixels' three channels."""
    mask = _check(a, b, mask)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    if mask is not None:
        diff = diff[mask]
    return float(np.mean(diff)) / _L


def _luma(x: np.ndarray) -> np.ndarray:
    # BT.601 luma, float64 (H, W, 1), range [0, 255]
    return (x.astype(np.float64) @ np.array([0.299, 0.587, 0.114]))[..., None]


def ssim_map(a: np.ndarray, b: np.ndarray, *, luma: bool = False) -> np.ndarray:
    """Per-pixel SSIM (Wang et al. 2004, Eq. 13), float64 ``(H, W)``, averaged over RGB channels (or on luma).

    Local means, variances and covariance use an 11x11 Gaussian window, sigma 1.5, with reflected borders
    (OpenCV's default ``BORDER_REFLECT_101``).
    """
    _check(a, b, None)
    if luma:
        x, y = _luma(a), _luma(b)
    else:
        x, y = a.astype(np.float64), b.astype(np.float64)

    def blur(z: np.ndarray) -> np.ndarray:
        out = cv2.GaussianBlur(z, (_WINDOW, _WINDOW), _SIGMA)
        return out.reshape(z.shape)

    mu_x, mu_y = blur(x), blur(y)
    sxx = blur(x * x) - mu_x * mu_x
    syy = blur(y * y) - mu_y * mu_y
    sxy = blur(x * y) - mu_x * mu_y
    num = (2 * mu_x * mu_y + _C1) * (2 * sxy + _C2)
    den = (mu_x * mu_x + mu_y * mu_y + _C1) * (sxx + syy + _C2)
    return (num / den).mean(axis=2)


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, *, luma: bool = False) -> float:
    """Mean SSIM (Wang et al. 2004) over the masked pixels of the SSIM map (see :func:`ssim_map`).

    Returns:
        A value in [-1, 1]; ``1.0`` for identical images.
    """
    mask = _check(a, b, mask)
    smap = ssim_map(a, b, luma=luma)
    return float(smap[mask].mean() if mask is not None else smap.mean())
