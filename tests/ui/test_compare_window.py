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


def run_comparison(qtbot, window, methods: list[str], size: tuple[int, int] | None = None):
    """Open the Compare window (at ``size`` when given), tick ``methods`` and run them to the end; the window."""
    dlg = window.show_compare()
    if size is not None:
        dlg.resize(*size)
    dlg.set_checked(methods)
    with qtbot.waitSignal(window.controller.finished, timeout=30000):
        dlg.run_button.click()
    return dlg


def _image_rect(view):
    """Where the shown region lies in the view's viewport (px)."""
    return view.mapFromScene(view.item.sceneBoundingRect()).boundingRect().intersected(view.viewport().rect())


def _fills(view, tolerance: int = 2) -> bool:
    """The image fills the view: no empty band above, below or beside it."""
    shown, vp = _image_rect(view), view.viewport().rect()
    return shown.width() >= vp.width() - tolerance and shown.height() >= vp.height() - tolerance


def test_the_compare_grid_has_equal_cells_whose_images_fill_them(qtbot, window, tmp_path):
    """A small hole in a large photo: the region shown takes the views' aspect, so each image fills its view
    (no empty bands above and below); all views are the same size, also after the window is made smaller."""
    from PIL import Image

    from tests.ui.conftest import synthetic_photo
    path = tmp_path / "large.png"
    Image.fromarray(synthetic_photo(1200, 800)).save(path)
    assert window.open_file(path)
    paint_hole(window, (580, 380, 620, 420))
    dlg = run_comparison(qtbot, window, ["telea", "navier-stokes"], size=(1000, 560))
    views = dlg._group
    assert len(views) == 3
    for size in ((1000, 560), (760, 470)):
        dlg.resize(*size)
        qtbot.waitUntil(lambda: len({v.viewport().size().toTuple() for v in views}) == 1
                        and all(_fills(v) for v in views), timeout=3000)
        vp = views[0].viewport().size()
        x0, y0, x1, y1 = dlg.crop                    # the region shown has the views' aspect (up to rounding)
        assert vp.width() >= 160 and abs((x1 - x0) / (y1 - y0) - vp.width() / vp.height()) < 0.03
    dlg.close()


@pytest.mark.parametrize("hole", [(590, 20, 604, 780), (20, 390, 1180, 404)], ids=["tall", "wide"])
def test_a_tall_or_wide_holes_region_fills_the_views_where_the_photo_reaches_its_edge(qtbot, window, tmp_path,
                                                                                      hole):
    """A hole whose surroundings reach the photo's edges: the region was widened for a height (or width) the
    photo does not have, then clipped, and the views kept about half their size empty."""
    from PIL import Image

    from editor.ui.compare import crop_box_around
    from tests.ui.conftest import synthetic_photo
    # the function: clipped first, then widened towards the aspect as far as the photo allows
    box = crop_box_around((590, 20, 604, 780), 1200, 800, aspect=0.5)
    assert box[1] == 0 and box[3] == 800 and box[2] - box[0] == 400
    path = tmp_path / "large.png"
    Image.fromarray(synthetic_photo(1200, 800)).save(path)
    assert window.open_file(path)
    paint_hole(window, hole)
    dlg = run_comparison(qtbot, window, ["telea", "navier-stokes", "patchmatch"], size=(1000, 600))
    views = dlg._group
    qtbot.waitUntil(lambda: all(_fills(v) for v in views), timeout=3000)
    vp = views[0].viewport().size()
    x0, y0, x1, y1 = dlg.crop
    assert abs((x1 - x0) / (y1 - y0) - vp.width() / vp.height()) < 0.03
    dlg.close()


def test_a_whole_photo_region_keeps_its_aspect_and_fills_equal_views(qtbot, opened):
    """The region is the whole (small) photo, whose aspect is fixed: the views take that aspect, equal, and the
    spare space goes around the grid instead of into bands inside every cell."""
    paint_hole(opened)
    dlg = run_comparison(qtbot, opened, ["telea", "navier-stokes", "patchmatch"], size=(1000, 700))
    views = dlg._group
    assert dlg.crop == (0, 0, 96, 64) and len(views) == 4
    qtbot.waitUntil(lambda: len({v.viewport().size().toTuple() for v in views}) == 1
                    and all(_fills(v) for v in views), timeout=3000)
    vp = views[0].viewport().size()
    assert abs(vp.width() / vp.height() - 1.5) < 0.03
    dlg.close()


