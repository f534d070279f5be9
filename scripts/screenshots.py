"""Screenshots of the real editor window for the README (docs/screenshots/*.png).

Starts the editor under a virtual X server (re-runs itself with ``xvfb-run`` when there is no display; on
Debian: ``apt-get install -y xvfb``), opens a HiFill sample photo (6000x4000) with its object mask (black =
hole in those files, so inverted), paints an extra stroke with real mouse events, runs the default method,
and saves:

- ``editor-mask.png``     the window with the hole-mask overlay
- ``editor-preview.png``  zoomed in on the hole while the fill runs (low-res preview, progress bar)
- ``editor-result.png``   after the fill, zoomed in, with the before | after split
- ``compare.png``         the compare dialog with several methods

Usage: ``python scripts/screenshots.py [--data ../shared/data] [--out docs/screenshots] [--photo 1]``
Uses a throw-away settings file, never the user's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _ensure_display() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("_SCREENSHOTS_CHILD"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("no display and no xvfb-run: apt-get install -y xvfb (or set QT_QPA_PLATFORM=offscreen)")
    env = dict(os.environ, _SCREENSHOTS_CHILD="1")
    cmd = [xvfb, "-a", "-s", "-screen 0 1920x1200x24", sys.executable, *sys.argv]
    sys.exit(subprocess.call(cmd, env=env))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--photo", default="1")
    parser.add_argument("--method", default=None, help="method for the fill (default: the registry's default)")
    parser.add_argument("--compare", default="telea,patchmatch,cra",
                        help="methods for the compare view (unavailable ones are skipped)")
    args = parser.parse_args(argv)
    _ensure_display()
    sys.path.insert(0, str(REPO))

    from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
    from PySide6.QtTest import QTest

    from editor.ui.app import create_application
    from editor.ui.main_window import MainWindow
    from editor.ui.settings import Settings

    from PySide6.QtWidgets import QMessageBox

    def no_modal(parent, title, text, *a, **k):  # never block the script on a message box
        print(f"message box: {title}: {text}")
        return QMessageBox.StandardButton.Ok

    QMessageBox.warning = staticmethod(no_modal)
    app = create_application()
    tmp = tempfile.mkdtemp(prefix="inpaint-shots-")
    window = MainWindow(Settings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)))
    window.resize(1600, 1000)
    window.show()
    args.out.mkdir(parents=True, exist_ok=True)

    def pump(seconds: float = 0.2) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(cond, timeout: float = 300.0) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.02)

    def shot(widget, name: str) -> None:
        pump(0.3)
        path = args.out / name
        widget.grab().save(str(path))
        print(f"wrote {path}")

    photo = args.data / "hifill-samples" / "images" / f"{args.photo}.jpg"
    mask = args.data / "hifill-samples" / "masks" / f"{args.photo}.jpg"
    wait(lambda: bool(window.method_infos), 60)
    if args.method:
        window.select_method(args.method)
    assert window.open_file(photo), window.last_error
    assert window.import_mask(mask, invert=True), window.last_error
    pump(0.3)

    # paint a stroke with real mouse events over the boat's reflection (image coordinates from the mask)
    canvas = window.canvas
    vp = canvas.viewport()
    hole = window.model.hole_mask()
    ys, xs = hole.nonzero()
    x_mid, y_bottom = float(xs.mean()), float(ys.max())
    window.set_brush_size(90)
    pts = [canvas.view_pos(QPointF(x_mid - 350 + 35 * i, y_bottom + 120 + 12 * (i % 3))).toPoint() for i in range(21)]
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
    QTest.mouseMove(vp, pts[-1] + QPoint(40, -60))
    shot(window, "editor-mask.png")

    # zoom on the hole and run the fill; capture the preview as soon as it is shown
    ys, xs = window.model.hole_mask().nonzero()
    canvas.zoom_to(0.5)
    canvas.centerOn(float(xs.mean()), float(ys.mean()))
    previews = []

    def grab_preview(req_id, lr):  # runs right after the window has put the preview on the canvas
        if not previews:
            previews.append(time.perf_counter())
            window.stage_label.repaint()
            path = args.out / "editor-preview.png"
            window.grab().save(str(path))
            print(f"wrote {path} (preview after {previews[0] - t0:.2f} s)")

    window.controller.preview.connect(grab_preview)
    t0 = time.perf_counter()
    window.inpaint()
    wait(lambda: not window.controller.busy)
    print(f"fill finished after {time.perf_counter() - t0:.2f} s: {window.stage_label.text()}")
    window.actions_["split"].setChecked(True)
    canvas.set_split(0.5)
    QTest.mouseMove(vp, QPoint(vp.width() // 2 + 200, vp.height() // 2 + 150))
    shot(window, "editor-result.png")
    window.actions_["split"].setChecked(False)

    # compare: undo the fill, compare methods on the same hole
    window.undo_stack.undo()
    pump(0.2)
    dlg = window.show_compare()
    dlg.resize(1400, 860)
    dlg.set_checked(args.compare.split(","))
    dlg.run_button.click()
    wait(lambda: not window.controller.busy)
    pump(0.3)
    dlg.fit_all()
    if dlg.results:
        dlg._select(list(dlg.results)[-1])
    shot(dlg, "compare.png")
    dlg.close()

    window.undo_stack.setClean()
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
