"""Undo commands. They act on the :class:`~editor.ui.model.EditorModel`, never on widgets, and each stores
only the changed bounding box (old and new pixels), not whole images.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand

from editor.ui.model import Box, EditorModel, box_of, changed_box

__all__ = ["MaskEditCommand", "ResultCommand", "blend_result", "mask_change_command", "result_command"]


class MaskEditCommand(QUndoCommand):
    """One stroke, shape or mask operation: coverage of ``box`` goes from ``old`` to ``new`` (uint8)."""

    def __init__(self, model: EditorModel, box: Box, old: np.ndarray, new: np.ndarray, text: str) -> None:
        super().__init__(text)
        self.model, self.box, self.old, self.new = model, box, old, new

    def redo(self) -> None:
        self.model.set_mask_box(self.box, self.new)

    def undo(self) -> None:
        self.model.set_mask_box(self.box, self.old)

    @property
    def nbytes(self) -> int:
        return self.old.nbytes + self.new.nbytes


class ResultCommand(QUndoCommand):
    """An applied inpainting result: the image's changed box and the hole coverage it cleared.

    ``image_box``/``old_image``/``new_image`` hold the photo pixels that changed (uint8 (h, w, 3));
    ``mask_box``/``old_mask``/``new_mask`` the coverage before and after (the hole is cleared so the next
    object can be painted). Undo restores both.
    """

    def __init__(self, model: EditorModel, image_box: Box | None, old_image: np.ndarray | None,
                 new_image: np.ndarray | None, mask_box: Box | None, old_mask: np.ndarray | None,
                 new_mask: np.ndarray | None, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.image_box, self.old_image, self.new_image = image_box, old_image, new_image
        self.mask_box, self.old_mask, self.new_mask = mask_box, old_mask, new_mask

    def redo(self) -> None:
        if self.image_box is not None:
            self.model.set_image_box(self.image_box, self.new_image)
        if self.mask_box is not None:
            self.model.set_mask_box(self.mask_box, self.new_mask)

    def undo(self) -> None:
        if self.mask_box is not None:
            self.model.set_mask_box(self.mask_box, self.old_mask)
        if self.image_box is not None:
            self.model.set_image_box(self.image_box, self.old_image)

    @property
    def nbytes(self) -> int:
        arrays = (self.old_image, self.new_image, self.old_mask, self.new_mask)
        return sum(a.nbytes for a in arrays if a is not None)


def mask_change_command(model: EditorModel, new_coverage: np.ndarray, text: str) -> MaskEditCommand | None:
    """A command turning the whole coverage into ``new_coverage`` (uint8 (H, W)), storing only the changed
    box; None when nothing would change."""
    box = changed_box(model.coverage, new_coverage)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return MaskEditCommand(model, box, model.coverage[y0:y1, x0:x1].copy(),
                           new_coverage[y0:y1, x0:x1].copy(), text)


def blend_result(photo: np.ndarray, result: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """What applying ``result`` writes: the photo where coverage is 0, the result where it is 255, and between
    them the two blended with ``coverage / 255`` as alpha (a soft brush's edge).

    Args:
        photo, result: uint8 (h, w, 3), the same region of the photo and of a pipeline result.
        coverage: uint8 (h, w), the hole's coverage the run was started with.

    Returns:
        A new uint8 (h, w, 3) array.
    """
    if np.all((coverage == 0) | (coverage == 255)):
        return np.where((coverage == 255)[..., None], result, photo)
    alpha = coverage.astype(np.float32)[..., None] / 255.0
    out = np.clip(photo + (result.astype(np.float32) - photo) * alpha + 0.5, 0, 255).astype(np.uint8)
    return np.where((coverage == 255)[..., None], result, out)


def result_command(model: EditorModel, result: np.ndarray, hole_coverage: np.ndarray, text: str) -> ResultCommand:
    """Build the command applying a pipeline result.

    Args:
        model: the editor model (its image must be the one the run started from).
        result: the pipeline's full-resolution composite, uint8 (H, W, 3); known region equal to the photo.
        hole_coverage: the coverage the run was started with, uint8 (H, W); the result is blended into the
            photo with ``hole_coverage / 255`` as alpha (soft brush edges) and those hole pixels are cleared
            from the current coverage.
    """
    image = model.image
    hole = hole_coverage > 0
    box = box_of(hole)
    if box is None:
        return ResultCommand(model, None, None, None, None, None, None, text)
    x0, y0, x1, y1 = box
    old_img = image[y0:y1, x0:x1].copy()
    new_img = blend_result(old_img, result[y0:y1, x0:x1], hole_coverage[y0:y1, x0:x1])
    img_box = changed_box(old_img, new_img)
    if img_box is not None:
        ix0, iy0, ix1, iy1 = img_box
        image_box = (x0 + ix0, y0 + iy0, x0 + ix1, y0 + iy1)
        old_i, new_i = old_img[iy0:iy1, ix0:ix1].copy(), new_img[iy0:iy1, ix0:ix1].copy()
    else:
        image_box, old_i, new_i = None, None, None
    old_mask = model.coverage[y0:y1, x0:x1].copy()
    new_mask = np.where(hole[y0:y1, x0:x1], np.uint8(0), old_mask)
    return ResultCommand(model, image_box, old_i, new_i, box, old_mask, new_mask, text)
