"""Files, settings, prompts and dialogs of the main window."""

from __future__ import annotations


import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from editor.ui import settings as S
from editor.ui.main_window import proposed_save_path

pytestmark = pytest.mark.gui


def test_settings_declared_once_and_typed(settings):
    assert len({s.key for s in S.SETTINGS.values()}) == len(S.SETTINGS)
    for s in S.SETTINGS.values():
        assert s.description and isinstance(s.default, s.type)
        assert settings.get(s) == s.default  # fresh store -> defaults
    settings.store.setValue(S.BRUSH_SIZE.key, "not a number")
    assert settings.get(S.BRUSH_SIZE) == S.BRUSH_SIZE.default
    settings.set(S.BRUSH_SIZE, 99999)
    assert settings.get(S.BRUSH_SIZE) == S.BRUSH_SIZE.maximum
    with pytest.raises(ValueError):
        S._declare(S.BRUSH_SIZE.key, int, 1, "dup")


def test_settings_persist_across_windows(qtbot, make_window, settings, tmp_path, photo_path):
    w = make_window()
    w.set_brush_size(77)
    w.hardness_spin.setValue(40)
    w.opacity_spin.setValue(30)
    w.select_method("telea")
    w.texture_spin.setValue(30)
    w.open_file(photo_path)
    w.close()
    # (a worker step that outlasts STOP_WAIT_MS, such as the method probe importing torch from a cold disk,
    # makes the window close itself once it ends: the layout is saved then)
    qtbot.waitUntil(lambda: w._closing, timeout=30000)
    settings.sync()
    reread = S.Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert reread.get(S.BRUSH_SIZE) == 77 and reread.get(S.BRUSH_HARDNESS) == 40
    assert reread.get(S.LAST_METHOD) == "telea" and reread.get(S.LAST_TEXTURE) == 30
    assert reread.get(S.RECENT_FILES) == [str(photo_path)]
    assert reread.get(S.LAST_FOLDER) == str(photo_path.parent)
    assert reread.get(S.WINDOW_GEOMETRY)
    w2 = make_window(reread)
    assert w2.canvas.brush_size == 77 and w2.canvas.hardness == pytest.approx(0.4)
    assert w2.canvas.photo.overlay_opacity == pytest.approx(0.3)
    assert w2.current_method() == "telea" and w2.texture_spin.value() == 30
    assert [a.text() for a in w2.recent_menu.actions()][0] == photo_path.name


def test_save_proposes_inpainted_name_and_round_trip_keeps_pixels_and_exif(opened, photo_path, monkeypatch,
                                                                           tmp_path):
    proposals = []
    target = tmp_path / "out.png"

    def fake_save(parent, caption, proposal, filters, *rest):
        proposals.append(proposal)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    opened.model.coverage[10:20, 10:20] = 255
    opened.model.image[10:20, 10:20] = (1, 2, 3)  # pixels to survive the round trip
    opened.undo_stack.push(_noop_command("edit"))
    assert opened.isWindowModified()
    assert opened.save()
    assert proposals == [str(photo_path.with_name("photo_inpainted.png"))]
    assert not opened.isWindowModified()
    assert photo_path.read_bytes() != target.read_bytes()
    # Ctrl+S again writes to the same file without asking
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: pytest.fail("asked twice"))
    opened.undo_stack.push(_noop_command("edit 2"))
    assert opened.save()
    from editor.core.imageio import load_image
    doc = load_image(target)
    np.testing.assert_array_equal(doc.image, opened.model.image)
    assert doc.image[15, 15].tolist() == [1, 2, 3]
    assert Image.open(target).getexif()[0x013B] == "Test Artist"
    assert opened.open_file(target)
    np.testing.assert_array_equal(opened.model.image, doc.image)


def _noop_command(text):
    from PySide6.QtGui import QUndoCommand
    return QUndoCommand(text)


def test_proposed_name_skips_existing(tmp_path):
    p = tmp_path / "a.jpg"
    assert proposed_save_path(p) == tmp_path / "a_inpainted.jpg"
    (tmp_path / "a_inpainted.jpg").write_bytes(b"x")
    assert proposed_save_path(p) == tmp_path / "a_inpainted_2.jpg"


def test_title_star_and_unsaved_prompt_cancel_keeps_window_open(opened, monkeypatch, no_modal_dialogs):
    assert opened.windowTitle() == "photo.png[*] — Inpaint Studio" and not opened.isWindowModified()
    opened.undo_stack.push(_noop_command("edit"))
    assert opened.isWindowModified()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not opened.close()
    assert opened.isVisible() and opened.controller.thread.isRunning()
    opened.undo_stack.undo()
    assert not opened.isWindowModified()


