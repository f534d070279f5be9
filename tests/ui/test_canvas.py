"""Canvas and mask tools driven by real mouse events on the viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from editor.ui.canvas import OverlayPyramid, level_for_scale

pytestmark = pytest.mark.gui

L, R, MID = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton
NOMOD, ALT = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.AltModifier


def disc(shape, center: QPointF, radius: float) -> np.ndarray:
    """Reference: pixels whose centres lie within ``radius`` of ``center`` (image coordinates)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx + 0.5 - center.x()) ** 2 + (yy + 0.5 - center.y()) ** 2 <= radius ** 2


def view_point(canvas, x: float, y: float) -> QPoint:
    return canvas.view_pos(QPointF(x, y)).toPoint()


def click(qtbot, canvas, point: QPoint, button=L, modifier=NOMOD):
    vp = canvas.viewport()
    qtbot.mousePress(vp, button, modifier, point)
    qtbot.mouseRelease(vp, button, modifier, point)


@pytest.mark.parametrize("zoom", [2.0, 0.5])
def test_dab_covers_expected_disc_at_zoom(qtbot, opened, zoom):
    canvas = opened.canvas
    opened.set_brush_size(13)
    canvas.zoom_to(zoom)
    canvas.centerOn(48, 32)
    point = view_point(canvas, 40.3, 30.7)
    center = canvas.image_pos(QPointF(point))  # the exact image point under the clicked view pixel
    click(qtbot, canvas, point)
    expected = disc(canvas.model.coverage.shape, center, 6.5)
    assert expected.sum() > 100
    np.testing.assert_array_equal(canvas.model.hole_mask(), expected)
    assert set(np.unique(canvas.model.coverage)) == {0, 255}
    assert opened.undo_stack.count() == 1


def test_stroke_is_one_command_storing_only_its_box(qtbot, opened):
    canvas = opened.canvas
    opened.set_brush_size(6)
    canvas.zoom_to(4.0)
    vp = canvas.viewport()
    pts = [view_point(canvas, x, 20.5) for x in (10.5, 20.5, 30.5, 40.5)]
    qtbot.mousePress(vp, L, NOMOD, pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, L, NOMOD, pts[-1])
    hole = canvas.model.hole_mask()
    assert hole[20, 10:41].all() and not hole[30].any()
    assert opened.undo_stack.count() == 1
    cmd = opened.undo_stack.command(0)
    x0, y0, x1, y1 = cmd.box
    assert (x0, x1) == (7, 44) and (y0, y1) == (17, 24)  # only the stroke's bounding box is stored
    assert cmd.old.shape == (y1 - y0, x1 - x0) and not cmd.old.any()
    opened.undo_stack.undo()
    assert not canvas.model.hole_mask().any()
    opened.undo_stack.redo()
    np.testing.assert_array_equal(canvas.model.hole_mask(), hole)


def test_eraser_and_right_drag_erase(qtbot, opened):
    canvas = opened.canvas
    canvas.model.coverage[:] = 255
    opened.set_brush_size(9)
    canvas.zoom_to(2.0)
    p1 = view_point(canvas, 20.5, 20.5)
    opened.set_tool("eraser")
    click(qtbot, canvas, p1)
    c1 = canvas.image_pos(QPointF(p1))
    np.testing.assert_array_equal(~canvas.model.hole_mask(), disc((64, 96), c1, 4.5))
    opened.set_tool("brush")
    p2 = view_point(canvas, 60.5, 40.5)
    click(qtbot, canvas, p2, button=R)  # right-drag with the brush erases
    c2 = canvas.image_pos(QPointF(p2))
    np.testing.assert_array_equal(~canvas.model.hole_mask(), disc((64, 96), c1, 4.5) | disc((64, 96), c2, 4.5))
    assert [opened.undo_stack.text(i) for i in range(2)] == ["Erase stroke", "Erase stroke"]


