"""The photo being edited: pixels, hole mask and the metadata that must survive a save.

A :class:`Document` is what :func:`editor.core.imageio.load_image` returns and
:func:`editor.core.imageio.save_document` writes. Colour order, dtype, EXIF orientation and the
mask convention are settled at load time (see :mod:`editor.core.imageio`); inside the program the
arrays are trusted as they are: RGB ``uint8 (H, W, 3)`` and a ``bool (H, W)`` hole mask
(True = hole, the pixels to fill).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Document:
    """A photo with its hole mask and metadata.

    Attributes:
        image: RGB pixels, uint8 (H, W, 3), C-contiguous, already in display orientation
            (EXIF orientation applied).
        hole_mask: bool (H, W); True = hole (to fill), False = known region. Defaults to all False.
        alpha: The photo's own transparency, uint8 (H, W) (255 = opaque), or None. It is not
            inpainted; it is re-attached on save when the output format supports it.
        exif: Raw EXIF block (as Pillow reads and writes it), orientation tag reset to 1, or None.
        icc: ICC colour profile (raw bytes) of the source's pixels, or None (sRGB assumed): an RGB profile, or
            for a ``grayscale`` document a GRAY one (``save_image`` writes a profile only onto pixels of its
            colour space).
        dpi: (x, y) resolution in dots per inch, in display orientation, or None.
        path: The file it was loaded from, or None.
        format: Pillow's format name of the source file (e.g. "JPEG", "PNG"), or None.
        source_mode: Pillow's mode of the source file before conversion (e.g. "RGB", "CMYK", "I;16").
        grayscale: The source file was grayscale (``source_mode`` 1, L, LA, I;16…, I or F): ``image`` holds
            R = G = B, and it is written back as an 8-bit grayscale file (where the format has one).
        webp_lossless: The source was a lossless WebP: a WebP written from it is lossless too.
        tiff_compression: The source TIFF's compression (Pillow's name, e.g. "tiff_lzw"), or None: a TIFF
            written from it uses the same one when it is lossless.
    """

    image: np.ndarray
    hole_mask: np.ndarray | None = None
    alpha: np.ndarray | None = None
    exif: bytes | None = None
    icc: bytes | None = None
    dpi: tuple[float, float] | None = None
    path: Path | None = None
    format: str | None = None
    source_mode: str = "RGB"
    grayscale: bool = False
    webp_lossless: bool = False
    tiff_compression: str | None = None

    def __post_init__(self) -> None:
        image = self.image
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"Document.image must be uint8 (H, W, 3), got {_describe(image)}")
        h, w = image.shape[:2]
        if self.hole_mask is None:
            self.hole_mask = np.zeros((h, w), dtype=bool)
        elif self.hole_mask.dtype != bool or self.hole_mask.shape != (h, w):
            raise ValueError(f"Document.hole_mask must be bool ({h}, {w}), got {_describe(self.hole_mask)}")
        if self.alpha is not None and (self.alpha.dtype != np.uint8 or self.alpha.shape != (h, w)):
            raise ValueError(f"Document.alpha must be uint8 ({h}, {w}) or None, got {_describe(self.alpha)}")
        if self.path is not None and not isinstance(self.path, Path):
            self.path = Path(self.path)
        if self.dpi is not None:
            self.dpi = (float(self.dpi[0]), float(self.dpi[1]))

    @property
    def width(self) -> int:
        """Width W in pixels (display orientation)."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height H in pixels (display orientation)."""
        return int(self.image.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(W, H) in pixels, Pillow's order."""
        return self.width, self.height

    def copy(self) -> Document:
        """An independent copy: arrays are copied, metadata (immutable bytes/tuples) shared."""
        return dataclasses.replace(
            self,
            image=self.image.copy(),
            hole_mask=self.hole_mask.copy(),
            alpha=None if self.alpha is None else self.alpha.copy(),
        )


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"{a.dtype} {a.shape}"
    return type(a).__name__
