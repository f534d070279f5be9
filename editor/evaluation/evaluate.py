"""Public evaluation: inpaint photos with known content under hole masks and score the fill against the photo.

The ground truth is the photo itself, so in-hole PSNR / SSIM / L1 (:mod:`editor.evaluation.metrics`) measure
how close each method's fill comes to what was really there. Every method goes through the same
:class:`~editor.pipeline.InpaintPipeline` the CLI and the editor use (low-res stage + HD strategy + composite),
so the numbers describe what a user gets, for classical and network methods alike (anything in the registry).

Images: every file in a folder (sorted by name) with an extension in :data:`IMAGE_EXTENSIONS` — those the
program reads and writes (:data:`editor.core.formats.EXTENSION_FORMATS`: JPEG including ``.jpe`` and ``.jfif``,
PNG, TIFF, WebP, BMP) and GIF (first frame), which ``compare`` and the editor open too — read with
:func:`editor.core.imageio.load_image` (EXIF orientation applied) and downscaled to long side ``size`` px with
``cv2.INTER_AREA`` (smaller images are kept as they are, never upscaled).

Masks, one of:

- given (``masks_dir``): matched to an image by file stem: ``<stem>.<ext>`` (kind ``"given"``) and/or
  ``<stem>.<kind>.<ext>`` (the names this module saves, so a saved run can be replayed exactly); white
  (>= 128) = hole, or black with ``invert_masks``; scaled (nearest) to the evaluated size when it has the
  photo's shape (refused when it does not: a mask turned by 90° would be stretched);
- generated (``mask_kind`` ``"free-form"``, ``"object"`` or ``"both"``): seeded synthetic holes from
  :func:`editor.core.masks.free_form_mask` and :func:`editor.core.masks.object_mask` (object-shape templates,
  CRA §3.5). Each mask's generator is seeded from ``(seed, crc32(stem), kind)``, so a mask does not depend on
  which other images are evaluated (``limit``). Generated masks are **saved** as ``<stem>.<kind>.png``
  (white = hole) under ``masks_out`` so a run can be repeated and inspected.

Because masks are named by stem, two photos with the same stem (``a.jpg``, ``a.png``) are refused, and a
given mask goes to the photo with the longest matching stem (``kite.v2.object.png`` belongs to ``kite.v2.jpg``,
not to ``kite.jpg`` as a kind ``"v2.object"``). A mask that is empty or covers the whole photo (at the
evaluated size) is skipped and listed in :attr:`Evaluation.skipped`.

Every file is checked before the long run starts, where that is cheap: each photo's and given mask's header
(missing, empty or non-image files) and that every photo has a given mask. A photo or mask that still cannot be
used when its turn comes (truncated data, over the pixel limit, a mask of another shape) is skipped with its
error, listed in :attr:`Evaluation.skipped` (reason ``"error"``, the message in :attr:`Evaluation.errors`), so a
bad last file does not throw away the scores of the others.

Scores are computed on the composited result against the (resized) photo over the hole pixels only (the
mask as given, not the pipeline's dilated low-res hole); seconds are wall time of ``InpaintPipeline.run``.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import cv2
import numpy as np

from editor.core.errors import ImageReadError, MaskError
from editor.core.formats import EXTENSION_FORMATS
from editor.evaluation.metrics import l1, psnr, ssim
from editor.paths import not_a_folder

__all__ = ["IMAGE_EXTENSIONS", "MASK_KINDS", "Score", "Evaluation", "evaluate", "find_images", "resize_long_side",
           "default_templates_dir", "format_table", "method_runs", "generated_mask_names"]

#: Photo (and given mask) file extensions, lower case: the formats the program writes, and GIF, which it reads.
IMAGE_EXTENSIONS = (*EXTENSION_FORMATS, ".gif")
MASK_KINDS = ("free-form", "object")


@dataclass
class Score:
    """One (image, mask, method) result. psnr in dB, ssim in [-1, 1], l1 in [0, 1] units, seconds wall time."""

    image: str
    mask_kind: str
    method: str
    hd: str
    width: int
    height: int
    hole_fraction: float
    psnr: float
    ssim: float
    l1: float
    seconds: float


@dataclass
class Evaluation:
    """All scores of a run plus where its masks are; :meth:`summary` aggregates them."""

    scores: list[Score]
    masks_dir: Path | None
    settings: dict = field(default_factory=dict)
    #: ``(image name, mask kind, "empty" | "full" | "error")`` of each case that was not scored; the kind is
    #: ``"all"`` for a photo that could not be read (none of its masks was scored).
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    #: The one-line error of each ``"error"`` case, by ``(image name, mask kind)``.
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Given masks (file names) that were not at the evaluated size and were scaled to it (nearest): their
    #: scores differ from those of the run that made them at another ``size``.
    rescaled: list[str] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """Mean psnr / ssim / l1 / seconds per (method, hd, mask kind), and over all kinds ("all").

        Infinite PSNRs (a fill identical to the truth) are capped at 100 dB before averaging.
        """
        groups: dict[tuple[str, str, str], list[Score]] = {}
        for s in self.scores:
            groups.setdefault((s.method, s.hd, s.mask_kind), []).append(s)
            groups.setdefault((s.method, s.hd, "all"), []).append(s)
        kinds = sorted({s.mask_kind for s in self.scores})
        order = list(dict.fromkeys((s.method, s.hd) for s in self.scores))
        out = []
        for method, hd in order:
            for kind in kinds + (["all"] if len(kinds) > 1 else []):
                rows = groups.get((method, hd, kind))
                if not rows:
                    continue
                out.append({
                    "method": method, "mask_kind": kind, "hd": hd, "n": len(rows),
                    "psnr": float(np.mean([min(r.psnr, 100.0) for r in rows])),
                    "ssim": float(np.mean([r.ssim for r in rows])),
                    "l1": float(np.mean([r.l1 for r in rows])),
                    "seconds": float(np.mean([r.seconds for r in rows])),
                    "hole_fraction": float(np.mean([r.hole_fraction for r in rows])),
                })
        return out

    def why_skipped(self) -> list[str]:
        """One line per :attr:`skipped` case: ``"p0.png [given]: the mask is empty"``, or the file's error."""
        return [f"{image} [{kind}]: " + (self.errors.get((image, kind), "cannot be used") if reason == "error"
                                         else f"the mask is {reason}")
                for image, kind, reason in self.skipped]

    def to_json(self) -> dict:
        return {**self.settings, "masks_dir": str(self.masks_dir) if self.masks_dir else None,
                "summary": self.summary(),
                "skipped": [{"image": i, "mask_kind": k, "reason": r,
                             **({"error": self.errors[(i, k)]} if (i, k) in self.errors else {})}
                            for i, k, r in self.skipped],
                "rescaled_masks": list(self.rescaled),
                "scores": [{k: (None if isinstance(v, float) and math.isinf(v) else v)
                            for k, v in asdict(s).items()} for s in self.scores]}