def drag(qtbot, canvas, a: QPoint, b: QPoint, modifier=NOMOD, via=()):
    vp = canvas.viewport()
    qtbot.mousePress(vp, L, modifier, a)
    for p in via:
        qtbot.mouseMove(vp, p)
    qtbot.mouseMove(vp, b)
    qtbot.mouseRelease(vp, L, modifier, b)


def test_rectangle_adds_and_alt_subtracts(qtbot, opened):
    canvas = opened.canvas
    canvas.zoom_to(4.0)
    opened.set_tool("rectangle")
    drag(qtbot, canvas, view_point(canvas, 10, 10), view_point(canvas, 30, 20))
    expected = np.zeros((64, 96), bool)
    expected[10:20, 10:30] = True
    np.testing.assert_array_equal(canvas.model.hole_mask(), expected)
    drag(qtbot, canvas, view_point(canvas, 15, 12), view_point(canvas, 20, 30), modifier=ALT)
    expected[12:20, 15:20] = False
    np.testing.assert_array_equal(canvas.model.hole_mask(), expected)
    assert opened.undo_stack.count() == 2
    assert "subtract" in opened.undo_stack.text(1)


def test_lasso_fills_the_polygon(qtbot, opened):
    canvas = opened.canvas
    canvas.zoom_to(4.0)
    opened.set_tool("lasso")
    corners = [(10, 10), (50, 10), (50, 40), (10, 40)]
    pts = [view_point(canvas, x, y) for x, y in corners]
    drag(qtbot, canvas, pts[0], pts[0], via=pts[1:])
    hole = canvas.model.hole_mask()
    assert hole[12:38, 12:48].all()          # the inside
    assert not hole[:9].any() and not hole[42:].any() and not hole[:, 52:].any()
    assert abs(int(hole.sum()) - 40 * 30) <= 90  # area of the square, give or take its outline
    # Alt subtracts a lasso
    inner = [view_point(canvas, x, y) for x, y in [(20, 20), (30, 20), (30, 30), (20, 30)]]
    drag(qtbot, canvas, inner[0], inner[0], modifier=ALT, via=inner[1:])
    assert not canvas.model.hole_mask()[22:28, 22:28].any()
    assert canvas.model.hole_mask()[12:18, 12:48].all()


def test_soft_brush_blends_but_hole_covers_every_touched_pixel(qtbot, opened):
    canvas = opened.canvas
    opened.hardness_spin.setValue(30)
    opened.set_brush_size(20)
    canvas.zoom_to(2.0)
    p = view_point(canvas, 48.5, 32.5)
    click(qtbot, canvas, p)
    cov = canvas.model.coverage
    c = canvas.image_pos(QPointF(p))
    assert cov[int(c.y()), int(c.x())] == 255
    partial = (cov > 0) & (cov < 255)
    assert partial.sum() > 50  # a soft rim
    np.testing.assert_array_equal(canvas.model.hole_mask(), cov > 0)
    assert not (canvas.model.hole_mask() & ~disc(cov.shape, c, 10)).any()


def test_brush_size_keys_and_outline_follow_size(qtbot, opened):
    canvas = opened.canvas
    opened.set_brush_size(40)
    opened.actions_["brush_bigger"].trigger()
    assert canvas.brush_size == 50
    opened.actions_["brush_smaller"].trigger()
    opened.actions_["brush_smaller"].trigger()
    assert canvas.brush_size == 32
    canvas.zoom_to(3.0)
    qtbot.mouseMove(canvas.viewport(), view_point(canvas, 40, 30))
    rect = canvas._outline_light.rect()
    assert rect.width() == pytest.approx(32) and rect.center().x() == pytest.approx(40, abs=0.5)
    # on screen the outline is 3x larger at 300 %
    assert canvas.mapFromScene(rect).boundingRect().width() == pytest.approx(96, abs=2)


