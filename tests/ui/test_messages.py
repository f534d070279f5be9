"""The editor speaks the editor's language: no command-line flags in its messages, a Full res choice a method
cannot do is not offered for it (and its note goes when it no longer applies)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from editor.methods.base import InpaintMethod, LowResResult
from editor.ui import settings as S

pytestmark = pytest.mark.gui


class LowResOnlyMethod(InpaintMethod):
    """Test-only: like the cra network, cannot run on a whole full-resolution photo."""

    name = "test-lowres-only"
    description = "low resolution only"
    supports_full_resolution = False

    def inpaint(self, image, hole, reporter=None):
        out = image.copy()
        out[hole] = 77
        return LowResResult(out)


@pytest.fixture
def lowres_only(monkeypatch):
    from editor.methods import base as method_base
    method_base.list_methods()
    monkeypatch.setitem(method_base._REGISTRY, LowResOnlyMethod.name, LowResOnlyMethod)


def _hole(window):
    new = window.model.coverage.copy()
    new[20:40, 30:50] = 255
    window._push_mask(new, "hole")


def test_full_res_is_not_offered_for_a_method_that_cannot_do_it(qtbot, lowres_only, make_window, photo_path,
                                                                 settings, no_modal_dialogs):
    w = make_window()
    qtbot.waitUntil(lambda: w.methods_final, timeout=30000)
    assert w.open_file(photo_path)
    _hole(w)
    w.select_method("telea")
    w.hd_combo.setCurrentIndex(w.hd_combo.findData("full"))
    full_item = w.hd_combo.model().item(w.hd_combo.findData("full"))
    w.select_method(LowResOnlyMethod.name)
    assert w.hd_combo.currentData() == "cra" and not full_item.isEnabled()
    assert "cannot run on the whole full-resolution photo" in w.stage_label.text()
    assert "cannot run" in full_item.toolTip()
    assert settings.get(S.LAST_HD) == "full"          # the user's choice is remembered...
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.inpaint()                                    # ...and the fill runs instead of failing
    assert not no_modal_dialogs and (w.model.image[20:40, 30:50] != 0).any()
    w.select_method("telea")                           # ...and comes back with a method that can
    assert w.hd_combo.currentData() == "full" and full_item.isEnabled()
    # Compare with Full res: the method that cannot falls back to CRA instead of failing
    _hole(w)
    dlg = w.show_compare()
    dlg.set_checked(["telea", LowResOnlyMethod.name])
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        dlg.run_button.click()
    assert set(dlg.results) == {"telea", LowResOnlyMethod.name} and not no_modal_dialogs
    dlg.close()


def test_pipeline_and_file_messages_have_no_command_line_flags(tmp_path):
    """The same errors, raised by the real code: the command line's advice (``str``) names its flags, the
    editor's text (``friendly_error``) never does."""
    from editor.core.errors import InpaintError
    from editor.core.imageio import load_image, load_mask, save_image
    from editor.pipeline.hd import hd_full
    from editor.ui.worker import friendly_error
    photo = tmp_path / "a.png"
    Image.fromarray(np.zeros((64, 96, 3), np.uint8)).save(photo)
    Image.fromarray(np.zeros((100, 200), np.uint8)).save(tmp_path / "m.png")
    calls = [lambda: hd_full(LowResOnlyMethod(), np.zeros((8, 8, 3), np.uint8), np.eye(8, dtype=bool), 0),
             lambda: load_mask(tmp_path / "m.png", (96, 64)),
             lambda: load_image(photo, max_pixels=100),
             lambda: save_image(photo, np.zeros((4, 4, 3), np.uint8), overwrite=False)]
    flags = ["--hd cra or crop", "--resize-mask", "--max-pixels 6144", "--force"]
    for call, flag in zip(calls, flags):
        with pytest.raises(InpaintError) as info:
            call()
        text = friendly_error(info.value)
        assert flag in str(info.value) and "--" not in text and text.startswith(info.value.message)
    with pytest.raises(InpaintError) as info:
        calls[0]()
    assert friendly_error(info.value).endswith("; choose “CRA” or “Crop” under Full res instead")


def test_mask_size_question_is_in_words(opened, tmp_path, no_modal_dialogs):
    mask = tmp_path / "m.png"
    Image.fromarray(np.full((50, 80), 255, np.uint8)).save(mask)
    assert not opened.import_mask(mask)                # the fixture answers the question with "no"
    kind, title, text = no_modal_dialogs[-1]
    assert kind == "question" and title == "Mask size differs"
    assert "--" not in text and "80 × 50" in text and "96 × 64" in text and "Stretch" in text
    assert "turned by 90°" not in text
    Image.fromarray(np.full((96, 64), 255, np.uint8)).save(mask)     # the photo (96 × 64) turned by 90°
    assert not opened.import_mask(mask)
    kind, title, text = no_modal_dialogs[-1]
    assert kind != "question" and "64 × 96" in text and "turned by 90°" in text and "--" not in text
    assert "Stretch" not in text                                     # stretching would not line it up


def test_the_full_res_fallback_note_goes_when_it_no_longer_applies(qtbot, lowres_only, make_window, tmp_path):
    from PySide6.QtCore import QSettings
    store = S.Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    w = make_window(store)
    qtbot.waitUntil(lambda: w.methods_final, timeout=30000)
    hint = w.stage_label.text()
    w.select_method("telea")
    w.hd_combo.setCurrentIndex(w.hd_combo.findData("full"))
    w.select_method(LowResOnlyMethod.name)
    assert "cannot run on the whole" in w.stage_label.text()
    w.select_method("telea")                          # Full is back: so is the hint
    assert w.hd_combo.currentData() == "full" and w.stage_label.text() == hint
    w.select_method(LowResOnlyMethod.name)
    w.hd_combo.setCurrentIndex(w.hd_combo.findData("crop"))   # the user picks another Full res himself
    assert w.stage_label.text() == hint
    # restarted with that method and Full remembered: Full res is CRA, and the start-up hint stays
    w.hd_combo.setCurrentIndex(w.hd_combo.findData("full"))
    store.sync()
    again = make_window(S.Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.waitUntil(lambda: again.methods_final, timeout=30000)
    assert again.current_method() == LowResOnlyMethod.name and again.hd_combo.currentData() == "cra"
    assert again.stage_label.text() == hint


def test_a_run_waiting_for_a_cancelled_native_call_says_so(qtbot, opened):
    """After Esc on a slow PatchMatch fill, the next one waits for the abandoned call: ~35 s on a 24 MP photo
    under "Filling at low resolution…" with a bar that did not move."""
    from editor.core.progress import WAITING
    opened._run = {"id": -1, "method": "patchmatch"}
    try:
        opened._on_progress(WAITING, 0.0)
        assert opened.stage_label.text() == "Waiting for the cancelled fill to end… (patchmatch)"
    finally:
        opened._run = None
