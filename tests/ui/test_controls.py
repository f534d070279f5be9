"""Tool-option controls and keys: brush size over its whole range, [ and ] (and the slider's keys), the
value fields' layout, Space on focused buttons, and the keyboard handed back to the canvas."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from editor.ui import settings as S

pytestmark = pytest.mark.gui


def test_brush_size_controls_and_brush_agree_over_the_whole_range(window, settings, make_window, tmp_path):
    for size in (1, 2, 60, 999, 1500, 2000):
        window.set_brush_size(size)
        assert window.size_spin.value() == window.canvas.brush_size == settings.get(S.BRUSH_SIZE) == size
    assert window.size_slider.value() == window.size_slider.maximum()
    window.size_spin.setValue(1500)                # typed: kept exactly, the slider follows
    assert window.canvas.brush_size == 1500 and 0 < window.size_slider.value() < window.size_slider.maximum()
    window.size_slider.setValue(window.size_slider.maximum())
    assert window.canvas.brush_size == 2000
    window.size_slider.setValue(0)
    assert window.canvas.brush_size == 1
    window.size_slider.setValue(window.size_slider.maximum() // 2)
    assert 30 < window.canvas.brush_size < 60       # log scale: the middle is ~45 px, not 1000
    window.set_brush_size(1500)
    window.settings.sync()
    again = make_window(S.Settings(QSettings(window.settings.store.fileName(), QSettings.Format.IniFormat)))
    assert again.size_spin.value() == again.canvas.brush_size == 1500


def test_bracket_keys_always_change_the_size_by_at_least_one_pixel(window):
    window.set_brush_size(5)
    sizes = []
    for _ in range(6):
        window.actions_["brush_smaller"].trigger()
        sizes.append(window.canvas.brush_size)
    assert sizes == [4, 3, 2, 1, 1, 1]
    for _ in range(3):
        window.actions_["brush_bigger"].trigger()
    assert window.canvas.brush_size == 4
    window.set_brush_size(1900)
    window.actions_["brush_bigger"].trigger()
    assert window.canvas.brush_size == window.size_spin.value() == 2000


def test_space_presses_a_focused_button_and_pans_elsewhere(qtbot, opened):
    from PySide6.QtWidgets import QApplication
    opened.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    clicked = []
    opened.inpaint_button.clicked.connect(lambda: clicked.append(1))
    opened.inpaint_button.setFocus()                 # reached with Tab
    qtbot.waitUntil(lambda: QApplication.focusWidget() is opened.inpaint_button, timeout=3000)
    qtbot.keyClick(opened.inpaint_button, Qt.Key.Key_Space)
    assert clicked == [1] and not opened.canvas._space_down
    # the canvas (and a slider) keep Space for panning
    opened.canvas.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is opened.canvas, timeout=3000)
    qtbot.keyPress(opened.canvas, Qt.Key.Key_Space)
    assert opened.canvas._space_down
    qtbot.keyRelease(opened.canvas, Qt.Key.Key_Space)
    assert not opened.canvas._space_down and clicked == [1]
    # clicking a panel button does not take the focus away from the canvas
    qtbot.mouseClick(opened.inpaint_button, Qt.MouseButton.LeftButton)   # (the hole is empty: nothing runs)
    assert clicked == [1, 1] and QApplication.focusWidget() is opened.canvas


def test_arrow_keys_page_keys_and_wheel_on_the_size_slider_step_like_the_bracket_keys(qtbot, window):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication
    slider = window.size_slider
    window.set_brush_size(1)
    slider.setFocus()
    sizes = []
    for _ in range(5):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
        sizes.append(window.canvas.brush_size)
    assert sizes == [2, 3, 4, 5, 6]                     # one press, one step: not 54 presses from 1 to 2 px
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert window.canvas.brush_size == window.size_spin.value() == 5
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert window.canvas.brush_size == 10
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert window.canvas.brush_size == 5
    window.set_brush_size(100)
    center = QPointF(slider.rect().center())
    wheel = QWheelEvent(center, QPointF(slider.mapToGlobal(slider.rect().center())), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(slider, wheel)
    assert window.canvas.brush_size == 125              # one notch, one `]`
    window.set_brush_size(2000)
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert window.canvas.brush_size == 2000 and slider.value() == slider.maximum()
    qtbot.keyClick(slider, Qt.Key.Key_Home)            # (Home / End still jump to the ends)
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert window.canvas.brush_size == 1 and slider.value() == 0


def test_tool_option_values_are_aligned_alike_and_the_slider_rows_end_together(window):
    right = Qt.AlignmentFlag.AlignRight
    spins = (window.size_spin, window.hardness_spin, window.opacity_spin, window.grow_spin, window.texture_spin,
             window.dilate_spin)
    assert all(spin.alignment() & right for spin in spins)
    sliders = (window.size_slider, window.hardness_slider, window.opacity_slider)
    ends = {slider.mapTo(window, slider.rect().topRight()).x() for slider in sliders}
    widths = {spin.width() for spin in spins[:3]}
    assert len(ends) == 1 and len(widths) == 1


def test_the_keyboard_goes_back_to_the_canvas_after_a_history_click_or_a_list_choice(qtbot, opened):
    from PySide6.QtWidgets import QApplication
    opened.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    for box in ((10, 10, 20, 20), (30, 30, 40, 40)):
        new = opened.model.coverage.copy()
        new[box[1]:box[3], box[0]:box[2]] = 255
        opened._push_mask(new, "stroke")
    view = opened.undo_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(view.model().index(1, 0)).center())
    assert opened.undo_stack.index() == 1                # the step was taken...
    assert QApplication.focusWidget() is opened.canvas   # ...and Space pans at once
    qtbot.keyPress(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert opened.canvas._space_down and opened.undo_stack.index() == 1
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Space)
    # a Full res picked from its list
    combo = opened.hd_combo
    combo.setFocus()
    combo.showPopup()
    qtbot.waitUntil(lambda: combo.view().isVisible(), timeout=3000)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Down)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is opened.canvas and combo.currentIndex() == 1
    qtbot.keyPress(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert opened.canvas._space_down and not combo.view().isVisible()
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Space)
    # used with the keyboard (Tab, arrows) a list keeps the focus, and Space still types in a text field
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert QApplication.focusWidget() is combo and combo.currentIndex() == 0
    opened.texture_spin.setFocus()
    qtbot.keyPress(opened.texture_spin, Qt.Key.Key_Space)
    assert not opened.canvas._space_down
    qtbot.keyRelease(opened.texture_spin, Qt.Key.Key_Space)
