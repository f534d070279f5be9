"""GUI test fixtures: an isolated QSettings per test, a window that never blocks on a modal box, a widget-leak
check (napari's idea), synthetic photos and test-only methods registered for one test at a time."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")
from PySide6.QtCore import QEvent, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox  # noqa: E402

from editor.core.progress import Reporter  # noqa: E402
from editor.methods import base as method_base  # noqa: E402
from editor.methods.base import InpaintMethod, LowResResult  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    from editor.ui.settings import Settings
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """Record message boxes instead of blocking; a file dialog a test did not patch fails the test."""
    shown: list[tuple[str, str, str]] = []

    def box(kind, answer):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return answer
        return show

    monkeypatch.setattr(QMessageBox, "warning", box("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", box("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", box("question", QMessageBox.StandardButton.Discard))

    def no_dialog(*args, **kwargs):
        raise AssertionError("unexpected file dialog")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", no_dialog)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", no_dialog)
    return shown


def _flush():
    app = QApplication.instance()
    for _ in range(3):
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


@pytest.fixture
def leak_check(qapp):
    """Fails a test that leaves top-level widgets behind."""
    _flush()
    before = {id(w) for w in QApplication.topLevelWidgets()}
    yield
    _flush()
    leaked = [w for w in QApplication.topLevelWidgets() if id(w) not in before]
    assert not leaked, f"widgets leaked: {[type(w).__name__ for w in leaked]}"


@pytest.fixture
def make_window(qtbot, settings, leak_check):
    """Factory for editor windows; each is closed (worker thread stopped) and deleted after the test."""
    from editor.ui.main_window import MainWindow
    from editor.ui.style import apply_theme

    apply_theme(QApplication.instance())
    windows = []

    def make(store=None):
        w = MainWindow(store or settings)
        w.resize(900, 640)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: bool(w.method_infos), timeout=20000)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.undo_stack.setClean()
        w.close()  # a step that ignores cancellation: the window closes by itself once it has ended
        qtbot.waitUntil(lambda: not w.isVisible() and not w.controller.thread.isRunning(), timeout=30000)
        w.deleteLater()


@pytest.fixture
def window(make_window):
    return make_window()


def synthetic_photo(w: int = 96, h: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth gradient with texture: uint8 (h, w, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x + y) * 127 // max(1, w + h - 2)], -1)
    img = img + rng.integers(0, 20, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_path(tmp_path) -> Path:
    """A 96x64 PNG with an EXIF block (Artist tag) in tmp_path."""
    path = tmp_path / "photo.png"
    img = Image.fromarray(synthetic_photo())
    exif = Image.Exif()
    exif[0x013B] = "Test Artist"
    img.save(path, exif=exif.tobytes())
    return path


@pytest.fixture
def opened(window, photo_path):
    assert window.open_file(photo_path)
    return window


class SlowMethod(InpaintMethod):
    """Test-only: loops for up to ~20 s reporting progress, so a run can be cancelled; fills with grey."""

    name = "test-slow"
    description = "slow test method"
    seconds = 20.0

    def inpaint(self, image, hole, reporter: Reporter | None = None):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < self.seconds:
            if reporter is not None:
                reporter.report("lr_inpaint", (time.perf_counter() - t0) / self.seconds)
            time.sleep(0.01)
        out = image.copy()
        out[hole] = 128
        return LowResResult(out)


class QuickUncancellableMethod(InpaintMethod):
    """Test-only: sleeps 0.4 s without checking the cancel flag, then fills with a constant."""

    name = "test-sleepy"
    description = "sleepy test method"
    value = 7

    def inpaint(self, image, hole, reporter=None):
        time.sleep(0.4)
        out = image.copy()
        out[hole] = self.value
        return LowResResult(out)


class FailingMethod(InpaintMethod):
    name = "test-fail"
    description = "always fails"

    def inpaint(self, image, hole, reporter=None):
        raise RuntimeError("kaboom in the network")


class UnavailableMethod(InpaintMethod):
    name = "test-network"
    kind = "network"
    description = "network without weights"

    def availability(self):
        return False, "weights not found (test)"

    def inpaint(self, image, hole, reporter=None):
        raise AssertionError("must not run")


@pytest.fixture
def test_methods(monkeypatch):
    """Register the test-only methods for this test only (the registry is restored afterwards)."""
    method_base.list_methods()  # fill the registry first so the real methods keep their order
    for cls in (SlowMethod, QuickUncancellableMethod, FailingMethod, UnavailableMethod):
        monkeypatch.setitem(method_base._REGISTRY, cls.name, cls)
    return method_base._REGISTRY