def test_unsaved_prompt_discard_closes(make_window, photo_path, monkeypatch, no_modal_dialogs):
    w = make_window()
    w.open_file(photo_path)
    w.undo_stack.push(_noop_command("edit"))
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Discard)
    assert w.close()
    assert asked and "photo.png" in asked[0]
    assert not w.controller.thread.isRunning()


def test_unreadable_file_shows_message_and_keeps_document(opened, tmp_path, no_modal_dialogs):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"definitely not a jpeg")
    image = opened.model.image.copy()
    assert not opened.open_file(bad)
    assert no_modal_dialogs and no_modal_dialogs[-1][1] == "Could not open the photo"
    assert "broken.jpg" in no_modal_dialogs[-1][2] and "Traceback" not in no_modal_dialogs[-1][2]
    assert opened.model.path.name == "photo.png"
    np.testing.assert_array_equal(opened.model.image, image)


def test_import_and_export_mask(opened, tmp_path, monkeypatch):
    mask = np.zeros((64, 96), np.uint8)
    mask[5:25, 30:60] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    assert opened.import_mask(tmp_path / "m.png")
    np.testing.assert_array_equal(opened.model.hole_mask(), mask > 0)
    assert opened.undo_stack.text(opened.undo_stack.count() - 1) == "Import mask"
    out = tmp_path / "exported.png"
    assert opened.export_mask(out)
    np.testing.assert_array_equal(np.array(Image.open(out)) > 127, mask > 0)
    # a mask of another size: the window asks; answering No leaves the mask alone
    Image.fromarray(mask[:32]).save(tmp_path / "small.png")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not opened.import_mask(tmp_path / "small.png")
    np.testing.assert_array_equal(opened.model.hole_mask(), mask > 0)
    assert "Invert" not in opened.statusBar().currentMessage()
    # a black = hole mask (HiFill's): most of the photo becomes hole, and the status bar points to Invert Mask
    Image.fromarray(255 - mask).save(tmp_path / "black_is_hole.png")
    assert opened.import_mask(tmp_path / "black_is_hole.png")
    assert "Invert Mask (Ctrl+I)" in opened.statusBar().currentMessage()


def test_open_with_mask_from_command_line_arguments(window, photo_path, tmp_path):
    mask = np.zeros((64, 96), np.uint8)
    mask[40:50, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "cli_mask.png")
    assert window.open_file(photo_path, tmp_path / "cli_mask.png")
    assert window.model.hole_mask().sum() == 100 and window.undo_stack.count() == 0
    assert not window.isWindowModified()


@pytest.mark.parametrize("background", [False, True])
def test_open_with_a_black_is_hole_mask_and_invert_mask(window, photo_path, tmp_path, qtbot, background):
    """``inpaint-studio open PHOTO --mask M --invert-mask`` (a HiFill mask): the hole is the mask's black."""
    mask = np.full((64, 96), 255, np.uint8)
    mask[40:50, 10:20] = 0
    Image.fromarray(mask).save(tmp_path / "black_hole.png")
    if background:
        with qtbot.waitSignal(window.loader.loaded, timeout=10000):
            assert window.open_file(photo_path, tmp_path / "black_hole.png", background=True, invert_mask=True)
    else:
        assert window.open_file(photo_path, tmp_path / "black_hole.png", invert_mask=True)
    assert window.model.hole_mask().sum() == 100 and window.model.hole_mask()[40:50, 10:20].all()
    assert "Invert Mask" not in window.statusBar().currentMessage()
    # the same mask without --invert-mask: almost all hole, and the status bar says what to do
    assert window.open_file(photo_path, tmp_path / "black_hole.png")
    assert "Invert Mask (Ctrl+I)" in window.statusBar().currentMessage()


def test_shortcuts_dialog_is_generated_from_actions(opened, qtbot):
    opened.undo_stack.push(_noop_command("Brush stroke"))  # the undo action now reads "Undo Brush stroke"
    opened.undo_stack.push(_noop_command("Erase stroke"))
    opened.undo_stack.undo()                               # ... and redo "Redo Erase stroke"
    dlg = opened.show_shortcuts()
    rows = {(dlg.table.item(r, 1).text(), dlg.table.item(r, 2).text()) for r in range(dlg.table.rowCount())}
    names = {r[0] for r in rows}
    assert {"Undo", "Redo", "Inpaint", "Brush", "Eraser", "Save", "Compare Methods"} <= names
    assert not any("stroke" in name for name in names)     # the rows name the action, not the history
    redo = next(keys for name, keys in rows if name == "Redo")
    assert "Ctrl+Shift+Z" in redo and "Ctrl+Y" in redo
    assert any("backslash" in keys for _, keys in rows)
    dlg.close()