def test_a_zoom_chosen_while_the_comparison_runs_survives_its_end(qtbot, test_methods, opened):
    """The end of a comparison (here a cancel) refitted every view, throwing away the zoom the user had set on
    the first result while the others ran; it now keeps it, and Fit all still fits."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    paint_hole(opened)
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "test-slow"])
    with qtbot.waitSignal(opened.controller.compareResult, timeout=20000):
        dlg.run_button.click()
    qtbot.wait(50)
    view = dlg._panels["telea"].view
    fitted = view.transform().m11()
    pos = QPointF(view.viewport().rect().center())
    for _ in range(3):   # three notches in
        QApplication.sendEvent(view.viewport(), QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(),
                                                            QPoint(0, 120), Qt.MouseButton.NoButton,
                                                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                                                            False))
    zoomed = view.transform().m11()
    assert zoomed > 2 * fitted
    with qtbot.waitSignal(opened.controller.cancelled, timeout=5000):
        dlg.cancel_button.click()
    qtbot.wait(100)
    assert view.transform().m11() == pytest.approx(zoomed)
    dlg.fit_button.click()
    assert view.transform().m11() == pytest.approx(fitted, rel=0.05)


def test_the_original_panel_outlines_the_hole_and_keeps_its_pixels(qtbot, opened):
    """The Original panel showed the photo without the hole, so one could not tell what the results replaced."""
    from editor.ui.compare import _Panel
    paint_hole(opened, (30, 20, 50, 40))
    dlg = run_comparison(qtbot, opened, ["telea"])
    panel = dlg._panels["__original__"]
    assert isinstance(panel, _Panel) and panel.detail.text() == "hole outlined"
    img = panel.view.item.pixmap().toImage()
    x0, y0, _, _ = dlg.crop
    rgb = lambda x, y: img.pixelColor(x - x0, y - y0).getRgb()[:3]  # noqa: E731 (photo px -> panel px)
    original = opened.model.image
    assert rgb(40, 30) == tuple(original[30, 40])           # inside the hole: the photo's own pixel
    assert rgb(53, 30) == (255, 40, 200)                     # just right of the hole: the magenta line
    assert rgb(40, 16) == (255, 40, 200)                     # just above it
    far = (x0 + 1, y0 + 1)
    assert rgb(*far) == tuple(original[far[1], far[0]])     # away from it: untouched


def test_a_fast_result_is_timed_in_ms_not_0_0_s(qtbot, opened):
    paint_hole(opened, (30, 20, 34, 24))
    dlg = run_comparison(qtbot, opened, ["telea"])
    text = dlg._panels["telea"].detail.text()
    assert text != "0.0 s" and (text.endswith(" ms") or text.endswith(" s")), text
    seconds = float(text[:-3]) / 1000 if text.endswith(" ms") else float(text[:-2])
    assert seconds > 0


def test_the_progress_bar_runs_once_over_all_the_methods_compared(qtbot, opened):
    """The main panel's and the Compare window's bars restarted from 0 for every method compared."""
    paint_hole(opened)
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "navier-stokes"])
    seen = {"main": [], "dialog": []}
    opened.progress_bar.valueChanged.connect(seen["main"].append)
    dlg.progress.valueChanged.connect(seen["dialog"].append)
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        dlg.run_button.click()
    for name, values in seen.items():
        during = [v for v in values if v > 1]          # (0 at the start; the idle dialog bar is 1 of 1)
        assert len(during) >= 4, (name, values)
        assert during == sorted(during), (name, values)            # never back to the start
        assert max(v for v in during[: len(during) // 2]) <= 600    # the first method fills about half of it


def test_with_a_soft_edged_hole_the_panels_show_what_apply_writes(qtbot, opened):
    """The panels showed the pipeline's composite, every touched pixel fully replaced, while Apply blends a soft
    edge with the photo: what one picked was not what one got."""
    new = opened.model.coverage.copy()
    new[20:40, 30:50] = 255
    new[40:46, 30:50] = 100                                 # a soft edge below the hole
    assert opened._push_mask(new, "soft hole")
    dlg = run_comparison(qtbot, opened, ["telea"])
    img = dlg._panels["telea"].view.item.pixmap().toImage()
    x0, y0, x1, y1 = dlg.crop
    shown = np.array([[img.pixelColor(x - x0, y - y0).getRgb()[:3] for x in range(x0, x1)] for y in range(y0, y1)],
                     np.uint8)
    dlg.apply_button.click()
    applied = opened.model.image[y0:y1, x0:x1]
    np.testing.assert_array_equal(shown, applied)
    assert (shown[40 - y0:46 - y0, 30 - x0:50 - x0] != dlg.results["telea"].image[40:46, 30:50]).any()
