"""``inpaint-studio`` / ``python -m editor``: the editor by default, headless subcommands for the main job.

Commands::

    inpaint-studio                                   open the editor (GUI)
    inpaint-studio open PHOTO [--mask M] [--invert-mask]  open the editor on a photo (and a hole mask)
    inpaint-studio inpaint PHOTO MASK -o OUT [...]   fill the hole at full resolution, write OUT
    inpaint-studio compare PHOTO MASK -o SHEET.png --methods a,b[:hd],...   side-by-side sheet of methods
    inpaint-studio methods [--json]                  list the methods (name, kind, available, default, ...)
    inpaint-studio evaluate --images DIR --methods a,b [...]   in-hole PSNR / SSIM / L1 on photos
    inpaint-studio train ...                         train a network (editor.training.cli)
    inpaint-studio --self-test                       inpaint a bundled sample with every method
    global: --models-dir DIR (sets INPAINT_STUDIO_MODELS), --version

Every user error (missing, empty, truncated or non-image file; mask size mismatch; a hole covering the whole
photo; an image over the pixel limit; an unwritable or already existing output; unknown or unavailable method)
ends with exit code 2 and one line ``error: ...`` on stderr, never a traceback; Ctrl+C ends with exit code 130,
SIGTERM with 143.
Outputs are written atomically (temp file + rename), and a command's files are all kept or none
(:class:`_Outputs`): a failed or interrupted run (Ctrl+C, SIGTERM) leaves nothing behind.

``inpaint --json`` prints, as the last line of stdout, one JSON object: ``method``, ``hd``, ``detail``, ``device``, ``width``,
``height`` (px), ``hole_fraction`` (0-1), ``output``, ``seconds_load`` (decode photo and mask; a network's
loading is counted in the total only),
``seconds_preview`` (command start until the low-res preview exists), ``seconds_pipeline``
(``InpaintPipeline.run``), ``seconds_save``, ``seconds_total`` (command start until the output is written) and
``peak_rss_mb`` (``getrusage`` ru_maxrss in MiB; null on Windows). ``compare``, ``methods`` and ``evaluate``
also end with one JSON line under ``--json``.

torch is imported only when a network method is selected (``--device auto`` is resolved then); PySide6 only
by ``open`` / no arguments; ``editor.training`` only by ``train``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from editor.core.errors import Cancelled, InpaintError, MaskError, MethodUnavailableError, OutputError
from editor.paths import not_a_folder, same_file

__all__ = ["main", "build_parser", "peak_rss_mb", "resolve_device"]

PROG = "inpaint-studio"
DEVICES = ("auto", "cpu", "cuda", "mps")
HD_CHOICES = ("cra", "resize", "crop", "full")  # editor.pipeline.HD_STRATEGIES (not imported: keeps --help fast)
#: Longest side of one compare-sheet tile, px; a larger crop around the hole is downscaled (and labelled so).
MAX_TILE = 1200
#: A crop whose long side is shorter than this is enlarged by a whole factor, nearest neighbour (each pixel
#: becomes a k×k block, so it stays the result's own pixels; labelled "shown at k00 %"): small holes stay
#: visible and their labels fit.
MIN_TILE = 360
#: Smallest ``evaluate --size``, px: below it a hole is a few pixels and the scores mean nothing.
MIN_EVAL_SIZE = 64
#: A compare tile is at most this many times as long as it is wide (or high): the crop of a thin or wide hole is
#: padded on its short side, within the photo.
MAX_TILE_ASPECT = 3
#: Most rows of a compare sheet (one per group of nearby holes); the largest groups are shown, and a note says so.
MAX_ROWS = 4
#: Most holes (connected components) grouped into rows; a mask of more specks groups its largest ones.
_MAX_HOLES = 256


class UsageError(Exception):
    """A command-line usage error (bad flag or value): exit code 2, one line."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (``error: ...``) instead of usage + message."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------------------------- helpers
def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)


