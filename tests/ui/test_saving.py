"""Saving and opening edge cases: names typed without extension, JPEG quality, edits made while another photo
loads, closing while a background save is still writing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.ui.conftest import synthetic_photo

pytestmark = pytest.mark.gui
SB = QMessageBox.StandardButton


def _noop_command(text):
    from PySide6.QtGui import QUndoCommand
    return QUndoCommand(text)


def _answer(monkeypatch, shown, answer):
    def question(parent, title, text, *args, **kwargs):
        shown.append(("question", title, text))
        return answer
    monkeypatch.setattr(QMessageBox, "question", question)


def _edited_jpeg(make_window, tmp_path):
    """A window with ``orig.jpg`` open and one unsaved edit: ``(path, its bytes, window)``."""
    src = tmp_path / "orig.jpg"
    Image.fromarray(synthetic_photo()).save(src, quality=90)
    w = make_window()
    assert w.open_file(src)
    w.model.image[5:10, 5:10] = 0
    w.undo_stack.push(_noop_command("edit"))
    return src, src.read_bytes(), w


def test_save_as_name_without_extension_never_replaces_the_original_silently(
        make_window, tmp_path, monkeypatch, no_modal_dialogs):
    src, before, w = _edited_jpeg(make_window, tmp_path)
    # the user types "orig": the dialog had nothing to confirm, the ".jpg" is added afterwards
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "orig"), "JPEG (*.jpg *.jpeg)"))
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    assert not w.save_as()
    assert src.read_bytes() == before and w.save_path is None and w.isWindowModified()
    assert no_modal_dialogs[-1][1] == "Replace file?" and "photo you opened" in no_modal_dialogs[-1][2]
    assert "Not saved" in w.statusBar().currentMessage()
    # confirmed: it is replaced, as asked
    _answer(monkeypatch, no_modal_dialogs, SB.Yes)
    assert w.save_as()
    assert src.read_bytes() != before and w.save_path == src and not w.isWindowModified()


def test_save_as_onto_the_original_by_its_full_name_is_asked_about_in_so_many_words(
        make_window, tmp_path, monkeypatch, no_modal_dialogs):
    """The file dialog's own overwrite question says only "already exists": choosing the opened photo itself
    (name and extension, or another path to it) gets the editor's question too, Cancel by default."""
    src, before, w = _edited_jpeg(make_window, tmp_path)
    (tmp_path / "sub").mkdir()
    for name in ("orig.jpg", "sub/../orig.jpg"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name: (str(tmp_path / n), ""))
        _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
        assert not w.save_as()
        assert src.read_bytes() == before and w.isWindowModified()
        assert no_modal_dialogs[-1][1] == "Replace file?" and "photo you opened" in no_modal_dialogs[-1][2]
    # another existing file with its extension: the dialog already asked, nothing more
    Image.fromarray(synthetic_photo()).save(tmp_path / "other.jpg")
    asked = len(no_modal_dialogs)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "other.jpg"), ""))
    assert w.save_as() and len(no_modal_dialogs) == asked


def test_names_without_extension_take_the_chosen_type_and_ask_before_replacing(
        opened, tmp_path, monkeypatch, no_modal_dialogs):
    # a new name: no question, the chosen type's extension is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "copy"), "PNG (*.png)"))
    assert opened.export_copy()
    assert Image.open(tmp_path / "copy.png").format == "PNG"
    assert not [d for d in no_modal_dialogs if d[0] == "question"]
    # Export Copy onto an existing file reached by adding the extension: asked, kept on Cancel
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    before = (tmp_path / "copy.png").read_bytes()
    opened.model.image[:] = 0
    assert not opened.export_copy()
    assert (tmp_path / "copy.png").read_bytes() == before
    assert "already exists" in no_modal_dialogs[-1][2]
    # Export Mask: "mask" means mask.png; an existing mask.png is not replaced without asking
    (tmp_path / "mask.png").write_bytes(b"keep me")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "mask"), "PNG (*.png)"))
    opened.export_mask_dialog()
    assert (tmp_path / "mask.png").read_bytes() == b"keep me"
    _answer(monkeypatch, no_modal_dialogs, SB.Yes)
    opened.export_mask_dialog()
    assert Image.open(tmp_path / "mask.png").size == (96, 64)


def test_ijg_quality_estimate_is_exact_for_libjpeg_tables():
    import io

    from editor.core.jpeg_quality import estimate_quality, ijg_table, jpeg_settings
    assert ijg_table(50)[:3] == [16, 11, 10] and ijg_table(100) == [1] * 64
    img = Image.fromarray(synthetic_photo(16, 16))
    for q in (1, 12, 49, 50, 51, 60, 75, 90, 95, 99, 100):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q)
        buf.seek(0)
        assert estimate_quality(dict(Image.open(buf).quantization)) == q
    assert estimate_quality({}) is None
    assert jpeg_settings("/nonexistent.jpg") is None


