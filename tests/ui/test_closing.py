"""Closing the window while the worker is in a step that does not check for cancellation."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from editor.methods.base import InpaintMethod, LowResResult

pytestmark = pytest.mark.gui


class StubbornMethod(InpaintMethod):
    """Test-only: 1.5 s without looking at the cancel flag (like a long native call)."""

    name = "test-stubborn"
    description = "ignores cancellation"
    entered = threading.Event()

    def inpaint(self, image, hole, reporter=None):
        type(self).entered.set()
        time.sleep(1.5)
        out = image.copy()
        out[hole] = 9
        return LowResResult(out)


def test_closing_during_an_uncancellable_step_waits_responsively_then_closes(qtbot, monkeypatch, make_window,
                                                                             photo_path):
    from editor.methods import base as method_base
    method_base.list_methods()
    monkeypatch.setitem(method_base._REGISTRY, StubbornMethod.name, StubbornMethod)
    StubbornMethod.entered.clear()
    w = make_window()
    assert w.open_file(photo_path)
    new = w.model.coverage.copy()
    new[20:40, 30:50] = 255
    w._push_mask(new, "hole")
    original, coverage = w.model.image.copy(), w.model.coverage.copy()
    w.undo_stack.setClean()
    w.select_method(StubbornMethod.name)
    w.inpaint()
    assert StubbornMethod.entered.wait(10)
    t0 = time.perf_counter()
    assert not w.close()                                 # not yet: the worker thread still runs
    assert time.perf_counter() - t0 < 1.2                # no long freeze
    assert w.isVisible() and w.controller.thread.isRunning()
    assert w.windowTitle().startswith("Stopping") and not w.canvas.isEnabled()
    assert not w.close()                                 # a second close while stopping: still waits
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10000)
    assert not w.controller.thread.isRunning()
    np.testing.assert_array_equal(w.model.image, original)   # the late result was not applied
    np.testing.assert_array_equal(w.model.coverage, coverage)


def test_the_editor_exits_cleanly_when_closed_during_an_uncancellable_step(tmp_path):
    """The program as ``run_editor`` runs it: close while a step ignores cancellation -> exit code 0
    (it was "QThread: Destroyed while thread is still running" and SIGABRT)."""
    script = textwrap.dedent(f"""
        import sys, time
        from PIL import Image
        from PySide6.QtCore import QSettings, QTimer
        from editor.ui.app import create_application
        from editor.ui.settings import Settings
        from editor.ui.main_window import MainWindow
        from editor.methods import base
        from editor.methods.base import InpaintMethod, LowResResult
        from editor.ui.worker import InferenceController
        from tests.ui.conftest import synthetic_photo

        InferenceController.shutdown.__defaults__ = (300,)  # a step outlasting the shutdown wait, quickly

        class Stubborn(InpaintMethod):
            name = "test-stubborn"
            def inpaint(self, image, hole, reporter=None):
                time.sleep(1.5)
                return LowResResult(image.copy())

        base.list_methods()
        base._REGISTRY["test-stubborn"] = Stubborn
        Image.fromarray(synthetic_photo()).save(r"{tmp_path}/p.png")
        app = create_application()
        w = MainWindow(Settings(QSettings(r"{tmp_path}/s.ini", QSettings.Format.IniFormat)))
        w.show()
        w.open_file(r"{tmp_path}/p.png")
        new = w.model.coverage.copy(); new[20:40, 30:50] = 255; w._push_mask(new, "hole")
        w.undo_stack.setClean()
        def go():
            if not w.method_infos:
                QTimer.singleShot(50, go); return
            w.select_method("test-stubborn"); w.inpaint()
            QTimer.singleShot(300, w.close)
        QTimer.singleShot(0, go)
        code = app.exec()
        w.shutdown(); w.deleteLater()
        print("exit", code, flush=True)
        sys.exit(code)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "exit 0" in proc.stdout and "Destroyed while thread" not in proc.stderr
