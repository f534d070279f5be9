"""The Compare window: closing it (or Esc) cancels the methods still to run, keeping the finished results; the
grid's cells are equal and each view has the shown region's aspect, so the images use the space."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


def paint_hole(window, box=(30, 20, 50, 40)):
    x0, y0, x1, y1 = box
    new = window.model.coverage.copy()
    new[y0:y1, x0:x1] = 255
    assert window._push_mask(new, "hole")


@pytest.mark.parametrize("how", ["escape", "close"])
def test_closing_the_compare_window_cancels_the_methods_still_running(qtbot, test_methods, opened, how):
    original = opened.model.image.copy()
    paint_hole(opened)
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "test-slow"])             # test-slow runs ~20 s unless cancelled
    with qtbot.waitSignal(opened.controller.compareResult, timeout=20000):
        dlg.run_button.click()
    assert opened.controller.busy and dlg.cancel_button.isEnabled()
    with qtbot.waitSignal(opened.controller.cancelled, timeout=5000):
        if how == "escape":
            dlg.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg, timeout=3000)
            qtbot.keyClick(dlg, Qt.Key.Key_Escape)
        else:
            dlg.close()
    assert not dlg.isVisible() and not opened.controller.busy
    assert "Comparison cancelled" in opened.statusBar().currentMessage()
    assert "1 finished result" in opened.statusBar().currentMessage()
    np.testing.assert_array_equal(opened.model.image, original)
    assert opened.show_compare() is dlg                 # reopened: the finished result is kept and applies
    assert list(dlg.results) == ["telea"] and dlg.apply_button.isEnabled()
    assert dlg.status.text().startswith("Cancelled.") and "1 finished result kept" in dlg.status.text()
    dlg.apply_button.click()
    assert opened.undo_stack.text(opened.undo_stack.index() - 1) == "Inpaint (telea, compared)"


def test_closing_the_compare_window_after_it_finished_cancels_nothing(qtbot, opened):
    """An Inpaint run started from the main window while the (idle) Compare window is open goes on when that
    window is closed."""
    paint_hole(opened)
    dlg = opened.show_compare()
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
        dlg.close()
    assert opened.undo_stack.text(opened.undo_stack.index() - 1) == "Inpaint (telea)"