def test_jpeg_settings_of_a_photo_above_the_bomb_limit_fall_back_to_the_defaults(tmp_path, monkeypatch):
    """Opened on request above twice the limit, its header read raises DecompressionBombError in Pillow: the
    photo still opens (saved at the defaults) instead of failing half-way through adopting it."""
    from PIL import Image as PILImage

    from editor.core.jpeg_quality import jpeg_settings
    src = tmp_path / "big.jpg"
    Image.fromarray(synthetic_photo()).save(src, quality=70, subsampling=2)
    assert jpeg_settings(src) == (70, 2)
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100)
    assert jpeg_settings(src) is None


def test_a_jpeg_is_saved_at_the_quality_it_was_opened_with(make_window, tmp_path, monkeypatch):
    from PIL import JpegImagePlugin
    src = tmp_path / "q60.jpg"
    Image.fromarray(synthetic_photo()).save(src, quality=60, subsampling=2)   # 4:2:0, as cameras write
    w = make_window()
    assert w.open_file(src)
    w.model.image[5:10, 5:10] = 0
    w.undo_stack.push(_noop_command("edit"))
    for name in ("out.jpg", "out.webp"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, name=name: (str(tmp_path / name), ""))
        assert w.save_as()
    assert list(Image.open(tmp_path / "out.jpg").quantization[0]) == list(Image.open(src).quantization[0])
    assert JpegImagePlugin.get_sampling(Image.open(tmp_path / "out.jpg")) == 2   # and its chroma subsampling
    w.save_path = tmp_path / "bg.jpg"
    assert w.save(background=True)                        # the background saver keeps them too
    w._settle_saves()
    assert JpegImagePlugin.get_sampling(Image.open(tmp_path / "bg.jpg")) == 2
    assert w.save_quality(tmp_path / "x.webp") == 95      # other formats: the files/quality setting
    # a PNG source has no JPEG quality: the setting applies
    png = tmp_path / "p.png"
    Image.fromarray(synthetic_photo()).save(png)
    assert w.open_file(png) and w.save_quality(tmp_path / "p.jpg") == 95 and w.save_subsampling(tmp_path / "p.jpg") == 0


def test_edits_made_while_another_photo_loads_are_not_dropped_unasked(qtbot, opened, photo_path, tmp_path,
                                                                      monkeypatch, no_modal_dialogs):
    other = tmp_path / "other.png"
    Image.fromarray(synthetic_photo(80, 50, seed=3)).save(other)
    # nothing edited meanwhile: opens without a question
    with qtbot.waitSignal(opened.loader.loaded, timeout=10000):
        assert opened.open_file(other, background=True)
    qtbot.waitUntil(lambda: opened.model.path == other)
    assert not no_modal_dialogs
    assert opened.open_file(photo_path)
    # the user keeps editing the photo still shown while the next one decodes, then cancels the question
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    with qtbot.waitSignal(opened.loader.loaded, timeout=10000):
        assert opened.open_file(other, background=True)
        opened.model.image[0:4, 0:4] = 0
        opened.undo_stack.push(_noop_command("edit while loading"))
    qtbot.wait(50)
    assert no_modal_dialogs[-1][1] == "Unsaved changes" and "other.png" in no_modal_dialogs[-1][2]
    assert opened.model.path == photo_path and opened.isWindowModified()
    assert opened.undo_stack.text(opened.undo_stack.count() - 1) == "edit while loading"
    assert "was not opened" in opened.statusBar().currentMessage()
    # Discard: the new photo replaces it
    _answer(monkeypatch, no_modal_dialogs, SB.Discard)
    with qtbot.waitSignal(opened.loader.loaded, timeout=10000):
        assert opened.open_file(other, background=True)   # (asked here: answered Discard)
        opened.undo_stack.push(_noop_command("another edit"))
    qtbot.waitUntil(lambda: opened.model.path == other)
    assert len([d for d in no_modal_dialogs if d[0] == "question"]) == 3


def test_closing_right_after_ctrl_s_waits_for_the_save_instead_of_asking(qtbot, make_window, photo_path, tmp_path,
                                                                         monkeypatch, no_modal_dialogs):
    import time

    from editor.core import imageio
    real_save = imageio.save_document

    def slow_save(*args, **kwargs):
        time.sleep(0.3)
        real_save(*args, **kwargs)

    monkeypatch.setattr(imageio, "save_document", slow_save)
    w = make_window()
    assert w.open_file(photo_path)
    w.model.image[0:4, 0:4] = 0
    w.undo_stack.push(_noop_command("edit"))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "bad" / "x.png"), ""))
    w.actions_["save"].trigger()                 # a background save that fails: the question still comes
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    assert not w.close() and w.isVisible()
    assert [d[1] for d in no_modal_dialogs] == ["Could not save", "Unsaved changes"]
    target = tmp_path / "out.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    w.actions_["save"].trigger()                 # Ctrl+S, then closing at once, while the file is written
    assert w.saver.pending
    assert w.close()
    assert len(no_modal_dialogs) == 2 and target.is_file()
    assert Image.open(target).getpixel((0, 0)) == (0, 0, 0)


