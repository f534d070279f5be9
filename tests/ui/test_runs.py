"""Runs through the background worker: finish, preview, cancel, supersede, failure, compare, undo of results."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def paint_hole(window, box=(30, 20, 50, 40)):
    x0, y0, x1, y1 = box
    new = window.model.coverage.copy()
    new[y0:y1, x0:x1] = 255
    window._push_mask(new, "test hole")
    return window.model.hole_mask().copy()


def test_telea_run_changes_only_hole_pixels_and_undoes_to_original(qtbot, opened):
    original = opened.model.image.copy()
    hole = paint_hole(opened)
    opened.select_method("telea")
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        req = opened.inpaint()
        assert req is not None and opened.controller.busy
        assert opened.inpaint_button.text().strip() == "Restart" and opened.cancel_button.isEnabled()
    image = opened.model.image
    changed = (image != original).any(axis=2)
    assert changed.any()
    assert not (changed & ~hole).any()             # only hole pixels changed
    assert not opened.model.hole_mask().any()      # the hole is cleared for the next object
    top = opened.undo_stack.command(opened.undo_stack.count() - 1)
    assert top.text() == "Inpaint (telea)"
    assert top.image_box is not None and top.old_image.shape[:2] == (20, 20)  # only the changed box is stored
    opened.undo_stack.undo()
    np.testing.assert_array_equal(opened.model.image, original)
    np.testing.assert_array_equal(opened.model.hole_mask(), hole)
    opened.undo_stack.redo()
    assert (opened.model.image != original).any()
    assert "telea" in opened.stage_label.text()
    assert opened.inpaint_button.text().strip() == "Inpaint" and not opened.cancel_button.isEnabled()


def test_preview_is_shown_before_the_result(qtbot, opened):
    paint_hole(opened)
    opened.select_method("telea")
    previews = []
    opened.controller.preview.connect(lambda i, lr: previews.append((i, lr.shape, opened.canvas.photo.preview)))
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        req = opened.inpaint()
    assert previews and previews[0][0] == req and previews[0][1][2] == 3
    qtbot.waitUntil(lambda: opened.canvas.photo.preview is None)  # replaced by the composite


def test_cancel_stops_a_run_and_leaves_document_unchanged(qtbot, test_methods, make_window, photo_path):
    window = make_window()
    window.open_file(photo_path)
    original = window.model.image.copy()
    hole = paint_hole(window)
    count = window.undo_stack.count()
    window.select_method("test-slow")
    assert window.current_method() == "test-slow"
    with qtbot.waitSignal(window.controller.progress, timeout=10000,
                          check_params_cb=lambda stage, f: stage == "lr_inpaint"):
        req = window.inpaint()
    with qtbot.waitSignal(window.controller.cancelled, timeout=5000) as blocker:
        window.actions_["cancel"].trigger()   # Esc
    assert blocker.args == [req]
    assert not window.controller.busy
    np.testing.assert_array_equal(window.model.image, original)
    np.testing.assert_array_equal(window.model.hole_mask(), hole)
    assert window.undo_stack.count() == count
    assert "unchanged" in window.stage_label.text()


def test_superseded_run_is_dropped(qtbot, test_methods, make_window, photo_path):
    window = make_window()
    window.open_file(photo_path)
    original = window.model.image.copy()
    hole = paint_hole(window)
    worker_done = []
    window.controller.worker.finished.connect(lambda i, r: worker_done.append(("finished", i)))
    window.controller.worker.cancelled.connect(lambda i: worker_done.append(("cancelled", i)))
    delivered = []
    window.controller.finished.connect(lambda i, r: delivered.append(i))
    window.controller.cancelled.connect(lambda i: delivered.append(("cancelled", i)))
    window.select_method("test-sleepy")
    first = window.inpaint()
    window.select_method("telea")
    with qtbot.waitSignal(window.controller.finished, timeout=20000):
        second = window.inpaint()
    qtbot.waitUntil(lambda: len(worker_done) == 2, timeout=10000)
    assert {i for _, i in worker_done} == {first, second}  # the worker did see both runs ...
    assert delivered == [second]                           # ... but only the newest reached the window
    changed = (window.model.image != original).any(axis=2)
    assert changed.any() and not (changed & ~hole).any()
    assert not (window.model.image[hole] == 7).all()       # not the sleepy method's constant fill
    assert window.undo_stack.text(window.undo_stack.count() - 1) == "Inpaint (telea)"


def test_method_failure_is_reported_in_words_and_document_unchanged(qtbot, test_methods, make_window, photo_path,
                                                                    no_modal_dialogs):
    window = make_window()
    window.open_file(photo_path)
    original = window.model.image.copy()
    hole = paint_hole(window)
    window.select_method("test-fail")
    with qtbot.waitSignal(window.controller.failed, timeout=20000):
        window.inpaint()
    kind, title, text = no_modal_dialogs[-1]
    assert title == "Inpainting failed" and "test-fail" in text and "kaboom" in text
    np.testing.assert_array_equal(window.model.image, original)
    np.testing.assert_array_equal(window.model.hole_mask(), hole)


def test_unavailable_network_is_listed_disabled_with_reason(qtbot, test_methods, make_window):
    window = make_window()
    qtbot.waitUntil(lambda: window.methods_final, timeout=30000)
    row = next(r for r in range(window.method_model.rowCount())
               if window.method_model.item(r).data(256) == "test-network")
    item = window.method_model.item(row)
    assert not item.isEnabled() and "weights not found (test)" in item.toolTip()
    window.select_method("test-network")
    assert window.current_method() != "test-network"
    assert window.device_combo.count() >= 2 and window.device_combo.itemData(0) == "auto"


def test_empty_hole_does_not_start_a_run(opened):
    assert opened.inpaint() is None
    assert not opened.controller.busy
    assert "empty" in opened.stage_label.text()


def test_compare_returns_one_result_per_method_and_applies_one(qtbot, opened):
    original = opened.model.image.copy()
    hole = paint_hole(opened)
    dlg = opened.show_compare()
    dlg.resize(1180, 760)  # (the offscreen screen is 800 x 600, which the window now keeps within)
    dlg.set_checked(["telea", "navier-stokes"])
    assert dlg.checked_methods() == ["telea", "navier-stokes"]
    results = []
    opened.controller.compareResult.connect(lambda i, name, r: results.append(name))
    with qtbot.waitSignal(opened.controller.finished, timeout=30000):
        dlg.run_button.click()
    assert results == ["telea", "navier-stokes"]
    assert set(dlg.results) == {"telea", "navier-stokes"}
    assert len(dlg._group) == 3  # original + one view per method, zoom/pan synchronised
    np.testing.assert_array_equal(opened.model.image, original)  # nothing applied yet
    # synchronised zoom: zooming one view zooms all
    from PySide6.QtCore import QPointF
    dlg._group[1].zoom_to(3.0, QPointF(10, 10))
    assert all(v.transform().m11() == pytest.approx(3.0) for v in dlg._group)
    qtbot.waitUntil(lambda: len({v.viewport().size().toTuple() for v in dlg._group}) == 1)  # equal cells
    dlg._group[1].zoom_to(12.0, QPointF(10, 10))
    qtbot.waitUntil(lambda: dlg._group[2].horizontalScrollBar().maximum() > 20)
    bar = dlg._group[2].horizontalScrollBar()
    bar.setValue(bar.maximum() // 3)  # panning one view pans all: the same crop point in every centre
    c = dlg._group[2].center()
    centers = [(v.center().x(), v.center().y(), v.viewport().size().toTuple()) for v in dlg._group]
    assert all(abs(x - c.x()) <= 0.5 and abs(y - c.y()) <= 0.5 for x, y, _ in centers), (c, centers)
    dlg._select("navier-stokes")
    assert dlg.apply_button.isEnabled()
    count = opened.undo_stack.count()
    dlg.apply_button.click()
    assert opened.undo_stack.count() == count + 1
    assert opened.undo_stack.text(count) == "Inpaint (navier-stokes, compared)"
    changed = (opened.model.image != original).any(axis=2)
    assert changed.any() and not (changed & ~hole).any()
    np.testing.assert_array_equal(opened.model.image, dlg.results["navier-stokes"].image)
    opened.undo_stack.undo()
    np.testing.assert_array_equal(opened.model.image, original)
    dlg.close()


def test_compare_dialog_opened_while_networks_are_checked_offers_them_once_known(qtbot, opened):
    """The quick first method list says "checking…" (not "unavailable") for a network; a compare dialog opened
    then gets the network as soon as the final list arrives, and keeps the user's ticks."""
    from PySide6.QtCore import Qt
    qtbot.waitUntil(lambda: opened.methods_final, timeout=30000)
    final = [dict(i) for i in opened.method_infos]
    net = {"name": "test-net", "kind": "network", "description": "a network", "default": False}
    opened.controller.methodsReady.emit(final + [dict(net, available=False, checking=True,
                                                      reason="checking for weights…")], False)
    combo_item = opened.method_model.item(len(final))
    assert combo_item.text() == "test-net  — checking…" and not combo_item.isEnabled()
    paint_hole(opened)
    dlg = opened.show_compare()
    item = dlg.methods.item(len(final))
    assert item.text() == "test-net — checking…" and not item.flags() & Qt.ItemFlag.ItemIsEnabled
    dlg.set_checked(["navier-stokes"])
    opened.controller.methodsReady.emit(final + [dict(net, available=True, reason=None)], True)
    item = dlg.methods.item(len(final))
    assert item.text() == "test-net" and item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert dlg.checked_methods() == ["navier-stokes"]
    opened.controller.methodsReady.emit(final + [dict(net, available=False, reason="weights not found")], True)
    assert dlg.methods.item(len(final)).text() == "test-net — unavailable"
    assert "weights not found" in dlg.methods.item(len(final)).toolTip()
    dlg.close()


