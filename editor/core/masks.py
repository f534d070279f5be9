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
    "dilate_levels",
    "downsample_conservative",
    "erode",
    "erode_levels",
    "free_form_mask",
    "hole_bbox",
    "hole_boxes",
    "hole_fraction",
    "load_templates",
    "object_mask",
    "outline_hole",
]


def _check_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got {getattr(mask, 'shape', type(mask))}")
    if mask.dtype != bool:
        mask = mask != 0
    return mask


#: Largest radius grown or shrunk with an exact disc kernel; beyond it the distance transform is used
#: (OpenCV's non-rectangular morphology costs O(radius²) per pixel, the distance transform O(1)).
EXACT_DISC_MAX_PX = 7


def _disc(px: int) -> np.ndarray:
    """Structuring element: the Euclidean disc x² + y² <= px², uint8 (2px+1, 2px+1)."""
    yy, xx = np.mgrid[-px:px + 1, -px:px + 1]
    return (yy * yy + xx * xx <= px * px).astype(np.uint8)


def hole_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box of the True pixels of a bool ``(H, W)`` mask: ``(y0, y1, x0, x1)``, px, exclusive ends;
    None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _grown_box(box: tuple[int, int, int, int], px: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` (y0, y1, x0, x1) grown by ``px`` on each side, clipped to ``shape``: pixels farther than ``px``
    from every hole pixel are unaffected by a grow or shrink of ``px``, so the work stays in this box. At the
    image edge nothing outside counts (neither hole nor known)."""
    (y0, y1, x0, x1), (h, w) = box, shape
    return max(0, y0 - px), min(h, y1 + px), max(0, x0 - px), min(w, x1 + px)


def _morph(mask: np.ndarray, px: int, grow: bool) -> np.ndarray:
    mask = _check_mask(mask)
    px = int(px)
    if px < 0:
        raise ValueError(f"radius must be >= 0 px, got {px}")
    box = hole_bbox(mask)
    if px == 0 or box is None:
        return mask.copy()
    out = np.zeros_like(mask)
    y0, y1, x0, x1 = _grown_box(box, px, mask.shape)
    crop = mask[y0:y1, x0:x1]
    if px <= EXACT_DISC_MAX_PX:
        fn = cv2.dilate if grow else cv2.erode
        res = fn(crop.view(np.uint8), _disc(px)).view(bool)
    elif grow:
        # distance of each known pixel to the nearest hole pixel (zeros of the source)
        dist = cv2.distanceTransform((~crop).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
        res = dist <= px
    else:
        # distance of each hole pixel to the nearest known pixel; the image border is not a known pixel
        dist = cv2.distanceTransform(np.ascontiguousarray(crop).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
        res = dist > px
    out[y0:y1, x0:x1] = res
    return out


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """Grow the hole by ``px`` pixels: every pixel within Euclidean distance ``px`` of a hole pixel joins it.

    Structuring element: the disc x² + y² <= px² (exact for px <= :data:`EXACT_DISC_MAX_PX`; larger radii use
    OpenCV's distance transform with its 5×5 mask, which differs from the exact disc only on a few boundary
    pixels, ~0.1 % of the grown area, in exchange for a cost independent of the radius).

    Args:
        mask: bool (H, W), True = hole.
        px: Radius in pixels, >= 0 (0 returns a copy).

    Returns:
        bool (H, W), a new array.
    """
    return _morph(mask, px, grow=True)


def erode(mask: np.ndarray, px: int) -> np.ndarray:
    """Shrink the hole by ``px`` pixels: a hole pixel stays only if no known pixel is within distance ``px``.

    Same disc and the same large-radius method as :func:`dilate`. The image border does not erode the
    hole (outside the photo counts as neither hole nor known), as in OpenCV's ``erode``.

    Args:
        mask: bool (H, W), True = hole.
        px: Radius in pixels, >= 0 (0 returns a copy).

    Returns:
        bool (H, W), a new array.
    """
    return _morph(mask, px, grow=False)


def _morph_levels(levels: np.ndarray, px: int, grow: bool) -> np.ndarray:
    if not isinstance(levels, np.ndarray) or levels.ndim != 2 or levels.dtype != np.uint8:
        raise ValueError(f"levels must be a uint8 (H, W) array, got {getattr(levels, 'dtype', type(levels))} "
                         f"{getattr(levels, 'shape', '')}")
    px = int(px)
    if px < 0:
        raise ValueError(f"radius must be >= 0 px, got {px}")
    touched = levels > 0
    if np.all((levels == 0) | (levels == 255)):     # a hard mask: the exact binary operation
        return _morph(touched, px, grow).view(np.uint8) * np.uint8(255)
    out = levels.copy()
    box = hole_bbox(touched)
    if px == 0 or box is None:
        return out
    y0, y1, x0, x1 = _grown_box(box, px, levels.shape)
    # a disc of radius px as the Minkowski sum of discs of at most EXACT_DISC_MAX_PX (each pass costs O(r) per
    # pixel in OpenCV, so the passes cost what one large disc would; within a pixel of the exact disc). Outside
    # the photo counts as 0 for a max and as 255 for a min (OpenCV's defaults): the border neither grows nor
    # shrinks the hole, as in :func:`erode`
    res = levels[y0:y1, x0:x1]
    fn = cv2.dilate if grow else cv2.erode
    left = px
    while left > 0:
        r = min(left, EXACT_DISC_MAX_PX)
        res = fn(res, _disc(r))
        left -= r
    out[y0:y1, x0:x1] = res
    return out


def dilate_levels(levels: np.ndarray, px: int) -> np.ndarray:
    """Grow a soft mask (the editor's coverage) by ``px`` pixels, keeping its grey edge: each pixel takes the
    largest level within distance ``px`` (a grey-level dilation, GIMP's and Krita's Grow on a feathered
    selection), so the edge's ramp moves outward unchanged.

    A hard mask (levels 0 and 255 only) gets exactly :func:`dilate`; a soft one a disc built from passes of
    discs up to :data:`EXACT_DISC_MAX_PX` px (O(px) per pixel of the mask's box grown by ``px``: ~0.1 s per
    8 px on 24 MP).

    Args:
        levels: uint8 (H, W): 0 = known, 255 = hole, between = the partly covered edge.
        px: Radius in pixels, >= 0 (0 returns a copy).

    Returns:
        uint8 (H, W), a new array.

    Raises:
        ValueError: not a uint8 (H, W) array, or a negative radius.
    """
    return _morph_levels(levels, px, grow=True)


def erode_levels(levels: np.ndarray, px: int) -> np.ndarray:
    """Shrink a soft mask by ``px`` pixels, keeping its grey edge: each pixel takes the smallest level within
    distance ``px`` (a grey-level erosion), so the ramp moves inward instead of being cut. The photo's border
    does not shrink the hole. A hard mask gets exactly :func:`erode`. Arguments, result and errors as
    :func:`dilate_levels`."""
    return _morph_levels(levels, px, grow=False)


#: Colour of the hole's outline on pictures of it (the editor's Compare window, ``compare`` sheets): magenta.
OUTLINE_RGB = (255, 40, 200)


def outline_hole(rgb: np.ndarray, hole: np.ndarray, width: int) -> np.ndarray:
    """``rgb`` with the hole outlined: a magenta line ``width`` px wide between 1-px dark edges, drawn just
    outside ``hole``, so that the hole's own pixels (what a fill replaces; a 1-px scratch) stay visible.

    Args:
        rgb: uint8 (h, w, 3) picture of the photo (not modified).
        hole: bool (h, w), True = hole.
        width: width of the magenta line, px (>= 1).

    Returns:
        A new uint8 (h, w, 3) array.
    """
    hole = _check_mask(hole, "hole")
    out = rgb.copy()
    box = hole_bbox(hole)
    if box is None:
        return out
    y0, y1, x0, x1 = _grown_box(box, width + 2, hole.shape)      # (the work stays near the hole: 24 MP photos)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    h8 = np.ascontiguousarray(hole[y0:y1, x0:x1]).view(np.uint8)
    grown = [cv2.dilate(h8, disc, iterations=n).view(bool) for n in (1, 1 + width, 2 + width)]
    win = out[y0:y1, x0:x1]
    win[grown[2] & ~grown[0] | (grown[0] & ~h8.view(bool))] = (0, 0, 0)   # the dark edges, outside and inside
    win[grown[1] & ~grown[0]] = OUTLINE_RGB                                 # the line between them
    return out


def _spans(n: int, n_out: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Input pixel ranges [start, end) of output cells lo..hi-1 when n pixels map onto n_out cells.

    Cell j covers the continuous span [j·n/n_out, (j+1)·n/n_out); every input pixel overlapping it, even
    partly, belongs to it: start = floor(j·n/n_out), end = ceil((j+1)·n/n_out). Exact integer arithmetic.
    """
    j = np.arange(lo, hi, dtype=np.int64)
    return (j * n) // n_out, -((-(j + 1) * n) // n_out)


def _or_rows(values: np.ndarray, n_out: int, lo: int, hi: int) -> np.ndarray:
    """OR of the input rows under output rows lo..hi-1: uint8 (hi - lo, W) from uint8 (n, W)."""
    starts, ends = _spans(values.shape[0], n_out, lo, hi)
    out = np.empty((hi - lo, values.shape[1]), dtype=np.uint8)
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        # one vectorised OR over a few rows per output row: ~10 ms for 8K -> 512 (numpy's reduceat: ~300 ms)
        np.bitwise_or.reduce(values[a:b], axis=0, out=out[k])
    return out


def downsample_conservative(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a hole mask so that a low-res pixel is hole if ANY full-res pixel under it is (DESIGN.md, stage 1).

    Low-res pixel (i, j) covers the full-res span [j·W/w, (j+1)·W/w) × [i·H/h, (i+1)·H/h); every full-res
    pixel that overlaps it, even partly (non-integer ratios), counts. A single hole pixel therefore never
    disappears, unlike nearest or area resampling. Also correct when enlarging (each cell then takes the
    one or two pixels it overlaps).

    Args:
        mask: bool (H, W), True = hole.
        size: Target (w, h) in pixels (Pillow / OpenCV order).

    Returns:
        bool (h, w), a new array.
    """
    mask = _check_mask(mask)
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ValueError(f"size must be positive (w, h), got {size}")
    H, W = mask.shape
    out = np.zeros((h, w), dtype=bool)
    box = hole_bbox(mask)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    # Only output rows whose span meets the hole's rows can be hole: i from floor(y0·h/H) to ceil(y1·h/H).
    lo, hi = (y0 * h) // H, min(h, -((-y1 * h) // H))
    rows = _or_rows(mask.view(np.uint8), h, lo, hi)  # (hi - lo, W)
    cols = _or_rows(np.ascontiguousarray(rows.T), w, 0, w)  # (w, hi - lo)
    out[lo:hi] = cols.T.view(bool)
    return out


def hole_boxes(mask: np.ndarray, margin: int = 0) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of the holes, each grown by ``margin``, clipped to the image, overlapping ones merged.

    Holes are 8-connected components of the mask. Boxes that overlap (share at least one pixel) after
    growing are merged into their common bounding box, repeatedly, so the result has no overlaps.
    (Outer contours are traced with ``cv2.findContours``, ~10× faster than labelling every pixel; a hole
    nested inside another's ring has its box inside the ring's box, so it merges away either way.)

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
    box = hole_bbox(mask)
    if box is None:
        return []
    H, W = mask.shape
    by0, by1, bx0, bx1 = box
    crop = np.ascontiguousarray(mask[by0:by1, bx0:bx1]).view(np.uint8)
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = np.array([cv2.boundingRect(c) for c in contours], dtype=np.int64).reshape(-1, 4)
    x0 = np.clip(rects[:, 0] + bx0 - margin, 0, W)
    y0 = np.clip(rects[:, 1] + by0 - margin, 0, H)
    x1 = np.clip(rects[:, 0] + rects[:, 2] + bx0 + margin, 0, W)
    y1 = np.clip(rects[:, 1] + rects[:, 3] + by0 + margin, 0, H)
    boxes = _merge_overlapping(np.stack([x0, y0, x1, y1], axis=1))
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    return [tuple(int(v) for v in boxes[k]) for k in order]


def _merge_overlapping(boxes: np.ndarray) -> np.ndarray:
    """Merge (x0, y0, x1, y1) boxes (exclusive ends) until no two overlap.

    Each round finds overlapping pairs with a sweep over x (sorted by x0, each box compared only with the
    boxes that start before it ends), joins them with union-find and replaces each group by its bounding
    box; rounds repeat while groups grow (a merged box can reach a third one).
    """
    while len(boxes) > 1:
        boxes = boxes[np.argsort(boxes[:, 0], kind="stable")]
        n = len(boxes)
        parent = np.arange(n)

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        x0, y0, x1, y1 = boxes.T
        ends = np.searchsorted(x0, x1, side="left")  # boxes k > i with x0[k] < x1[i]
        merged = False
        for i in range(n):
            if ends[i] <= i + 1:
                continue
            k = np.arange(i + 1, ends[i])
            hit = k[(y0[k] < y1[i]) & (y0[i] < y1[k])]  # x overlap holds by construction
            for j in hit.tolist():
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[rj] = ri
                    merged = True
        if not merged:
            break
        roots = np.array([find(i) for i in range(n)])
        _, group = np.unique(roots, return_inverse=True)
        g = group.max() + 1
        out = np.empty((g, 4), dtype=np.int64)
        out[:, 0] = np.full(g, np.iinfo(np.int64).max)
        out[:, 1] = np.full(g, np.iinfo(np.int64).max)
        out[:, 2:] = np.iinfo(np.int64).min
        np.minimum.at(out[:, 0], group, x0)
        np.minimum.at(out[:, 1], group, y0)
        np.maximum.at(out[:, 2], group, x1)
        np.maximum.at(out[:, 3], group, y1)
        boxes = out
    return boxes


def hole_fraction(mask: np.ndarray) -> float:
    """Fraction of hole pixels, in [0, 1] (0 for an empty array)."""
    mask = _check_mask(mask)
    if mask.size == 0:
        return 0.0
    return float(np.count_nonzero(mask)) / mask.size


# --------------------------------------------------------------------------------------------- generators
def _draw_strokes(mask: np.ndarray, rng: np.random.Generator, n_strokes: int) -> None:
    """Draw random brush strokes onto uint8 ``mask`` in place (value 1).

    The free-form mask algorithm published with DeepFill v2 (Yu et al., "Free-form image inpainting with
    gated convolution", ICCV 2019), scaled from its 256 px setting: each stroke is a polyline of 4–11 vertices turning back
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
    """Random free-form hole mask of thick brush strokes (CRA §3.5's first mask kind: scratches and brush
    erasing as in its ref. [16], drawn with DeepFill v2's stroke algorithm, see :func:`_draw_strokes`).

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
        for _ in range(500):  # bounded: a demanding ``lo`` on a tiny mask must not hang
            if frac >= lo:
                break
            _draw_strokes(m, rng, 1)
            frac = np.count_nonzero(m) / m.size
        if rng.random() < 0.5:
            m = m[:, ::-1]
        if rng.random() < 0.5:
            m = m[::-1, :]
        if lo <= frac <= hi:
            return np.ascontiguousarray(m, dtype=bool)
        err = lo - frac if frac < lo else frac - hi
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
        box = hole_bbox(canvas >= 128)
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
        box = hole_bbox(obj)
        if box is None:
            continue
        y0, y1, x0, x1 = box
        out.append(np.ascontiguousarray(obj[y0:y1, x0:x1]))
    if not out:
        raise ImageReadError(f"{folder}: no PNG object templates (white = object) found")
    return out
