"""Hole-mask files that keep a soft brush's edge: the editor's coverage (uint8 (H, W), 255 = hole, grey = the
partly covered edge of a soft stroke) is written as an 8-bit grey PNG and read back with its grey levels, as GIMP
and Krita keep a mask's grey.

Which pixels are hole is core's rule for mask files (:func:`editor.core.imageio.load_mask`: value >= 128 = hole),
so the CLI reading an exported mask fills those pixels. A lossless 8-bit grey file (PNG, TIFF, BMP) adds only the
soft edge: the hole's pixels keep their value as coverage, and darker non-zero pixels joined to the hole
(8-connected) are its outer edge (coverage 1..127, blended into the fill at that alpha). Grey specks apart from any
hole pixel stay known region, and lossy (JPEG, WebP) or colour masks are read as hard masks: their noise is no
edge. A mask exported by the editor therefore imports exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["SOFT_MASK_FORMATS", "save_coverage", "soft_coverage"]

#: Formats whose 8-bit grey levels are read as a soft edge (lossless).
SOFT_MASK_FORMATS = ("PNG", "TIFF", "BMP")
_ORIENTATION = 0x0112


def save_coverage(path: str | Path, coverage: np.ndarray) -> None:
    """Write the coverage as an 8-bit grey PNG (255 white = hole, grey = soft edge, 0 = known). Atomic.

    Args:
        path: Output file; must end in .png.
        coverage: uint8 (H, W).

    Raises:
        OutputError: not a .png name, unwritable folder or failed write.
    """
    from PIL import Image

    from editor.core.errors import OutputError
    from editor.core.imageio import atomic_output
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise OutputError(f"{path}: masks are saved as PNG; use a .png file name")
    if coverage.ndim != 2 or coverage.dtype != np.uint8:
        raise ValueError(f"save_coverage needs a uint8 (H, W) coverage, got {coverage.dtype} {coverage.shape}")
    img = Image.fromarray(np.ascontiguousarray(coverage), "L")
    with atomic_output(path) as tmp:
        img.save(tmp, format="PNG", compress_level=6)


def _grey_levels(path: Path) -> np.ndarray | None:
    """The file's values, uint8 (H, W), when it is a lossless 8-bit grey image stored upright; else None."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            if img.format not in SOFT_MASK_FORMATS or img.mode != "L":
                return None
            if img.getexif().get(_ORIENTATION, 1) not in (0, 1):
                return None
            return np.asarray(img)
    except Exception:  # noqa: BLE001 - core read it a moment ago; without its levels it is simply hard
        return None


def soft_coverage(path: str | Path, hole: np.ndarray, invert: bool = False) -> np.ndarray:
    """The coverage a mask file gives: ``hole`` (read by core's ``load_mask``) at 255, or where the file is a
    lossless 8-bit grey image of the same size, its grey levels (see the module's docstring).

    Args:
        path: The mask file ``hole`` was read from.
        hole: bool (H, W), True = hole (``load_mask(path, ..., invert=invert)``, not resized).
        invert: The file is black = hole: its levels are taken as ``255 - value``.

    Returns:
        uint8 (H, W): 0 = known, 1..254 = soft edge, 255 = hole; non-zero exactly on ``hole`` and the grey
        pixels joined to it.
    """
    hard = hole.view(np.uint8) * np.uint8(255)
    levels = _grey_levels(Path(path))
    if levels is None or levels.shape != hole.shape:
        return hard
    if invert:
        levels = 255 - levels
    if not ((levels > 0) & (levels < 255)).any():
        return hard
    if not np.array_equal(levels >= 128, hole):  # (not the file core read: keep core's reading)
        return hard
    import cv2
    touched = (levels > 0).view(np.uint8)
    count, labels = cv2.connectedComponents(touched, connectivity=8)
    joined = np.zeros(count, bool)
    joined[labels[hole]] = True
    joined[0] = False  # (label 0 is the known region)
    return np.where(joined[labels], levels, np.uint8(0))