def test_close_during_run_stops_worker(qtbot, test_methods, make_window, photo_path):
    window = make_window()
    window.open_file(photo_path)
    paint_hole(window)
    window.select_method("test-slow")
    with qtbot.waitSignal(window.controller.progress, timeout=10000):
        window.inpaint()
    window.undo_stack.setClean()
    assert window.close()
    assert not window.controller.thread.isRunning()  # cancel -> quit -> wait, within the slow method's run


def test_compare_crop_contains_the_hole_and_stays_in_the_photo():
    from editor.ui.compare import crop_box_around
    for hole in [(10, 10, 20, 60), (900, 500, 990, 590), (0, 0, 1000, 600), (400, 100, 700, 130)]:
        x0, y0, x1, y1 = crop_box_around(hole, 1000, 600)
        assert 0 <= x0 <= hole[0] and 0 <= y0 <= hole[1] and hole[2] <= x1 <= 1000 and hole[3] <= y1 <= 600
    x0, y0, x1, y1 = crop_box_around((480, 280, 520, 320), 1000, 600)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(4 / 3, rel=0.02)


def test_saved_network_choice_survives_the_provisional_method_list(qtbot, test_methods, settings, make_window,
                                                                   monkeypatch):
    """The first method list marks networks "checking…"; a saved network choice must not be overwritten."""
    from editor.ui import settings as S
    from tests.ui.conftest import UnavailableMethod
    monkeypatch.setattr(UnavailableMethod, "availability", lambda self: (True, ""))
    monkeypatch.setattr(UnavailableMethod, "info", lambda self: {
        "name": self.name, "kind": "network", "available": True, "reason": None, "parameters": 1,
        "description": "test net"})
    settings.set(S.LAST_METHOD, "test-network")
    window = make_window()
    qtbot.waitUntil(lambda: window.methods_final, timeout=30000)
    assert window.current_method() == "test-network"
    assert settings.get(S.LAST_METHOD) == "test-network"