def find_images(folder: str | Path) -> list[Path]:
    """Image files directly in ``folder`` (by extension), sorted by name. Raises ImageReadError if none."""
    folder = Path(folder)
    why = not_a_folder(folder)
    if why:
        raise ImageReadError(f"{folder}: {why}")
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not found:
        raise ImageReadError(f"{folder}: contains no images ({', '.join(IMAGE_EXTENSIONS)})")
    return found


def resize_long_side(image: np.ndarray, size: int) -> np.ndarray:
    """Downscale uint8 (H, W, 3) so its long side is ``size`` px (cv2.INTER_AREA); never upscales."""
    h, w = image.shape[:2]
    if max(h, w) <= size:
        return image
    s = size / max(h, w)
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def default_templates_dir() -> Path | None:
    """The first folder that exists of ``$INPAINT_STUDIO_SHARED_DATA/mask-templates``,
    ``../shared/data/mask-templates`` relative to the working folder, and the same next to the source checkout;
    None if none does."""
    import os
    candidates = [Path("..") / "shared" / "data" / "mask-templates"]
    env = os.environ.get("INPAINT_STUDIO_SHARED_DATA")
    if env:
        candidates.insert(0, Path(env) / "mask-templates")
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "data" / "mask-templates")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def generated_mask_names(folder: Path) -> list[Path]:
    """The files in ``folder`` named as generated masks are (``<stem>.<kind>.png``), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and any(p.name.endswith(f".{kind}.png") for kind in MASK_KINDS))


def _mask_seed(seed: int, stem: str, kind: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stem.encode()), MASK_KINDS.index(kind)])


def _given_masks(masks_dir: Path, stem: str, stems: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """``(kind, path)`` of the masks of the photo ``stem``: ``<stem>.<ext>`` and ``<stem>.<kind>.<ext>``,
    leaving out those of a photo with a longer stem among ``stems`` (``kite.v2`` against ``kite``)."""
    longer = [s for s in stems if s.startswith(stem + ".")]
    found = []
    for p in sorted(masks_dir.iterdir()):
        if not p.is_file() or p.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        name = p.name[: -len(p.suffix)]
        if any(name == s or name.startswith(s + ".") for s in longer):
            continue
        if name == stem:
            found.append(("given", p))
        elif name.startswith(stem + "."):
            found.append((name[len(stem) + 1:], p))
    return found


def method_runs(methods: Iterable[str], hd: str) -> list[tuple[str, str]]:
    """``(method name, HD strategy)`` of each ``"name"`` / ``"name:hd"`` entry (``hd`` where none is given).

    Raises:
        ValueError: an entry names the same run as an earlier one (``telea,telea`` or ``telea,telea:cra``
            with ``hd="cra"``), which would count its photos twice.
    """
    runs: dict[tuple[str, str], str] = {}
    for item in methods:
        name, _, item_hd = item.partition(":")
        run = (name, item_hd or hd)
        if run in runs:
            same = "is listed twice" if runs[run] == item else f"is the same run as {runs[run]} (--hd {run[1]})"
            raise ValueError(f"{item} {same}")
        runs[run] = item
    return list(runs)


def _given_mask(mpath: Path, photo: Path, size: tuple[int, int], invert: bool,
                max_pixels: int | None = None, rescaled: list[str] | None = None) -> np.ndarray:
    """A given mask at the evaluated ``size`` (w, h): scaled (nearest) when it has the photo's shape at another
    size (drawn on the full-size photo); refused when its shape differs (a mask turned by 90° or made for another
    photo would be stretched over the wrong places).

    Raises:
        MaskError: unreadable mask, or its aspect ratio differs from the photo's by more than 2 %.
    """
    from editor.core.imageio import load_mask, scale_hole
    hole = load_mask(mpath, None, invert=invert, max_pixels=max_pixels)   # decoded once, in its own size
    (mh, mw), (w, h) = hole.shape, size
    if (mw, mh) == (w, h):
        return hole
    if abs(math.log((mw / mh) / (w / h))) > 0.02:   # (2 %: well above the rounding of a scaled mask)
        turned = abs(math.log((mh / mw) / (w / h))) <= 0.02
        raise MaskError(f"{mpath}: the mask is {mw}x{mh}, not the shape of {photo.name} ({w}x{h} as "
                        f"evaluated)" + ("; it is turned by 90°" if turned else ""))
    if rescaled is not None:
        rescaled.append(mpath.name)
    return scale_hole(hole, size)


def evaluate(images_dir: str | Path, methods: Iterable[str], *, masks_dir: str | Path | None = None,
             mask_kind: str = "both", size: int = 1024, hd: str = "cra", seed: int = 0, limit: int | None = None,
             masks_out: str | Path | None = None, templates: str | Path | None = None,
             invert_masks: bool = False, lowres_size: int | None = None, dilate: int | None = None,
             detail: float | None = None, device: str = "cpu", max_pixels: int | None = None,
             progress: Callable[[str], None] | None = None) -> Evaluation:
    """Evaluate ``methods`` on the photos of ``images_dir`` with given or seeded synthetic hole masks.

    Args:
        images_dir: Folder of photos (the ground truth).
        methods: Registry names (``editor.methods.list_methods()``); each must be available. ``"name:hd"``
            runs that method with another HD strategy (so ``["telea:cra", "telea:resize"]`` compares strategies
            in one run, on the same code and masks).
        masks_dir: Folder of given masks (see the module docstring); overrides ``mask_kind``.
        mask_kind: ``"free-form"``, ``"object"`` or ``"both"`` for generated masks.
        size: Long side of the evaluated images, px (default 1024).
        hd: HD strategy (``editor.pipeline.HD_STRATEGIES``) for entries without ``:hd``.
        seed: Seed of the mask generators.
        limit: Evaluate only the first ``limit`` images (by name).
        masks_out: Folder for the generated masks (created); required when masks are generated.
        templates: Folder of object-shape templates (``../shared/data/mask-templates`` by default).
        invert_masks: Given masks are black = hole.
        lowres_size, dilate, detail: Pipeline settings (``None`` = the pipeline's defaults).
        device: Torch device for network methods (``"cpu"``, ``"cuda"``, ``"mps"``); classical ignore it.
        progress: Called with a short line per finished (image, mask, method).

    Returns:
        :class:`Evaluation` with one :class:`Score` per (image, mask, method).

    Raises:
        ImageReadError, MaskError, MethodUnavailableError, OutputError (InpaintError subclasses), before any
        photo is inpainted: a photo or given mask that is missing, empty or not an image, a photo without a
        given mask, two photos with the same stem. A file that fails later (truncated data, too many pixels, a
        mask of another shape) is skipped instead (:attr:`Evaluation.skipped`). ValueError for no methods or a
        repeated run (:func:`method_runs`).
    """
    from editor.core.imageio import check_readable, load_image, save_mask
    from editor.methods import create_method
    from editor.pipeline import DEFAULT_DETAIL, InpaintPipeline

    methods = list(methods)
    if not methods:
        raise ValueError("no methods to evaluate")
    images = find_images(images_dir)
    if limit is not None:
        images = images[: max(0, int(limit))]
    by_stem: dict[str, Path] = {}
    for path in images:
        if path.stem in by_stem:
            raise ImageReadError(f"{images_dir}: {by_stem[path.stem].name} and {path.name} have the same name "
                                 f"'{path.stem}', which names their masks: rename one")
        by_stem[path.stem] = path
    for stem, path in by_stem.items():
        for kind in MASK_KINDS:
            if f"{stem}.{kind}" in by_stem:
                raise ImageReadError(f"{images_dir}: {by_stem[f'{stem}.{kind}'].name} is named like the {kind} mask "
                                     f"of {path.name} ({stem}.{kind}.png), so masks would be confused: rename it")

    pipelines = []
    weights: dict[str, str] = {}
    for name, item_hd in method_runs(methods, hd):
        method = create_method(name, device=device)
        method.require_available()
        if method.kind == "network":
            weights[name] = method.info().get("weights")
        pipelines.append((name, item_hd, InpaintPipeline.with_options(method, item_hd, device, lowres_size=lowres_size,
                                                                      dilate=dilate, detail=detail)))

    generate = masks_dir is None
    kinds = list(MASK_KINDS) if mask_kind == "both" else [mask_kind]
    if generate:
        if mask_kind not in ("both",) + MASK_KINDS:
            raise ValueError(f"unknown mask kind {mask_kind!r}")
        if masks_out is None:
            raise ValueError("masks_out is required when masks are generated")
        masks_out = Path(masks_out)
        masks_out.mkdir(parents=True, exist_ok=True)
        tmpl: list[np.ndarray] = []
        if "object" in kinds:
            from editor.core.masks import load_templates
            tdir = Path(templates) if templates is not None else default_templates_dir()
            if tdir is None or not tdir.is_dir():
                raise ImageReadError("object masks need shape templates, and none were found: pass --templates DIR "
                                     "(a folder of object-shape masks, e.g. the project's "
                                     "../shared/data/mask-templates) or set INPAINT_STUDIO_SHARED_DATA to the "
                                     "shared data folder, or use --mask-kind free-form")
            tmpl = load_templates(tdir)
            if not tmpl:
                raise ImageReadError(f"{tdir}: contains no mask templates")
    else:
        masks_dir = Path(masks_dir)
        why = not_a_folder(masks_dir)
        if why:
            raise ImageReadError(f"{masks_dir}: {why}")

    given: dict[str, list[tuple[str, Path]]] = {}
    for path in images:   # the cheap checks of every file, before the long run
        check_readable(path, check_size=True, max_pixels=max_pixels)
        if not generate:
            given[path.stem] = _given_masks(masks_dir, path.stem, by_stem)
            if not given[path.stem]:
                raise MaskError(f"{masks_dir}: no mask for {path.name} (expected {path.stem}.png "
                                f"or {path.stem}.<kind>.png)")
            for _, mpath in given[path.stem]:
                check_readable(mpath, "mask", check_size=True, max_pixels=max_pixels)

    scores: list[Score] = []
    skipped: list[tuple[str, str, str]] = []
    rescaled: list[str] = []
    errors: dict[tuple[str, str], str] = {}

    def skip(image: str, kind: str, exc: Exception) -> None:
        skipped.append((image, kind, "error"))
        errors[(image, kind)] = str(exc).splitlines()[0]
        if progress:
            progress(f"skipped {image} [{kind}]: {errors[(image, kind)]}")

    for path in images:
        try:
            doc = load_image(path, max_pixels=max_pixels)
        except ImageReadError as exc:   # truncated, too many pixels: the other photos' scores are kept
            skip(path.name, "all", exc)
            continue
        truth = resize_long_side(doc.image, size)
        h, w = truth.shape[:2]
        del doc
        cases: list[tuple[str, np.ndarray]] = []
        if generate:
            from editor.core.masks import free_form_mask, object_mask
            for kind in kinds:
                rng = _mask_seed(seed, path.stem, kind)
                hole = (free_form_mask((h, w), rng) if kind == "free-form"
                        else object_mask((h, w), rng, tmpl))
                save_mask(masks_out / f"{path.stem}.{kind}.png", hole)
                cases.append((kind, hole))
        else:
            for kind, mpath in given[path.stem]:
                try:
                    cases.append((kind, _given_mask(mpath, path, (w, h), invert_masks, max_pixels, rescaled)))
                except (ImageReadError, MaskError) as exc:   # truncated, or another shape
                    skip(path.name, kind, exc)
        for kind, hole in cases:
            if not hole.any() or hole.all():
                skipped.append((path.name, kind, "empty" if not hole.any() else "full"))
                if progress:
                    progress(f"skipped {path.name} [{kind}]: the mask is {skipped[-1][2]}")
                continue
            for name, item_hd, pipe in pipelines:
                t = time.perf_counter()
                res = pipe.run(truth, hole)
                seconds = time.perf_counter() - t
                out = res.image
                sc = Score(image=path.name, mask_kind=kind, method=name, hd=item_hd, width=w, height=h,
                           hole_fraction=float(hole.mean()), psnr=psnr(out, truth, hole),
                           ssim=ssim(out, truth, hole), l1=l1(out, truth, hole), seconds=seconds)
                scores.append(sc)
                if progress:
                    progress(f"{path.name} [{kind}] {name} ({item_hd}): {sc.psnr:.2f} dB, SSIM {sc.ssim:.4f}, "
                             f"L1 {sc.l1:.4f}, {seconds:.2f} s")
    used = pipelines[0][2] if pipelines else None  # (every run shares these options: the values in use)
    settings = {"images_dir": str(images_dir), "images": len(images), "size": size, "hd": hd,
                "seed": seed if generate else None,  # replayed masks: their seed is not known here
                "mask_kind": "given" if not generate else mask_kind, "methods": methods,
                "lowres_size": used.lowres_size if used else lowres_size, "dilate": used.dilate if used else dilate,
                "detail": DEFAULT_DETAIL if detail is None else detail, "device": device,
                "weights": weights}
    return Evaluation(scores=scores, masks_dir=masks_out if generate else masks_dir, settings=settings,
                      skipped=skipped, errors=errors, rescaled=rescaled)


def format_table(ev: Evaluation) -> str:
    """A plain-text table of :meth:`Evaluation.summary` (one row per method and mask kind)."""
    lines = [f"{'method':16s} {'hd':7s} {'masks':10s} {'n':>4s} {'PSNR dB':>8s} {'SSIM':>7s} {'L1':>7s} "
             f"{'s/img':>7s} {'hole':>6s}"]
    for r in ev.summary():
        lines.append(f"{r['method']:16s} {r['hd']:7s} {r['mask_kind']:10s} {r['n']:4d} {r['psnr']:8.2f} "
                     f"{r['ssim']:7.4f} {r['l1']:7.4f} {r['seconds']:7.2f} {r['hole_fraction']:6.1%}")
    return "\n".join(lines)