def test_drop_opens_photo(window, photo_path, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, QUrl, Qt
    from PySide6.QtGui import QDropEvent
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    window.dropEvent(ev)
    qtbot.waitUntil(lambda: window.model.has_document)
    assert window.model.path == photo_path


def test_open_in_background_keeps_window_responsive_and_reports_errors(qtbot, window, photo_path, tmp_path,
                                                                       no_modal_dialogs):
    with qtbot.waitSignal(window.loader.loaded, timeout=10000):
        assert window.open_file(photo_path, background=True)
        assert not window.model.has_document  # returned at once; decoding happens in the loader thread
    assert window.model.path == photo_path and window.canvas.photo.pyramid.width == 96
    # a file that is not an image is refused at once (its header), before the loader and any question
    garbage = tmp_path / "bad.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    window.undo_stack.push(_noop_command("edit"))
    assert not window.open_file(garbage, background=True)
    assert [d[1] for d in no_modal_dialogs] == ["Could not open the photo"] and "bad.png" in no_modal_dialogs[-1][2]
    assert not window.loader.busy and window.undo_stack.count() == 1
    window.undo_stack.undo()
    # a truncated file passes the header check: the loader finds it out and says so
    truncated = tmp_path / "truncated.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 96, 3), np.uint8)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:-2000])
    with qtbot.waitSignal(window.loader.failed, timeout=10000):
        window.open_file(truncated, background=True)
    assert no_modal_dialogs[-1][1] == "Could not open the photo" and "truncated.png" in no_modal_dialogs[-1][2]
    assert window.model.path == photo_path


def test_ctrl_s_saves_in_background_and_edits_meanwhile_stay_unsaved(qtbot, opened, monkeypatch, tmp_path):
    target = tmp_path / "bg.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    opened.undo_stack.push(_noop_command("edit"))
    with qtbot.waitSignal(opened.saver.saved, timeout=10000) as blocker:
        opened.actions_["save"].trigger()
    assert blocker.args[1] == ""
    assert target.is_file() and opened.save_path == target and not opened.isWindowModified()
    # an edit made while the next save is encoding is not in the file: the window stays modified
    opened.undo_stack.push(_noop_command("edit 2"))
    with qtbot.waitSignal(opened.saver.saved, timeout=10000):
        opened.actions_["save"].trigger()
        opened.undo_stack.push(_noop_command("edit 3"))
    assert opened.isWindowModified()
    # a failing background save says so and keeps the window modified
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "nope" / "x.png"), ""))
    with qtbot.waitSignal(opened.saver.saved, timeout=10000) as blocker:
        opened.actions_["save_as"].trigger()
    assert blocker.args[1] and opened.isWindowModified() and opened.save_path == target
    assert opened.statusBar().currentMessage() == "Not saved: x.png"   # not "Saving x.png…" for good


