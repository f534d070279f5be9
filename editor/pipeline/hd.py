"""HD strategies: bring a low-res result to the full-resolution photo (DESIGN.md, pipeline stage 3).

Each strategy returns a uint8 ``(H, W, 3)`` copy of the photo whose hole pixels hold the fill and whose
other pixels are the photo's own; :mod:`editor.pipeline.composite` then softens the seam inside the hole.

* ``cra`` — CRA §3.1–3.2: ``hr_base = upsample(lr_result)`` plus the contextual residuals of the known
  region aggregated into hole cells with attention scores (Eq. 4).
* ``resize`` — ``upsample(lr_result)`` pasted into the hole (the naive baseline of CRA Fig. 6).
* ``crop`` — each hole's bounding box plus a margin, at native resolution up to a size limit (IOPaint's
  default strategy; its defaults: margin 128 px, limit 1280 px).
* ``full`` — the method on the whole photo at native resolution.

Resampling (CRA §4.1): averaging down (``cv2.INTER_AREA``), bilinear up (``cv2.INTER_LINEAR`` sampling).
Only the hole's cells / bounding boxes are touched; no full-frame float copy is made.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from editor.core.errors import MethodUnavailableError
from editor.core.masks import dilate, downsample_conservative, hole_bbox, hole_boxes
from editor.core.progress import Reporter
from editor.methods.base import AttentionScore, InpaintMethod
from editor.pipeline.residual import (DEFAULT_ATTENTION_SCALE, DEFAULT_CELL_OVERLAP, DEFAULT_LOCALITY,
                                      DEFAULT_TOP_K, MAX_CELL_OVERLAP_PX, FullResGrid,
                                      aggregate_residuals, blend_hole_cell, check_attention,
                                      compute_attention, lowres_cell_size, sparsify_attention,
                                      upsample_region)

__all__ = ["pad_to_multiple", "inpaint_padded", "lowres_hole", "hd_cra", "hd_resize", "hd_crop", "hd_full",
           "scaled_dilation", "CROP_MARGIN", "CROP_LIMIT"]

#: ``crop``: margin around each hole's bounding box, full-res px (IOPaint's ``hd_strategy_crop_margin``).
CROP_MARGIN = 128
#: ``crop``: a crop whose long side exceeds this is downscaled to it for the method (IOPaint's resize limit).
CROP_LIMIT = 1280

_STRIP = 256  # rows per strip when pasting / compositing, full-res px
_WORKERS = 2  # threads for independent hole cells (the target CPU has 2 cores)


def pad_to_multiple(image: np.ndarray, hole: np.ndarray, multiple: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad bottom/right by mirroring (``cv2.BORDER_REFLECT``) so that both sides are multiples of ``multiple``.

    The hole is mirrored with the image, so an object cut by the padding stays marked as hole.

    Args:
        image: uint8 ``(h, w, 3)``.
        hole: bool ``(h, w)``.
        multiple: the method's stride (``InpaintMethod.multiple``), >= 1.

    Returns:
        ``(image, hole)`` padded to ``(ceil(h/m)*m, ceil(w/m)*m)``; the inputs themselves when no padding
        is needed (never modified either way).
    """
    h, w = hole.shape
    m = max(int(multiple), 1)
    dh, dw = -h % m, -w % m
    if dh == 0 and dw == 0:
        return image, hole
    return (np.pad(image, ((0, dh), (0, dw), (0, 0)), mode="symmetric"),
            np.pad(hole, ((0, dh), (0, dw)), mode="symmetric"))


