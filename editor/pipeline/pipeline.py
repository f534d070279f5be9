"""The inpainting pipeline: prepare → low-res inpaint (preview) → HD strategy → composite (DESIGN.md).

Usable headless; the CLI drives it with a tqdm bar, the editor from a QThread worker with a cancel token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from editor.core.errors import InpaintError, MaskError
from editor.core.masks import hole_fraction
from editor.core.progress import Reporter
from editor.methods.base import InpaintMethod, create_method
from editor.pipeline.composite import DEFAULT_CORRECTION, DEFAULT_FEATHER, feather_composite
from editor.pipeline.hd import (hd_cra, hd_crop, hd_full, hd_resize, inpaint_padded, lowres_hole,
                                pad_to_multiple, scaled_dilation)
from editor.pipeline.residual import (DEFAULT_ATTENTION_SCALE, DEFAULT_CELL_OVERLAP, DEFAULT_LOCALITY,
                                      DEFAULT_TOP_K, upsample_region)

__all__ = ["InpaintPipeline", "PipelineResult", "LowResInput", "prepare", "HD_STRATEGIES", "DEFAULT_DILATE",
           "DEFAULT_DETAIL", "DEFAULT_LOWRES_SIZE", "STAGES"]

#: HD strategies (``--hd``); the first is the default.
HD_STRATEGIES = ("cra", "resize", "crop", "full")
#: Long side of the low-res image handed to the method, px (CRA's networks work at 512).
DEFAULT_LOWRES_SIZE = 512
#: ``cra`` detail strength: the aggregated residual at full strength, as sharp as the photo around the hole.
#: Lower values trade sharpness for in-hole PSNR (uncorrelated texture costs PSNR; README).
DEFAULT_DETAIL = 1.0
#: Dilation of the conservatively downsampled hole, low-res px (``--dilate``). Looked at on the HiFill
#: samples with their tight hand-drawn masks (14.jpg, 7.jpg, 1.jpg, 19.jpg at 512 px, telea): with 0 a light
#: outline of the removed person (the anti-aliased edge just outside the mask) is pulled into the fill on
#: 14.jpg, 1 leaves a faint trace, 3 leaves none; more only widens the area the method must invent. Parts of an
#: object the mask misses entirely (19.jpg: the hat ribbon) stay, as the known region must.
DEFAULT_DILATE = 3
#: Smallest ``lowres_size``, px (a method's 16-px stride; below it no photo keeps any context).
MIN_LOWRES_SIZE = 16
#: A photo longer than this many times its width (a panorama) keeps a short side of ``lowres_size / 4`` at low
#: resolution rather than a long side of ``lowres_size`` (:func:`lowres_size`).
PANORAMA_ASPECT = 4
#: ... up to a long side of this many times ``lowres_size`` (3072 px at 512: at most 1.5x the pixels of 512x512).
PANORAMA_MAX_LONG = 6

#: Progress stage names, in order.
STAGES = ("prepare", "lr_inpaint", "hd", "composite")


@dataclass
class PipelineResult:
    """What :meth:`InpaintPipeline.run` returns.

    Attributes:
        image: uint8 ``(H, W, 3)``; known region bit-identical to the input.
        lr_result: uint8 ``(h, w, 3)`` low-res composite (aspect kept, unpadded) — the preview.
        method: method name.
        hd: HD strategy used.
        hole_fraction: share of the photo's pixels in the hole, in [0, 1].
        seconds_preview: seconds from the start of ``run`` until the low-res result existed.
        seconds_total: seconds for the whole ``run``.
    """

    image: np.ndarray
    lr_result: np.ndarray
    method: str
    hd: str
    hole_fraction: float
    seconds_preview: float
    seconds_total: float


@dataclass
class LowResInput:
    """Stage 1's output (DESIGN.md "prepare").

    Attributes:
        image: uint8 ``(h, w, 3)`` the photo area-averaged to low res (CRA §4.1 "Averaging"), aspect kept.
        hole: bool ``(h, w)`` conservative downsample of the hole, dilated.
        padded_image: uint8 ``(hp, wp, 3)``, ``image`` mirrored bottom/right to multiples of the method's
            ``multiple``.
        padded_hole: bool ``(hp, wp)``, ``hole`` mirrored the same way.
    """

    image: np.ndarray
    hole: np.ndarray
    padded_image: np.ndarray
    padded_hole: np.ndarray


def lowres_size(shape: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``(w, h)`` of the low-res stage for a photo of ``shape = (H, W)``: its aspect ratio, long side ``long_side``.

    A panorama longer than :data:`PANORAMA_ASPECT`:1 keeps its short side at ``long_side / PANORAMA_ASPECT``
    instead (its long side grows, up to ``PANORAMA_MAX_LONG`` times ``long_side``): a 10240x480 strip gets
    2731x128, not 512x24, where a 300-px hole would be 15 low-res px across and its fill a blur of 20x
    upsampled pixels. A photo up to 4:1 (every camera and phone format) gets exactly ``long_side``. Nothing is
    ever upsampled: a photo smaller than the result keeps its size.

    Args:
        shape: ``(H, W)`` of the photo, px.
        long_side: the low-res stage's long side, px (``--lowres-size``).

    Returns:
        ``(w, h)``, px, each at least 1.
    """
    H, W = shape
    long, short = max(H, W), min(H, W)
    s = long_side / long
    if long > PANORAMA_ASPECT * short:
        s = min(long_side / PANORAMA_ASPECT / short, PANORAMA_MAX_LONG * long_side / long)
    if s >= 1.0:
        return W, H
    return max(1, round(W * s)), max(1, round(H * s))


