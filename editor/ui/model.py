"""The editor's document model: the photo, its hole-mask coverage, and change notifications. No widgets here.

Mask representation (a decision, see README "Editor"): the editor keeps a ``uint8 (H, W)`` *coverage*
(0 = known region, 255 = fully hole) so that a soft brush (hardness < 100 %) is meaningful. The pipeline
gets the Document contract's bool mask ``coverage > 0`` (every touched pixel is filled), and the result is
blended back with ``coverage / 255`` as alpha; at hardness 100 % coverage is 0/255 and the applied result is
exactly the pipeline's composite. Exported masks are the coverage itself (8-bit grey PNG, white = hole, grey =
soft edge); importing one gives it back exactly, and a reader of mask files (the CLI: value >= 128 = hole)
fills its pixels >= 128 (see :func:`editor.core.imageio.soft_coverage`).

Boxes are ``(x0, y0, x1, y1)`` in image pixels, end-exclusive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRect, Signal

Box = tuple[int, int, int, int]

__all__ = ["Box", "EditorModel", "StrokeRecorder", "box_of", "union_box", "clip_box", "changed_box"]


def clip_box(box: Box, width: int, height: int) -> Box | None:
    """``box`` intersected with the image, or None when empty."""
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def box_of(mask: np.ndarray) -> Box | None:
    """Bounding box of the True (non-zero) pixels of a 2-D array, or None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def changed_box(old: np.ndarray, new: np.ndarray) -> Box | None:
    """Bounding box of the pixels that differ between two same-shaped arrays ((H, W) or (H, W, C))."""
    diff = old != new
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    return box_of(diff)


def qrect(box: Box) -> QRect:
    return QRect(box[0], box[1], box[2] - box[0], box[3] - box[1])


class EditorModel(QObject):
    """Holds the open :class:`editor.core.document.Document` and the editor's mask coverage.

    Signals:
        documentChanged(): a new photo was opened (or closed).
        imageChanged(QRect): pixels of ``doc.image`` changed inside the rect (image coordinates).
        maskChanged(QRect): coverage changed inside the rect.
    """

    documentChanged = Signal()
    imageChanged = Signal(QRect)
    maskChanged = Signal(QRect)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = None
        self.coverage: np.ndarray = np.zeros((0, 0), np.uint8)

    # ------------------------------------------------------------------ document
    @property
    def has_document(self) -> bool:
        return self.doc is not None

    @property
    def width(self) -> int:
        return 0 if self.doc is None else self.doc.width

    @property
    def height(self) -> int:
        return 0 if self.doc is None else self.doc.height

    @property
    def image(self) -> np.ndarray:
        return self.doc.image

    @property
    def path(self) -> Path | None:
        return None if self.doc is None else self.doc.path

    def set_document(self, doc, coverage: np.ndarray | None = None) -> None:
        """Take ``doc`` as the open document; its ``hole_mask`` becomes coverage 255, unless ``coverage``
        (uint8 (H, W), a soft mask read with it) is given."""
        self.doc = doc
        if doc is None:
            self.coverage = np.zeros((0, 0), np.uint8)
        elif coverage is not None and coverage.shape == (doc.height, doc.width):
            if not doc.image.flags.c_contiguous:
                doc.image = np.ascontiguousarray(doc.image)
            self.coverage = np.ascontiguousarray(coverage, dtype=np.uint8)
        else:
            if not doc.image.flags.c_contiguous:
                doc.image = np.ascontiguousarray(doc.image)
            hole = doc.hole_mask
            if hole is None or not hole.any():
                self.coverage = np.zeros((doc.height, doc.width), np.uint8)  # lazily zeroed pages: instant at 8K
            else:
                self.coverage = hole.view(np.uint8) * np.uint8(255)
        self.documentChanged.emit()

    def hole_mask(self) -> np.ndarray:
        """The Document contract's hole mask: bool (H, W), True where coverage > 0."""
        return self.coverage > 0

    def sync_document_mask(self):
        """Write the current hole mask into ``doc.hole_mask`` and return the document."""
        self.doc.hole_mask = self.hole_mask()
        return self.doc

    # ------------------------------------------------------------------ edits (called by commands/tools)
    def set_mask_box(self, box: Box, values: np.ndarray) -> None:
        x0, y0, x1, y1 = box
        self.coverage[y0:y1, x0:x1] = values
        self.maskChanged.emit(qrect(box))

    def set_image_box(self, box: Box, values: np.ndarray) -> None:
        x0, y0, x1, y1 = box
        self.doc.image[y0:y1, x0:x1] = values
        self.imageChanged.emit(qrect(box))

    def notify_mask(self, box: Box) -> None:
        self.maskChanged.emit(qrect(box))


class StrokeRecorder:
    """Records the old coverage of the tiles a stroke touches, so the stroke's undo command can store only
    its bounding box (old and new pixels) without snapshotting the whole mask (napari's ``_begin_stroke``).
    """

    TILE = 128

    def __init__(self, model: EditorModel) -> None:
        self.model = model
        self.tiles: dict[tuple[int, int], np.ndarray] = {}
        self.box: Box | None = None

    def touch(self, box: Box) -> None:
        """Call before modifying ``box`` of the coverage."""
        t = self.TILE
        cov = self.model.coverage
        for ty in range(box[1] // t, (box[3] - 1) // t + 1):
            for tx in range(box[0] // t, (box[2] - 1) // t + 1):
                if (tx, ty) not in self.tiles:
                    self.tiles[(tx, ty)] = cov[ty * t:(ty + 1) * t, tx * t:(tx + 1) * t].copy()
        self.box = union_box(self.box, box)

    def finish(self) -> tuple[Box, np.ndarray, np.ndarray] | None:
        """``(box, old, new)`` of the pixels that really changed, or None when the stroke changed nothing."""
        if self.box is None:
            return None
        x0, y0, x1, y1 = self.box
        new = self.model.coverage[y0:y1, x0:x1].copy()
        old = new.copy()
        t = self.TILE
        for (tx, ty), tile in self.tiles.items():
            ax0, ay0 = tx * t, ty * t
            bx0, by0 = max(ax0, x0), max(ay0, y0)
            bx1, by1 = min(ax0 + tile.shape[1], x1), min(ay0 + tile.shape[0], y1)
            if bx0 < bx1 and by0 < by1:
                old[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = tile[by0 - ay0:by1 - ay0, bx0 - ax0:bx1 - ax0]
        inner = changed_box(old, new)
        if inner is None:
            return None
        ix0, iy0, ix1, iy1 = inner
        box = (x0 + ix0, y0 + iy0, x0 + ix1, y0 + iy1)
        return box, old[iy0:iy1, ix0:ix1].copy(), new[iy0:iy1, ix0:ix1].copy()
