"""Contextual residual aggregation (CRA §3.2): attention scores on a patch grid and Eq. 4 at full resolution.

Vocabulary (CRA §3.1–3.2):

* *low-res result* — the method's filled image at long side ≈ 512 (``lr_result``);
* *residual* — ``hr_image − upsample(downsample(hr_image))``: the high-frequency detail that the low-res
  pass cannot hold (§3.2 "Residual Aggregation"; averaging down, bilinear up, §4.1);
* *attention grid* — ``(rows, cols)`` cells laid over the low-res image; each cell is one patch of Eq. 1–4.
  Its full-resolution image is a :class:`FullResGrid` whose cells tile the photo exactly;
* *hole cells* / *context cells* — cells intersecting the hole / lying fully in the known region.

Memory: the full-resolution residual is never materialised. :func:`aggregate_residuals` pulls residual
windows of at most 8 cells at a time from a callback, so an 8K photo needs ~20 MB here besides the
aggregated hole patches themselves.

No torch, no Qt: numpy + OpenCV only.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from editor.core.memory import populated_zeros
from editor.core.progress import Reporter
from editor.methods.base import AttentionScore

__all__ = ["DEFAULT_GRID_CELLS", "DEFAULT_ATTENTION_SCALE", "DEFAULT_CELL_OVERLAP", "MAX_CELL_OVERLAP_PX",
           "DEFAULT_TOP_K", "FullResGrid", "lowres_cell_size", "compute_attention", "check_attention",
           "sparsify_attention",
           "aggregate_residuals",
           "blend_hole_cell", "aggregate_residual_image", "upsample_region", "ResidualWindow"]

#: Attention cells along the low-res long side: CRA's P is 32×32 for a 512×512 input (§3.2).
DEFAULT_GRID_CELLS = 32
# Attention settings for methods without an attention computing module, chosen by measurement
# (``python benchmarks/hd_pipeline.py --sweep``: 23 photos of ../shared/data/photos at native size, seeded
# object holes of 5-15 %, telea). Findings:
# * Eq. 2 as published (λ = 1, all cells) spreads weight over hundreds of cells and averages the residual
#   away: the hole stays as soft as ``resize`` (DESIGN.md's warning, confirmed).
# * A sharper softmax over the top-k cells keeps more detail, but a weighted mean of k uncorrelated texture
#   patches still has only ~1/k of their energy; restoring it (``preserve_energy``) brings the hole to ~0.9 of
#   the photo's own detail for any k. k = 1–2 copies single patches and shows their structures repeated
#   (lines, edges copied into several cells) on the HiFill photos; k = 4 does not, and is cheap at 8K.
# * Cell overlap 0 (the paper's exact tiling) shows the grid (seam ratio ~1.7); 1/8 of a cell removes it.
# * Features (Eq. 1) that see the layout inside a cell (a 4×4 picture of it) stop objects' detail being
#   pasted along similar-looking cells (a boat repeated along a horizon, lamp posts across sand), and an
#   detail level taken from the hole's neighbourhood (``aggregate_residuals(preserve_energy=True)``) stops the
#   calm sources such matching favours leaving flat, pale patches in rippled water (session 8, the HiFill
#   samples 1, 19, 20 looked at side by side; the sweep: PSNR 19.77, detail 0.80 (median 0.63, was 0.57),
#   seam 1.08).
# Means over the 23 photos (detail = high-frequency energy more than 12 px inside the hole, result / photo;
# seam = luma step across cell borders / elsewhere in the hole; PSNR in the hole, dB), measured before that:
#   resize                                      PSNR 20.00  detail 0.12  seam 1.09
#   cra λ=1, all cells, Eq. 4 (as published)    PSNR 20.00  detail 0.13  seam 1.07
#   cra λ=40, top-4, Eq. 4                      PSNR 19.92  detail 0.45  seam 1.07
#   cra λ=40, top-4, energy kept (default)      PSNR 19.81  detail 0.88  seam 1.09
#   cra λ=40, top-1, energy kept                PSNR 19.81  detail 0.97  seam 1.06
#   cra λ=40, top-4, energy kept, overlap 0     PSNR 19.79  detail 1.03  seam 1.78
#   cra λ=40, top-4, energy kept, locality 10   PSNR 19.80  detail 0.74  seam 1.07
# Session 11: Eq. 1's features scaled by the context's median norm instead of each own (see compute_attention)
# stopped a bland fill matching a far object's cells (a hat pasted into a shoreline); on the 23 photos, telea:
# PSNR 19.77 -> 19.79, detail 0.80 -> 0.75 (median 0.63 -> 0.65), border step unchanged; patchmatch: PSNR
# 21.82 -> 21.84, detail 0.78 -> 0.73 (median 0.70 -> 0.67).
# Uncorrelated detail costs PSNR (an exact copy of the lost texture is impossible): ~0.2 dB for a hole as
# detailed as its surroundings, which is what the product promises (issue 2, "Outcome").
#: Softmax scale λ in ``s = softmax(λ · c)`` (Eq. 2 has λ = 1).
DEFAULT_ATTENTION_SCALE = 40.0
#: Spatial prior: logits lose ``locality * distance / grid diagonal`` (texture statistics are local: depth of
#: field, perspective). 0 = Eq. 2 as published; it measured no better, so it is off.
DEFAULT_LOCALITY = 0.0
#: Context cells each hole cell draws its residual from (a sparse softmax over the best matches); it also
#: bounds Eq. 4's cost at 8K.
DEFAULT_TOP_K = 4
_SIMILARITY = "context"
#: Overlap of neighbouring hole cells, as a fraction of the cell size on each side; the overlapping parts
#: are cross-faded with a partition-of-unity window so that cell borders leave no seam.
DEFAULT_CELL_OVERLAP = 0.125
#: ... but at most this many full-res px: a seam is a step in fine texture, hidden by a cross-fade a few
#: dozen px wide whatever the cell size. Binds above ~4K (8K: 30 -> 16 px, patches 300² -> 272² px, 18 %
#: less aggregation work and memory); the photos the overlap was tuned on (1680-2560 px) stay below it.
MAX_CELL_OVERLAP_PX = 16

#: ``residual_window(y0, y1, x0, x1, out) -> float32 (y1-y0, x1-x0, 4)``: the residual over a window given
#: in full-res px, RGB in channels 0–2 and its validity (1 = known pixel inside the photo, else 0) in
#: channel 3; the window may extend past the photo; RGB must be 0 wherever validity is 0. ``out`` is a
#: C-contiguous float32 array of that shape to write into (the callback may return a new array instead).
ResidualWindow = Callable[[int, int, int, int, np.ndarray], np.ndarray]

_WORKERS = 2  # threads for independent work (the target CPU has 2 cores)
_ENERGY_ROWS = 4  # energies (preserve_energy) are measured on every 4th row of a patch, sources and result alike
_PIECE_CELLS = 8  # context cells per residual strip at most (8K: 272 x ~2200 px, 9.6 MB)
_WEIGHT_EPS = 1e-7  # context cells whose every score is below this contribute < 3e-5 grey levels: skipped


def lowres_cell_size(lr_shape: tuple[int, int], cells: int = DEFAULT_GRID_CELLS) -> int:
    """Cell side in low-res px so that about ``cells`` cells span the long side (CRA §3.2: 32 for 512).

    A panorama's low-res image is longer than 4:1 (:func:`editor.pipeline.pipeline.lowres_size`); its cells are
    sized as for a 4:1 image of its short side (16 px for 2731x128), not spread over its length (86 px cells,
    not even 2 rows of them).

    Args:
        lr_shape: ``(h, w)`` of the unpadded low-res image, px.
        cells: cells along the long side (of a photo up to 4:1).
    """
    side = math.ceil(min(max(lr_shape), 4 * min(lr_shape)) / cells)
    # ... and never more than 4 cells² in all (4096 at 32): a 380:1 strip (3072x8) would otherwise get 1-px
    # cells, 24 576 of them, and the attention's cost grows with their square (13 s and 2.2 GB, audit s11)
    return max(1, side, math.ceil(math.sqrt(lr_shape[0] * lr_shape[1] / (4 * cells * cells))))


@dataclass(frozen=True)
class FullResGrid:
    """An attention grid mapped onto the full-resolution photo.

    Cell ``(r, c)`` covers full-res rows ``[ys[r], ys[r+1])`` and columns ``[xs[c], xs[c+1])``. The
    boundaries are the low-res cell boundaries scaled by ``H/h`` and rounded, so the cells tile the photo
    exactly (no gap, no overlap) and stay aligned with the low-res hole; neighbouring cells differ in size
    by at most 1 px. Boundaries past ``H``/``W`` belong to cells over the low-res padding (the residual is 0
    there, so such cells are never context).

    Attributes:
        rows, cols: grid shape.
        ys: int64 ``(rows + 1,)`` row boundaries, full-res px, ``ys[0] == 0``, ``ys[-1] >= H``.
        xs: int64 ``(cols + 1,)`` column boundaries.
        height, width: the photo's ``H`` and ``W``.
    """

    rows: int
    cols: int
    ys: np.ndarray
    xs: np.ndarray
    height: int
    width: int

    @classmethod
    def from_lowres(cls, grid: tuple[int, int], extent: tuple[int, int], lr_shape: tuple[int, int],
                    full_shape: tuple[int, int]) -> "FullResGrid":
        """Map a grid laid over a (padded) low-res image of size ``extent`` onto the photo.

        Args:
            grid: ``(rows, cols)``; each low-res cell is ``extent[0]/rows x extent[1]/cols`` px.
            extent: ``(hp, wp)`` low-res size the grid covers (the method's padded input), px.
            lr_shape: ``(h, w)`` unpadded low-res size (the photo downsampled), ``h <= hp``, ``w <= wp``.
            full_shape: ``(H, W)`` of the photo.
        """
        rows, cols = grid
        (hp, wp), (h, w), (H, W) = extent, lr_shape, full_shape
        ys = np.rint(np.arange(rows + 1) * (hp / rows) * (H / h)).astype(np.int64)
        xs = np.rint(np.arange(cols + 1) * (wp / cols) * (W / w)).astype(np.int64)
        ys[-1], xs[-1] = max(ys[-1], H), max(xs[-1], W)
        return cls(rows, cols, ys, xs, H, W)

    @property
    def cell_max(self) -> tuple[int, int]:
        """Largest cell ``(ph, pw)`` in full-res px."""
        return int(np.diff(self.ys).max()), int(np.diff(self.xs).max())

    def cell_box(self, index: int) -> tuple[int, int, int, int]:
        """``(y0, y1, x0, x1)`` of cell ``index`` (flat ``row * cols + col``), full-res px, unclipped."""
        r, c = divmod(int(index), self.cols)
        return int(self.ys[r]), int(self.ys[r + 1]), int(self.xs[c]), int(self.xs[c + 1])

    def cells_with(self, mask: np.ndarray) -> np.ndarray:
        """Flat indices (int64, sorted) of cells containing at least one True pixel of ``mask`` (bool (H, W))."""
        rows_any = np.flatnonzero(mask.any(axis=1))
        if rows_any.size == 0:
            return np.zeros(0, np.int64)
        cols_any = np.flatnonzero(mask.any(axis=0))
        # only the cells over the mask's bounding box are looked at
        r0 = int(np.searchsorted(self.ys, rows_any[0], "right")) - 1
        r1 = int(np.searchsorted(self.ys, rows_any[-1], "right"))
        c0 = int(np.searchsorted(self.xs, cols_any[0], "right")) - 1
        c1 = int(np.searchsorted(self.xs, cols_any[-1], "right"))
        sub = mask[self.ys[r0]:min(self.ys[r1], self.height), self.xs[c0]:min(self.xs[c1], self.width)]
        ry = np.append(self.ys[r0:r1] - self.ys[r0], sub.shape[0])
        rx = np.append(self.xs[c0:c1] - self.xs[c0], sub.shape[1])
        # a Python loop of contiguous any() is ~40x faster than logical_or.reduceat on bool here
        per_row = np.stack([sub[a:b].any(axis=0) for a, b in zip(ry[:-1], ry[1:])])
        per_cell = np.stack([per_row[:, a:b].any(axis=1) for a, b in zip(rx[:-1], rx[1:])], axis=1)
        rr, cc = np.nonzero(per_cell)
        return ((rr + r0) * self.cols + cc + c0).astype(np.int64)


def upsample_region(lr: np.ndarray, full_shape: tuple[int, int], y0: int, y1: int, x0: int,
                    x1: int, out: np.ndarray | None = None) -> np.ndarray:
    """Bilinear upsampling of ``lr`` to ``full_shape``, evaluated only on the window ``[y0,y1) x [x0,x1)``.

    Same sampling as ``cv2.resize(lr, (W, H), interpolation=cv2.INTER_LINEAR)`` (pixel centres aligned,
    edge pixels replicated; CRA §4.1 "Bilinear"), without building the full-size image.

    Args:
        lr: float32 or uint8 ``(h, w, C)``.
        full_shape: ``(H, W)`` target size, px.
        y0, y1, x0, x1: window in target px; may extend past the target (edge values continue).
        out: optional float32 ``(y1-y0, x1-x0, C)`` C-contiguous array to write into (``C`` = 3 or 4).

    Returns:
        float32 ``(y1-y0, x1-x0, C)``, same value range as ``lr``.
    """
    h, w = lr.shape[:2]
    H, W = full_shape
    src = lr.astype(np.float32, copy=False)
    sy, sx = h / H, w / W
    shape = (y1 - y0, x1 - x0, *lr.shape[2:])
    if out is not None and (out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous float32 {shape}, got {out.dtype} {out.shape}")
    if x1 - x0 >= _SEPARABLE_WIDTH and y1 > y0:
        return _upsample_separable(src, full_shape, y0, y1, x0, x1, out)
    m = np.array([[sx, 0.0, (x0 + 0.5) * sx - 0.5], [0.0, sy, (y0 + 0.5) * sy - 0.5]], dtype=np.float64)
    got = cv2.warpAffine(src, m, (x1 - x0, y1 - y0), dst=out, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REPLICATE)
    return got.reshape(shape)


#: Windows at least this wide (px) are upsampled in two passes (:func:`_upsample_separable`): 2.2x faster than
#: ``cv2.warpAffine`` on a 300 x 7680 residual strip (5.8 vs 12.7 ms); on a cell-sized window it is slower.
_SEPARABLE_WIDTH = 1024


def _upsample_separable(src: np.ndarray, full_shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int,
                        out: np.ndarray | None) -> np.ndarray:
    """:func:`upsample_region` in two passes: the few low-res rows the window needs are resampled
    horizontally (``cv2.warpAffine`` on a thin strip), then each output row blends its two source rows
    (``cv2.addWeighted``) with exact weights."""
    h, w = src.shape[:2]
    H, W = full_shape
    fy = np.clip((np.arange(y0, y1) + 0.5) * (h / H) - 0.5, 0.0, h - 1)   # edge rows replicate
    i0 = np.floor(fy).astype(np.int64)
    a = fy - i0
    i1 = np.minimum(i0 + 1, h - 1)
    ra, rb = int(i0[0]), int(i1[-1]) + 1
    sx = w / W
    m = np.array([[sx, 0.0, (x0 + 0.5) * sx - 0.5], [0.0, 1.0, float(ra)]], dtype=np.float64)
    rows = cv2.warpAffine(src, m, (x1 - x0, rb - ra), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE).reshape(rb - ra, x1 - x0, -1)
    if out is None:
        out = np.empty((y1 - y0, x1 - x0, *src.shape[2:]), np.float32)
    flat_rows = rows.reshape(rb - ra, -1)
    flat_out = out.reshape(y1 - y0, -1)
    for k in range(y1 - y0):
        cv2.addWeighted(flat_rows[i0[k] - ra], float(1.0 - a[k]), flat_rows[i1[k] - ra], float(a[k]), 0.0,
                        dst=flat_out[k])
    return out


#: Side of a cell's feature (Eq. 1): the cell's own low-res pixels area-averaged to this many a side.
_FEATURE_SIDE = 4


def _cell_features(lr_padded: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Patch features of Eq. 1: the layout of each cell's own low-res pixels.

    Returns float32 ``(rows * cols, s * s * 3)``, the padded low-res image in [-1, 1] area-averaged to
    ``s = 4`` px a cell side. CRA matches 3×3 patches of the network's 32×32 feature map, whose channels
    describe what lies inside each cell; without a network, a coarse picture of the cell is that description.
    The earlier feature, the 3×3 neighbourhood of cell means, matched a horizon with a boat to an empty
    horizon, and pasted the boat's detail along it several times (HiFill sample 19). Finer pictures (8, 16 px)
    match a smooth low-res fill to smooth context and leave the hole calmer than its surroundings
    (``benchmarks/hd_pipeline.py --sweep``, see the table at the top of this module).
    """
    rows, cols = grid
    s = max(1, min(_FEATURE_SIDE, lr_padded.shape[0] // rows))
    img = lr_padded.astype(np.float32) / 127.5 - 1.0
    if img.shape[:2] != (rows * s, cols * s):
        img = cv2.resize(img, (cols * s, rows * s), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(
        img.reshape(rows, s, cols, s, -1).transpose(0, 2, 1, 3, 4).reshape(rows * cols, -1))


def compute_attention(lr_result: np.ndarray, lr_hole: np.ndarray, cell: int,
                      scale: float = DEFAULT_ATTENTION_SCALE,
                      top_k: int | None = DEFAULT_TOP_K,
                      locality: float = DEFAULT_LOCALITY) -> tuple[AttentionScore, tuple[int, int]] | None:
    """Attention scores computed on the low-res result itself, for methods without an ACM (CRA §3.2, Eq. 1–2).

    The image is padded (reflect, bottom/right) to whole cells of ``cell`` px. Each cell's feature is a
    4×4 picture of its low-res pixels (:func:`_cell_features`), centred on the context's mean so that the cosine (Eq. 1)
    compares colour and layout rather than overall brightness, and scaled by the context's median feature norm
    rather than its own (``c = 1 − |f_i − f_j|² / 2``: the cosine for features of typical contrast, but a bland
    cell matches bland cells, not any cell of its colour direction). Scores are
    ``s_ij = softmax_i(scale · c_ij)`` over the context cells (Eq. 2 with a softmax scale; see
    :data:`DEFAULT_ATTENTION_SCALE`), restricted to the ``top_k`` best-matching context cells of each hole
    cell (a sparse softmax: the others get exactly 0; this bounds Eq. 4's cost at 8K to ``top_k`` patches
    per hole cell).

    Context cells: cells fully known and fully inside the unpadded image (cells over the padding are never
    context). Hole cells: cells with at least one hole pixel.

    Args:
        lr_result: uint8 ``(h, w, 3)`` low-res image with the hole filled.
        lr_hole: bool ``(h, w)``, True = hole (the dilated low-res hole the method filled).
        cell: cell side, low-res px (see :func:`lowres_cell_size`).
        scale: softmax scale λ (> 0).
        top_k: context cells kept per hole cell (None = all, the dense softmax of Eq. 2).

    Returns:
        ``(attention, extent)`` with ``extent = (rows * cell, cols * cell)`` the padded size the grid
        covers, or ``None`` when there is no hole cell or no context cell.
    """
    h, w = lr_hole.shape
    rows, cols = math.ceil(h / cell), math.ceil(w / cell)
    hp, wp = rows * cell, cols * cell
    img = np.pad(lr_result, ((0, hp - h), (0, wp - w), (0, 0)), mode="symmetric")
    hole_cells_2d = np.zeros((rows, cols), bool)
    padded_hole = np.zeros((hp, wp), bool)
    padded_hole[:h, :w] = lr_hole
    hole_cells_2d |= padded_hole.reshape(rows, cell, cols, cell).any(axis=(1, 3))
    inside = np.zeros((rows, cols), bool)
    inside[: h // cell, : w // cell] = True
    context_2d = ~hole_cells_2d & inside
    if not context_2d.any():  # tiny photo: accept context cells that reach into the padding
        context_2d = ~hole_cells_2d
    hole_cells = np.flatnonzero(hole_cells_2d).astype(np.int64)
    context_cells = np.flatnonzero(context_2d).astype(np.int64)
    if hole_cells.size == 0 or context_cells.size == 0:
        return None
    feats = _cell_features(img, (rows, cols))
    feats = feats - feats[context_cells].mean(axis=0, keepdims=True)
    tau = max(float(np.median(np.linalg.norm(feats[context_cells], axis=1))), 1e-6)
    # Eq. 1's cosine, with every feature divided by the context's median feature norm instead of its own:
    # ``c = 1 - |f_i - f_j|^2 / 2`` equals the cosine for features of that norm, but a hole cell whose fill is
    # bland (near the mean; a diffusion method's smooth fill) no longer matches any context cell of the same
    # colour direction whatever its contrast. With each own norm such a cell took a far-away object's cell
    # at score 0.99 and its residual pasted that object (a hat and hand) into a shoreline hole (audit s11)
    a = feats[hole_cells] / tau
    b = feats[context_cells] / tau
    d2 = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    cos = 1.0 - 0.5 * np.maximum(d2, 0.0)                                  # (n_hole, n_context), Eq. 1
    logits = scale * cos
    if locality:
        hr_, hc_ = np.divmod(hole_cells, cols)
        cr_, cc_ = np.divmod(context_cells, cols)
        dist = np.hypot(hr_[:, None] - cr_[None, :], hc_[:, None] - cc_[None, :]) / math.hypot(rows, cols)
        logits = logits - locality * dist.astype(np.float32)
    if top_k is not None and top_k < logits.shape[1]:
        kth = np.partition(logits, -top_k, axis=1)[:, -top_k][:, None]
        logits = np.where(logits >= kth, logits, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    score = np.exp(logits)
    score /= score.sum(axis=1, keepdims=True)                              # Eq. 2
    att = AttentionScore(grid=(rows, cols), hole_cells=hole_cells, context_cells=context_cells,
                         score=score.astype(np.float32))
    return att, (hp, wp)


def sparsify_attention(att: AttentionScore, top_k: int) -> AttentionScore:
    """Keep each hole cell's ``top_k`` highest attention scores, renormalised to sum to 1 (the rest exactly 0).

    The sparse softmax of :func:`compute_attention`, applied to scores computed elsewhere (a network's ACM,
    CRA §3.2 Eq. 2): a plain softmax spreads a hole cell's weight over dozens of context cells (the shipped
    ``cra`` weights: 30–60 effective cells on the HiFill samples), and Eq. 4's weighted mean of that many
    uncorrelated texture patches averages the detail away. Ties at the k-th score keep the lower context index.

    Args:
        att: attention with ``score`` float ``(n_hole, n_context)``, rows summing to 1 (:func:`check_attention`).
        top_k: context cells kept per hole cell, >= 1; ``att`` itself is returned when it has no more.

    Returns:
        a new :class:`AttentionScore` on the same grid and cells, ``score`` float32.

    Raises:
        ValueError: ``top_k`` < 1.
    """
    score = np.asarray(att.score, np.float32)
    k = int(top_k)
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if score.shape[1] <= k:
        return att
    keep = np.argsort(-score, axis=1, kind="stable")[:, :k]                 # (n_hole, k)
    sparse = np.zeros_like(score)
    np.put_along_axis(sparse, keep, np.take_along_axis(score, keep, axis=1), axis=1)
    sparse /= sparse.sum(axis=1, keepdims=True)    # > 0: the k highest of a row summing to 1 hold >= k/n of it
    return AttentionScore(att.grid, np.asarray(att.hole_cells), np.asarray(att.context_cells), sparse)


def check_attention(att: AttentionScore) -> None:
    """Raise ``ValueError`` when ``att`` is malformed (shapes, index range, rows not summing to 1)."""
    rows, cols = att.grid
    n = rows * cols
    s = np.asarray(att.score)
    if s.shape != (len(att.hole_cells), len(att.context_cells)):
        raise ValueError(f"attention score shape {s.shape} != (n_hole, n_context) "
                         f"({len(att.hole_cells)}, {len(att.context_cells)})")
    for name, idx in (("hole_cells", att.hole_cells), ("context_cells", att.context_cells)):
        if len(idx) and (np.min(idx) < 0 or np.max(idx) >= n):
            raise ValueError(f"attention {name} outside the {rows}x{cols} grid")
    if np.intersect1d(att.hole_cells, att.context_cells).size:
        raise ValueError("attention puts a cell in both hole_cells and context_cells")
    if s.size and not np.allclose(s.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("attention score rows do not sum to 1")


def aggregate_residuals(residual_window: ResidualWindow, grid: FullResGrid, att: AttentionScore,
                        overlap: int = 0, reporter: Reporter | None = None, stage: str = "hd",
                        progress: tuple[float, float] = (0.0, 1.0), preserve_energy: bool = False,
                        regions: np.ndarray | None = None, detail: float = 1.0,
                        appearance: np.ndarray | None = None) -> np.ndarray:
    """Attention-weighted sum of context residual patches for every hole cell (CRA §3.2, Eq. 4).

    ``R_j = Σ_i s_ij R_i`` where ``R_i`` is context cell i's residual patch. Patches are the cell plus
    ``overlap`` px on each side, so that :func:`blend_hole_cell` can cross-fade neighbouring hole cells.
    Residuals are fetched lazily, one strip of up to 8 adjacent context cells of a grid row at a time
    (only cells with a score above 1e-7 for some hole cell, and with ``preserve_energy`` the context cells
    within 2 cells of the hole, whose energy is measured), and accumulated with one matrix product per
    strip (dense scores) or one multiply-add per non-zero score (sparse scores). The validity channel is
    aggregated with the same weights, so that :func:`blend_hole_cell` can renormalise where a context patch
    reached past the photo or into the hole (normalised convolution); where every source pixel is valid this
    is exactly Eq. 4.

    Args:
        residual_window: callback giving the residual (0 in the hole and outside the photo), see
            :data:`ResidualWindow`.
        grid: the attention grid on the photo.
        att: attention scores; ``att.score`` float32 ``(n_hole, n_context)``.
        overlap: extra px around each cell (``0`` = the paper's exact, non-overlapping patches).
        reporter: progress per piece of a grid row (``stage``, fraction mapped into ``progress``); cancel point.
        regions: int ``(n_hole, 4)``, per hole cell the part ``(y0, y1, x0, x1)`` of its patch (patch px)
            that will be read — the pipeline passes the bounding box of the photo's hole pixels in it; sparse
            scores are aggregated there only (8K: ~60 % of the patch area), the rest stays 0 with validity 0;
            an empty part skips the cell. None = whole patches.
        preserve_energy: rescale each hole cell's aggregated residual to the detail level of its
            neighbourhood, ``g_j = sqrt(L_j / E(R_j))`` clipped to ``[0.5, 4]``: ``L_j`` is the mean energy of
            the context cells within 2 cells of the hole, weighted by their distance to cell j (Gaussian,
            σ = 1.5 cells) and, with ``appearance``, by how alike they look (:func:`_local_energy`). A
            weighted mean of k uncorrelated texture patches has only ``Σ s²`` of their energy (1/k for equal
            weights), which is why plain Eq. 4 leaves the hole softer than its surroundings; and the sources
            themselves may be calmer (matched to a smooth low-res fill: a flat, pale patch in rippled water) or
            stronger (a lone boat) than the hole's surroundings. The sources say what texture this is, the
            neighbourhood how strong it is here. False = Eq. 4 exactly.
        appearance: float32 ``(rows * cols, 3)`` mean colour of every grid cell in the low-res result, RGB in
            [0, 1], for ``preserve_energy`` (see :func:`_local_energy`); None = distance only.
        detail: detail strength ``d`` in [0, 1], a factor on every aggregated residual (after ``g_j``); 1 =
            the residual as aggregated, 0 = none (the hole as soft as ``resize``).

    Returns:
        float32 ``(n_hole, ph + 2*overlap, pw + 2*overlap, 4)``, one patch per hole cell in
        ``att.hole_cells`` order, ready for :func:`blend_hole_cell`: RGB = ``d · w_k · g_k · A / V`` (the
        aggregated residual normalised by the aggregated validity V, times ``detail`` d, the energy gain
        ``g_k`` (1 unless ``preserve_energy``) and the cell's cross-fade window ``w_k``, which is 1 inside the
        cell away from its borders and everywhere when ``overlap == 0``), channel 3 = ``w_k`` where ``V > 1e-4``, else 0 (and RGB
        0). Patch pixel ``(0, 0)`` lies at ``(ys[r] - overlap, xs[c] - overlap)``; ``(ph, pw)`` is
        :attr:`FullResGrid.cell_max`.
    """
    ph, pw = grid.cell_max
    o = int(overlap)
    wh, ww = ph + 2 * o, pw + 2 * o
    score = np.asarray(att.score, dtype=np.float32)
    acc = populated_zeros((len(att.hole_cells), wh, ww, 4), np.float32)   # 123 MB at 8K: mapped at once
    ctx = np.asarray(att.context_cells, dtype=np.int64)
    used = (score > _WEIGHT_EPS).any(axis=0) if score.size else np.zeros(len(ctx), bool)
    if preserve_energy and len(ctx):
        # context cells near the hole are measured too: their detail is the level the hole should have
        used = used | _near(att.hole_cells, ctx, grid.cols, _TARGET_RADIUS_CELLS)
    ctx_rows = ctx // grid.cols
    row_list = np.unique(ctx_rows[used])
    src_energy = np.zeros(len(ctx), np.float64)        # mean squared RGB residual over valid px, per context cell
    lo, hi = progress

    # pieces of work: runs of adjacent used context cells in one grid row (a grid row is never fetched whole
    # if sparse). Sparse scores: at most _PIECE_CELLS per piece, which keeps the strip buffers small and in
    # cache. Dense scores (a network's softmax) update every hole patch with one matrix product per piece,
    # so there pieces are whole runs: fewer passes over all the patches (8K: 4x fewer)
    dense = bool(score.size) and float((score > _WEIGHT_EPS).mean()) > 0.25
    cap = grid.cols if dense else _PIECE_CELLS
    pieces: list[tuple[int, np.ndarray]] = []
    for r in row_list:
        cols_here = np.flatnonzero((ctx_rows == r) & used)
        cs = ctx[cols_here] % grid.cols                                 # ascending columns
        starts = np.flatnonzero(np.diff(cs, prepend=-2) != 1)
        for a, b in zip(starts, list(starts[1:]) + [len(cs)]):
            pieces += [(int(r), cols_here[p:min(p + cap, b)]) for p in range(a, b, cap)]
    buffers = [np.empty(0, np.float32) for _ in range(3)]       # piece k's strip lives in buffers[k % 3]

    def fetch(piece: tuple[int, np.ndarray], slot: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """Residual patches of one piece's context cells (and their source energy)."""
        r, cols_here = piece
        cs = ctx[cols_here] % grid.cols
        y0 = int(grid.ys[r]) - o
        x0, x1 = int(grid.xs[cs[0]]) - o, int(grid.xs[cs[-1]]) + pw + o
        need = wh * (x1 - x0) * 4
        if buffers[slot].size < need:  # reused piece after piece: fresh pages cost more than the arithmetic
            buffers[slot] = np.empty(need, np.float32)
        strip = residual_window(y0, y0 + wh, x0, x1, buffers[slot][:need].reshape(wh, x1 - x0, 4))
        views = [strip[:, int(grid.xs[c]) - o - x0:int(grid.xs[c]) - o - x0 + ww] for c in cs]   # (wh, ww, 4)
        if preserve_energy:
            for n, view in enumerate(views):
                rows = view[::_ENERGY_ROWS]                             # every 4th row estimates it well
                n_valid = cv2.sumElems(rows)[3]
                sq = cv2.norm(rows, cv2.NORM_L2SQR) - n_valid         # validity is 0/1: its squares = count
                src_energy[cols_here[n]] = sq / (3 * n_valid) if n_valid > 0 else 0.0   # per channel value
        return cols_here, views

    def accumulate(cols_here: np.ndarray, views: list[np.ndarray]) -> None:
        sub = score[:, cols_here]                                       # (n_hole, n_row)
        nz = sub > _WEIGHT_EPS
        if dense:  # dense scores (e.g. a network's plain softmax): one matrix product per piece
            patches = np.stack(views).reshape(len(views), -1)
            live = nz.any(axis=1)
            live = np.flatnonzero(live)
            acc[live] += (sub[live] @ patches).reshape(len(live), wh, ww, 4)   # Eq. 4, this row's share
        else:  # sparse scores (top-k): one multiply-add per (context, hole) pair with a weight
            for n, view in enumerate(views):
                js = np.flatnonzero(nz[:, n])
                if js.size == 0:
                    continue
                for j in js:
                    if regions is None:
                        cv2.scaleAdd(view, float(sub[j, n]), acc[j], dst=acc[j])   # Eq. 4, one term
                        continue
                    y0, y1, x0, x1 = (int(v) for v in regions[j])
                    if y0 < y1 and x0 < x1:
                        part = acc[j, y0:y1, x0:x1]
                        cv2.scaleAdd(view[y0:y1, x0:x1], float(sub[j, n]), part, dst=part)

    # pieces k + 1 and k + 2 are fetched on 2 worker threads while this thread accumulates piece k: the
    # fetch (upsampling, subtraction) costs about twice the accumulation. Accumulating in piece order on
    # one thread keeps the sums the serial ones bit for bit; piece k's strip lives in buffers[k % 3], which
    # piece k + 3 reuses only after piece k was accumulated.
    with ThreadPoolExecutor(_WORKERS) as pool:
        ahead = [pool.submit(fetch, pieces[k], k % 3) for k in range(min(2, len(pieces)))]
        for k in range(len(pieces)):
            if reporter is not None:
                reporter.report(stage, lo + (hi - lo) * k / max(len(pieces), 1))
            got = ahead.pop(0).result()
            if k + 2 < len(pieces):
                ahead.append(pool.submit(fetch, pieces[k + 2], (k + 2) % 3))
            accumulate(*got)
            del got
    target = (_local_energy(att.hole_cells, ctx, used, src_energy, grid.cols, appearance)
              if preserve_energy else None)
    _finish_patches(acc, grid, att, o, None if dense else regions, detail, target)
    if reporter is not None:
        reporter.report(stage, hi)
    return acc


#: Context cells within this many cells (Chebyshev) of a hole cell are measured for the local detail level
#: (``preserve_energy``).
_TARGET_RADIUS_CELLS = 2
#: σ of the Gaussian weighting those cells by their distance to a hole cell, cells.
_TARGET_SIGMA_CELLS = 1.5
#: σ of the Gaussian weighting them by how alike they look (cell mean colour, RGB in [0, 1], Euclidean): sand
#: next to foliage takes the sand's level.
_TARGET_SIGMA_COLOUR = 0.05
#: Range of the energy gain ``g_j`` (an amplitude factor).
_GAIN_LIMITS = (0.5, 4.0)


def _near(cells: np.ndarray, ctx: np.ndarray, cols: int, radius: int) -> np.ndarray:
    """bool (len(ctx),): context cells within ``radius`` cells (Chebyshev) of any of ``cells``."""
    cr, cc = np.divmod(np.asarray(cells, np.int64), cols)
    xr, xc = np.divmod(ctx, cols)
    near = np.zeros(len(ctx), bool)
    for n0 in range(0, len(cr), 256):  # (256, n_ctx) blocks
        d = np.maximum(np.abs(cr[n0:n0 + 256, None] - xr[None]), np.abs(cc[n0:n0 + 256, None] - xc[None]))
        near |= (d <= radius).any(axis=0)
    return near


def _local_energy(hole_cells: np.ndarray, ctx: np.ndarray, measured: np.ndarray, src_energy: np.ndarray,
                  cols: int, appearance: np.ndarray | None = None) -> np.ndarray:
    """float64 (n_hole,): the detail energy expected in each hole cell, a weighted mean over the measured context
    cells: Gaussian in their distance to the cell (σ = ``_TARGET_SIGMA_CELLS``; far inside a large hole the
    nearest measured cells dominate) and, given ``appearance`` (float32 (rows * cols, 3) cell mean colours of
    the low-res result), in their colour difference (σ = ``_TARGET_SIGMA_COLOUR``)."""
    idx = np.flatnonzero(measured)
    if idx.size == 0:
        return np.zeros(len(hole_cells))
    hr, hc = np.divmod(np.asarray(hole_cells, np.int64), cols)
    xr, xc = np.divmod(ctx[idx], cols)
    d2 = (hr[:, None] - xr[None]) ** 2 + (hc[:, None] - xc[None]) ** 2
    logw = -d2 / (2 * _TARGET_SIGMA_CELLS ** 2)
    if appearance is not None:
        dc = ((appearance[np.asarray(hole_cells)][:, None, :] - appearance[ctx[idx]][None, :, :]) ** 2).sum(-1)
        logw = logw - dc / (2 * _TARGET_SIGMA_COLOUR ** 2)
    logw = logw - logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    return (w @ src_energy[idx]) / w.sum(axis=1)


def _finish_patches(acc: np.ndarray, grid: FullResGrid, att: AttentionScore, o: int,
                    regions: np.ndarray | None = None, detail: float = 1.0,
                    target: np.ndarray | None = None) -> None:
    """Turn aggregated ``(A, V)`` patches into the form :func:`blend_hole_cell` sums, in place.

    Per hole cell j (2 threads, each touching only its own patch): ``R = A / V`` where ``V > 1e-4`` (else 0),
    the energy gain ``g_j = sqrt(target[j] / E(R))`` of :func:`aggregate_residuals` (with ``target``, float64
    (n_hole,), ``preserve_energy``; ``E(R)`` measured on every ``_ENERGY_ROWS``-th row, the rows the context
    energies were measured on), and the cross-fade window ``w_j``:
    RGB = ``detail · g_j w_j R``, channel 3 = ``w_j`` where valid. One 4-channel pass per patch, over its part in
    ``regions`` when given (see :func:`aggregate_residuals`).
    """
    if not len(acc):
        return
    _, wh, ww, _ = acc.shape

    def finish(j: int) -> None:
        y0, y1, x0, x1 = (0, wh, 0, ww) if regions is None else (int(v) for v in regions[j])
        if y0 >= y1 or x0 >= x1:
            return
        p = acc[j, y0:y1, x0:x1]
        v = cv2.extractChannel(p, 3)
        ok = v > 1e-4
        inv = np.zeros_like(v)
        np.divide(1.0, v, out=inv, where=ok)                            # 0 where no source pixel was valid
        g = 1.0
        if target is not None:
            sub_ok = ok[::_ENERGY_ROWS]
            n_ok = int(np.count_nonzero(sub_ok))
            if n_ok:
                sub = p[::_ENERGY_ROWS, :, :3] * inv[::_ENERGY_ROWS, :, None]
                e_agg = float(np.sum(sub * sub)) / (3 * n_ok)           # mean R² over valid px
                if e_agg > 1e-12:
                    g = float(np.clip(np.sqrt(float(target[j]) / e_agg), *_GAIN_LIMITS))
        if o:
            r, c = divmod(int(att.hole_cells[j]), grid.cols)
            w = _window(wh, ww, int(grid.ys[r + 1] - grid.ys[r]), int(grid.xs[c + 1] - grid.xs[c]), o)
            valid_w = inv * w[y0:y1, x0:x1]                             # V · w / V = w where valid
        else:
            valid_w = inv
        g *= detail
        rgb = valid_w * np.float32(g) if g != 1.0 else valid_w
        cv2.multiply(p, cv2.merge([rgb, rgb, rgb, valid_w]), dst=p)    # RGB = g w A / V, validity = w

    with ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(finish, range(len(acc))))


@functools.lru_cache(maxsize=256)
def _ramp(n: int, lo: int, hi: int, o: int) -> np.ndarray:
    """Weights (float32 (n,)) at window positions 0..n-1 for a cell spanning [lo, hi) in window coords.

    With ``o == 0``: 1 inside the cell, 0 outside. Otherwise a trapezoid rising linearly over
    ``[lo - o, lo + o)`` and falling over ``[hi - o, hi + o)``, so neighbouring cells' weights sum to 1.
    Cached (a grid has only a few distinct cell sizes): the returned array is read-only.
    """
    t = np.arange(n, dtype=np.float32) + 0.5
    if o == 0:
        r = ((t > lo) & (t < hi)).astype(np.float32)
    else:
        up = np.clip((t - (lo - o)) / (2 * o), 0.0, 1.0)
        down = np.clip(((hi + o) - t) / (2 * o), 0.0, 1.0)
        r = up * down
    r.flags.writeable = False
    return r


@functools.lru_cache(maxsize=32)
def _window(wh: int, ww: int, ch: int, cw: int, o: int) -> np.ndarray:
    """Cross-fade window ``w(y, x) = ramp_y(y) · ramp_x(x)`` (float32 ``(wh, ww)``, read-only) of a ``ch x cw``
    cell's extended patch (:func:`_ramp`). Cached: a grid has at most 4 distinct cell sizes."""
    w = _ramp(wh, o, o + ch, o)[:, None] * _ramp(ww, o, o + cw, o)[None, :]
    w.flags.writeable = False
    return w


def blend_hole_cell(index: int, patches: np.ndarray, patch_of: dict[int, int], grid: FullResGrid,
                    overlap: int, box: tuple[int, int, int, int] | None = None,
                    add_to: np.ndarray | None = None) -> np.ndarray:
    """Aggregated residual over one cell, cross-fading the patches of neighbouring hole cells.

    ``R(x) = Σ_k w_k(x) R_k(x) / Σ_k w_k(x) [V_k(x) > 0]`` over the hole cells k (this one and its 8
    neighbours) whose extended patch covers x, with ``R_k = g_k A_k / V_k`` cell k's aggregated residual
    normalised by its aggregated validity (normalised convolution) and ``w_k`` a separable trapezoid (see
    :func:`_ramp`); the weights of neighbouring cells sum to 1. :func:`aggregate_residuals` hands the
    patches over already weighted (RGB = ``w_k R_k``, channel 3 = ``w_k``), so this is a plain sum and one
    division, and none inside the cell, where only its own patch has weight and that weight is 1. With
    ``overlap == 0`` and valid sources this is exactly the cell's own patch (CRA Eq. 4 with non-overlapping
    patches). Context neighbours do not take part, so at a border with the known region the cell keeps its
    own residual. Where no valid source pixel exists, R = 0.

    Args:
        index: flat index of a hole cell (a key of ``patch_of``).
        patches: float32 ``(n_hole, ph + 2o, pw + 2o, 4)`` from :func:`aggregate_residuals` (window-weighted).
        patch_of: flat cell index → row of ``patches``.
        grid: the grid the patches were aggregated on.
        overlap: the ``overlap`` used there, px.
        box: ``(y0, y1, x0, x1)`` sub-window of the cell to return (default: the whole cell), full-res px.
        add_to: float32 ``(y1 - y0, x1 - x0, 3)`` to add the residual into (e.g. the upsampled base),
            instead of returning a new array.

    Returns:
        float32 ``(y1 - y0, x1 - x0, 3)`` residual, or ``add_to`` with the residual added.
    """
    y0, y1, x0, x1 = box if box is not None else grid.cell_box(index)
    o = int(overlap)
    r0, c0 = divmod(int(index), grid.cols)
    # interior of the cell (more than o px from its borders): only the cell's own patch has weight there,
    # and it is exactly 1, so R is the patch's RGB itself; the general sum runs on the frame only
    iy0, iy1 = max(y0, int(grid.ys[r0]) + o), min(y1, int(grid.ys[r0 + 1]) - o)
    ix0, ix1 = max(x0, int(grid.xs[c0]) + o), min(x1, int(grid.xs[c0 + 1]) - o)
    if add_to is None:
        out = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    else:
        out = add_to
    if o == 0 or iy0 >= iy1 or ix0 >= ix1:
        out += _blend_general(index, patches, patch_of, grid, o, (y0, y1, x0, x1))
        return out
    py, px = int(grid.ys[r0]) - o, int(grid.xs[c0]) - o
    own = patches[patch_of[int(index)], iy0 - py:iy1 - py, ix0 - px:ix1 - px]
    inner = out[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
    cv2.add(inner, cv2.cvtColor(own, cv2.COLOR_RGBA2RGB), dst=inner)   # 4x faster than numpy's strided add
    for fy0, fy1, fx0, fx1 in ((y0, iy0, x0, x1), (iy1, y1, x0, x1), (iy0, iy1, x0, ix0), (iy0, iy1, ix1, x1)):
        if fy0 < fy1 and fx0 < fx1:
            out[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0] += _blend_general(index, patches, patch_of, grid, o,
                                                                         (fy0, fy1, fx0, fx1))
    return out


def _blend_general(index: int, patches: np.ndarray, patch_of: dict[int, int], grid: FullResGrid, o: int,
                   box: tuple[int, int, int, int]) -> np.ndarray:
    """:func:`blend_hole_cell`'s normalised sum over all neighbouring hole cells, on ``box``."""
    y0, y1, x0, x1 = box
    _, wh, ww, _ = patches.shape
    acc = np.zeros((y1 - y0, x1 - x0, 4), np.float32)                  # Σ w_k A_k (RGB) | Σ w_k V_k
    r0, c0 = divmod(int(index), grid.cols)
    for r in range(max(r0 - 1, 0), min(r0 + 2, grid.rows)):
        for c in range(max(c0 - 1, 0), min(c0 + 2, grid.cols)):
            k = r * grid.cols + c
            if k not in patch_of:
                continue
            py, px = int(grid.ys[r]) - o, int(grid.xs[c]) - o          # patch origin, full-res px
            iy0, iy1 = max(y0, py), min(y1, py + wh)
            ix0, ix1 = max(x0, px), min(x1, px + ww)
            if iy0 >= iy1 or ix0 >= ix1:
                continue
            # patches come weighted by their window (aggregate_residuals): the blend is a plain sum here
            part = acc[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
            cv2.add(part, patches[patch_of[k], iy0 - py:iy1 - py, ix0 - px:ix1 - px], dst=part)
    den = cv2.extractChannel(acc, 3)
    inv = np.zeros_like(den)
    np.divide(1.0, den, out=inv, where=den > 1e-4)                      # no valid source: R = 0
    return cv2.multiply(cv2.cvtColor(acc, cv2.COLOR_RGBA2RGB), cv2.merge([inv, inv, inv]))


def aggregate_residual_image(hr_residual: np.ndarray, att: AttentionScore, grid: FullResGrid,
                             overlap: int = 0, valid: np.ndarray | None = None) -> np.ndarray:
    """Fill hole cells with attention-weighted residuals of context cells (CRA §3.2, Eq. 4), densely.

    A reference form of :func:`aggregate_residuals` + :func:`blend_hole_cell` for a residual that fits in
    memory (tests, small photos); the pipeline itself never builds the full residual.

    Args:
        hr_residual: float32 ``(H, W, 3)`` residual, 0 in the hole.
        att: attention scores over ``grid``; rows sum to 1.
        grid: the attention grid on the ``(H, W)`` photo.
        overlap: cross-fade width around each cell, px.
        valid: bool ``(H, W)``, True where the residual is known (default: everywhere); outside the photo
            nothing is valid.

    Returns:
        float32 ``(H, W, 3)``, the aggregated residual in hole cells and 0 elsewhere.
    """
    H, W = hr_residual.shape[:2]

    def window(y0: int, y1: int, x0: int, x1: int, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros((y1 - y0, x1 - x0, 4), np.float32) if out is None else out
        out[...] = 0.0
        sy0, sy1, sx0, sx1 = max(y0, 0), min(y1, H), max(x0, 0), min(x1, W)
        if sy0 < sy1 and sx0 < sx1:
            v = np.ones((sy1 - sy0, sx1 - sx0), np.float32) if valid is None else valid[sy0:sy1, sx0:sx1]
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0, :3] = hr_residual[sy0:sy1, sx0:sx1] * v[..., None]
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0, 3] = v
        return out

    patches = aggregate_residuals(window, grid, att, overlap)
    patch_of = {int(k): n for n, k in enumerate(att.hole_cells)}
    out = np.zeros((H, W, 3), np.float32)
    for k in patch_of:
        y0, y1, x0, x1 = grid.cell_box(k)
        y1, x1 = min(y1, H), min(x1, W)
        if y0 < y1 and x0 < x1:
            out[y0:y1, x0:x1] = blend_hole_cell(k, patches, patch_of, grid, overlap, (y0, y1, x0, x1))
    return out
