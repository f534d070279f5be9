"""A soft-brush mask keeps its grey edge through Invert Mask (twice), Export Mask → Import Mask and opening a
photo with its mask, as in GIMP and Krita; which pixels are hole stays core's rule for mask files (>= 128)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

pytestmark = pytest.mark.gui


def soft_stroke(qtbot, window) -> np.ndarray:
    """Paint one stroke with a 30 %-hard, 24-px brush by mouse on the canvas; returns the coverage."""
    window.set_brush_size(24)
    window.hardness_spin.setValue(30)
    canvas, vp = window.canvas, window.canvas.viewport()
    points = [canvas.view_pos(QPointF(x, 30.5)).toPoint() for x in (25.5, 40.5, 55.5)]
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    coverage = window.model.coverage.copy()
    partial = (coverage > 0) & (coverage < 255)
    assert partial.sum() > 100 and (coverage == 255).sum() > 50 and (coverage[partial] < 128).any()
    return coverage


def test_invert_mask_twice_gives_a_soft_mask_back(qtbot, opened):
    before = soft_stroke(qtbot, opened)
    opened.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    qtbot.keyClick(opened.canvas, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(opened.model.coverage, 255 - before)   # grey levels inverted exactly
    qtbot.keyClick(opened.canvas, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(opened.model.coverage, before)
    assert [opened.undo_stack.text(i) for i in range(3)] == ["Brush stroke", "Invert mask", "Invert mask"]


def test_export_then_import_keeps_the_soft_edge(qtbot, opened, tmp_path, monkeypatch):
    from editor.core.imageio import load_mask
    before = soft_stroke(qtbot, opened)
    out = tmp_path / "soft_mask.png"
    titles = []

    def save_dialog(parent, title, *args, **kwargs):
        titles.append(title)
        return str(out), "PNG (*.png)"

    def open_dialog(parent, title, *args, **kwargs):
        titles.append(title)
        return str(out), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_dialog)
    opened.actions_["export_mask"].trigger()
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "L"             # an 8-bit grey PNG: the coverage itself
        np.testing.assert_array_equal(np.asarray(img), before)
    # the CLI's reading of the same file: value >= 128 is hole
    np.testing.assert_array_equal(load_mask(out, (96, 64)), before >= 128)
    opened.actions_["clear_mask"].trigger()
    assert not opened.model.coverage.any()
    opened.actions_["import_mask"].trigger()
    np.testing.assert_array_equal(opened.model.coverage, before)
    assert "grey" in titles[0] and "soft edge" in titles[1]          # the dialogs say what is kept
    # opening the photo with that mask keeps it too
    assert opened.open_file(opened.model.path, out)
    np.testing.assert_array_equal(opened.model.coverage, before)


def test_imported_grey_is_an_edge_of_the_hole_never_a_hole_of_its_own(opened, tmp_path):
    """Grey darker than 128 counts only where it touches the hole (a soft edge); a faint speck elsewhere (a
    scanner's or a JPEG's noise) stays known region, and a lossy JPEG mask is read as a hard mask."""
    mask = np.zeros((64, 96), np.uint8)
    mask[20:30, 20:30] = 255
    mask[18:20, 20:30] = 60                     # a soft edge above the hole
    mask[50:52, 80:82] = 60                     # a speck apart from it
    mask[5, 5] = 200                            # a small hole of its own (>= 128)
    Image.fromarray(mask).save(tmp_path / "m.png")
    assert opened.import_mask(tmp_path / "m.png")
    cov = opened.model.coverage
    assert (cov[20:30, 20:30] == 255).all() and (cov[18:20, 20:30] == 60).all() and cov[5, 5] == 200
    assert not cov[50:52, 80:82].any()
    Image.fromarray(mask).save(tmp_path / "m.jpg", quality=80)
    assert opened.import_mask(tmp_path / "m.jpg")
    assert set(np.unique(opened.model.coverage)) == {0, 255}


def test_grow_and_shrink_keep_a_soft_edge(qtbot, opened):
    """Grow Mask made every touched pixel fully hole (even 4/255) and Shrink cut the ramp off: both now move the
    grey edge (a max / min filter on the levels), as GIMP and Krita do with a feathered selection."""
    from editor.core.masks import dilate_levels, erode_levels
    before = soft_stroke(qtbot, opened)
    partial = ((before > 0) & (before < 255)).sum()
    opened.grow_spin.setValue(3)
    opened.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    qtbot.keyClick(opened.canvas, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)   # Grow Mask
    grown = opened.model.coverage.copy()
    np.testing.assert_array_equal(grown, dilate_levels(before, 3))
    assert ((grown > 0) & (grown < 255)).sum() > 0.8 * partial and (grown >= before).all()
    opened.undo_stack.undo()
    assert opened.shrink_mask()
    shrunk = opened.model.coverage
    np.testing.assert_array_equal(shrunk, erode_levels(before, 3))
    assert ((shrunk > 0) & (shrunk < 128)).any()                  # the ramp's low end is still there


def test_export_says_which_faint_pixels_are_lost_and_import_says_what_it_did(opened, tmp_path):
    """A mask of only faint pixels (a soft eraser pass) exported to a file that imports as no hole, with no word;
    after Import Mask the status bar still said "Mask exported to ..."."""
    cov = np.zeros_like(opened.model.coverage)
    cov[10:20, 10:30] = 255
    cov[40:44, 60:70] = 90                                        # faint and apart from the hole
    assert opened._push_mask(cov, "mask")
    out = tmp_path / "m.png"
    assert opened.export_mask(out)
    said = opened.statusBar().currentMessage()
    assert said.startswith(f"Mask exported to {out}; 40 px fainter than 50 %") and "known region" in said
    assert opened.import_mask(out)                                # read back without the faint speck
    np.testing.assert_array_equal(opened.model.coverage, np.where(cov == 90, 0, cov))
    faint_only = np.where(cov == 90, cov, 0).astype(np.uint8)
    assert opened._push_mask(faint_only, "faint")
    assert opened.export_mask(out)
    assert opened.import_mask(out) is False and (opened.model.coverage == faint_only).all()
    assert opened.statusBar().currentMessage().startswith("The imported mask has no hole")
    hard = tmp_path / "hard.png"
    Image.fromarray(np.where(cov == 255, 255, 0).astype(np.uint8)).save(hard)
    assert opened.import_mask(hard)
    assert opened.statusBar().currentMessage() == "Mask imported"