def inpaint_padded(method: InpaintMethod, image: np.ndarray, hole: np.ndarray,
                   reporter: Reporter | None) -> tuple[np.ndarray, AttentionScore | None, tuple[int, int]]:
    """Run ``method`` on ``image`` padded to its multiple; crop the padding off again.

    Returns:
        ``(result, attention_score, padded_shape)``: result uint8 ``(h, w, 3)`` (known region may differ
        from ``image``: callers composite), the method's attention scores (over the padded input) or None,
        and the padded ``(hp, wp)`` the method saw.
    """
    h, w = hole.shape
    pim, phole = pad_to_multiple(image, hole, method.multiple)
    # the method gets arrays of its own: a method that writes into its input cannot touch the caller's
    pim = pim.copy() if np.may_share_memory(pim, image) else np.ascontiguousarray(pim)
    phole = phole.copy() if np.may_share_memory(phole, hole) else np.ascontiguousarray(phole)
    out = method.inpaint(pim, phole, reporter)
    res = np.asarray(out.image)
    if res.shape != pim.shape or res.dtype != np.uint8:
        raise RuntimeError(f"method '{method.name}' returned {res.dtype} {res.shape}, expected uint8 {pim.shape}")
    return res[:h, :w], out.attention_score, phole.shape


def lowres_hole(hole: np.ndarray, size: tuple[int, int], dilate_px: int) -> np.ndarray:
    """Hole at a smaller working size: conservative downsample, then dilation.

    Args:
        hole: bool ``(H, W)``, True = hole.
        size: ``(w, h)`` working size, px.
        dilate_px: dilation radius at the working size, px (0 = none).

    Returns:
        bool ``(h, w)``: a pixel is hole if any full-res pixel it covers is (core's
        ``downsample_conservative``), grown by ``dilate_px``.
    """
    w, h = size
    small = hole if (w, h) == (hole.shape[1], hole.shape[0]) else downsample_conservative(hole, (w, h))
    return dilate(small, int(dilate_px)) if dilate_px > 0 else small


def _paste(out: np.ndarray, hole: np.ndarray, box: tuple[int, int, int, int], values: np.ndarray) -> None:
    """``out[box] = values`` where ``hole[box]``; float values are rounded and clipped to uint8."""
    y0, y1, x0, x1 = box
    if values.dtype != np.uint8:
        values = cv2.add(values, 0.0, dtype=cv2.CV_8U)   # saturating round half to even, = clip(rint(v))
    target = out[y0:y1, x0:x1]
    if cv2.copyTo(values, hole[y0:y1, x0:x1].view(np.uint8), target) is not target:  # OpenCV wrote a copy
        np.copyto(target, values, where=hole[y0:y1, x0:x1, None])


def hd_resize(image: np.ndarray, hole: np.ndarray, lr_result: np.ndarray,
              reporter: Reporter | None = None, *, in_place: bool = False) -> np.ndarray:
    """Naive HD: bilinear upsample of the low-res result pasted into the hole (CRA Fig. 6 baseline).

    Args:
        image: uint8 ``(H, W, 3)`` photo (not modified).
        hole: bool ``(H, W)``, True = hole; not empty.
        lr_result: uint8 ``(h, w, 3)`` low-res composite (unpadded).
        in_place: write into ``image`` itself (its hole pixels) instead of a copy.

    Returns:
        uint8 ``(H, W, 3)``: the photo with hole pixels from ``upsample(lr_result)``.
    """
    H, W = hole.shape
    out = image if in_place else image.copy()
    y0, y1, x0, x1 = hole_bbox(hole)
    for ys in range(y0, y1, _STRIP):
        ye = min(ys + _STRIP, y1)
        if reporter is not None:
            reporter.report("hd", (ys - y0) / (y1 - y0))
        _paste(out, hole, (ys, ye, x0, x1), upsample_region(lr_result, (H, W), ys, ye, x0, x1))
    return out