def prepare(image: np.ndarray, hole: np.ndarray, lowres: int = DEFAULT_LOWRES_SIZE,
            dilate: int = DEFAULT_DILATE, multiple: int = 1) -> LowResInput:
    """Stage 1: the low-res image and hole handed to the method.

    Args:
        image: uint8 ``(H, W, 3)`` photo (not modified).
        hole: bool ``(H, W)`` full-res hole, True = hole.
        lowres: long side of the low-res image, px.
        dilate: dilation of the low-res hole, low-res px.
        multiple: the method's stride; the padded arrays are multiples of it.

    Returns:
        :class:`LowResInput`. When the dilated hole would cover the whole low-res image, the undilated
        one is used.

    Raises:
        MaskError: when even the undilated low-res hole covers everything (nothing left to fill from).
    """
    w, h = lowres_size(hole.shape, lowres)
    if (w, h) == (hole.shape[1], hole.shape[0]):
        lr_image = image.copy()  # the method gets its own arrays, never the caller's
    else:
        lr_image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    lr_hole = lowres_hole(hole, (w, h), dilate)
    if lr_hole.all():
        lr_hole = lowres_hole(hole, (w, h), 0)
        if lr_hole.all():
            raise MaskError("the hole leaves too little of the photo to fill from at low resolution",
                            hint=f"every low-res pixel touches the hole; a mask scattered this finely is filled "
                                 f"only at the photo's own size: --lowres-size {max(hole.shape)} (slow)",
                            gui_hint="every low-res pixel touches the hole: paint the hole as solid areas")
    if lr_hole is hole:
        lr_hole = hole.copy()
    pim, phole = pad_to_multiple(lr_image, lr_hole, multiple)
    return LowResInput(lr_image, lr_hole, pim, phole)