def test_texture_setting_reaches_the_pipeline_and_only_applies_to_cra(qtbot, opened, monkeypatch):
    import editor.pipeline as pipeline_pkg

    seen = []
    real = pipeline_pkg.InpaintPipeline

    class Recording(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append((self.hd, self.detail))

    monkeypatch.setattr(pipeline_pkg, "InpaintPipeline", Recording)
    paint_hole(opened)
    opened.select_method("telea")
    opened.hd_combo.setCurrentIndex(opened.hd_combo.findData("cra"))
    assert opened.texture_spin.isEnabled() and opened.texture_spin.value() == 100   # default: full texture
    opened.texture_spin.setValue(40)
    with qtbot.waitSignal(opened.controller.finished, timeout=20000):
        opened.inpaint()
    assert seen == [("cra", pytest.approx(0.4))]
    opened.hd_combo.setCurrentIndex(opened.hd_combo.findData("resize"))
    assert not opened.texture_spin.isEnabled()                  # only CRA aggregates texture


def test_a_newly_opened_photo_says_nothing_about_the_last_ones_runs(qtbot, test_methods, make_window, photo_path,
                                                                     tmp_path):
    """Opening another photo during a run forgets the run: its late "cancelled" must not show up as "Cancelled"
    beside the new photo, and neither may the last photo's "Done with …" or its cursor readout."""
    from PIL import Image

    from editor.ui.main_window import IDLE_HINT
    window = make_window()
    window.open_file(photo_path)
    paint_hole(window)
    window.select_method("test-slow")
    with qtbot.waitSignal(window.controller.progress, timeout=10000,
                          check_params_cb=lambda stage, f: stage == "lr_inpaint"):
        req = window.inpaint()
    window.pos_label.setText("x 90  y 60   RGB 1 2 3")
    other = tmp_path / "other.png"
    Image.fromarray(np.full((40, 50, 3), 128, np.uint8)).save(other)
    window.undo_stack.setClean()  # (nothing to ask about)
    with qtbot.waitSignal(window.controller.worker.cancelled, timeout=10000) as cancelled, \
            qtbot.waitSignal(window.loader.loaded, timeout=10000):
        assert window.open_file(other, background=True)
    assert cancelled.args == [req]
    qtbot.wait(50)                       # the controller's relay of the late "cancelled" arrives
    assert window.model.path == other
    assert window.stage_label.text() == IDLE_HINT and window.pos_label.text() == ""
    assert "Cancelled" not in window.statusBar().currentMessage()
    assert not window.controller.busy and window.actions_["inpaint"].isEnabled()


def test_the_main_panel_says_a_comparison_is_running_and_when_it_is_done(qtbot, opened):
    """While Compare methods runs, the Inpaint panel says so (not a stalled fill offering "Restart"), and says
    when its results are ready."""
    paint_hole(opened)
    dlg = opened.show_compare()
    dlg.set_checked(["telea", "navier-stokes"])
    with qtbot.waitSignal(opened.controller.finished, timeout=30000):
        dlg.run_button.click()
        assert opened.stage_label.text().startswith("Comparing 2 methods: 0 of 2 done")
        assert opened.inpaint_button.text().strip() == "Inpaint"
        assert "Stop the comparison" in opened.inpaint_button.toolTip()
    assert "Comparison done: 2 results" in opened.stage_label.text()
    assert opened.show_compare() is dlg and len(dlg.results) == 2
    dlg.close()