def test_names_with_a_dot_but_no_image_extension_get_the_chosen_types(opened, tmp_path, monkeypatch,
                                                                      no_modal_dialogs):
    def answer(name, chosen):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / name), chosen))

    answer("photo.v2", "JPEG (*.jpg *.jpeg)")
    assert opened.save_as() and Image.open(tmp_path / "photo.v2.jpg").format == "JPEG"
    assert opened.save_path == tmp_path / "photo.v2.jpg"
    answer("holiday.2024", "PNG (*.png)")
    assert opened.export_copy() and Image.open(tmp_path / "holiday.2024.png").format == "PNG"
    answer("trail.", "JPEG (*.jpg *.jpeg)")            # a trailing dot: not "trail..jpg"
    assert opened.save_as() and (tmp_path / "trail.jpg").is_file()
    answer("dots.jpg.", "JPEG (*.jpg *.jpeg)")          # after an extension: dots.jpg, not dots.jpg.jpg
    assert opened.save_as() and (tmp_path / "dots.jpg").is_file() and not (tmp_path / "dots.jpg.jpg").exists()
    answer("mask.v2", "PNG (*.png)")
    opened.export_mask_dialog()
    assert Image.open(tmp_path / "mask.v2.png").size == (96, 64)
    assert opened.last_error is None and not no_modal_dialogs
    # the completed name is the one asked about before it is replaced
    answer("photo.v2", "All files (*)")                 # (no type chosen: the photo's own, PNG)
    (tmp_path / "photo.v2.png").write_bytes(b"keep me")
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    assert not opened.save_as()
    assert (tmp_path / "photo.v2.png").read_bytes() == b"keep me" and "“photo.v2.png” already exists" in \
        no_modal_dialogs[-1][2]


def test_overlapping_background_saves_land_in_the_order_they_were_asked(qtbot, opened, tmp_path, monkeypatch):
    import time

    from editor.core import imageio
    real_save, delays = imageio.save_document, [0.4]

    def slow_first(*args, **kwargs):                   # the first save is slow to write (a large photo)
        time.sleep(delays.pop() if delays else 0)
        real_save(*args, **kwargs)

    monkeypatch.setattr(imageio, "save_document", slow_first)
    target = tmp_path / "out.png"
    opened.save_path = target
    opened.model.image[0:8, 0:8] = 10
    opened.undo_stack.push(_noop_command("fill A"))
    opened.actions_["save"].trigger()                  # Ctrl+S: state A
    opened.model.image[0:8, 0:8] = 200
    opened.undo_stack.push(_noop_command("fill B"))
    newest = opened.model.image.copy()
    opened.actions_["save"].trigger()                  # Ctrl+S again while A is still being written
    qtbot.waitUntil(lambda: not opened.saver.pending and not opened._saves, timeout=10000)
    np.testing.assert_array_equal(np.asarray(Image.open(target).convert("RGB")), newest)
    assert not opened.isWindowModified()               # clean, and the file is what the window shows
    # saved, then edited, then the save's answer: not clean (the edit is not in the file)
    delays.append(0.3)
    opened.actions_["save"].trigger()
    opened.model.image[0:8, 0:8] = 50
    opened.undo_stack.push(_noop_command("fill C"))
    qtbot.waitUntil(lambda: not opened.saver.pending and not opened._saves, timeout=10000)
    assert opened.isWindowModified() and "not in the file" in opened.statusBar().currentMessage()


def test_a_photo_above_the_safety_limit_is_opened_only_when_the_user_agrees(qtbot, window, photo_path,
                                                                            monkeypatch, no_modal_dialogs):
    from PIL import Image as PILImage

    from editor.core.errors import TooLargeError
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 5000)   # the 96 × 64 photo has 6144 pixels
    assert not window.open_file(photo_path)                 # the fixture answers Discard: not opened
    kind, title, text = no_modal_dialogs[-1]
    assert kind == "question" and "0.006 megapixels" in text and "0.005 MP safety limit" in text
    assert "memory" in text and "Open it anyway?" in text and "--" not in text
    assert not window.model.has_document and "Not opened" in window.statusBar().currentMessage()
    _answer(monkeypatch, no_modal_dialogs, SB.Open)
    assert window.open_file(photo_path) and window.model.width == 96
    # the same from the background loader (File → Open, recent files, drag and drop)
    other = photo_path.with_name("other.png")
    Image.fromarray(synthetic_photo(80, 70, seed=2)).save(other)
    assert window.open_file(other, background=True)
    qtbot.waitUntil(lambda: window.model.path == other, timeout=10000)
    assert no_modal_dialogs[-1][2].startswith("“other.png” has 0.006 megapixels") and len(no_modal_dialogs) == 3
    # the memory it may take, from what the editor holds per pixel (a 102 MP camera: about 3 GB)
    _answer(monkeypatch, no_modal_dialogs, SB.Cancel)
    big = TooLargeError("x", pixels=102_000_000, limit=89_478_485)
    assert not window._open_large_anyway(big, photo_path)
    text = no_modal_dialogs[-1][2]
    assert "102 megapixels" in text and "89 MP safety limit" in text and "about 3.0 GB of memory" in text


