"""Edits made while a fill or a comparison runs: a result is applied only while it still fits the photo and
its hole; otherwise image, mask and history stay exactly as the user left them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


def paint(window, box, value=255, text="stroke"):
    x0, y0, x1, y1 = box
    new = window.model.coverage.copy()
    new[y0:y1, x0:x1] = value
    assert window._push_mask(new, text)


def history(window):
    return [window.undo_stack.text(i) for i in range(window.undo_stack.count())], window.undo_stack.index()


def test_erasing_part_of_the_hole_during_a_run_discards_the_result(qtbot, opened):
    original = opened.model.image.copy()
    paint(opened, (30, 20, 50, 40), text="hole")
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
        paint(opened, (40, 20, 50, 40), value=0, text="erase")   # the user erases half of the hole meanwhile
    coverage = opened.model.coverage.copy()
    np.testing.assert_array_equal(opened.model.image, original)
    np.testing.assert_array_equal(opened.model.coverage, coverage)
    assert history(opened) == (["hole", "erase"], 2)
    assert "hole changed while filling" in opened.stage_label.text()
    assert "press Inpaint again" in opened.stage_label.text()


def test_undoing_the_hole_during_a_run_keeps_the_redo_step(qtbot, opened):
    original = opened.model.image.copy()
    paint(opened, (30, 20, 50, 40), text="hole")
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
        opened.undo_stack.undo()
    np.testing.assert_array_equal(opened.model.image, original)
    assert not opened.model.hole_mask().any()
    assert history(opened) == (["hole"], 0) and opened.undo_stack.canRedo()
    opened.undo_stack.redo()
    assert opened.model.hole_mask()[20:40, 30:50].all()


def test_a_photo_changed_during_a_run_discards_the_result(qtbot, opened):
    paint(opened, (30, 20, 50, 40), text="hole")
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
        opened.model.set_image_box((0, 0, 4, 4), np.zeros((4, 4, 3), np.uint8))  # e.g. an earlier fill undone
    changed = opened.model.image.copy()
    assert history(opened) == (["hole"], 1)
    np.testing.assert_array_equal(opened.model.image, changed)
    assert "photo changed while filling" in opened.stage_label.text()


def test_strokes_added_during_a_run_stay_in_the_mask_and_undo_is_exact(qtbot, opened):
    original = opened.model.image.copy()
    paint(opened, (30, 20, 50, 40), text="hole")
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
        paint(opened, (70, 5, 80, 15), text="next object")     # painting the next object while waiting
        paint(opened, (48, 20, 56, 40), text="overlapping")    # and a stroke overlapping the running hole
    names, index = history(opened)
    assert names == ["hole", "next object", "overlapping", "Inpaint (telea)"] and index == 4
    changed = (opened.model.image != original).any(axis=2)
    assert changed[20:40, 30:50].any() and not changed[:, 50:].any()      # the run's hole only
    mask = opened.model.hole_mask()
    assert not mask[20:40, 30:48].any()                   # the filled hole is cleared...
    assert mask[5:15, 70:80].all() and mask[20:40, 50:56].all()  # ...the strokes outside it stay
    after, after_mask = opened.model.image.copy(), mask.copy()
    opened.undo_stack.undo()
    np.testing.assert_array_equal(opened.model.image, original)
    assert opened.model.hole_mask()[20:40, 30:56].all() and opened.model.hole_mask()[5:15, 70:80].all()
    opened.undo_stack.redo()
    np.testing.assert_array_equal(opened.model.image, after)
    np.testing.assert_array_equal(opened.model.hole_mask(), after_mask)


def test_a_cancelled_comparison_keeps_its_finished_results_applicable(qtbot, test_methods, opened):
    original = opened.model.image.copy()
    paint(opened, (30, 20, 50, 40), text="hole")
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "test-slow"])
    with qtbot.waitSignal(opened.controller.compareResult, timeout=20000):
        dlg.run_button.click()
    assert dlg.selected == "telea" and not dlg.apply_button.isEnabled()   # still running
    assert "once it is cancelled" in dlg.apply_button.toolTip()
    with qtbot.waitSignal(opened.controller.cancelled, timeout=10000):
        dlg.cancel_button.click()
    assert dlg.status.text().startswith("Cancelled.") and "1 finished result kept" in dlg.status.text()
    assert dlg.selected == "telea" and dlg.apply_button.isEnabled()
    dlg.apply_button.click()
    assert history(opened)[0][-1] == "Inpaint (telea, compared)" and not dlg.isVisible()
    changed = (opened.model.image != original).any(axis=2)
    assert changed[20:40, 30:50].any() and not changed[:, 50:].any()
    assert opened.show_compare() is dlg                  # reopened: no second result over the applied one
    assert not dlg.apply_button.isEnabled() and "telea is applied: undo it (Ctrl+Z)" in dlg.status.text()
    dlg.close()


def test_apply_one_compared_result_undo_and_apply_another(qtbot, opened):
    """Apply A, Ctrl+Z, apply B (as in the audit's #8): the photo and the hole are back exactly, so the other
    results of the same comparison still fit; a photo or hole that really differs still refuses them."""
    original = opened.model.image.copy()
    paint(opened, (30, 20, 50, 40), text="hole")
    coverage = opened.model.coverage.copy()
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "navier-stokes"])
    with qtbot.waitSignal(opened.controller.finished, timeout=30000):
        dlg.run_button.click()
    dlg._select("telea")
    dlg.apply_button.click()
    assert history(opened) == (["hole", "Inpaint (telea, compared)"], 2)
    assert opened.show_compare() is dlg and not dlg.apply_button.isEnabled()
    assert not opened.apply_compare("navier-stokes")           # over the applied result: refused
    opened.activateWindow()                                    # Ctrl+Z in the main window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    qtbot.keyClick(opened.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(opened.model.image, original)
    np.testing.assert_array_equal(opened.model.coverage, coverage)
    qtbot.waitUntil(dlg.apply_button.isEnabled, timeout=3000)
    assert dlg.status.text() == "2 result(s). Click one, then Apply."
    dlg._select("navier-stokes")
    dlg.apply_button.click()
    assert history(opened) == (["hole", "Inpaint (navier-stokes, compared)"], 2)
    np.testing.assert_array_equal(opened.model.image, dlg.results["navier-stokes"].image)
    assert opened.current_method() == "navier-stokes" and not dlg.isVisible()
    # undone again, but the photo really differs (one pixel outside the hole): refused, with the reason
    opened.undo_stack.undo()
    opened.show_compare()
    qtbot.waitUntil(dlg.apply_button.isEnabled, timeout=3000)
    pixel = opened.model.image[60, 90].copy()
    opened.model.set_image_box((90, 60, 91, 61), 255 - pixel)
    assert not dlg.apply_button.isEnabled() and "photo changed since this comparison" in dlg.status.text()
    assert not opened.apply_compare("telea")
    opened.model.set_image_box((90, 60, 91, 61), pixel)       # the same pixels again: it fits again
    assert dlg.apply_button.isEnabled()
    # and so does the hole: a part of it erased refuses the results
    paint(opened, (30, 20, 34, 24), value=0, text="erase")
    assert not opened.apply_compare("telea") and "hole changed" in dlg.status.text()
    dlg.close()


def test_a_finished_comparison_is_not_applied_over_a_later_fill(qtbot, opened, no_modal_dialogs):
    paint(opened, (30, 20, 50, 40), text="hole")
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "navier-stokes"])
    with qtbot.waitSignal(opened.controller.finished, timeout=30000):
        dlg.run_button.click()
    qtbot.waitUntil(lambda: dlg.apply_button.isEnabled(), timeout=3000)
    # erasing part of the hole disables Apply (with the reason); painting it back enables it again
    paint(opened, (30, 20, 34, 24), value=0, text="erase")
    qtbot.waitUntil(lambda: not dlg.apply_button.isEnabled(), timeout=3000)
    assert "hole changed" in dlg.status.text() and "hole changed" in dlg.apply_button.toolTip()
    opened.undo_stack.undo()
    qtbot.waitUntil(lambda: dlg.apply_button.isEnabled(), timeout=3000)
    assert dlg.status.text() == "2 result(s). Click one, then Apply."   # the reason went with the change
    # the user fills with Inpaint in the main window instead, the dialog staying open
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
    assert "took over" not in dlg.status.text()
    assert not dlg.apply_button.isEnabled()           # at once, as the fill lands
    assert "changed since this comparison" in dlg.status.text()
    image, names = opened.model.image.copy(), history(opened)
    assert not opened.apply_compare("navier-stokes")
    np.testing.assert_array_equal(opened.model.image, image)
    assert history(opened) == names
    dlg.close()


def test_a_fill_that_ends_during_a_brush_stroke_waits_for_the_release(qtbot, opened):
    """A fill that finishes while the mouse button is still down (the user paints the next object) is applied
    on release, after the stroke's undo step: undoing the stroke then gives the state right after the fill.
    Applied mid-stroke, the stroke's undo step recorded the mask from before the fill and painted part of the
    filled hole back as hole."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    L, NOMOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    canvas, vp = opened.canvas, opened.canvas.viewport()
    paint(opened, (30, 20, 50, 40), text="hole")
    opened.select_method("telea")
    opened.set_brush_size(8)
    canvas.zoom_to(4.0)
    canvas.centerOn(50, 30)

    def at(x, y) -> QPoint:
        return canvas.view_pos(QPointF(x, y)).toPoint()
    qtbot.mousePress(vp, L, NOMOD, at(50.5, 30.5))          # the first dab's box overlaps the running hole
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
    original = opened.model.image.copy()
    qtbot.mouseMove(vp, at(60.5, 30.5))
    assert history(opened) == (["hole"], 1)                 # held: nothing applied while the button is down
    np.testing.assert_array_equal(opened.model.image, original)
    assert "release" in opened.stage_label.text()
    qtbot.mouseRelease(vp, L, NOMOD, at(60.5, 30.5))
    assert history(opened) == (["hole", "Brush stroke", "Inpaint (telea)"], 3)
    assert (opened.model.image != original).any()
    after_fill = opened.model.hole_mask().copy()
    assert not after_fill[20:40, 30:46].any()            # the filled hole is cleared
    opened.undo_stack.undo()                             # the fill
    opened.undo_stack.undo()                             # the stroke
    assert opened.model.hole_mask()[20:40, 30:50].all()  # back to the hole alone...
    assert not opened.model.hole_mask()[:, 56:].any()    # ...without the stroke
    opened.undo_stack.redo()
    opened.undo_stack.redo()
    np.testing.assert_array_equal(opened.model.hole_mask(), after_fill)


def test_undo_and_mask_commands_wait_while_a_stroke_is_drawn(qtbot, opened):
    """Ctrl+Z or Invert Mask pressed with the button still down changed the mask under the stroke, whose undo
    step keeps its tiles as they were at its first dab: undoing it later brought an undone stroke back."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    L, NOMOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    canvas, vp = opened.canvas, opened.canvas.viewport()
    opened.set_brush_size(8)
    canvas.zoom_to(4.0)
    canvas.centerOn(50, 30)

    def at(x, y) -> QPoint:
        return canvas.view_pos(QPointF(x, y)).toPoint()
    paint(opened, (40, 20, 60, 40), text="A")
    qtbot.mousePress(vp, L, NOMOD, at(35.5, 30.5))             # stroke B starts, crossing A
    qtbot.mouseMove(vp, at(65.5, 30.5))
    assert not opened.actions_["undo"].isEnabled()
    opened.actions_["undo"].trigger()
    assert not opened.invert_mask() and not opened.clear_mask()
    assert history(opened) == (["A"], 1)                        # nothing changed under the stroke
    qtbot.mouseRelease(vp, L, NOMOD, at(65.5, 30.5))
    assert history(opened) == (["A", "Brush stroke"], 2) and opened.actions_["undo"].isEnabled()
    opened.undo_stack.undo()
    opened.undo_stack.undo()
    assert not opened.model.hole_mask().any()                   # both undone: no ghost of A
    opened.undo_stack.redo()
    assert opened.model.hole_mask()[20:40, 40:60].all()