def _note(msg: str) -> None:
    print(f"note: {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process in MiB (``getrusage``), or None where unavailable (Windows).

    ``ru_maxrss`` is in KiB on Linux and the BSDs, in bytes on macOS.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def resolve_device(device: str) -> str:
    """Resolve ``auto`` to ``cuda``, ``mps`` or ``cpu`` and check an explicit choice exists (imports torch).

    Raises:
        MethodUnavailableError: the device is not available here, or torch cannot be loaded.
    """
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - a broken torch must not crash the CLI
        raise MethodUnavailableError(f"network methods need PyTorch, which failed to load ({exc})") from None
    has_cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if device == "auto":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    if device == "cuda" and not has_cuda:
        raise MethodUnavailableError("--device cuda: no CUDA GPU is available to this PyTorch build")
    if device == "mps" and not has_mps:
        raise MethodUnavailableError("--device mps: Apple's Metal (MPS) backend is not available here")
    return device


def _make_method(name: str, device: str):
    """Create a registry method, resolving the device only for networks; raise if unknown or unavailable.

    Returns ``(method, device)``; classical methods always run on ``"cpu"``.
    """
    from editor.methods import create_method
    method = create_method(name, device="cpu")
    if method.kind == "network":
        dev = resolve_device(device)
        if dev != "cpu":
            method = create_method(name, device=dev)
    else:
        dev = "cpu"
        if device not in ("auto", "cpu"):
            _note(f"{name} is a classical method and runs on the CPU; --device {device} is for network methods")
    method.require_available()
    return method, dev


def _default_method() -> str:
    """The registry's default method, or the first available one (with a note) when it cannot run here."""
    from editor.methods import create_method, default_method_name, list_methods
    name = default_method_name()
    ok, why = create_method(name).availability()
    if ok:
        return name
    for other in list_methods():
        m = create_method(other)
        if m.kind == "classical" and m.availability()[0]:
            _note(f"the default method '{name}' is unavailable ({why}); using '{other}'")
            return other
    raise MethodUnavailableError(f"the default method '{name}' is unavailable: {why}")


def _check_output(out: Path, inputs: list[Path], force: bool, what: str = "output",
                  outputs: list[Path] = ()) -> None:
    """Refuse an output that is an input or another output of the command, exists without --force, or cannot
    be written; before any work."""
    from editor.core.imageio import format_for_path
    for inp in inputs:
        if same_file(out, inp):
            raise OutputError(f"{out}: the {what} would overwrite the input {inp}; choose another file name")
    for other in outputs:
        if same_file(out, other):
            raise OutputError(f"{out}: the {what} and the output {other} are the same file; choose another name")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder")
    format_for_path(out)  # a known image extension
    if out.exists() and not force:
        raise OutputError(f"{out}: the file already exists (use --force to overwrite it)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"{out}: cannot write: {folder} {why}")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{out}: cannot write: the folder {folder} is not writable")


class _Outputs:
    """The files one command writes, kept only if the whole command succeeds.

    Each file is written atomically (:func:`editor.core.imageio.save_image`). If the command then fails or is
    interrupted (an error, Ctrl+C) — say the full-resolution output cannot be written after the preview was —
    :meth:`rollback` deletes every file written so far and puts back a file that ``--force`` replaced (kept
    meanwhile as a hidden hard link, or copy, next to it), and removes a folder it created if that is empty.
    Used as a context manager: rollback on any exception, :meth:`commit` (drop the backups) otherwise.
    """

    def __init__(self) -> None:
        self._written: list[tuple[Path, Path | None]] = []
        self._folders: list[Path] = []

    def make_folder(self, folder: Path) -> None:
        """Create ``folder`` (and its parents) if missing; a rollback removes what it created, if empty."""
        missing = []
        for f in [folder, *folder.parents]:
            if f.exists():
                break
            missing.append(f)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{folder}: cannot create the folder ({exc.strerror or exc})") from None
        self._folders.extend(missing)                     # deepest first

    def write(self, path: Path, write) -> None:
        """``write(path)`` — a function that writes ``path`` atomically — remembering how to undo it. A symbolic
        link is written through (:func:`editor.core.imageio.atomic_output`): the backup is of its target."""
        from editor.core.imageio import through_link
        path = through_link(path)
        backup = None
        if path.exists():
            backup = path.with_name(f".{path.name}.{os.getpid()}.{len(self._written)}.replaced")
            try:
                os.link(path, backup)                     # the old file stays where it is until replaced
            except OSError:
                import shutil
                try:
                    shutil.copy2(path, backup)
                except OSError:
                    backup = None                         # cannot keep it: --force was asked for anyway
        self._written.append((path, backup))
        write(path)

    def save(self, path: Path, image: np.ndarray, **kwargs) -> None:
        """``save_image(path, image, **kwargs)``, undone by a rollback."""
        from editor.core.imageio import save_image
        self.write(path, lambda p: save_image(p, image, **kwargs))

    def commit(self) -> None:
        for _, backup in self._written:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._written.clear()
        self._folders.clear()

    def rollback(self) -> None:
        for path, backup in reversed(self._written):
            try:
                if backup is not None and path.exists() and same_file(backup, path):
                    backup.unlink()                       # never replaced (its write failed): nothing to restore
                elif backup is not None:
                    os.replace(backup, path)              # (a rename onto a link of the same file would do nothing)
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass
        for folder in self._folders:
            try:
                folder.rmdir()                            # only if empty
            except OSError:
                break
        self._written.clear()
        self._folders.clear()

    def __enter__(self) -> "_Outputs":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


def _alpha_note(path: Path, alpha: np.ndarray | None) -> None:
    """Say so when ``path``'s format cannot hold the photo's transparency (it is dropped on save)."""
    from editor.core.imageio import alpha_dropped
    why = alpha_dropped(path, alpha)
    if why:
        _note(f"{path}: {why}")


def _method_runs(text: str, hd: str) -> list[tuple[str, str, str]]:
    """``(item, method name, HD strategy)`` of each ``--methods`` entry (``name`` or ``name:hd``, ``hd`` where
    none is given); no entry, an unknown HD strategy or a repeated run
    (:func:`editor.evaluation.evaluate.method_runs`) is a UsageError."""
    from editor.evaluation.evaluate import method_runs
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError("--methods needs at least one method name")
    for item in items:
        item_hd = item.partition(":")[2]
        if item_hd and item_hd not in HD_CHOICES:
            raise UsageError(f"--methods {item}: unknown HD strategy '{item_hd}' (choose from "
                             f"{', '.join(HD_CHOICES)})")
    try:
        runs = method_runs(items, hd)
    except ValueError as exc:
        raise UsageError(f"--methods: {exc}") from None
    return [(item, name, run_hd) for item, (name, run_hd) in zip(items, runs)]


class _Progress:
    """A tqdm bar on stderr over the pipeline's four stages; silent when stderr is not a terminal."""

    STAGES = ("prepare", "lr_inpaint", "hd", "composite")

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        self.label = label
        self._stage, self._shown = "", 0.0
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=len(self.STAGES), desc=label, file=sys.stderr, leave=False,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}]")

    def __call__(self, stage: str, fraction: float) -> None:
        if self.bar is None:
            return
        i = self.STAGES.index(stage) if stage in self.STAGES else 0
        now = time.monotonic()
        if stage == self._stage and fraction < 1.0 and now - self._shown < 0.1:
            return  # the HD stage reports per row: redraw at most 10 times a second
        self._stage, self._shown = stage, now
        self.bar.n = min(len(self.STAGES), i + fraction)
        self.bar.set_description_str(f"{self.label} {stage}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _pipeline(method, args, device: str):
    from editor.pipeline import InpaintPipeline
    return InpaintPipeline.with_options(method, args.hd, device, lowres_size=args.lowres_size, dilate=args.dilate,
                                        detail=args.detail)


def _load_inputs(args):
    """Load the photo (Document) and its hole mask (bool (H, W)) named on the command line, concurrently."""
    from editor.core.imageio import load_photo_and_mask
    doc, hole = load_photo_and_mask(args.photo, args.mask, invert=args.invert_mask, resize=args.resize_mask,
                                    max_pixels=args.max_pixels)
    if args.grow_mask:
        from editor.core.masks import dilate
        hole = dilate(hole, args.grow_mask)
    return doc, hole


def _empty_mask_hint(mask_path: Path) -> str:
    """Why a mask that is not blank reads as empty: a mask saved with the values 0 and 1 (as machine-learning
    tools often write them), or coloured strokes (pure red is luminance 76, below the 128 that makes a hole).
    "" otherwise, or when the file cannot be read again. The file was already read once under the pixel limit
    the user chose, so Pillow's own limit is off here."""
    from PIL import Image

    from editor.core.imageio import pillow_limit_off
    try:
        with pillow_limit_off():
            with Image.open(mask_path) as img:
                img.draft("RGB", (512, 512))      # (JPEG: decode at 1/8 size)
                if img.mode not in ("RGB", "RGBA", "P", "L", "LA", "I", "I;16"):
                    return ""
                extrema = img.convert("RGB").getextrema() if img.mode == "P" else img.getextrema()
                if not isinstance(extrema[0], tuple):
                    extrema = (extrema,)
                top = max(hi for _, hi in extrema[:3])
                if top == 1:
                    return " (its values are 0 and 1: a hole is 128 or more, so save the mask as 0 and 255)"
                if img.mode in ("L", "LA", "I", "I;16"):
                    return ""
                img.thumbnail((512, 512))
                rgb = np.asarray(img.convert("RGB")).reshape(-1, 3).astype(np.int16)
    except (OSError, ValueError, Image.DecompressionBombError):
        return ""
    coloured = (rgb.max(axis=1) >= 128) & (rgb.max(axis=1) - rgb.min(axis=1) >= 64)
    if not coloured.any():
        return ""
    return " (its coloured strokes are darker than mid-grey; paint the hole white, or bright)"


def _check_hole(hole: np.ndarray, mask_path: Path, grow: int = 0, inverted: bool = False) -> None:
    """Refuse a hole over the whole photo; note one over most of it (a mask whose black marks the hole, such as
    the HiFill samples', read without --invert-mask: 97.6 % hole)."""
    share = np.count_nonzero(hole) / hole.size
    if 0.5 < share < 1.0:
        flag = "without --invert-mask" if inverted else "with --invert-mask"
        _note(f"the hole covers {share:.1%} of the photo; if the mask's black marks what should go, run it {flag}")
    if hole.all():
        if grow:
            raise MaskError(f"{mask_path}: grown by --grow-mask {grow} px, the hole covers the whole photo: "
                            f"nothing is left to fill it from (grow it less)")
        raise MaskError(f"{mask_path}: the hole covers the whole photo: nothing is left to fill it from "
                        f"(did you mean --invert-mask?)")


def _json_line(obj: dict) -> None:
    print(json.dumps(obj, allow_nan=False, default=str), flush=True)


# --------------------------------------------------------------------------------------------- commands
def _cmd_inpaint(args) -> int:
    t0 = time.perf_counter()
    photo, mask, out = Path(args.photo), Path(args.mask), Path(args.output)
    # the method and its options first: a wrong one is said at once, not after --force for an existing output
    name = args.method or _default_method()
    method, device = _make_method(name, args.device)
    pipeline = _pipeline(method, args, device)
    _check_output(out, [photo, mask], args.force)
    preview = Path(args.preview) if args.preview else None
    if preview is not None:
        _check_output(preview, [photo, mask], args.force, what="preview", outputs=[out])

    t_method = time.perf_counter()       # (a network's weights and torch are loaded by then)
    doc, hole = _load_inputs(args)
    t_loaded = time.perf_counter()
    from editor.pipeline import DEFAULT_DETAIL
    info = {"method": name, "hd": args.hd, "detail": args.detail if args.detail is not None else DEFAULT_DETAIL,
            "device": device, "width": doc.width, "height": doc.height,
            "hole_fraction": np.count_nonzero(hole) / hole.size, "output": str(out)}
    if hole.any():
        _check_hole(hole, mask, args.grow_mask, args.invert_mask)
    _alpha_note(out, doc.alpha)
    from editor.core.imageio import check_exif_fits
    check_exif_fits(out, doc.exif)      # before the work, not after it
    from editor.core.imageio import document_metadata
    saved = dict(**_save_quality(args.quality, photo, out), overwrite=True, **document_metadata(doc))
    preview_quality = _save_quality(args.quality, photo, preview) if preview is not None else {}
    # the preview is written as soon as it exists (to look at while the full resolution runs); if the run then
    # fails or is interrupted, _Outputs removes it again (and restores a file it replaced)
    with _Outputs() as outputs:
        if not hole.any():
            _note("mask is empty: nothing to fill; the photo is written unchanged" + _empty_mask_hint(mask))
            if preview is not None:
                import cv2

                from editor.pipeline import DEFAULT_LOWRES_SIZE
                from editor.pipeline.pipeline import lowres_size
                size = lowres_size(hole.shape, args.lowres_size or DEFAULT_LOWRES_SIZE)
                outputs.save(preview, cv2.resize(doc.image, size, interpolation=cv2.INTER_AREA),
                             **preview_quality, overwrite=True)
            t_save = time.perf_counter()
            _write_unchanged(outputs, doc, out, saved)
            t_end = time.perf_counter()
            info.update(seconds_load=t_loaded - t_method, seconds_preview=t_end - t0, seconds_pipeline=0.0,
                        seconds_save=t_end - t_save, seconds_total=t_end - t0, peak_rss_mb=peak_rss_mb())
            if args.json:
                _json_line(info)
            return 0

        def on_preview(lr: np.ndarray) -> None:
            if preview is not None:
                outputs.save(preview, lr, **preview_quality, overwrite=True)

        from editor.core.progress import Reporter
        bar = _Progress(f"{name} ({args.hd})")
        try:
            # in place: the photo's array is not needed afterwards, so the result is written into it (saves a
            # full-size copy); a failure leaves the photo's file untouched either way
            result = pipeline.run(doc.image, hole, reporter=Reporter(bar), on_preview=on_preview, in_place=True)
        finally:
            bar.close()
        t_run = time.perf_counter()
        outputs.save(out, result.image, **saved)
    t_end = time.perf_counter()
    info.update(hole_fraction=float(result.hole_fraction), seconds_load=t_loaded - t_method,
                seconds_preview=(t_loaded - t0) + float(result.seconds_preview),
                seconds_pipeline=float(result.seconds_total), seconds_save=t_end - t_run,
                seconds_total=t_end - t0, peak_rss_mb=peak_rss_mb())
    if args.json:
        _json_line(info)
    else:
        print(f"wrote {out} ({doc.width}x{doc.height}, {name}, --hd {args.hd}, hole {info['hole_fraction']:.1%}, "
              f"preview after {info['seconds_preview']:.2f} s, total {info['seconds_total']:.2f} s)")
    return 0


def _write_unchanged(outputs: _Outputs, doc, out: Path, saved: dict) -> None:
    """Write the photo of an empty mask: the file's own bytes when ``out`` has its format (a re-encode would
    change a JPEG's pixels), else the decoded photo in ``out``'s format."""
    from editor.core.imageio import atomic_output, format_for_path
    if doc.path is not None and doc.format is not None and doc.format == format_for_path(out):
        import shutil

        def copy(path: Path) -> None:
            with atomic_output(path) as tmp:
                shutil.copyfile(doc.path, tmp)
        outputs.write(out, copy)
        return
    outputs.save(out, doc.image, **saved)


def _grow(lo: np.ndarray, hi: np.ndarray, length: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Widen the ranges ``[lo, hi)`` (int64 (n,), px) to at least ``length`` px about their centres, shifted to
    stay within ``[0, limit)`` and never longer than ``limit``; each new range holds its old one."""
    length = np.minimum(np.maximum(length, hi - lo), limit)
    lo = np.clip(lo - (length - (hi - lo)) // 2, 0, limit - length)
    return lo, lo + length


def crop_boxes(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The compare crops around hole boxes: a margin per axis, then the short side padded (within the photo) so
    that a crop is at most :data:`MAX_TILE_ASPECT` times as long as it is wide.

    The margin on an axis is a quarter of the box's longer side, at least 32 px: the same on both axes for a
    box up to twice as long as it is wide, but never more than half the box's own extent on that axis (a
    10-px line 2000 px long gets 32 px above and below, not 500). Margins are clipped at the photo's edges.

    Args:
        boxes: Hole boxes, int (n, 4): x0, y0, x1, y1 in px (x1, y1 exclusive).
        shape: The photo's (H, W), px.

    Returns:
        Crop boxes, int64 (n, 4), x0, y0, x1, y1; each holds its hole box and lies within the photo.
    """
    h, w = shape
    x0, y0, x1, y1 = np.asarray(boxes, np.int64).reshape(-1, 4).T
    bw, bh = x1 - x0, y1 - y0
    long = np.maximum(bw, bh)
    mx = np.maximum(32, np.round(0.25 * np.minimum(long, 2 * bw))).astype(np.int64)
    my = np.maximum(32, np.round(0.25 * np.minimum(long, 2 * bh))).astype(np.int64)
    cx0, cx1 = np.maximum(0, x0 - mx), np.minimum(w, x1 + mx)
    cy0, cy1 = np.maximum(0, y0 - my), np.minimum(h, y1 + my)
    cy0, cy1 = _grow(cy0, cy1, -(-(cx1 - cx0) // MAX_TILE_ASPECT), h)
    cx0, cx1 = _grow(cx0, cx1, -(-(cy1 - cy0) // MAX_TILE_ASPECT), w)
    return np.stack([cx0, cy0, cx1, cy1], axis=1)


def hole_groups(hole: np.ndarray, max_rows: int | None = None) -> tuple[list[tuple[int, int, int, int]], int, float]:
    """Crops for a compare sheet, one per group of nearby holes (one row of the sheet each), largest first.

    Holes are 8-connected components. Two groups join when their crops (:func:`crop_boxes`) overlap, or when
    one crop around both is at most twice the area of their two crops together — four times when it would
    still be shown at full resolution (long side up to :data:`MAX_TILE`) — the cheapest join first. So holes
    close together share a crop as before, and far-apart ones (two specks in opposite corners, holes at both
    ends of a panorama) each get their own instead of one crop of the whole photo. Only the
    ``_MAX_HOLES`` largest holes (by box) take part in a mask of more specks than that.

    Args:
        hole: bool (H, W), True = hole; at least one hole pixel.
        max_rows: Most crops returned (:data:`MAX_ROWS` when None).

    Returns:
        ``(crops, groups, shown)``: up to ``max_rows`` crop boxes (x0, y0, x1, y1) px, the group with the
        most hole pixels first (equal ones top to bottom, then left to right); the number of groups in all;
        and the share (0-1) of the hole's pixels that lie in the crops returned.
    """
    import cv2
    max_rows = MAX_ROWS if max_rows is None else max_rows
    contours, _ = cv2.findContours(hole.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = np.array([cv2.boundingRect(c) for c in contours], np.int64).reshape(-1, 4)   # x, y, w, h
    boxes[:, 2:] += boxes[:, :2]
    if len(boxes) > _MAX_HOLES:
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        boxes = boxes[np.argsort(-area, kind="stable")[:_MAX_HOLES]]

    def crop_area(c: np.ndarray) -> np.ndarray:
        return (c[..., 2] - c[..., 0]) * (c[..., 3] - c[..., 1])

    while len(boxes) > 1:   # join the cheapest joinable pair, until none is left
        n = len(boxes)
        crops = crop_boxes(boxes, hole.shape)
        union = np.concatenate([np.minimum(boxes[:, None, :2], boxes[None, :, :2]),
                                np.maximum(boxes[:, None, 2:], boxes[None, :, 2:])], axis=2)   # n x n x 4
        joint = crop_boxes(union.reshape(-1, 4), hole.shape).reshape(n, n, 4)
        cost = crop_area(joint) / (crop_area(crops)[:, None] + crop_area(crops)[None, :])
        overlap = ((crops[:, None, 0] < crops[None, :, 2]) & (crops[None, :, 0] < crops[:, None, 2])
                   & (crops[:, None, 1] < crops[None, :, 3]) & (crops[None, :, 1] < crops[:, None, 3]))
        full_res = np.maximum(joint[..., 2] - joint[..., 0], joint[..., 3] - joint[..., 1]) <= MAX_TILE
        join = overlap | (cost <= np.where(full_res, 4.0, 2.0))
        np.fill_diagonal(join, False)
        if not join.any():
            break
        i, j = np.unravel_index(np.argmin(np.where(join, cost, np.inf)), join.shape)
        boxes[i] = union[i, j]
        boxes = np.delete(boxes, j, axis=0)
    pixels = np.array([np.count_nonzero(hole[y0:y1, x0:x1]) for x0, y0, x1, y1 in boxes])
    order = np.lexsort((boxes[:, 0], boxes[:, 1], -pixels))[:max_rows]   # the most pixels, then top to bottom
    crops = crop_boxes(boxes[order], hole.shape)
    shown = np.zeros(hole.shape, bool)
    for x0, y0, x1, y1 in crops:
        shown[y0:y1, x0:x1] = True
    share = np.count_nonzero(hole & shown) / np.count_nonzero(hole)
    return [tuple(int(v) for v in c) for c in crops], len(boxes), float(share)


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        return ImageFont.load_default()


def sheet_layout(tile_size: tuple[int, int]) -> tuple[int, int, int]:
    """``(gap, label_height, font_size)`` in px for tiles of ``(w, h)``: text grows with the tile (readable
    when the sheet is viewed scaled to a screen)."""
    font_size = max(16, round(max(tile_size) / 36))
    return max(8, font_size // 2), round(font_size * 1.9), font_size


def fit_label(label: str, width: float, measure) -> str:
    """``label`` shortened to fit ``width`` px, where ``measure(text)`` is the drawn width of ``text`` in px.

    A label is parts joined by " · ", the most important first (``"210x301 crop, at 100% · input, hole
    outlined"``, ``"patchmatch · resize · 0.4 s"``): whole parts are dropped from the end first, so the first
    part is kept whole as long as it fits; then the text is cut at its end, with "…".
    """
    parts = label.split(" · ")
    while len(parts) > 1 and measure(" · ".join(parts)) > width:
        parts.pop()
    text = " · ".join(parts)
    while len(text) > 4 and measure(text) > width:
        text = text[:-2].rstrip() + "…" if not text.endswith("…") else text[:-2] + "…"
    return text


def compose_sheet(tiles: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """Lay labelled tiles (uint8 (h, w, 3), all the same size) side by side on a dark sheet; a label too wide
    for its tile is shortened by :func:`fit_label`.

    Returns:
        uint8 (label_height + h + 2 * gap, n * w + (n + 1) * gap, 3), with ``gap, label_height`` from
        :func:`sheet_layout`.
    """
    from PIL import Image, ImageDraw
    th, tw = tiles[0][1].shape[:2]
    n = len(tiles)
    gap, label_height, font_size = sheet_layout((tw, th))
    sheet = Image.new("RGB", (n * tw + (n + 1) * gap, label_height + th + 2 * gap), (32, 32, 36))
    draw = ImageDraw.Draw(sheet)
    font = _font(font_size)
    for i, (label, tile) in enumerate(tiles):
        x = gap + i * (tw + gap)
        sheet.paste(Image.fromarray(tile), (x, gap + label_height))
        text = fit_label(label, tw, lambda t: draw.textlength(t, font=font))
        draw.text((x, gap + label_height // 2), text, fill=(235, 235, 235), font=font, anchor="lm")
    return np.asarray(sheet)


def stack_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Stack sheet rows (uint8 (h_i, w_i, 3), from :func:`compose_sheet`) top to bottom, left-aligned on the
    sheet's dark background.

    Returns:
        uint8 (sum of h_i, max of w_i, 3).
    """
    if len(rows) == 1:
        return rows[0]
    sheet = np.empty((sum(r.shape[0] for r in rows), max(r.shape[1] for r in rows), 3), np.uint8)
    sheet[:] = (32, 32, 36)
    y = 0
    for r in rows:
        sheet[y:y + r.shape[0], :r.shape[1]] = r
        y += r.shape[0]
    return sheet


def tile_hole(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A crop's hole mask at the tile's ``size`` (w, h) px: enlarged by nearest neighbour, reduced by area with
    every tile pixel that covers any hole pixel kept (a max-pool), so that a hole thinner than the reduction
    (a 9-px speck at 16 %, a scratch) keeps an unbroken outline instead of dashes or nothing.

    Args:
        hole: bool (h, w), the crop of the hole mask.
        size: The tile's (width, height), px.

    Returns:
        bool (size[1], size[0]).
    """
    import cv2
    h, w = hole.shape
    if (w, h) == tuple(size):
        return hole
    if size[0] > w:
        return cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    return cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0


def _cmd_compare(args) -> int:
    import cv2

    from editor.core.imageio import document_metadata
    from editor.core.masks import outline_hole

    t0 = time.perf_counter()
    photo, mask, out = Path(args.photo), Path(args.mask), Path(args.output)
    runs = _method_runs(args.methods, args.hd)   # (a wrong --methods is said before an existing output)
    methods = {name: _make_method(name, args.device) for _, name, _ in runs}
    for item, name, hd in runs:  # before any run: not after the others have been computed
        if hd == "full" and not methods[name][0].supports_full_resolution:
            raise UsageError(f"--methods {item}: {name} cannot run on the whole full-resolution photo "
                             f"(give it another --hd: {name}:crop or {name}:cra)")
    _check_output(out, [photo, mask], args.force, what="sheet")
    out_dir = Path(args.out_dir) if args.out_dir is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: --out-dir is a file, not a folder")
    from editor.core.formats import EXTENSION_FORMATS
    suffix = photo.suffix if photo.suffix.lower() in EXTENSION_FORMATS else ".png"
    full_outputs = {}
    for item, name, hd in runs:
        if out_dir is not None:
            p = out_dir / f"{photo.stem}.{name}.{hd}{suffix}"
            if out_dir.is_dir():                          # else it is created below, empty
                if same_file(p, out):
                    raise OutputError(f"{out}: the sheet and the --out-dir result of {item} are the same file; "
                                      f"give the sheet another name")
                _check_output(p, [photo, mask], args.force, what="--out-dir result")
            full_outputs[item] = p
    full_quality = _save_quality(args.quality, photo, photo.with_suffix(suffix))   # (all share the suffix)

    doc, hole = _load_inputs(args)
    if not hole.any():
        raise MaskError(f"{mask}: the mask is empty: there is nothing to compare")
    _check_hole(hole, mask, args.grow_mask, args.invert_mask)
    crops, groups, shown = hole_groups(hole)
    if groups > len(crops):
        _note(f"the holes lie in {groups} separate places: the sheet shows the {len(crops)} largest, one row "
              f"each ({shown:.0%} of the hole's pixels)")
    elif shown < 1.0:   # specks beyond the most that are grouped (hole_groups' _MAX_HOLES) lie outside the crops
        _note(f"the mask has more than {_MAX_HOLES} separate holes: the sheet shows {shown:.1%} of the hole's "
              f"pixels")
    rows = []   # per row: crop box, scale, tile size, "at ..." words
    for x0, y0, x1, y1 in crops:
        cw, ch = x1 - x0, y1 - y0
        # large crops are scaled down to MAX_TILE; small ones enlarged by a whole factor (pixel blocks)
        scale = min(1.0, MAX_TILE / max(cw, ch)) if max(cw, ch) >= MIN_TILE else float(-(-MIN_TILE // max(cw, ch)))
        tsize = (max(1, round(cw * scale)), max(1, round(ch * scale)))
        at = "at 100%" if scale == 1.0 else f"scaled to {scale:.0%}" if scale < 1 else f"shown at {scale:.0%}"
        rows.append(((x0, y0, x1, y1), scale, tsize, at))

    def tiles_of(img: np.ndarray) -> list[np.ndarray]:
        """The crop of ``img`` for each row, at its tile size."""
        tiles = []
        for (x0, y0, x1, y1), scale, tsize, _ in rows:
            crop = img[y0:y1, x0:x1]
            tiles.append(crop if scale == 1.0 else
                         cv2.resize(crop, tsize, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST))
        return tiles

    sheet_rows: list[list[tuple[str, np.ndarray]]] = []
    for ((x0, y0, x1, y1), scale, tsize, at), tile in zip(rows, tiles_of(doc.image)):
        where = f" · at x {x0}, y {y0}" if len(rows) > 1 else ""
        label = f"{x1 - x0}x{y1 - y0} crop, {at}{where} · input, hole outlined"
        width = max(2, round(max(tile.shape[:2]) / 400))
        sheet_rows.append([(label, outline_hole(tile, tile_hole(hole[y0:y1, x0:x1], tsize), width))])
    report = []
    from editor.core.progress import Reporter
    with _Outputs() as outputs:                           # all files or none
        if out_dir is not None:
            outputs.make_folder(out_dir)
            _alpha_note(next(iter(full_outputs.values())), doc.alpha)
        for item, name, hd in runs:
            method, device = methods[name]
            args.hd = hd
            bar = _Progress(f"{name} ({hd})")
            try:
                res = _pipeline(method, args, device).run(doc.image, hole, reporter=Reporter(bar))
            finally:
                bar.close()
            detail = f" detail {args.detail:g}" if hd == "cra" and args.detail is not None else ""
            from editor.core.progress import seconds_text
            for row, tile in zip(sheet_rows, tiles_of(res.image)):
                row.append((f"{name} · {hd}{detail} · {seconds_text(res.seconds_total)}", tile))
            report.append({"method": name, "hd": hd, "seconds_preview": float(res.seconds_preview),
                           "seconds_total": float(res.seconds_total)})
            if item in full_outputs:
                outputs.save(full_outputs[item], res.image, **full_quality, overwrite=True,
                             **document_metadata(doc))
                report[-1]["output"] = str(full_outputs[item])
            del res
        sheet = stack_rows([compose_sheet(row) for row in sheet_rows])
        outputs.save(out, sheet, icc=doc.icc, overwrite=True,   # the tiles are in the photo's colours
                     **_save_quality(args.quality, photo, out))
    info = {"sheet": str(out), "width": doc.width, "height": doc.height,
            "hole_fraction": np.count_nonzero(hole) / hole.size, "crop": list(rows[0][0]), "tile_scale": rows[0][1],
            "rows": [{"crop": list(box), "tile_scale": scale} for box, scale, _, _ in rows], "hole_groups": groups,
            "sheet_size": [sheet.shape[1], sheet.shape[0]], "runs": report,
            "seconds_total": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}
    if args.json:
        _json_line(info)
    else:
        crops_said = "; ".join(f"crop {x1 - x0}x{y1 - y0}, {at}" for (x0, y0, x1, y1), _, _, at in rows)
        print(f"wrote {out} ({len(runs)} method{'s' if len(runs) != 1 else ''}, "
              + (f"{len(rows)} rows: " if len(rows) > 1 else "") + f"{crops_said})")
        for r in report:
            print(f"  {r['method']:16s} --hd {r['hd']:7s} {r['seconds_total']:6.2f} s"
                  + (f"  -> {r['output']}" if "output" in r else ""))
    return 0


def _cmd_methods(args) -> int:
    from editor.methods import create_method, default_method_name, list_methods
    default = default_method_name()
    rows = []
    for name in list_methods():
        try:
            info = create_method(name).info()
        except Exception as exc:  # noqa: BLE001 - a broken method is listed as unavailable, not a crash
            info = {"name": name, "kind": "unknown", "available": False, "reason": f"{type(exc).__name__}: {exc}",
                    "parameters": None, "description": ""}
        info["default"] = name == default
        rows.append(info)
    if args.json:
        _json_line({"default": default, "methods": rows})
        return 0
    for r in rows:
        flags = ("default" if r["default"] else "") + ("" if r["available"] else " unavailable")
        params = f", {r['parameters'] / 1e6:.2f} M parameters" if r.get("parameters") else ""
        print(f"{r['name']:16s} {r['kind']:9s} {flags.strip():12s} {r['description']}{params}")
        if not r["available"]:
            print(f"{'':16s} {'':9s} {'':12s} ({r['reason']})")
        elif r.get("weights"):
            print(f"{'':16s} {'':9s} {'':12s} (weights: {r['weights']})")
    return 0


def _cmd_evaluate(args) -> int:
    import shutil
    import tempfile

    from editor.evaluation.evaluate import evaluate, format_table, generated_mask_names
    from editor.methods import create_method
    runs = _method_runs(args.methods, args.hd)
    items, names = [item for item, _, _ in runs], [name for _, name, _ in runs]
    for name in names:  # fail fast (unknown / unavailable) before any image is read
        create_method(name).require_available()
    device = "cpu"
    if any(create_method(n).kind == "network" for n in names):
        device = resolve_device(args.device)
    if args.masks is not None and args.masks_out:
        raise UsageError("--masks-out saves generated masks, and with --masks none are generated: leave one out")
    if args.masks is not None and Path(args.masks).resolve() == Path(args.images).resolve():
        raise UsageError(f"--masks {args.masks}: is the --images folder (its photos would be read as masks): "
                         f"give the folder of the masks")
    generator_flags = [flag for flag, value in (("--mask-kind", args.mask_kind), ("--seed", args.seed),
                                                ("--templates", args.templates)) if value is not None]
    if args.masks is not None and generator_flags:
        one = len(generator_flags) == 1
        raise UsageError(f"{', '.join(generator_flags)} {'is' if one else 'are'} for generated masks, and --masks "
                         f"replays the given ones as they are: leave {'it' if one else 'them'} out")
    if args.invert_mask and args.masks is None:
        raise UsageError("--invert-mask is for given masks (--masks DIR): generated masks are already white = hole")
    mask_kind = args.mask_kind or "both"
    seed = 0 if args.seed is None else args.seed
    if args.templates is not None and (why := not_a_folder(args.templates)):
        raise UsageError(f"--templates {args.templates}: {why}")
    final = Path(args.masks_out) if args.masks_out else None
    if final is not None and args.templates is not None and final.resolve() == Path(args.templates).resolve():
        raise UsageError(f"--masks-out {final}: is the --templates folder (its masks would become templates and "
                         f"change later seeded masks): choose another folder")
    if final is not None:
        if final.exists() and not final.is_dir():
            raise UsageError(f"--masks-out {final}: is a file, not a folder")
        if final.resolve() == Path(args.images).resolve():
            raise UsageError(f"--masks-out {final}: is the --images folder (its masks would be read as photos "
                             f"next time): choose another folder")
        old = generated_mask_names(final)
        if old and not args.force:
            raise UsageError(f"--masks-out {final}: already holds {len(old)} generated masks: replay them with "
                             f"--masks {final}, choose a new folder, or add --force to replace them")
    if sys.stderr.isatty():
        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)
    else:
        progress = None
    with _Outputs() as outputs:
        staging = None
        if args.masks is None:  # generated masks go to a staging folder, moved into --masks-out only on success
            if final is not None:
                outputs.make_folder(final)
            parent = final if final is not None else Path(tempfile.gettempdir())
            try:
                staging = Path(tempfile.mkdtemp(prefix=".inpaint-eval-masks-" if final else "inpaint-eval-masks-",
                                                dir=parent))
            except OSError as exc:
                raise OutputError(f"{parent}: cannot write the masks there ({exc.strerror or exc})") from None
        try:
            ev = evaluate(args.images, items, masks_dir=args.masks, mask_kind=mask_kind, size=args.size,
                          hd=args.hd, seed=seed, limit=args.limit, masks_out=staging, templates=args.templates,
                          invert_masks=args.invert_mask, lowres_size=args.lowres_size, dilate=args.dilate,
                          detail=args.detail, device=device, max_pixels=args.max_pixels, progress=progress)
            if not ev.scores:
                why = "; ".join(ev.why_skipped()[:3])
                more = f"; and {len(ev.skipped) - 3} more" if len(ev.skipped) > 3 else ""
                failed = any(reason == "error" for _, _, reason in ev.skipped)
                said = "no image could be evaluated" if failed else "no image had a usable mask: nothing was evaluated"
                raise MaskError(said + (f" ({why}{more})" if why else ""))
            if final is not None:
                new = {m.name for m in staging.iterdir()}
                for name in sorted(new):
                    outputs.write(final / name, lambda path, name=name: os.replace(staging / name, path))
                for stale in generated_mask_names(final):  # --force: masks of an earlier run, not of this one
                    if stale.name not in new:
                        outputs.write(stale, lambda path: path.unlink())
                ev.masks_dir = final
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        if staging is not None:   # emptied into --masks-out, or a temp folder of masks nobody asked to keep
            shutil.rmtree(staging, ignore_errors=True)
        if args.masks is None and final is None:
            ev.masks_dir = None
    for line in ev.why_skipped():
        _note(f"skipped {line}")
    _small_photos_note(ev, args.size)
    if ev.rescaled:
        first = ", ".join(ev.rescaled[:2]) + (f" and {len(ev.rescaled) - 2} more" if len(ev.rescaled) > 2 else "")
        _note(f"{first}: not at the evaluated size, scaled to it (nearest): the scores differ from the run that "
              f"made {'them' if len(ev.rescaled) > 1 else 'it'} at another --size")
    if ev.masks_dir is not None and args.masks is None:
        failed = sorted({image for image, _, reason in ev.skipped if reason == "error"})
        unmasked = (f"; {', '.join(failed)} could not be read and {'have' if len(failed) > 1 else 'has'} no masks "
                    f"there: move {'them' if len(failed) > 1 else 'it'} out of --images to replay") if failed else ""
        _note(f"masks saved to {ev.masks_dir} (replay with --masks {ev.masks_dir}{unmasked})")
    elif args.masks is None:
        _note("the generated masks were not kept: add --masks-out DIR to save them (replay with --masks DIR)")
    if args.json:
        _json_line(ev.to_json())
    else:
        print(format_table(ev))
    return 0


def _small_photos_note(ev, size: int) -> None:
    """Say which photos were evaluated at their own size because their long side is below ``--size`` (photos
    are reduced to it, never enlarged), so that the scores of a large ``--size`` are not taken for its."""
    sides = {s.image: max(s.width, s.height) for s in ev.scores}
    small = sorted(side for side in sides.values() if side < size)
    if not small:
        return
    n, k = len(sides), len(small)
    which = ("the photo is" if n == 1 else f"all {n} photos are" if k == n else f"1 of {n} photos is" if k == 1
             else f"{k} of {n} photos are")
    sides_said = f"{small[0]} px" if small[0] == small[-1] else f"{small[0]}-{small[-1]} px"
    _note(f"{which} smaller than --size {size} and evaluated at {'its' if k == 1 else 'their'} own "
          f"size (long side {sides_said}; photos are never enlarged)")


def _cmd_open(args) -> int:
    if sys.platform.startswith("linux") and not any(
            os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        # Qt would abort the process (not an exception) without a display: say it in one line instead
        raise UsageError("no display found (DISPLAY / WAYLAND_DISPLAY are not set): the editor needs a desktop "
                         f"session; the headless commands work without one (see '{PROG} --help')")
    try:
        from editor.ui.app import run_editor
    except Exception as exc:  # noqa: BLE001 - Qt missing or broken: say so in one line
        _err(f"the editor could not start ({type(exc).__name__}: {exc}); the headless commands still work "
             f"(see '{PROG} --help')")
        return 1
    return int(run_editor(photo=getattr(args, "photo", None), mask=getattr(args, "mask", None),
                          invert_mask=getattr(args, "invert_mask", False)) or 0)


# --------------------------------------------------------------------------------------------- parser
def _add_pipeline_flags(p: argparse.ArgumentParser, written: str) -> None:
    """The flags ``inpaint`` and ``compare`` share; ``written`` names the files ``--quality`` applies to."""
    p.add_argument("--hd", choices=HD_CHOICES, default="cra",
                   help="how the low-res fill reaches full resolution: cra (contextual residual aggregation, "
                        "default), resize (plain upsample), crop (hole boxes at native size: slower, up to tens "
                        "of seconds), full (whole photo at native size: slowest; not for cra)")
    p.add_argument("--lowres-size", type=_lowres, metavar="N",
                   help="long side of the low-res stage, px (512; at least 16); a panorama longer than 4:1 keeps "
                        "a short side of N/4 instead, its long side up to 6N (the method's work grows with N²)")
    p.add_argument("--grow-mask", type=_non_negative, default=0, metavar="PX",
                   help="grow the hole by PX px before filling (a tight mask leaves the object's outline)")
    p.add_argument("--dilate", type=_non_negative, metavar="PX",
                   help="grow the hole of the low-res stage by PX low-res px (3); the full-resolution hole, which "
                        "is all that changes, stays as given (see --grow-mask)")
    p.add_argument("--detail", type=_unit, metavar="D",
                   help="--hd cra detail strength 0-1 (1): lower is softer, and closer to the photo in PSNR")
    p.add_argument("--invert-mask", action="store_true", help="the mask is black = hole (e.g. HiFill's masks)")
    p.add_argument("--resize-mask", action="store_true", help="scale a mask of another size to the photo (nearest)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="device for network methods (auto)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")
    p.add_argument("--quality", type=_quality, default=95, metavar="Q",
                   help=f"JPEG/WebP quality 1-100 of {written} (95, JPEG with 4:4:4 chroma), or 'keep': a JPEG "
                        f"photo's own quality and chroma subsampling (estimated, as the editor saves)")
    p.add_argument("--max-pixels", type=_positive, metavar="N",
                   help="largest photo accepted, width x height (default: Pillow's ~89.5 MP bomb limit)")


def _number(text: str, cast, low: float, high: float | None, expected: str):
    """``cast(text)`` within ``[low, high]``, else an argparse error saying ``expected``."""
    try:
        v = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'") from None
    if not (v >= low and (high is None or v <= high)):   # written so that NaN is refused too
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return v


def _name(text: str) -> str:
    """A file or folder name: an empty one (``-o ""``, a variable that was not set) is an argparse error, not
    the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the name is empty")
    return text


def _positive(text: str) -> int:
    return _number(text, int, 1, None, "a positive whole number")


def _lowres(text: str) -> int:
    # 16: editor.pipeline.pipeline.MIN_LOWRES_SIZE (not imported here: parsing stays free of numpy / OpenCV)
    return _number(text, int, 16, None, "a whole number of px, 16 or more")


def _eval_size(text: str) -> int:
    return _number(text, int, MIN_EVAL_SIZE, None, f"a whole number of px, {MIN_EVAL_SIZE} or more")


def _non_negative(text: str) -> int:
    return _number(text, int, 0, None, "a whole number, 0 or more")


def _unit(text: str) -> float:
    return _number(text, float, 0.0, 1.0, "a number from 0 to 1")


def _quality(text: str) -> int | str:
    if text.strip().lower() == "keep":
        return "keep"
    return _number(text, int, 1, 100, "a quality from 1 to 100, or 'keep'")


def _save_quality(quality: int | str, photo: Path, out: Path) -> dict:
    """``save_image`` keywords for ``--quality``: the number, or for ``keep`` a JPEG photo's own quality and
    chroma subsampling when ``out`` is a JPEG (estimated from its quantisation tables, as the editor saves a
    JPEG; 95 and 4:4:4 otherwise)."""
    if quality != "keep":
        return {"quality": quality}
    from editor.core.imageio import format_for_path
    from editor.core.jpeg_quality import jpeg_settings
    own = jpeg_settings(photo) if format_for_path(out) == "JPEG" else None
    return {"quality": own[0], "subsampling": own[1]} if own else {"quality": 95}


def build_parser() -> argparse.ArgumentParser:
    from editor import __version__
    p = _Parser(prog=PROG, description="Remove objects from full-resolution photos (CRA/HiFill inpainting). "
                "Without a command, opens the editor.")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    p.add_argument("--models-dir", metavar="DIR", help="folder of network weights (sets INPAINT_STUDIO_MODELS)")
    p.add_argument("--self-test", action="store_true",
                   help="inpaint a bundled sample with every method, check only the hole changed; exit 0 if all pass")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    o = sub.add_parser("open", help="open the editor on a photo",
                       description="Open the editor (the desktop window) on PHOTO, with its hole mask if given; "
                                   "without PHOTO, an empty window. Needs a desktop session (a display).")
    o.add_argument("photo", metavar="PHOTO", nargs="?", help="photo to open (none: an empty window)")
    o.add_argument("--mask", metavar="M", help="hole mask to load with it (white = hole)")
    o.add_argument("--invert-mask", action="store_true", help="the mask is black = hole (e.g. HiFill's masks)")

    i = sub.add_parser("inpaint", help="fill the hole of a photo at full resolution",
                       description="Fill the hole (white = hole in MASK) of PHOTO and write OUT; only the hole changes.")
    i.add_argument("photo", metavar="PHOTO")
    i.add_argument("mask", metavar="MASK")
    i.add_argument("-o", "--output", type=_name, metavar="OUT", required=True, help="output file; format from its extension")
    from editor.methods import default_method_name
    i.add_argument("--method", metavar="M",
                   help=f"inpainting method (see 'methods'; default: {default_method_name()})")
    i.add_argument("--preview", type=_name, metavar="PATH", help="also write the low-res preview (as soon as it exists)")
    _add_pipeline_flags(i, "OUT and --preview")

    c = sub.add_parser("compare", help="side-by-side sheet of several methods around the hole",
                       description="Run several methods on the same photo and mask; write a labelled sheet of the "
                                   "input (hole outlined) and each result, cropped around the hole: one row per "
                                   f"group of nearby holes (the {MAX_ROWS} largest), a crop shorter than {MIN_TILE} px "
                                   f"enlarged by whole pixels, one longer than {MAX_TILE} px scaled down (each "
                                   "label says which). --out-dir keeps the full-resolution results.")
    c.add_argument("photo", metavar="PHOTO")
    c.add_argument("mask", metavar="MASK")
    c.add_argument("-o", "--output", type=_name, metavar="SHEET.png", required=True, help="the sheet image")
    c.add_argument("--methods", required=True, metavar="a,b,c",
                   help="comma-separated methods; METHOD:HD overrides --hd for one entry (e.g. patchmatch:resize)")
    c.add_argument("--out-dir", type=_name, metavar="DIR", help="also keep each full-resolution result in DIR (created if missing)")
    _add_pipeline_flags(c, "the sheet and the --out-dir results")

    m = sub.add_parser("methods", help="list the inpainting methods",
                       description="List the inpainting methods: name, kind (classical or network), whether it is "
                                   "the default and available here (and why not), and what it does.")
    m.add_argument("--json", action="store_true", help="print one JSON object")

    e = sub.add_parser("evaluate", help="in-hole PSNR / SSIM / L1 of methods on a folder of photos",
                       description="Inpaint photos under seeded synthetic (or given) hole masks and score the fill "
                                   "against the photo: in-hole PSNR, SSIM, L1 and seconds per method.")
    e.add_argument("--images", required=True, metavar="DIR", help="folder of photos (the ground truth)")
    e.add_argument("--masks", metavar="DIR", help="given masks, matched by file stem (STEM.png or STEM.KIND.png), "
                                                 "instead of generated ones")
    e.add_argument("--mask-kind", choices=("free-form", "object", "both"),
                   help="generated masks: free-form strokes, object templates, or both (default); not with --masks")
    e.add_argument("--size", type=_eval_size, default=1024, metavar="N",
                   help=f"long side the photos are reduced to, px (1024; at least {MIN_EVAL_SIZE}); a smaller photo "
                        f"is evaluated at its own size (never enlarged), and a note says so")
    e.add_argument("--methods", required=True, metavar="a,b",
                   help="comma-separated methods; METHOD:HD overrides --hd for one entry (e.g. telea:resize)")
    e.add_argument("--hd", choices=HD_CHOICES, default="cra", help="HD strategy (cra)")
    e.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")
    e.add_argument("--limit", type=_positive, metavar="N", help="only the first N images")
    e.add_argument("--seed", type=_non_negative, metavar="S", help="seed of the mask generators (0); not with --masks")
    e.add_argument("--masks-out", type=_name, metavar="DIR",
                   help="save the generated masks in DIR (created), to replay the run with --masks DIR; without it "
                        "they are made in a temp folder that is removed at the end")
    e.add_argument("--templates", metavar="DIR",
                   help="object-shape templates (default: $INPAINT_STUDIO_SHARED_DATA/mask-templates, else "
                        "../shared/data/mask-templates, when present); not with --masks")
    e.add_argument("--invert-mask", action="store_true", help="the --masks files are black = hole")
    e.add_argument("--lowres-size", type=_lowres, metavar="N", help="long side of the low-res stage, px (at least 16; a panorama "
                   "longer than 4:1 keeps a short side of N/4, its long side up to 6N)")
    e.add_argument("--dilate", type=_non_negative, metavar="PX", help="grow the low-res hole by PX px")
    e.add_argument("--detail", type=_unit, metavar="D", help="--hd cra detail strength 0-1 (1)")
    e.add_argument("--device", choices=DEVICES, default="auto", help="device for network methods (auto)")
    e.add_argument("--max-pixels", type=_positive, metavar="N", help="largest photo accepted (width x height)")
    e.add_argument("--force", action="store_true",
                   help="empty --masks-out of its generated masks (all of them, also those this run does not make "
                        "again) and save this run's")

    for command in (o, i, c, m, e):  # the global flag is accepted after the command name too
        command.add_argument("--models-dir", dest="command_models_dir", metavar="DIR",
                             help="folder of network weights (sets INPAINT_STUDIO_MODELS)")
    import importlib.util
    training = importlib.util.find_spec("editor.training") is not None   # (the desktop bundle leaves it out)
    sub.add_parser("train", add_help=False,
                   help="train a network (see 'train --help')" if training else
                   "train a network: needs a source install (pip install -e .), not part of the desktop app")
    return p


def _split_globals(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take ``--models-dir DIR`` / ``--models-dir=DIR`` off the front of argv (before the command)."""
    models, rest, i = None, [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--models-dir" and not rest:
            if i + 1 >= len(argv):
                raise UsageError("--models-dir needs a folder")
            models, i = argv[i + 1], i + 2
            continue
        if a.startswith("--models-dir=") and not rest:
            models, i = a.split("=", 1)[1], i + 1
            continue
        rest = argv[i:]
        break
    return models, rest


def _use_models_dir(models: str) -> None:
    """``--models-dir``: the folder network weights are read from (``INPAINT_STUDIO_MODELS``)."""
    why = not_a_folder(models)
    if why:
        raise UsageError(f"--models-dir {models}: {why}")
    os.environ["INPAINT_STUDIO_MODELS"] = str(Path(models).resolve())


def _run(argv: list[str]) -> int:
    models, rest = _split_globals(argv)
    if models is not None:
        _use_models_dir(models)
    if not rest:
        return _cmd_open(argparse.Namespace(photo=None, mask=None))
    if rest[0] == "train":
        try:
            from editor.training.cli import train_main
        except ModuleNotFoundError as exc:  # the desktop bundle leaves training out
            if exc.name is None or not exc.name.startswith("editor.training"):
                raise
            raise UsageError("training is not part of the desktop app: install from source "
                             "(pip install -e .) to use 'inpaint-studio train'") from None
        return int(train_main(rest[1:]) or 0)
    parser = build_parser()
    args, extra = parser.parse_known_args(rest)
    if extra:  # named against the help that lists the options where it was given
        command = getattr(args, "command", None)
        after = command is not None and command in rest and rest.index(command) < rest.index(extra[0])
        where = f"{PROG} {command}" if after else PROG
        raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see '{where} --help')")
    models = getattr(args, "command_models_dir", None) or args.models_dir  # after the command, or other flags
    if models is not None:
        _use_models_dir(models)
    if args.self_test:
        from editor.selftest import run_self_test
        return int(run_self_test() or 0)
    command = {"open": _cmd_open, "inpaint": _cmd_inpaint, "compare": _cmd_compare, "methods": _cmd_methods,
               "evaluate": _cmd_evaluate}.get(args.command)
    if command is None:
        return _cmd_open(argparse.Namespace(photo=None, mask=None))
    if command in (_cmd_inpaint, _cmd_compare, _cmd_evaluate):
        _terminate_like_ctrl_c()
    return command(args)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``) raised in the main thread: it unwinds like Ctrl+C and ends with exit code
    143 (128 + 15, the shell's code for a terminated process) instead of 130."""


def _terminate_like_ctrl_c():
    """SIGTERM (``kill``, ``timeout``) unwinds like Ctrl+C (:class:`Terminated`), so that files written so far
    are removed again. Returns the handler it replaced (None when it installed none: not the main thread, no
    SIGTERM here).

    Only for the headless commands: the editor keeps the default handler (Qt's loop would delay a Python one)."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return None

    def handler(signum, frame):
        raise Terminated
    return signal.signal(signal.SIGTERM, handler)


def _interrupted(exc: BaseException) -> int:
    """One line on stderr for an interrupted run; its exit code: 143 for SIGTERM, else 130 (Ctrl+C)."""
    terminated = isinstance(exc, Terminated)
    print(f"{'terminated' if terminated else 'interrupted'}: nothing was written", file=sys.stderr, flush=True)
    return 143 if terminated else 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``inpaint-studio`` and ``python -m editor``; returns the exit code.

    0 success, 1 an internal failure (one line), 2 a user error (one line ``error: ...``), 130 interrupted
    (Ctrl+C), 143 terminated (SIGTERM).
    Called as the program (``argv`` None), a process that was interrupted during a native call (a cancelled
    PatchMatch / OpenCV fill still running, :func:`editor.core.progress.abandoned_calls_running`) ends here with
    ``os._exit`` once its output is flushed: the interpreter's normal exit would tear the native library down
    under the running call and abort the process (exit -6 instead of 130).
    """
    code = _main(list(sys.argv[1:]) if argv is None else list(argv))
    if argv is None:
        from editor.core.progress import abandoned_calls_running
        if abandoned_calls_running():
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)
    return code


def _main(argv: list[str]) -> int:
    try:
        return _run(argv)
    except UsageError as exc:
        _err(str(exc))
        return 2
    except SystemExit as exc:  # --help, --version (argparse), or a subcommand calling sys.exit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except InpaintError as exc:
        _err(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return 2
    except MemoryError as exc:
        _err(f"not enough memory: {exc}" if str(exc) else
             "not enough memory for this photo (try --hd resize, a smaller --lowres-size, or close other programs)")
        return 2
    except BrokenPipeError:  # stdout closed early (e.g. piped into `head`): the work is done, stay quiet
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except (KeyboardInterrupt, Cancelled) as exc:
        return _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user; INPAINT_STUDIO_DEBUG=1 shows it
        if os.environ.get("INPAINT_STUDIO_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        _err(f"internal error: {type(exc).__name__}: {first} (set INPAINT_STUDIO_DEBUG=1 for details)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