def test_opening_another_photo_while_a_fill_runs_asks_once(qtbot, test_methods, opened, tmp_path, monkeypatch,
                                                           no_modal_dialogs):
    import threading

    from editor.ui import worker
    real_load, fill_over = worker.load_document, threading.Event()

    def slow_load(*args, **kwargs):                    # the next photo decodes slower than the fill takes
        fill_over.wait(10)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(worker, "load_document", slow_load)
    qtbot.waitUntil(lambda: opened.methods_final, timeout=30000)
    opened.controller.finished.connect(lambda *a: fill_over.set())
    opened.controller.cancelled.connect(lambda *a: fill_over.set())
    other = tmp_path / "other.png"
    Image.fromarray(synthetic_photo(80, 50, seed=3)).save(other)
    new = opened.model.coverage.copy()
    new[20:40, 30:50] = 255
    opened._push_mask(new, "hole")
    filled = []
    opened.model.imageChanged.connect(lambda rect: filled.append(opened.model.path))
    opened.select_method("test-sleepy")                # 0.4 s
    opened.inpaint()
    assert opened.open_file(other, background=True)    # "Save the changes…?": Discard
    assert len(no_modal_dialogs) == 1
    qtbot.waitUntil(lambda: opened.model.path == other, timeout=10000)
    assert len(no_modal_dialogs) == 1                  # asked once: the fill did not land on the closed photo...
    assert not filled and not opened.isWindowModified()
    assert opened.undo_stack.count() == 0              # ...nor on the new one


def test_every_extension_the_core_writes_is_saved_as_its_type(opened, tmp_path, monkeypatch, no_modal_dialogs):
    """.jpe / .jfif are JPEG and .bmp is BMP in the editor as in the CLI: not "photo.jpe.png"; the save dialog
    offers every type."""
    from editor.ui.main_window import SAVE_FILTER
    assert "BMP (*.bmp)" in SAVE_FILTER and "*.jfif" in SAVE_FILTER
    for name, fmt in (("a.jpe", "JPEG"), ("b.jfif", "JPEG"), ("c.bmp", "BMP")):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name: (str(tmp_path / n), "All files (*)"))
        assert opened.save_as()
        assert Image.open(tmp_path / name).format == fmt and not (tmp_path / f"{name}.png").exists()
    assert opened.last_error is None and not no_modal_dialogs


def test_closing_after_mask_only_edits_asks_about_the_mask_not_about_saving_the_photo(
        qtbot, make_window, photo_path, monkeypatch, no_modal_dialogs):
    """Save cannot keep a painted mask (it wrote a copy identical to the photo and the mask was lost anyway):
    with only mask edits since the last save, the question is whether to discard the mask (Export Mask keeps
    it), with Discard and Cancel only. A fill among the edits brings the usual Save question back."""
    from editor.ui.commands import result_command
    buttons = []

    def question(parent, title, text, choices, default=None):
        no_modal_dialogs.append(("question", title, text))
        buttons.append(choices)
        return SB.Cancel
    monkeypatch.setattr(QMessageBox, "question", question)
    w = make_window()
    assert w.open_file(photo_path)
    new = w.model.coverage.copy()
    new[20:40, 30:50] = 255
    w._push_mask(new, "hole")
    assert not w.close() and w.isVisible()                     # Cancel keeps the window and the mask
    assert no_modal_dialogs[-1][1] == "Unsaved hole mask" and "Export Mask" in no_modal_dialogs[-1][2]
    assert not buttons[-1] & SB.Save and w.model.hole_mask().any()
    result = w.model.image.copy()
    result[20:40, 30:50] = 0
    w.undo_stack.push(result_command(w.model, result, w.model.coverage.copy(), "Inpaint (test)"))
    assert not w.close()
    assert no_modal_dialogs[-1][1] == "Unsaved changes" and buttons[-1] & SB.Save
    w.undo_stack.undo()                                        # back to the mask alone
    assert not w.close() and no_modal_dialogs[-1][1] == "Unsaved hole mask"