def _residual_window(image: np.ndarray, hole: np.ndarray, lr_image: np.ndarray, lr_hole: np.ndarray):
    """Callback giving the contextual residual ``hr − upsample(lr_image)`` and its validity on a window (CRA §3.2).

    ``lr_image`` is the photo area-averaged to low res (CRA §4.1), so ``upsample(lr_image)`` is the
    "large blurry image". The residual is zeroed in the full-res hole and wherever the (dilated) low-res
    hole maps, because the blurry image there mixes in the object being removed; outside the photo it is 0.
    Returns float32 ``(y1-y0, x1-x0, 4)``: RGB residual and validity (see ``residual.ResidualWindow``),
    written into ``out`` when given. Thread-safe: each thread reuses its own scratch buffer.
    """
    H, W = hole.shape
    h, w = lr_hole.shape
    lr_f = lr_image.astype(np.float32)  # converted once, not per window (upsample_region would per call)
    local = threading.local()           # the upsampled window, reused: fresh pages cost more than the maths

    def window(y0: int, y1: int, x0: int, x1: int, out: np.ndarray | None = None) -> np.ndarray:
        scratch = getattr(local, "scratch", None)
        sy0, sy1, sx0, sx1 = max(y0, 0), min(y1, H), max(x0, 0), min(x1, W)
        inside = (sy0, sy1, sx0, sx1) == (y0, y1, x0, x1)
        if out is None:
            out = np.empty((y1 - y0, x1 - x0, 4), np.float32)
        if not inside:
            out[...] = 0.0
        if sy0 >= sy1 or sx0 >= sx1:
            return out
        res = out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0]
        n = (sy1 - sy0) * (sx1 - sx0) * 3
        if scratch is None or scratch.size < n:
            scratch = local.scratch = np.empty(n, np.float32)
        up = scratch[:n].reshape(sy1 - sy0, sx1 - sx0, 3)
        upsample_region(lr_f, (H, W), sy0, sy1, sx0, sx1, out=up)
        cv2.subtract(image[sy0:sy1, sx0:sx1], up, dst=up, dtype=cv2.CV_32F)
        if inside:
            cv2.cvtColor(up, cv2.COLOR_RGB2RGBA, dst=out)  # validity channel = 1 (float alpha)
        else:
            res[...] = cv2.cvtColor(up, cv2.COLOR_RGB2RGBA)
        my = np.minimum(((np.arange(sy0, sy1) + 0.5) * (h / H)).astype(np.int64), h - 1)
        mx = np.minimum(((np.arange(sx0, sx1) + 0.5) * (w / W)).astype(np.int64), w - 1)
        if lr_hole[my[0]:my[-1] + 1, mx[0]:mx[-1] + 1].any():  # near the hole: mask it out
            unknown = lr_hole[np.ix_(my, mx)] | hole[sy0:sy1, sx0:sx1]
            res[unknown] = 0.0
        return out

    return window


def _drop_padding_context(att: AttentionScore, grid: FullResGrid) -> AttentionScore:
    """Remove context cells lying wholly outside the photo (over the low-res padding); renormalise rows."""
    r, c = np.divmod(np.asarray(att.context_cells, np.int64), grid.cols)
    keep = (grid.ys[r] < grid.height) & (grid.xs[c] < grid.width)
    if keep.all():
        return att
    score = np.asarray(att.score, np.float32)[:, keep]
    sums = score.sum(axis=1, keepdims=True)
    score = np.divide(score, sums, out=np.zeros_like(score), where=sums > 0)
    return AttentionScore(att.grid, np.asarray(att.hole_cells), np.asarray(att.context_cells)[keep], score)


def _hole_regions(hole: np.ndarray, grid: FullResGrid, hole_cells: np.ndarray, o: int) -> np.ndarray:
    """Per hole cell, the bounding box of the photo's hole pixels in its extended patch (patch px).

    Only those pixels of a patch are ever read: its own cell pastes hole pixels only, and a neighbour's
    cross-fade reads it at the neighbour's hole pixels, which lie in the same extended window. Empty
    (all zeros) for a cell that only the dilated low-res hole reaches. int64 ``(n_hole, 4)``.
    """
    H, W = hole.shape
    ph, pw = grid.cell_max
    out = np.zeros((len(hole_cells), 4), np.int64)
    for n, k in enumerate(hole_cells):
        r, c = divmod(int(k), grid.cols)
        py, px = int(grid.ys[r]) - o, int(grid.xs[c]) - o
        sy0, sx0 = max(py, 0), max(px, 0)
        box = hole_bbox(hole[sy0:min(py + ph + 2 * o, H), sx0:min(px + pw + 2 * o, W)])
        if box is not None:
            out[n] = (sy0 - py + box[0], sy0 - py + box[1], sx0 - px + box[2], sx0 - px + box[3])
    return out


