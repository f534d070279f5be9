"""Final composite (DESIGN.md stage 4): known region copied bit-exact, the seam hidden inside the hole.

The known pixels may not change, so the seam can only be hidden from the inside, on hole pixels within a
few px of the border (``d`` = Euclidean distance of a hole pixel to the nearest known pixel, px):

1. **Colour offset** (``cra`` and ``resize``, whose fill is ``base = upsample(lr_result)`` plus detail).
   The low-res hole is dilated, so near the border the base holds the low-res method's guess, not the
   colour of the adjacent known pixels. The mismatch, measured on the known side by normalised
   convolution ``D = G_σ * (known · (image − base)) / G_σ * known`` (σ = ``correction``), is added with a
   weight fading from 1 at the border to 0 at ``3σ`` px inside: a local, cheap form of Poisson blending.
   ``D`` is smooth, so the aggregated detail passes through untouched.
2. **Feather** towards the known neighbourhood ``X = G_s * (image · known) / G_s * known`` (s = ``feather``):
   ``out = w(d) · fill + (1 − w(d)) · X`` with ``w(d) = smoothstep((d − 0.5) / feather)``. ``X`` (not the
   upsampled base) is used because it equals the local mean of the real known pixels at the border.

Measured on the 23 photos of ``../shared/data/photos`` with seeded object holes (5–15 %), telea, ``cra``
(``benchmarks/hd_pipeline.py`` helpers; border step = mean |luma step| across the hole border / the
photo's own, 1 = invisible):

============================ ======== =========== ==============================
composite                     PSNR dB  border step  detail (HF energy, hole interior)
============================ ======== =========== ==============================
hard paste                     19.40      8.5        —
feather 4 px                   19.53      2.38       0.35 of the photo's
feather 2 px + offset σ 6 px   19.93      1.57       0.36 of the photo's  (default)
============================ ======== =========== ==============================
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import cv2
import numpy as np

from editor.core.progress import Reporter

__all__ = ["DEFAULT_FEATHER", "DEFAULT_CORRECTION", "feather_composite", "BaseWindow"]

#: Feather width inside the hole, full-res px.
DEFAULT_FEATHER = 2.0
#: σ of the colour-offset correction near the border, full-res px (it fades out 3σ inside the hole).
DEFAULT_CORRECTION = 6.0

#: ``base(y0, y1, x0, x1) -> float32 (y1-y0, x1-x0, 3)``: the smooth fill on a window of the photo.
BaseWindow = Callable[[int, int, int, int], np.ndarray]

_TILE = 256  # px; measured at 8K: 512 -> 0.132 s, 256 -> 0.112 s, 128 -> 0.149 s (per-tile overhead)
_WORKERS = 2  # threads for independent tiles (the target CPU has 2 cores)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _box_size(sigma: float) -> int:
    """Odd box width whose two passes have about the standard deviation ``sigma``."""
    return max(3, int(round(np.sqrt(6.0 * sigma * sigma + 1.0))) | 1)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Two passes of a box filter (a tent kernel) with the standard deviation ``sigma``: O(1) per pixel.

    Its support reaches ``_box_size(sigma) - 1`` px from each output pixel."""
    b = _box_size(sigma)
    return cv2.blur(cv2.blur(a, (b, b), borderType=cv2.BORDER_REFLECT), (b, b), borderType=cv2.BORDER_REFLECT)