def test_zoom_around_cursor_keeps_image_point(qtbot, opened):
    canvas = opened.canvas
    canvas.zoom_to(8.0)  # the photo (96 x 64) is larger than the viewport from here on
    canvas.centerOn(48, 32)
    anchor = QPointF(canvas.view_pos(QPointF(55.25, 28.75)))
    before = canvas.image_pos(anchor)
    canvas.zoom_to(16.0, anchor)
    after = canvas.image_pos(anchor)
    assert canvas.zoom == pytest.approx(16.0)
    assert abs(after.x() - before.x()) <= 1 / 16 and abs(after.y() - before.y()) <= 1 / 16
    # the wheel zooms around the cursor too
    qtbot.wait(1)
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtCore import QPoint as P
    pos = QPointF(canvas.view_pos(QPointF(45.5, 35.5)))
    img_before = canvas.image_pos(pos)
    ev = QWheelEvent(pos, canvas.viewport().mapToGlobal(pos), P(0, 0), P(0, 120), Qt.MouseButton.NoButton,
                     NOMOD, Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(ev)
    assert canvas.zoom == pytest.approx(16.0 * 2 ** 0.5)
    img_after = canvas.image_pos(pos)
    assert abs(img_after.x() - img_before.x()) < 0.2 and abs(img_after.y() - img_before.y()) < 0.2
    # a sideways swipe (a horizontal wheel) scrolls sideways; it zoomed out before
    from PySide6.QtWidgets import QApplication
    h = canvas.horizontalScrollBar()
    h.setValue(h.maximum() // 2)
    x0, zoom = h.value(), canvas.zoom
    QApplication.sendEvent(canvas.viewport(), QWheelEvent(pos, canvas.viewport().mapToGlobal(pos), P(0, 0),
                                                          P(-120, 0), Qt.MouseButton.NoButton, NOMOD,
                                                          Qt.ScrollPhase.NoScrollPhase, False))
    assert canvas.zoom == zoom and h.value() != x0


def test_fit_actual_and_zoom_actions_update_status(qtbot, opened):
    canvas = opened.canvas
    opened.actions_["actual"].trigger()
    assert canvas.zoom == 1.0 and opened.zoom_label.text() == "100 %"
    opened.actions_["zoom_in"].trigger()
    assert canvas.zoom == pytest.approx(2 ** 0.5)
    opened.actions_["fit"].trigger()
    vp = canvas.viewport().rect()
    assert canvas.zoom == pytest.approx(min((vp.width() - 16) / 96, (vp.height() - 16) / 64))


def test_middle_drag_and_space_drag_pan(qtbot, opened):
    canvas = opened.canvas
    canvas.zoom_to(16.0)
    h = canvas.horizontalScrollBar()
    start = h.value()
    vp = canvas.viewport()
    qtbot.mousePress(vp, MID, NOMOD, QPoint(300, 300))
    qtbot.mouseMove(vp, QPoint(200, 300))
    qtbot.mouseRelease(vp, MID, NOMOD, QPoint(200, 300))
    assert h.value() == start + 100
    canvas.set_space_held(True)
    qtbot.mousePress(vp, L, NOMOD, QPoint(200, 300))
    qtbot.mouseMove(vp, QPoint(250, 300))
    qtbot.mouseRelease(vp, L, NOMOD, QPoint(250, 300))
    canvas.set_space_held(False)
    assert h.value() == start + 50
    assert not canvas.model.hole_mask().any()  # panning never paints


def test_pan_follows_fractional_moves_as_with_display_scaling(qtbot, opened):
    """At 200 % display scaling a 1-device-pixel move is 0.5 logical px (at 150 %, 0.667): each rounded on its
    own, a slow drag did not pan at all (or ran 1.5x ahead of the cursor). The grabbed point stays under it."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication
    canvas = opened.canvas
    canvas.zoom_to(16.0)
    h, vp = canvas.horizontalScrollBar(), canvas.viewport()

    def send(kind, x, button, buttons):
        pos = QPointF(x, 300.0)
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))
    for step in (0.5, 2 / 3):
        start = h.value()
        send(QEvent.Type.MouseButtonPress, 300.0, Qt.MouseButton.MiddleButton, Qt.MouseButton.MiddleButton)
        x = 300.0
        for _ in range(150):
            x -= step
            send(QEvent.Type.MouseMove, x, Qt.MouseButton.NoButton, Qt.MouseButton.MiddleButton)
        send(QEvent.Type.MouseButtonRelease, x, Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton)
        assert h.value() == start + round(150 * step), step


def test_overlay_updates_incrementally_in_every_level(qtbot, opened):
    canvas = opened.canvas
    overlay = canvas.photo.overlay
    arrays_before = [a for a in overlay.arrays]
    opened.set_brush_size(10)
    canvas.zoom_to(2.0)
    click(qtbot, canvas, view_point(canvas, 30.5, 30.5))
    cov = canvas.model.coverage
    # level 0: alpha == coverage; colour premultiplied
    np.testing.assert_array_equal(overlay.arrays[0][..., 3], cov)
    color = canvas.overlay_color
    full = overlay.arrays[0][cov == 255][0]
    assert (full[2], full[1], full[0]) == (color.red(), color.green(), color.blue())
    # the arrays are updated in place (no per-dab rebuild), and lower levels match a rebuild from scratch
    assert all(a is b for a, b in zip(overlay.arrays, arrays_before))
    rebuilt = OverlayPyramid(cov, color, len(overlay.arrays))
    for a, b in zip(overlay.arrays, rebuilt.arrays):
        np.testing.assert_array_equal(a, b)


def test_level_choice_by_zoom():
    assert level_for_scale(1.0, 5) == 0 and level_for_scale(4.0, 5) == 0
    assert level_for_scale(0.5, 5) == 1 and level_for_scale(0.3, 5) == 1
    assert level_for_scale(0.25, 5) == 2 and level_for_scale(0.01, 5) == 4


def test_overlay_toggle_colour_and_original_key(qtbot, opened):
    canvas = opened.canvas
    opened.actions_["toggle_overlay"].trigger()
    assert not canvas.photo.overlay_visible
    opened.actions_["toggle_overlay"].trigger()
    assert canvas.photo.overlay_visible
    opened._apply_overlay_color(QColor("#00ff00"))
    canvas.model.coverage[5:10, 5:10] = 255
    canvas.model.notify_mask((5, 5, 10, 10))
    assert tuple(canvas.photo.overlay.arrays[0][6, 6]) == (0, 255, 0, 255)
    qtbot.keyPress(opened, Qt.Key.Key_Backslash)
    assert canvas.photo.show_original
    qtbot.keyRelease(opened, Qt.Key.Key_Backslash)
    assert not canvas.photo.show_original
    opened.actions_["split"].trigger()
    assert canvas.photo.split == 0.5
    # drag the split line
    vp = canvas.viewport()
    line = view_point(canvas, 48, 32)
    qtbot.mousePress(vp, L, NOMOD, line)
    qtbot.mouseMove(vp, view_point(canvas, 24, 32))
    qtbot.mouseRelease(vp, L, NOMOD, view_point(canvas, 24, 32))
    assert canvas.photo.split == pytest.approx(0.25, abs=0.02)
    assert canvas.model.coverage[:, 20:30].sum() == 0  # dragging the split does not paint


def test_grow_shrink_invert_clear(qtbot, opened):
    model = opened.model
    model.coverage[30:34, 40:44] = 255
    opened.grow_spin.setValue(3)
    assert opened.grow_mask()
    grown = model.hole_mask()
    assert grown[27:37, 40:44].all() and grown[30:34, 37:47].all() and not grown[25].any()
    assert opened.shrink_mask()
    np.testing.assert_array_equal(model.hole_mask()[30:34, 40:44], True)
    assert model.hole_mask().sum() == 16
    assert opened.invert_mask()
    assert model.hole_mask().sum() == 96 * 64 - 16
    assert opened.clear_mask()
    assert not model.hole_mask().any()
    texts = [opened.undo_stack.text(i) for i in range(opened.undo_stack.count())]
    assert texts == ["Grow mask 3 px", "Shrink mask 3 px", "Invert mask", "Clear mask"]
    for _ in texts:
        opened.undo_stack.undo()
    assert model.hole_mask().sum() == 16


def test_space_and_backslash_are_held_keys_wherever_the_focus_is(qtbot, opened):
    from PySide6.QtWidgets import QApplication
    opened.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened, timeout=3000)
    opened.size_slider.setFocus()  # focus in a dock, not on the canvas
    qtbot.keyPress(opened.size_slider, Qt.Key.Key_Space)
    assert opened.canvas._space_down
    qtbot.keyRelease(opened.size_slider, Qt.Key.Key_Space)
    assert not opened.canvas._space_down
    qtbot.keyPress(opened.canvas, Qt.Key.Key_Backslash)
    assert opened.canvas.photo.show_original
    qtbot.keyRelease(opened.canvas, Qt.Key.Key_Backslash)
    assert not opened.canvas.photo.show_original


def test_preview_yields_to_mask_edits_made_during_a_run(qtbot, opened):
    """While a run's low-res preview is shown, a stroke painted elsewhere shows as mask, and a part of the
    run's hole that is erased shows the photo again (the result will not be applied there)."""
    canvas, model = opened.canvas, opened.model
    canvas.zoom_to(4.0)
    canvas.centerOn(48, 32)
    model.coverage[16:48, 16:48] = 255                      # the run's hole
    model.notify_mask((16, 16, 48, 48))
    h, w = 32, 48                                           # a low-res result: pure blue
    canvas.set_preview(np.dstack([np.zeros((h, w), np.uint8)] * 2 + [np.full((h, w), 255, np.uint8)]),
                       model.coverage.copy())
    model.coverage[16:48, 16:30] = 0                        # erased during the run
    model.notify_mask((16, 16, 30, 48))
    model.coverage[4:12, 60:80] = 255                       # the next object, painted during the run
    model.notify_mask((60, 4, 80, 12))

    def shown(x: float, y: float) -> np.ndarray:
        image = canvas.viewport().grab().toImage()
        c = image.pixelColor(canvas.view_pos(QPointF(x, y)).toPoint())
        return np.array([c.red(), c.green(), c.blue()])

    photo = model.image.astype(int)
    assert np.abs(shown(40.5, 32.5) - (0, 0, 255)).max() <= 8             # the hole still shows the preview
    assert np.abs(shown(20.5, 32.5) - photo[32, 20]).max() <= 8           # the erased part shows the photo
    tint = 0.55 * np.array([0xff, 0x3b, 0x6b]) + 0.45 * photo[8, 70]       # overlay #ff3b6b at 55 %
    assert np.abs(shown(70.5, 8.5) - tint).max() <= 8                     # the new stroke shows as mask
    canvas.set_preview(None)
    assert np.abs(shown(40.5, 32.5) - (0, 0, 255)).max() > 60


def test_preview_box_updates_equal_a_full_recompute(qtbot):
    """Erasing part of a run's hole updates only the preview pixels it touches, to exactly what recomputing the
    whole preview gives (non-integer scales included: no faint ghost at the stroke's edge)."""
    from editor.ui.canvas import PhotoItem

    rng = np.random.default_rng(0)
    for H, W, h, w in ((1121, 1081, 512, 493), (300, 401, 77, 103), (64, 96, 64, 96)):
        lr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        cov = np.zeros((H, W), np.uint8)
        cov[H // 4:3 * H // 4, W // 4:3 * W // 4] = 255
        cur = cov.copy()
        item = PhotoItem()
        item.set_preview(lr, cov)
        for _ in range(8):
            x0, y0 = int(rng.integers(0, W - 2)), int(rng.integers(0, H - 2))
            x1, y1 = min(W, x0 + int(rng.integers(1, 40))), min(H, y0 + int(rng.integers(1, 40)))
            cur[y0:y1, x0:x1] = 0
            item.update_preview_box(cur, (x0, y0, x1, y1))
        full = PhotoItem()
        full.set_preview(lr, cov, cur)
        np.testing.assert_array_equal(item._preview_buffer, full._preview_buffer)
