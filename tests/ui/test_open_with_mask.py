"""Opening a photo with a hole mask (``inpaint-studio open PHOTO --mask MASK``, ``MainWindow.open_file(path,
mask=...)``): a mask that cannot be used never keeps the photo from opening; it is then dealt with as File →
Import Mask deals with it (stretch a mask of another size when the user agrees, explain a turned one, say why
an unreadable one was not imported), in message boxes that name the mask, not the photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

pytestmark = pytest.mark.gui

BACKGROUND = pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])


def _answer(monkeypatch, shown, answer):
    """Answer every question with ``answer``, recording it in ``shown`` as ``no_modal_dialogs`` does."""
    def question(parent, title, text, *args, **kwargs):
        shown.append(("question", title, text))
        return answer
    monkeypatch.setattr(QMessageBox, "question", question)


def _open(window, qtbot, photo, mask, background: bool) -> None:
    """Open ``photo`` with ``mask`` as the command line does (in the loader thread with ``background``), and
    wait until it is shown (any question about the mask is asked in the same turn of the event loop)."""
    assert window.open_file(photo, mask, background=background)
    if background:
        qtbot.waitUntil(lambda: window.model.has_document and not window.loader.busy, timeout=10000)
    assert window.model.path == photo


def _small_mask(tmp_path):
    """A 48 × 32 mask (half the 96 × 64 photo's size) whose right half is hole."""
    small = np.zeros((32, 48), np.uint8)
    small[:, 24:] = 255
    path = tmp_path / "m_small.png"
    Image.fromarray(small).save(path)
    return path


@BACKGROUND
def test_a_mask_of_another_size_declined_still_opens_the_photo(window, qtbot, photo_path, tmp_path, monkeypatch,
                                                               no_modal_dialogs, background):
    _answer(monkeypatch, no_modal_dialogs, QMessageBox.StandardButton.No)
    _open(window, qtbot, photo_path, _small_mask(tmp_path), background)
    assert [(kind, title) for kind, title, _ in no_modal_dialogs] == [("question", "Mask size differs")]
    text = no_modal_dialogs[0][2]
    assert "m_small.png" in text and "48 × 32" in text and "96 × 64" in text and "Stretch" in text
    assert not window.model.hole_mask().any()          # the photo as it is, without the declined mask
    assert window.undo_stack.count() == 0 and not window.isWindowModified()


@BACKGROUND
def test_a_mask_of_another_size_is_stretched_on_open_when_asked(window, qtbot, photo_path, tmp_path, monkeypatch,
                                                                no_modal_dialogs, background):
    _answer(monkeypatch, no_modal_dialogs, QMessageBox.StandardButton.Yes)
    _open(window, qtbot, photo_path, _small_mask(tmp_path), background)
    assert [(kind, title) for kind, title, _ in no_modal_dialogs] == [("question", "Mask size differs")]
    hole = window.model.hole_mask()
    assert hole.shape == (64, 96) and hole[:, 48:].all() and not hole[:, :48].any()
    # the stretched mask is its own undo step, as with File → Import Mask; Undo gives the photo as opened
    assert window.undo_stack.count() == 1 and window.undo_stack.text(0) == "Import mask"
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert not window.model.hole_mask().any() and not window.isWindowModified()


@BACKGROUND
def test_a_turned_mask_is_explained_and_the_photo_opens(window, qtbot, photo_path, tmp_path, monkeypatch,
                                                        no_modal_dialogs, background):
    turned = np.zeros((96, 64), np.uint8)                # the 96 × 64 photo's size turned by 90°
    turned[10:20, 10:20] = 255
    mask = tmp_path / "m_turned.png"
    Image.fromarray(turned).save(mask)
    _answer(monkeypatch, no_modal_dialogs, QMessageBox.StandardButton.Yes)   # (were it asked, it would stretch)
    _open(window, qtbot, photo_path, mask, background)
    assert [(kind, title) for kind, title, _ in no_modal_dialogs] == [("warning", "Mask size differs")]
    text = no_modal_dialogs[0][2]
    assert "m_turned.png" in text and "turned by 90°" in text and "Stretch" not in text   # no stretch offered
    assert not window.model.hole_mask().any()
    assert window.undo_stack.count() == 0 and not window.isWindowModified()


@BACKGROUND
def test_a_mask_that_is_no_image_is_named_and_the_photo_opens(window, qtbot, photo_path, tmp_path,
                                                              no_modal_dialogs, background):
    mask = tmp_path / "notes.png"
    mask.write_text("not an image")
    _open(window, qtbot, photo_path, mask, background)
    assert [(kind, title) for kind, title, _ in no_modal_dialogs] == [("warning", "Could not import the mask")]
    assert "notes.png" in no_modal_dialogs[0][2] and "Traceback" not in no_modal_dialogs[0][2]
    assert not window.model.hole_mask().any()
    assert window.undo_stack.count() == 0 and not window.isWindowModified()


@BACKGROUND
def test_a_fitting_mask_is_part_of_the_opened_photo(window, qtbot, photo_path, tmp_path, no_modal_dialogs,
                                                    background):
    """(A guard, not the bug: a mask of the photo's size is opened with it, no undo step, nothing asked.)"""
    mask = np.zeros((64, 96), np.uint8)
    mask[40:50, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "cli_mask.png")
    _open(window, qtbot, photo_path, tmp_path / "cli_mask.png", background)
    assert window.model.hole_mask().sum() == 100 and not no_modal_dialogs
    assert window.undo_stack.count() == 0 and not window.isWindowModified()


@BACKGROUND
def test_a_mask_of_another_size_is_decoded_once_on_open_and_on_import(window, qtbot, photo_path, tmp_path,
                                                                      monkeypatch, no_modal_dialogs, background):
    """It was decoded for the photo's size, then again at its own size before the question (~2 s each at 24 MP)."""
    from editor.core import imageio
    calls = []
    real = imageio._read_hole
    monkeypatch.setattr(imageio, "_read_hole", lambda *a: calls.append(a[0]) or real(*a))
    _answer(monkeypatch, no_modal_dialogs, QMessageBox.StandardButton.Yes)
    mask = _small_mask(tmp_path)
    _open(window, qtbot, photo_path, mask, background)
    assert calls == [mask] and window.model.hole_mask()[:, 48:].all()
    window.undo_stack.undo()
    assert window.import_mask(mask) and calls == [mask, mask]
    assert window.model.hole_mask()[:, 48:].all() and not window.model.hole_mask()[:, :48].any()