def test_thousands_of_void_qt_calls_do_not_exhaust_none(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call; editor.ui pins None."""
    import sys

    import editor.ui
    from PySide6.QtWidgets import QWidget
    w = QWidget()
    before = sys.getrefcount(None)
    for _ in range(20000):
        w.setMinimumWidth(3)  # would abort the interpreter after ~5000 calls without the guard
    assert sys.getrefcount(None) > 1 << 30 or sys.version_info >= (3, 12)
    assert editor.ui.pin_none_refcount() in (True, False)
    w.deleteLater()
    del before


def test_export_copy_keeps_document_file_and_modified_state(opened, monkeypatch, tmp_path):
    target = tmp_path / "copy.jpg"
    seen = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda p, c, proposal, f, *rest: seen.append(proposal)
                        or (str(target), ""))
    opened.undo_stack.push(_noop_command("edit"))
    assert opened.export_copy()
    assert seen[0].endswith("photo_inpainted.png")
    assert Image.open(target).format == "JPEG" and Image.open(target).size == (96, 64)
    assert opened.isWindowModified() and opened.save_path is None


def test_import_mask_of_another_size_is_stretched_when_asked(opened, tmp_path, monkeypatch):
    small = np.zeros((32, 48), np.uint8)
    small[:, 24:] = 255  # right half is hole
    Image.fromarray(small).save(tmp_path / "half.png")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert opened.import_mask(tmp_path / "half.png")
    hole = opened.model.hole_mask()
    assert hole[:, 48:].all() and not hole[:, :48].any()
    opened.settings.add_recent("/nonexistent/a.jpg")
    opened._rebuild_recent_menu()
    clear = [a for a in opened.recent_menu.actions() if a.text() == "Clear list"][0]
    clear.trigger()
    assert opened.settings.get(S.RECENT_FILES) == [] and not opened.recent_menu.isEnabled()


def test_an_empty_mask_of_another_size_is_refused_before_the_stretch_question(opened, tmp_path, monkeypatch):
    """An all-black mask of another size asked "stretch it?" first and only then said it had no hole."""
    Image.fromarray(np.zeros((32, 48), np.uint8)).save(tmp_path / "empty.png")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    assert opened.import_mask(tmp_path / "empty.png") is False
    assert asked == [] and opened.statusBar().currentMessage().startswith("The imported mask has no hole")


def test_saving_a_transparent_photo_as_jpeg_says_the_alpha_is_dropped(make_window, tmp_path, monkeypatch):
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., :3] = 120
    rgba[..., 3] = 200                                   # partly transparent
    src = tmp_path / "t.png"
    Image.fromarray(rgba, "RGBA").save(src)
    w = make_window()
    assert w.open_file(src)
    for name, dropped in (("t.jpg", True), ("t2.png", False)):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, name=name: (str(tmp_path / name), ""))
        assert w.save_as()
        message = w.statusBar().currentMessage()
        assert message.startswith("Saved") and ("alpha channel is dropped" in message) == dropped
    assert Image.open(tmp_path / "t2.png").mode == "RGBA"


def test_run_status_is_never_squeezed_below_two_lines(qtbot, opened):
    """During a run the progress bar shows above the status line; the panel keeps room for both (the status
    used to be clipped to half a line), and showing the bar moves nothing."""
    label, bar = opened.stage_label, opened.progress_bar
    before = label.geometry()
    bar.setVisible(True)
    label.setText("Preview shown after 0.7 s; restoring full-resolution detail…")
    qtbot.wait(50)
    assert label.height() >= 2 * label.fontMetrics().lineSpacing()
    assert label.geometry().top() == before.top()


def test_the_window_fits_a_768_px_laptop_screen_and_history_gives_way_first(window, qtbot):
    """The three stacked panels used to make the window at least 775 px tall (the status bar below a 768-px
    screen's edge). Now the panels scroll when short; History shrinks first, so the Inpaint panel stays whole."""
    window.show()
    assert window.minimumSizeHint().height() <= 600
    for height in (610, 690, 900):        # (690: the first start on a 768-px screen, 90 %)
        window.resize(1200, height)
        qtbot.waitUntil(lambda h=height: window.height() == h)
        qtbot.wait(50)                                    # (the panels are fitted once the layout settled)
        run, tool, history = (d.height() for d in (window.run_dock, window.tool_dock, window.history_dock))
        assert run >= window.run_dock.sizeHint().height() - 4          # the Inpaint panel whole
        if height == 610:                                 # short: History gives way first, then Tool options
            assert history < 140 and tool < window.tool_dock.sizeHint().height()
        else:                                             # room for all: History takes the spare height
            assert tool >= window.tool_dock.sizeHint().height() - 4 and history > 150


def test_about_names_the_version(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from editor import __version__
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.actions_["about"].trigger()
    assert shown and f"Inpaint Studio {__version__}" in shown[0]


def test_the_compare_window_fits_the_screen(qtbot, opened):
    """It was always 1180 x 760: on a 1280 x 720 screen its Apply button was below the screen's edge."""
    from editor.ui.compare import CompareDialog
    dlg = CompareDialog(opened)
    qtbot.addWidget(dlg)
    avail = opened.screen().availableGeometry()
    assert dlg.width() <= avail.width() and dlg.height() <= avail.height(), (dlg.size(), avail)


def test_the_panel_compare_button_follows_the_action(window, photo_path):
    """It stayed enabled with no photo open (and did nothing), while the menu's and toolbar's were disabled."""
    assert not window.model.has_document
    assert not window.actions_["compare"].isEnabled() and not window.compare_button.isEnabled()
    assert window.open_file(photo_path)
    assert window.actions_["compare"].isEnabled() and window.compare_button.isEnabled()


def test_reopening_compare_keeps_the_ticked_methods(qtbot, opened):
    """They were reset to the current method + one other on every open, disagreeing with the results shown."""
    dlg = opened.show_compare()
    dlg.set_checked(["navier-stokes", "patchmatch"])
    dlg.close()
    assert opened.show_compare().checked_methods() == ["navier-stokes", "patchmatch"]