class InpaintPipeline:
    """Fill a hole in a full-resolution photo with an inpainting method (DESIGN.md, CRA §3.1).

    Args:
        method: an :class:`~editor.methods.base.InpaintMethod` or a registered name.
        hd: HD strategy, one of :data:`HD_STRATEGIES`.
        lowres_size: long side of the low-res stage, px.
        dilate: low-res hole dilation, px (> 0 recommended: see :data:`DEFAULT_DILATE`).
        device: passed to the method when ``method`` is a name.
        feather: feather width inside the hole, full-res px (:mod:`editor.pipeline.composite`).
        correction: σ of the border colour-offset correction for ``cra``/``resize``, full-res px (0 = off).
        preserve_detail: ``cra``: give the aggregated residual the detail level of its sources and of the
            hole's neighbourhood (see ``hd.hd_cra``); False = Eq. 4's weighted mean as it comes.
        detail: ``cra`` detail strength in [0, 1], a factor on the aggregated residual (:data:`DEFAULT_DETAIL`;
            0 = as soft as ``resize``). Sharper costs in-hole PSNR: see ``hd.hd_cra``.
        attention_scale: softmax scale for attention computed on the low-res result (``cra``).
        attention_top_k: context cells each hole cell draws from (``cra``), the best of the method's attention
            scores or of those computed here (None = all; with ``preserve_detail=False``: Eq. 4 exactly).
        cell_overlap: cross-fade between neighbouring hole cells, fraction of a cell (``cra``).
        attention_locality: spatial prior for that attention (``cra``; see ``residual.DEFAULT_LOCALITY``).

    Raises:
        InpaintError: for an unknown HD strategy or an unusable size; MethodUnavailableError for an
            unknown method name.
    """

    def __init__(self, method: InpaintMethod | str, hd: str = "cra", lowres_size: int = DEFAULT_LOWRES_SIZE,
                 dilate: int = DEFAULT_DILATE, device: str = "cpu", *, feather: float = DEFAULT_FEATHER,
                 attention_scale: float = DEFAULT_ATTENTION_SCALE, attention_top_k: int | None = DEFAULT_TOP_K,
                 cell_overlap: float = DEFAULT_CELL_OVERLAP, attention_locality: float = DEFAULT_LOCALITY,
                 correction: float = DEFAULT_CORRECTION, preserve_detail: bool = True,
                 detail: float = DEFAULT_DETAIL) -> None:
        if hd not in HD_STRATEGIES:
            raise InpaintError(f"unknown HD strategy '{hd}' (known: {', '.join(HD_STRATEGIES)})")
        if int(lowres_size) < MIN_LOWRES_SIZE:
            raise InpaintError(f"low-res size must be at least {MIN_LOWRES_SIZE} px, got {lowres_size}")
        if int(dilate) < 0:
            raise InpaintError(f"dilation must be >= 0 px, got {dilate}")
        if not 0.0 <= float(detail) <= 1.0:
            raise InpaintError(f"detail strength must be between 0 and 1, got {detail}")
        self.method = create_method(method, device=device) if isinstance(method, str) else method
        self.hd = hd
        self.lowres_size = int(lowres_size)
        self.dilate = int(dilate)
        self.feather = float(feather)
        self.attention_scale = float(attention_scale)
        self.attention_top_k = attention_top_k
        self.cell_overlap = float(cell_overlap)
        self.attention_locality = float(attention_locality)
        self.correction = float(correction)
        self.preserve_detail = bool(preserve_detail)
        self.detail = float(detail)

    @classmethod
    def with_options(cls, method: InpaintMethod | str, hd: str = "cra", device: str = "cpu",
                     **options) -> InpaintPipeline:
        """``InpaintPipeline(method, hd, device=device, **options)``, where an option that is None keeps its
        default: the unset settings of the CLI, the editor and ``evaluate`` (e.g. ``dilate=None``).

        Raises:
            InpaintError, MethodUnavailableError: as the constructor.
        """
        return cls(method, hd, device=device, **{k: v for k, v in options.items() if v is not None})

    def run(self, image: np.ndarray, hole: np.ndarray, reporter: Reporter | None = None,
            on_preview: Callable[[np.ndarray], None] | None = None, *, in_place: bool = False) -> PipelineResult:
        """Inpaint ``hole`` in ``image``.

        Args:
            image: uint8 ``(H, W, 3)`` RGB photo. Not modified unless ``in_place``.
            hole: bool ``(H, W)``, True = hole. Never modified.
            reporter: progress (stages :data:`STAGES`, each from 0 to 1) and cancellation.
            on_preview: called once with the low-res composite, uint8 ``(h, w, 3)``, after stage 2.
            in_place: write the result into ``image`` (a writable C-contiguous array) instead of a new
                array, so ``result.image is image``: saves a full-size copy (100 MB and ~0.1 s at 8K) for
                callers that no longer need the photo, such as the one-shot CLI. Only hole pixels are
                written, and only after the last read of the photo's known region; but a run that fails or
                is cancelled in the HD or composite stage leaves some hole pixels written. The editor never
                uses it.

        Returns:
            :class:`PipelineResult`. An empty hole returns the photo unchanged (a copy unless ``in_place``).

        Raises:
            MaskError: the hole does not match the photo, or covers all of it.
            MethodUnavailableError: the method cannot run here.
            Cancelled: the reporter's cancel flag was set (inputs untouched).
        """
        t0 = time.perf_counter()
        rep = reporter if reporter is not None else Reporter()
        image, hole = self._check(image, hole)
        if in_place and not (image.flags.writeable and image.flags.c_contiguous):
            raise InpaintError("in_place needs a writable C-contiguous image")
        rep.report("prepare", 0.0)
        H, W = hole.shape
        fraction = hole_fraction(hole)
        if fraction == 1.0:
            raise MaskError("the hole covers the whole photo: nothing is left to fill it from")
        if fraction == 0.0:
            w, h = lowres_size((H, W), self.lowres_size)
            lr = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA) if (h, w) != (H, W) else image.copy()
            for stage in STAGES:
                rep.report(stage, 1.0)
            dt = time.perf_counter() - t0
            return PipelineResult(image if in_place else image.copy(), lr, self.method.name, self.hd, 0.0, dt, dt)
        self.method.require_available()
        lr = prepare(image, hole, self.lowres_size, self.dilate, self.method.multiple)
        rep.report("prepare", 1.0)

        rep.report("lr_inpaint", 0.0)
        res, attention, padded_shape = inpaint_padded(self.method, lr.image, lr.hole, rep)
        lr_result = np.where(lr.hole[..., None], res, lr.image)
        rep.report("lr_inpaint", 1.0)
        seconds_preview = time.perf_counter() - t0
        if on_preview is not None:
            on_preview(lr_result.copy())

        rep.report("hd", 0.0)
        dil_full = scaled_dilation(self.dilate, lr.hole.shape, (H, W))
        if self.hd == "cra":
            filled = hd_cra(image, hole, lr.image, lr_result, lr.hole, attention, padded_shape, rep,
                            scale=self.attention_scale, top_k=self.attention_top_k,
                            overlap=self.cell_overlap, locality=self.attention_locality,
                            preserve_detail=self.preserve_detail, detail=self.detail, in_place=in_place)
        elif self.hd == "resize":
            filled = hd_resize(image, hole, lr_result, rep, in_place=in_place)
        elif self.hd == "crop":
            filled = hd_crop(self.method, image, hole, dil_full, rep, in_place=in_place)
        else:
            filled = hd_full(self.method, image, hole, dil_full, rep, in_place=in_place)
        rep.report("hd", 1.0)

        rep.report("composite", 0.0)
        def smooth_base(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
            return upsample_region(lr_result, (H, W), y0, y1, x0, x1)

        # cra and resize fill with upsample(lr_result) (+ detail): their border colour can be corrected
        base = smooth_base if self.hd in ("cra", "resize") else None
        out = feather_composite(image, hole, filled, self.feather, rep, base, self.correction)
        rep.report("composite", 1.0)
        return PipelineResult(out, lr_result, self.method.name, self.hd, fraction, seconds_preview,
                              time.perf_counter() - t0)

    @staticmethod
    def _check(image: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        image = np.asarray(image)
        hole = np.asarray(hole)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InpaintError(f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}")
        if hole.shape != image.shape[:2]:
            raise MaskError(f"the mask is {hole.shape[1]}x{hole.shape[0]} px but the photo is "
                            f"{image.shape[1]}x{image.shape[0]} px")
        if hole.dtype != bool:
            hole = hole != 0
        return image, hole
