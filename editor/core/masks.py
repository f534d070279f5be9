"""Hole-mask operations (OpenCV / numpy): grow, shrink, conservative downsampling, hole boxes, generators.

Every mask here is bool (H, W) with True = hole (the pixels to fill), False = known region. Functions
never modify their input. Randomness comes only from an injected ``np.random.Generator``.

Morphology works on the bounding box of the hole (plus the radius), so growing a small hole on an 8K
mask costs what the hole's neighbourhood costs, not the whole photo.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np

from editor.core.errors import ImageReadError

__all__ = [
    "dilate",
    "downsample_conservative",
    "erode",
    "free_form_mask",
    "hole_boxes",
    "hole_fraction",
    "load_templates",
    "object_mask",
]


def _check_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got {getattr(mask, 'shape', type(mask))}")
    if mask.dtype != bool:
        mask = mask != 0
    return mask


def _ellipse(px: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))


def _hole_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the True pixels (exclusive ends), or None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _morph(mask: np.ndarray, px: int, op: int) -> np.ndarray:
    mask = _check_mask(mask)
    px = int(px)
    if px < 0:
        raise ValueError(f"radius must be >= 0 px, got {px}")
    box = _hole_bbox(mask)
    if px == 0 or box is None:
        return mask.copy()
    out = np.zeros_like(mask)
    h, w = mask.shape
    y0, y1, x0, x1 = box
    # Pixels farther than px from every hole pixel are unaffected by either operation, so work on the
    # hole's bounding box grown by px (OpenCV's default border keeps the image edge neutral).
    y0, y1, x0, x1 = max(0, y0 - px), min(h, y1 + px), max(0, x0 - px), min(w, x1 + px)
    crop = mask[y0:y1, x0:x1].view(np.uint8)
    fn = cv2.dilate if op == cv2.MORPH_DILATE else cv2.erode
    out[y0:y1, x0:x1] = fn(crop, _ellipse(px)).view(bool)
    return out


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """Grow the hole by ``px`` pixels with an elliptical (disc) kernel of radius ``px``.

    Args:
        mask: bool (H, W), True = hole.
        px: Radius in pixels, >= 0 (0 returns a copy).

    Returns:
        bool (H, W), a new array.
    """
    return _morph(mask, px, cv2.MORPH_DILATE)


def erode(mask: np.ndarray, px: int) -> np.ndarray:
    """Shrink the hole by ``px`` pixels with an elliptical (disc) kernel of radius ``px``.

    The image border does not erode the hole (outside the photo counts as neither hole nor known).

    Args:
        mask: bool (H, W), True = hole.
        px: Radius in pixels, >= 0 (0 returns a copy).

    Returns:
        bool (H, W), a new array.
    """
    return _morph(mask, px, cv2.MORPH_ERODE)


def _any_blocks(mask: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """OR-reduce ``mask`` along ``axis`` onto ``n_out`` cells covering it exactly.

    Output cell j covers the continuous span [j·n/n_out, (j+1)·n/n_out) of the n input pixels, i.e. input
    pixels floor(j·n/n_out) .. ceil((j+1)·n/n_out) − 1: every input pixel overlapping the cell counts.
    """
    n = mask.shape[axis]
    if n_out == n:
        return mask.copy()
    j = np.arange(n_out, dtype=np.int64)
    starts = (j * n) // n_out  # floor
    ends = -((-(j + 1) * n) // n_out)  # ceil
    # reduceat gives [starts[j], starts[j+1]) (or the single pixel starts[j] when starts repeat);
    # a fractional end adds exactly one more pixel: starts[j+1].
    out = np.logical_or.reduceat(mask, starts, axis=axis)
    nxt = np.append(starts[1:], n)
    extra = np.flatnonzero(ends > nxt)
    if extra.size:
        sl_out = [slice(None)] * 2
        sl_in = [slice(None)] * 2
        sl_out[axis] = extra
        sl_in[axis] = nxt[extra]
        out[tuple(sl_out)] |= mask[tuple(sl_in)]
    # A cell whose span lies inside one pixel (upsampling) is that pixel: reduceat already gave it.
    return out


def downsample_conservative(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a hole mask so that a low-res pixel is hole if ANY full-res pixel under it is (DESIGN.md, stage 1).

    Low-res pixel (i, j) covers the full-res span [j·W/w, (j+1)·W/w) × [i·H/h, (i+1)·H/h); every full-res
    pixel that overlaps it, even partly (non-integer ratios), counts. A single hole pixel therefore never
    disappears, unlike nearest or area resampling.

    Args:
        mask: bool (H, W), True = hole.
        size: Target (w, h) in pixels (Pillow / OpenCV order).

    Returns:
        bool (h, w).
    """
    mask = _check_mask(mask)
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ValueError(f"size must be positive (w, h), got {size}")
    box = _hole_bbox(mask)
    if box is None:
        return np.zeros((h, w), dtype=bool)
    H, W = mask.shape
    # Only rows/cols of cells touching the hole's bounding box can become hole: reduce that band.
    y0, y1, x0, x1 = box
    i0, i1 = (y0 * h) // H, min(h, -((-y1 * h) // H) + 1)
    # Rows: reduce only the full-res rows that feed cells i0..i1 (exact spans recomputed inside).
    rows = _any_blocks_range(mask, h, axis=0, lo=i0, hi=i1)  # (i1-i0, W)
    cols = _any_blocks(rows, w, axis=1)  # (i1-i0, w)
    out = np.zeros((h, w), dtype=bool)
    out[i0:i1] = cols
    return out