def _normalised_blur(values: np.ndarray, known: np.ndarray, sigma: float,
                     known3: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(G_σ * (values · known), G_σ * known)``: numerator and denominator of a normalised convolution.

    ``known3``: ``known`` repeated over 3 channels, when the caller has it (``values`` is 3-channel)."""
    if known3 is None:
        known3 = cv2.merge([known, known, known])
    return _blur(cv2.multiply(values, known3), sigma), _blur(known, sigma)


def _blend_band(image: np.ndarray, hole: np.ndarray, filled: np.ndarray, box: tuple[int, int, int, int],
                d: np.ndarray, margin: int, reach: float, sc: float, sf: float, base: BaseWindow | None) -> None:
    """Steps 1–2 of :func:`feather_composite` on the hole pixels of ``box`` closer than ``reach`` to the border."""
    H, W = hole.shape
    a0, a1, b0, b1 = box
    band = hole[a0:a1, b0:b1] & (d < reach)
    my0, my1, mx0, mx1 = max(a0 - margin, 0), min(a1 + margin, H), max(b0 - margin, 0), min(b1 + margin, W)
    core = (slice(a0 - my0, a1 - my0), slice(b0 - mx0, b1 - mx0))
    known = (~hole[my0:my1, mx0:mx1]).astype(np.float32)
    known3 = cv2.merge([known, known, known])
    win = image[my0:my1, mx0:mx1].astype(np.float32)
    tile = filled[a0:a1, b0:b1]
    fill = tile[band].astype(np.float32)
    db = d[band]
    if sc > 0:
        num, den = _normalised_blur(cv2.subtract(win, base(my0, my1, mx0, mx1)), known, sc, known3)
        offset = num[core][band] / np.maximum(den[core][band], 1e-6)[:, None]
        fill += (1.0 - _smoothstep((db - 0.5) / (3 * sc)))[:, None] * offset
    if sf > 0:
        num, den = _normalised_blur(win, known, sf, known3)
        x_known = num[core][band] / np.maximum(den[core][band], 1e-6)[:, None]
        w = _smoothstep((db - 0.5) / sf)[:, None]                   # 0 at the border, 1 at sf px
        fill = w * fill + (1.0 - w) * x_known
    tile[band] = np.clip(np.rint(fill), 0, 255).astype(np.uint8)


def feather_composite(image: np.ndarray, hole: np.ndarray, filled: np.ndarray,
                      feather: float = DEFAULT_FEATHER, reporter: Reporter | None = None,
                      base: BaseWindow | None = None, correction: float = DEFAULT_CORRECTION) -> np.ndarray:
    """Composite ``filled`` into ``image`` through the hole, hiding the seam from inside the hole.

    Two steps per tile of the hole's bounding box, both only on hole pixels near the border:

    1. colour offset (when ``base`` is given, i.e. the fill is ``base`` + detail): the low-frequency
       mismatch ``D = G_σ * (known · (image − base)) / G_σ * known`` (σ = ``correction`` px) is added to the
       fill with weight ``1 − smoothstep((d − 0.5) / 3σ)``, so the fill starts at the colour of the
       adjacent known pixels and relaxes to its own colour within 3σ px (a cheap, local form of Poisson
       blending). ``base`` is smooth, so D carries no texture; far from the hole ``image − base`` is the
       zero-mean residual and blurs to ≈ 0.
    2. feather: ``w(d) · fill + (1 − w(d)) · X`` with ``X`` the known neighbourhood (module docstring).

    Args:
        image: uint8 ``(H, W, 3)`` the photo (not modified).
        hole: bool ``(H, W)``, True = hole.
        filled: uint8 ``(H, W, 3)`` the HD strategy's result, equal to ``image`` outside the hole. It is
            **modified in place** and returned, to avoid another full-size copy.
        feather: feather width, full-res px (0 = hard paste).
        reporter: ``"composite"`` progress per tile row; cancel point.
        base: ``base(y0, y1, x0, x1) -> float32 (y1-y0, x1-x0, 3)``, the smooth low-res fill upsampled
            (``upsample(lr_result)``), or None to skip step 1.
        correction: σ of step 1, full-res px (0 = skip step 1).

    Returns:
        ``filled`` with its hole pixels near the border blended. Only hole pixels are written, so outside
        the hole it stays what it was: the HD strategies hand over a copy of the photo there.
    """
    if not hole.any() or hole.all():
        return filled
    sc = float(correction) if base is not None else 0.0
    if feather <= 0 and sc <= 0:
        return filled
    H, W = hole.shape
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    sf = max(float(feather), 0.0)
    reach = max(3 * sc, sf)                                   # how far into the hole anything changes
    # context around a tile: the nearest known pixel of a band pixel lies within ``reach``, and the blurs
    # reach ``_box_size - 1`` px; band pixels are never nearer the window's edge than that
    margin = int(np.ceil(max(reach, _box_size(max(sc, sf)) - 1))) + 2
    def do_tile(ty: int, tx: int) -> None:
        ty1, tx1 = min(ty + _TILE, y1), min(tx + _TILE, x1)
        if not hole[ty:ty1, tx:tx1].any():
            return
        # distance of each hole pixel to the nearest known pixel (outside the photo counts as hole)
        my0, my1, mx0, mx1 = max(ty - margin, 0), min(ty1 + margin, H), max(tx - margin, 0), min(tx1 + margin, W)
        dist = cv2.distanceTransform(hole[my0:my1, mx0:mx1].astype(np.uint8), cv2.DIST_L2, 5)
        d = dist[ty - my0:ty1 - my0, tx - mx0:tx1 - mx0]
        band = hole[ty:ty1, tx:tx1] & (d < reach)
        if not band.any():
            return
        # shrink the tile to the band's bounding box: the blurs cost per window pixel
        by, bx = np.flatnonzero(band.any(axis=1)), np.flatnonzero(band.any(axis=0))
        a0, a1, b0, b1 = ty + int(by[0]), ty + int(by[-1]) + 1, tx + int(bx[0]), tx + int(bx[-1]) + 1
        _blend_band(image, hole, filled, (a0, a1, b0, b1), d[a0 - ty:a1 - ty, b0 - tx:b1 - tx],
                    margin, reach, sc, sf, base)

    # each tile reads and writes only its own box of ``filled`` (the blurs read ``image``/``hole``), so
    # tiles run on 2 threads (numpy / OpenCV release the GIL) with the serial loop's result. All tiles are
    # queued at once (a wait per tile row left a core idle: few tiles of a row hold band pixels); progress
    # and the cancel check follow the tiles as they finish, and a cancel drops the tiles not yet started
    tiles = [(ty, tx) for ty in range(y0, y1, _TILE) for tx in range(x0, x1, _TILE)]
    pool = ThreadPoolExecutor(_WORKERS)
    try:
        futures = [pool.submit(do_tile, ty, tx) for ty, tx in tiles]
        for n, fut in enumerate(futures):
            if reporter is not None:
                reporter.report("composite", n / len(futures))
            fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if reporter is not None:
        reporter.report("composite", 1.0)
    return filled