def _cell_colours(lr_result: np.ndarray, grid: tuple[int, int], extent: tuple[int, int]) -> np.ndarray:
    """float32 ``(rows * cols, 3)``: each attention cell's mean colour in the low-res result (padded to the
    grid's ``extent`` as the attention was), RGB in [0, 1]."""
    rows, cols = grid
    h, w = lr_result.shape[:2]
    padded = np.pad(lr_result, ((0, max(0, extent[0] - h)), (0, max(0, extent[1] - w)), (0, 0)),
                    mode="symmetric")[:extent[0], :extent[1]]
    return cv2.resize(padded.astype(np.float32) / 255.0, (cols, rows),
                      interpolation=cv2.INTER_AREA).reshape(rows * cols, -1)


def hd_cra(image: np.ndarray, hole: np.ndarray, lr_image: np.ndarray, lr_result: np.ndarray,
           lr_hole: np.ndarray, attention: AttentionScore | None = None,
           attention_extent: tuple[int, int] | None = None, reporter: Reporter | None = None, *,
           scale: float = DEFAULT_ATTENTION_SCALE, top_k: int | None = DEFAULT_TOP_K,
           overlap: float = DEFAULT_CELL_OVERLAP, locality: float = DEFAULT_LOCALITY,
           preserve_detail: bool = True, detail: float = 1.0, in_place: bool = False) -> np.ndarray:
    """Contextual residual aggregation at full resolution (CRA §3.1–3.2, Eq. 1–4, §4.1).

    ``hr_result = upsample(lr_result) + R`` in the hole, where ``R`` is the aggregated residual
    (:func:`~editor.pipeline.residual.aggregate_residuals`) of the contextual residual
    ``hr_image − upsample(lr_image)``. Attention: the method's (its ACM, over its padded input
    ``attention_extent``) when given, else computed on ``lr_result`` (Eq. 1–2 with softmax scale
    ``scale``); either way each hole cell keeps its ``top_k`` best context cells
    (:func:`~editor.pipeline.residual.sparsify_attention`). Hole cells overlap their neighbours by
    ``overlap`` of a cell and are cross-faded.

    Cost: top-k attention touches at most k context cells per hole cell (8K, 10 % hole: ~0.5 s on the
    2-core CPU, 350 MB peak with decode and encode; the residual fetch, the patch finishing, the hole cells
    and the composite tiles run on 2 threads, bit-identical to 1). A dense softmax (``top_k=None``) needs
    every context cell for every hole cell, O(n_hole · n_context · cell px): ~6 s and ~820 MB peak at 8K
    with a plain-softmax stand-in over a 16-px grid (measured).

    Why a network's scores are sparsified and its detail level kept too (since 2026-12-01): the shipped ``cra``
    weights spread each hole cell's softmax over 30–60 context cells (effective count ``1 / Σ s²`` on the
    HiFill samples 1, 7, 20), so Eq. 4 exactly left a flat, pale patch in rippled water and sand, 2.5–2.9 s
    for a 24 MP photo; their top 4 with the detail level kept carry the grain of the surroundings, in
    0.4–0.6 s. ``top_k=None, preserve_detail=False`` is Eq. 4 exactly, as published.

    Args:
        image: uint8 ``(H, W, 3)`` photo (not modified).
        hole: bool ``(H, W)`` full-res hole, not empty.
        lr_image: uint8 ``(h, w, 3)`` photo area-averaged to low res (the method's unpadded input).
        lr_result: uint8 ``(h, w, 3)`` low-res composite (hole filled).
        lr_hole: bool ``(h, w)`` low-res hole the method filled (conservative + dilated).
        attention: the method's attention scores or None.
        attention_extent: ``(hp, wp)`` the method's padded input size (needed with ``attention``).
        reporter: ``"hd"`` progress; cancel points per strip of context cells and per 8 hole cells.
        scale: softmax scale λ for self-computed attention.
        top_k: context cells per hole cell, of the method's attention or the self-computed one (None = all:
            the dense softmax).
        overlap: cell overlap as a fraction of the cell side (0 = the paper's exact tiling), at most
            ``MAX_CELL_OVERLAP_PX``.
        locality: spatial prior of self-computed attention (see ``DEFAULT_LOCALITY``).
        preserve_detail: bring the aggregated residual's energy to the level its sources and the hole's
            neighbourhood agree on (``aggregate_residuals(preserve_energy=True)``); False = Eq. 4's weighted
            mean as it comes.
        detail: detail strength in [0, 1], a factor on the aggregated residual: 1 = as aggregated (default),
            0 = none (no aggregation runs; the hole is ``upsample(lr_result)`` as with ``resize``, filled
            cell by cell). Sharp but uncorrelated texture costs in-hole PSNR (README, "Public quality
            numbers"), so this is the user's trade-off between sharpness and fidelity.
        in_place: write into ``image`` itself (its hole pixels) instead of a copy; safe because every
            residual is read before the first hole pixel is written.

    Returns:
        uint8 ``(H, W, 3)``: the photo with hole pixels replaced by the CRA result.
    """
    H, W = hole.shape
    h, w = lr_hole.shape
    if (h, w) == (H, W):  # photo no larger than the low-res size: nothing to add
        return hd_resize(image, hole, lr_result, reporter, in_place=in_place)
    if attention is not None:
        check_attention(attention)
        extent = attention_extent if attention_extent is not None else (h, w)
        att = attention
    else:
        got = compute_attention(lr_result, lr_hole, lowres_cell_size((h, w)), scale, top_k, locality)
        if got is None:
            return hd_resize(image, hole, lr_result, reporter, in_place=in_place)
        att, extent = got
    grid = FullResGrid.from_lowres(att.grid, extent, (h, w), (H, W))
    att = _drop_padding_context(att, grid)
    if attention is not None and top_k is not None and att.score.size:   # self-computed: already top-k
        att = sparsify_attention(att, top_k)
    min_cell = int(min(np.diff(grid.ys).min(), np.diff(grid.xs).min()))
    o = min(int(round(overlap * min_cell)), min_cell // 2, MAX_CELL_OVERLAP_PX)
    if detail > 0:
        colours = _cell_colours(lr_result, att.grid, extent) if preserve_detail else None
        patches = aggregate_residuals(_residual_window(image, hole, lr_image, lr_hole), grid, att, o,
                                      reporter, "hd", (0.0, 0.7),
                                      preserve_energy=preserve_detail,
                                      regions=_hole_regions(hole, grid, att.hole_cells, o), detail=float(detail),
                                      appearance=colours)
        patch_of = {int(k): n for n, k in enumerate(att.hole_cells)}
    else:
        patches, patch_of = None, {}
    out = image if in_place else image.copy()   # all residuals are read: hole pixels may be written now
    cells = grid.cells_with(hole)
    lr_res_f = lr_result.astype(np.float32)  # converted once, not per cell

    def fill_cell(k: int) -> None:
        y0, y1, x0, x1 = grid.cell_box(k)
        y1, x1 = min(y1, H), min(x1, W)
        by0, by1, bx0, bx1 = hole_bbox(hole[y0:y1, x0:x1])               # only its hole pixels are written
        box = (y0 + by0, y0 + by1, x0 + bx0, x0 + bx1)
        val = upsample_region(lr_res_f, (H, W), *box)                    # hr_base (CRA Fig. 2)
        if k in patch_of:
            blend_hole_cell(k, patches, patch_of, grid, o, box, add_to=val)   # + aggregated residual
        _paste(out, hole, box, val)

    # cells tile the photo, so each call writes a disjoint box of ``out``: running them on 2 threads
    # (numpy / OpenCV release the GIL) gives the same bytes as the serial loop
    with ThreadPoolExecutor(_WORKERS) as pool:
        for n0 in range(0, len(cells), 8):
            if reporter is not None:
                reporter.report("hd", 0.7 + 0.3 * n0 / len(cells))
            list(pool.map(fill_cell, (int(k) for k in cells[n0:n0 + 8])))
    return out


def hd_crop(method: InpaintMethod, image: np.ndarray, hole: np.ndarray, dilate_px: float,
            reporter: Reporter | None = None, *, margin: int = CROP_MARGIN,
            limit: int = CROP_LIMIT, in_place: bool = False) -> np.ndarray:
    """Inpaint each hole's bounding box plus ``margin`` at native resolution (IOPaint's ``crop``).

    A crop whose long side exceeds ``limit`` is area-downscaled to it, inpainted there (hole downsampled
    conservatively and dilated) and upsampled back bilinearly; otherwise the method runs at native size.

    Args:
        method: the inpainting method.
        image: uint8 ``(H, W, 3)`` (not modified).
        hole: bool ``(H, W)``, not empty.
        dilate_px: hole dilation at native resolution, px (the pipeline passes the low-res dilation scaled
            up, so every strategy treats the same margin around the object as unknown).
        margin: context margin around each box, full-res px.
        limit: largest long side handed to the method, px.
        in_place: write into ``image`` itself instead of a copy (the merged boxes are disjoint, so no box
            reads pixels another box wrote).

    Returns:
        uint8 ``(H, W, 3)``: the photo with hole pixels filled.
    """
    H, W = hole.shape
    out = image if in_place else image.copy()
    boxes = hole_boxes(hole, margin)
    for n, (x0, y0, x1, y1) in enumerate(boxes):
        if reporter is not None:
            reporter.report("hd", n / len(boxes))
        crop, chole = image[y0:y1, x0:x1], hole[y0:y1, x0:x1]
        bh, bw = chole.shape
        s = min(1.0, limit / max(bh, bw))
        if s < 1.0:
            sw, sh = max(1, round(bw * s)), max(1, round(bh * s))
            small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA)
            shole = lowres_hole(chole, (sw, sh), max(1, round(dilate_px * s)))
        else:
            small, shole = crop, lowres_hole(chole, (bw, bh), round(dilate_px))
        if shole.all():  # no context left inside the crop after dilation: use the undilated hole
            shole = lowres_hole(chole, (shole.shape[1], shole.shape[0]), 0)
        # the method reports "lr_inpaint"; here it runs at native resolution, inside the HD stage
        step = reporter.within("hd", n / len(boxes), (n + 1) / len(boxes)) if reporter is not None else None
        res, _, _ = inpaint_padded(method, small, shole, step)
        if s < 1.0:
            res = upsample_region(res, (bh, bw), 0, bh, 0, bw)
        _paste(out, hole, (y0, y1, x0, x1), res)
    if reporter is not None:
        reporter.report("hd", 1.0)
    return out


