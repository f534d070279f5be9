"""Final composite (DESIGN.md stage 4): known region copied bit-exact, a narrow feather inside the hole.

The known pixels may not change, so the seam can only be hidden from the inside. Within ``feather`` px
of the hole border the fill is blended towards the *known neighbourhood*: the colours of the nearby known
pixels spread into the hole by normalised convolution,

    X = G_σ * (image · known) / G_σ * known          (σ = feather px),

with weight ``w(d) = smoothstep((d − 0.5) / feather)`` on the fill, ``d`` the Euclidean distance (px) of a
hole pixel to the nearest known pixel::

    out = w(d) · fill + (1 − w(d)) · X          (hole pixels with d < feather)

Why ``X`` and not the ``resize`` base: the upsampled base is only boundary-consistent at low frequency and
at low-res precision (one low-res pixel is 8–15 full-res px at 4K–8K), so blending towards it leaves a
colour step right at the border; ``X`` equals the local mean of the actual known pixels at ``d → 0``, so
the first hole pixels continue the known side, and by ``d = feather`` the fill (with its aggregated
detail) takes over. The band is a few px at full resolution, too narrow to look soft.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.progress import Reporter

__all__ = ["DEFAULT_FEATHER", "feather_composite"]

#: Feather width inside the hole, full-res px.
DEFAULT_FEATHER = 4.0

_TILE = 512


def feather_composite(image: np.ndarray, hole: np.ndarray, filled: np.ndarray,
                      feather: float = DEFAULT_FEATHER, reporter: Reporter | None = None) -> np.ndarray:
    """Composite ``filled`` into ``image`` through the hole with a feather inside the hole.

    Args:
        image: uint8 ``(H, W, 3)`` the photo (not modified).
        hole: bool ``(H, W)``, True = hole.
        filled: uint8 ``(H, W, 3)`` the HD strategy's result, equal to ``image`` outside the hole. It is
            **modified in place** and returned, to avoid another full-size copy.
        feather: feather width, full-res px (0 = hard paste).
        reporter: ``"composite"`` progress per tile row; cancel point.

    Returns:
        ``filled`` with its hole pixels near the border feathered. Only hole pixels are written, so outside
        the hole it stays what it was: the HD strategies hand over a copy of the photo there.
    """
    if feather <= 0 or not hole.any() or hole.all():
        return filled
    H, W = hole.shape
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    sigma = float(feather)
    margin = int(np.ceil(feather)) + int(np.ceil(3 * sigma)) + 1
    for ty in range(y0, y1, _TILE):
        if reporter is not None:
            reporter.report("composite", (ty - y0) / (y1 - y0))
        for tx in range(x0, x1, _TILE):
            ty1, tx1 = min(ty + _TILE, y1), min(tx + _TILE, x1)
            th = hole[ty:ty1, tx:tx1]
            if not th.any():
                continue
            my0, my1, mx0, mx1 = max(ty - margin, 0), min(ty1 + margin, H), max(tx - margin, 0), min(tx1 + margin, W)
            mh = hole[my0:my1, mx0:mx1]
            # distance of each hole pixel to the nearest known pixel (outside the photo counts as hole)
            dist = cv2.distanceTransform(mh.astype(np.uint8), cv2.DIST_L2, 5)
            core = (slice(ty - my0, ty1 - my0), slice(tx - mx0, tx1 - mx0))
            band = th & (dist[core] < feather)
            if not band.any():
                continue
            k = (~mh).astype(np.float32)
            img = image[my0:my1, mx0:mx1].astype(np.float32) * k[..., None]
            num = cv2.GaussianBlur(img, (0, 0), sigma)[core]
            den = cv2.GaussianBlur(k, (0, 0), sigma)[core]
            t = np.clip((dist[core][band] - 0.5) / feather, 0.0, 1.0)
            w = (t * t * (3.0 - 2.0 * t))[:, None]                        # smoothstep, 0 at the border
            x_known = num[band] / np.maximum(den[band], 1e-6)[:, None]
            tile = filled[ty:ty1, tx:tx1]
            fill = tile[band].astype(np.float32)
            tile[band] = np.clip(np.rint(w * fill + (1.0 - w) * x_known), 0, 255).astype(np.uint8)
    if reporter is not None:
        reporter.report("composite", 1.0)
    return filled