def _any_blocks_range(mask: np.ndarray, n_out: int, axis: int, lo: int, hi: int) -> np.ndarray:
    """:func:`_any_blocks` restricted to output cells lo..hi-1 (axis 0 only)."""
    n = mask.shape[0]
    a = (lo * n) // n_out
    b = min(n, -((-hi * n) // n_out))
    sub = mask[a:b]
    j = np.arange(lo, hi, dtype=np.int64)
    starts = (j * n) // n_out - a
    ends = -((-(j + 1) * n) // n_out) - a
    out = np.logical_or.reduceat(sub, starts, axis=0)
    nxt = np.append(starts[1:], b - a)
    # reduceat's last segment runs to the end of ``sub`` = ends[-1]; the rest as in _any_blocks.
    extra = np.flatnonzero(ends > nxt)
    if extra.size:
        out[extra] |= sub[nxt[extra]]
    return out


def hole_boxes(mask: np.ndarray, margin: int = 0) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of the holes, each grown by ``margin``, clipped to the image, overlapping ones merged.

    Holes are 8-connected components of the mask. Boxes that overlap (share at least one pixel) after
    growing are merged into their common bounding box, repeatedly, so the result has no overlaps.

    Args:
        mask: bool (H, W), True = hole.
        margin: Pixels added on each side, >= 0.

    Returns:
        Boxes (x0, y0, x1, y1) with exclusive ends (``mask[y0:y1, x0:x1]``), sorted by (y0, x0);
        empty when there is no hole.
    """
    mask = _check_mask(mask)
    margin = int(margin)
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    box = _hole_bbox(mask)
    if box is None:
        return []
    H, W = mask.shape
    by0, by1, bx0, bx1 = box
    crop = mask[by0:by1, bx0:bx1].view(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    st = stats[1:].astype(np.int64)
    x0 = np.clip(st[:, cv2.CC_STAT_LEFT] + bx0 - margin, 0, W)
    y0 = np.clip(st[:, cv2.CC_STAT_TOP] + by0 - margin, 0, H)
    x1 = np.clip(st[:, cv2.CC_STAT_LEFT] + st[:, cv2.CC_STAT_WIDTH] + bx0 + margin, 0, W)
    y1 = np.clip(st[:, cv2.CC_STAT_TOP] + st[:, cv2.CC_STAT_HEIGHT] + by0 + margin, 0, H)
    boxes = np.stack([x0, y0, x1, y1], axis=1)
    boxes = _merge_overlapping(boxes)
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    return [tuple(int(v) for v in boxes[k]) for k in order]


def _merge_overlapping(boxes: np.ndarray) -> np.ndarray:
    """Merge (x0, y0, x1, y1) boxes (exclusive ends) until no two overlap."""
    boxes = boxes.copy()
    while True:
        merged_any = False
        out: list[np.ndarray] = []
        arr = np.empty((0, 4), dtype=np.int64)
        for b in boxes:
            if len(out):
                hit = np.flatnonzero(
                    (arr[:, 0] < b[2]) & (b[0] < arr[:, 2]) & (arr[:, 1] < b[3]) & (b[1] < arr[:, 3])
                )
                if hit.size:
                    k = int(hit[0])
                    arr[k] = (min(arr[k, 0], b[0]), min(arr[k, 1], b[1]), max(arr[k, 2], b[2]), max(arr[k, 3], b[3]))
                    merged_any = True
                    continue
            out.append(b)
            arr = np.vstack([arr, b[None]])
        boxes = arr
        if not merged_any:
            return boxes


def hole_fraction(mask: np.ndarray) -> float:
    """Fraction of hole pixels, in [0, 1] (0 for an empty array)."""
    mask = _check_mask(mask)
    if mask.size == 0:
        return 0.0
    return float(np.count_nonzero(mask)) / mask.size


# --------------------------------------------------------------------------------------------- generators
def _draw_strokes(mask: np.ndarray, rng: np.random.Generator, n_strokes: int) -> None:
    """Draw DeepFill v2 style brush strokes onto uint8 ``mask`` in place.

    Free-form generator of Yu et al. 2019 (DeepFill v2, the gated-convolution paper, Algorithm 1 of its
    supplement), scaled from its 256 px setting: each stroke is a polyline of 4–11 vertices turning back
    and forth around 2π/5, segment lengths ~ N(r, r/2) with r = diagonal/8, drawn with a round brush of
    width 12–40 px per 256 px of the shorter side, plus a disc at every vertex.
    """
    h, w = mask.shape
    scale = min(h, w) / 256.0
    avg_radius = math.hypot(h, w) / 8.0
    mean_angle, angle_range = 2 * math.pi / 5, 2 * math.pi / 15
    min_width, max_width = 12 * scale, 40 * scale
    for _ in range(n_strokes):
        n_vertex = int(rng.integers(4, 12))
        a_min = mean_angle - rng.uniform(0, angle_range)
        a_max = mean_angle + rng.uniform(0, angle_range)
        angles = rng.uniform(a_min, a_max, size=n_vertex)
        angles[::2] = 2 * math.pi - angles[::2]
        x, y = float(rng.integers(0, w)), float(rng.integers(0, h))
        pts = [(int(x), int(y))]
        for a in angles:
            r = float(np.clip(rng.normal(avg_radius, avg_radius / 2), 0, 2 * avg_radius))
            x = float(np.clip(x + r * math.cos(a), 0, w - 1))
            y = float(np.clip(y + r * math.sin(a), 0, h - 1))
            pts.append((int(x), int(y)))
        width = max(1, int(rng.uniform(min_width, max_width)))
        cv2.polylines(mask, [np.array(pts, dtype=np.int32)], False, 1, thickness=width, lineType=cv2.LINE_8)
        for px, py in pts:
            cv2.circle(mask, (px, py), width // 2, 1, thickness=-1)


def free_form_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    fraction: tuple[float, float] = (0.1, 0.4),
    max_strokes: int = 4,
    max_tries: int = 20,
) -> np.ndarray:
    """Random free-form hole mask: thick brush strokes (DeepFill v2 generator, as used by CRA §3.5 via [16]).

    Strokes (1..``max_strokes`` per try, each flipped at random) are added until the hole covers at least
    ``fraction[0]``; a try that overshoots ``fraction[1]`` is discarded and redrawn (after ``max_tries``
    the closest try is returned).

    Args:
        shape: (H, W) in pixels.
        rng: Source of all randomness (the same seed gives the same mask).
        fraction: (min, max) hole fraction in [0, 1].
        max_strokes: Strokes in the first batch of a try, drawn uniformly from 1..max_strokes.
        max_tries: Redraws allowed when a try overshoots ``fraction[1]``.

    Returns:
        bool (H, W), True = hole.
    """
    h, w = int(shape[0]), int(shape[1])
    lo, hi = float(fraction[0]), float(fraction[1])
    if not (0.0 <= lo <= hi <= 1.0):
        raise ValueError(f"fraction must satisfy 0 <= min <= max <= 1, got {fraction}")
    best: np.ndarray | None = None
    best_err = math.inf
    for _ in range(max(1, max_tries)):
        m = np.zeros((h, w), dtype=np.uint8)
        _draw_strokes(m, rng, int(rng.integers(1, max_strokes + 1)))
        frac = np.count_nonzero(m) / m.size
        while frac < lo:
            _draw_strokes(m, rng, 1)
            frac = np.count_nonzero(m) / m.size
        if rng.random() < 0.5:
            m = m[:, ::-1]
        if rng.random() < 0.5:
            m = m[::-1, :]
        if frac <= hi:
            return np.ascontiguousarray(m, dtype=bool)
        err = frac - hi
        if err < best_err:
            best, best_err = m, err
    assert best is not None
    return np.ascontiguousarray(best, dtype=bool)


def object_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    templates: list[np.ndarray],
    *,
    fraction: tuple[float, float] = (0.05, 0.3),
    max_tries: int = 20,
) -> np.ndarray:
    """Random object-shaped hole from a template, randomly rotated, flipped, scaled and placed (CRA §3.5).

    A template is chosen uniformly, rotated by an angle in [0°, 360°), flipped horizontally with
    probability 1/2, and scaled so its hole covers a fraction of the image drawn uniformly from
    ``fraction`` (its bounding box limited to the image); it is then placed at a uniform position where it
    fits. If rounding leaves the result outside ``fraction`` the draw is repeated (up to ``max_tries``).

    Args:
        shape: (H, W) in pixels.
        rng: Source of all randomness.
        templates: Object shapes, bool (h, w), True = object (see :func:`load_templates`).
        fraction: (min, max) hole fraction of the result.
        max_tries: Redraws when a draw misses ``fraction``.

    Returns:
        bool (H, W), True = hole.

    Raises:
        ValueError: no templates, or a template without any object pixel.
    """
    if not templates:
        raise ValueError("object_mask needs at least one template")
    h, w = int(shape[0]), int(shape[1])
    lo, hi = float(fraction[0]), float(fraction[1])
    best: np.ndarray | None = None
    best_err = math.inf
    for _ in range(max(1, max_tries)):
        t = _check_mask(templates[int(rng.integers(len(templates)))], "template").view(np.uint8) * np.uint8(255)
        if not t.any():
            raise ValueError("an object template has no object pixels")
        # Rotate about the centre onto a canvas large enough for any angle.
        th, tw = t.shape
        diag = int(math.ceil(math.hypot(th, tw))) + 2
        canvas = np.zeros((diag, diag), dtype=np.uint8)
        oy, ox = (diag - th) // 2, (diag - tw) // 2
        canvas[oy:oy + th, ox:ox + tw] = t
        angle = float(rng.uniform(0.0, 360.0))
        rot = cv2.getRotationMatrix2D((diag / 2.0, diag / 2.0), angle, 1.0)
        canvas = cv2.warpAffine(canvas, rot, (diag, diag), flags=cv2.INTER_LINEAR, borderValue=0)
        if rng.random() < 0.5:
            canvas = canvas[:, ::-1]
        box = _hole_bbox(canvas >= 128)
        if box is None:
            continue
        y0, y1, x0, x1 = box
        obj = np.ascontiguousarray(canvas[y0:y1, x0:x1])
        area = np.count_nonzero(obj >= 128)
        target = rng.uniform(lo, hi) * h * w
        s = math.sqrt(target / area)
        s = min(s, w / obj.shape[1], h / obj.shape[0])  # the object must fit in the image
        ow, oh = max(1, int(round(obj.shape[1] * s))), max(1, int(round(obj.shape[0] * s)))
        ow, oh = min(ow, w), min(oh, h)
        scaled = cv2.resize(obj, (ow, oh), interpolation=cv2.INTER_LINEAR) >= 128
        px = int(rng.integers(0, w - ow + 1))
        py = int(rng.integers(0, h - oh + 1))
        m = np.zeros((h, w), dtype=bool)
        m[py:py + oh, px:px + ow] = scaled
        frac = np.count_nonzero(m) / m.size
        if lo <= frac <= hi:
            return m
        err = lo - frac if frac < lo else frac - hi
        if err < best_err:
            best, best_err = m, err
    if best is None:
        raise ValueError("object templates produced no hole")
    return best


def load_templates(folder: str | os.PathLike) -> list[np.ndarray]:
    """Object-shape templates from a folder of PNGs (white = object), e.g. ``../shared/data/mask-templates``.

    Each template is thresholded (luminance >= 128 = object) and cropped to its object's bounding box;
    files without any object pixel are skipped.

    Args:
        folder: Folder with ``*.png`` files (read in name order).

    Returns:
        List of bool (h, w) arrays, True = object.

    Raises:
        ImageReadError: the folder does not exist or holds no usable PNG, or a PNG cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageReadError(f"{folder}: template folder not found")
    out: list[np.ndarray] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".png" or not path.is_file():
            continue
        data = np.fromfile(path, dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
        if img is None:
            raise ImageReadError(f"{path}: not a readable PNG template")
        obj = img >= 128
        box = _hole_bbox(obj)
        if box is None:
            continue
        y0, y1, x0, x1 = box
        out.append(np.ascontiguousarray(obj[y0:y1, x0:x1]))
    if not out:
        raise ImageReadError(f"{folder}: no PNG object templates (white = object) found")
    return out