def hd_full(method: InpaintMethod, image: np.ndarray, hole: np.ndarray, dilate_px: float,
            reporter: Reporter | None = None, *, in_place: bool = False) -> np.ndarray:
    """The method on the whole photo at native resolution (hole dilated by ``dilate_px`` full-res px).

    ``in_place``: paste the result into ``image`` itself instead of a copy.

    Raises:
        MethodUnavailableError: when the method does not support full resolution
            (``supports_full_resolution`` is False).
    """
    if not method.supports_full_resolution:
        raise MethodUnavailableError(f"method '{method.name}' cannot run on a whole full-resolution photo",
                                     hint="use --hd cra or crop",
                                     gui_hint="choose “CRA” or “Crop” under Full res instead")
    if reporter is not None:
        reporter.report("hd", 0.0)
    work_hole = lowres_hole(hole, (hole.shape[1], hole.shape[0]), max(0, round(dilate_px)))
    if work_hole.all():
        work_hole = hole
    res, _, _ = inpaint_padded(method, image, work_hole,
                               reporter.within("hd", 0.0, 1.0) if reporter is not None else None)
    out = image if in_place else image.copy()
    _paste(out, hole, (0, hole.shape[0], 0, hole.shape[1]), res)
    if reporter is not None:
        reporter.report("hd", 1.0)
    return out


def scaled_dilation(dilate: int, lr_shape: tuple[int, int], full_shape: tuple[int, int]) -> float:
    """The low-res dilation ``dilate`` (px) expressed in full-res px (``dilate * H / h``)."""
    return dilate * full_shape[0] / max(lr_shape[0], 1) if dilate > 0 else 0.0

