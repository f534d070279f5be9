"""How controls look: disabled fields are visibly disabled (dimmed text and frame), and say why."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit

pytestmark = pytest.mark.gui


def _pixels(widget) -> np.ndarray:
    """The widget as drawn: uint8 (h, w, 3) RGB."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, :w * 3].reshape(h, w, 3).copy()


def _look(widget) -> tuple[int, int]:
    """(brightest pixel, the frame's brightness at the middle of the left edge) as 0..255 grey levels."""
    grey = _pixels(widget).astype(np.int32).mean(axis=2)
    return int(grey.max()), int(grey[grey.shape[0] // 2, 0])


def test_the_texture_field_looks_disabled_without_cra_and_says_why(window):
    spin, label = window.texture_spin, window.texture_label
    window.hd_combo.setCurrentIndex(window.hd_combo.findData("cra"))
    assert spin.isEnabled() and label.isEnabled()
    text_on, frame_on = _look(spin)
    label_on, _ = _look(label)
    window.hd_combo.setCurrentIndex(window.hd_combo.findData("resize"))
    assert not spin.isEnabled() and not label.isEnabled()
    text_off, frame_off = _look(spin)
    label_off, _ = _look(label)
    # the text dims from the theme's text colour (~218) to the disabled grey (~98); so do the frame and the label
    assert text_off < text_on - 80 and frame_off < frame_on and label_off < label_on - 80
    assert "only when Full res is “CRA" in spin.toolTip() and spin.toolTip() == label.toolTip()
    window.hd_combo.setCurrentIndex(window.hd_combo.findData("cra"))
    assert _look(spin) == (text_on, frame_on) and "fine texture" in spin.toolTip()


@pytest.mark.parametrize("kind", [QComboBox, QDoubleSpinBox, QLineEdit])
def test_disabled_fields_and_sliders_are_dimmed(window, kind):
    field = kind(window.run_dock.widget())
    field.resize(160, 30)
    if isinstance(field, QComboBox):
        field.addItem("Auto")
    elif isinstance(field, QLineEdit):
        field.setText("Auto 123")
    else:
        field.setValue(42.0)
    on = _look(field)
    field.setEnabled(False)
    off = _look(field)
    assert off[0] < on[0] - 80 and off[1] < on[1], (on, off)
    field.deleteLater()
    slider = window.hardness_slider
    on = _look(slider)[0]
    slider.setEnabled(False)
    assert _look(slider)[0] < on - 80     # the white handle greys out
    slider.setEnabled(True)


def test_tool_options_fit_a_1280x720_screen_without_scrolling(qtbot, window):
    """The window's first size on a 1280 x 720 screen (90 %: 1152 x 648): Inpaint and Tool options show their
    whole content (no scroll bar) and History keeps a couple of rows; at 1440 x 900 History gets the rest."""
    window.resize(1152, 648)
    panels = (window.run_dock.widget(), window.tool_dock.widget())
    qtbot.waitUntil(lambda: all(p.verticalScrollBar().maximum() == 0 for p in panels) and window.height() == 648,
                    timeout=3000)
    assert window.undo_view.height() >= 60
    window.resize(1296, 810)
    qtbot.waitUntil(lambda: window.undo_view.height() >= 200, timeout=3000)
    assert all(p.verticalScrollBar().maximum() == 0 for p in panels)


def test_form_labels_sit_on_their_fields_and_the_run_buttons_are_one_height(qtbot, window):
    """Labels sat 2-3 px above the centre of their fields (QFormLayout tops a label that does not expand), and
    the Inpaint button was 4 px taller than Compare and Cancel beside it."""
    from PySide6.QtWidgets import QFormLayout
    window.resize(1300, 860)
    window.show()
    qtbot.waitExposed(window)
    forms = [lay for dock in (window.run_dock, window.tool_dock)
             for lay in dock.widget().findChildren(QFormLayout)]
    checked = 0
    for form in forms:
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
            if field.isVisible():
                assert abs(label.geometry().center().y() - field.geometry().center().y()) <= 1, label.text()
                checked += 1
    assert checked >= 8
    heights = {b.height() for b in (window.inpaint_button, window.compare_button, window.cancel_button)}
    assert len(heights) == 1, heights


def test_the_overlay_slider_has_room_and_the_widest_value_still_fits(qtbot, window):
    """Qt's size hint made the value fields 109 px (room for arrows this style does not draw), which left the
    overlay's opacity slider ~40 px long on a 1280 x 720 screen."""
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    assert window.opacity_slider.width() >= 60
    for spin in (window.size_spin, window.hardness_spin, window.opacity_spin):
        spin.setValue(spin.maximum())
        text = spin.lineEdit().text()
        assert spin.lineEdit().fontMetrics().horizontalAdvance(text) <= spin.lineEdit().width(), text
