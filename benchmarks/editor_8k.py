"""Editor responsiveness on an 8K photo (7680x4320, synthetic): open + first paint, brush-dab latency at
fit-to-window, full repaints (mipmapped canvas vs. Qt drawing the full-res pixmap scaled), panning, and the
memory of an open document with 20 undo steps.

Targets (issue 3): <= 16 ms per dab while painting at fit-to-window; <= 1.5 GB RSS with 20 undo steps.
Baselines measured in the same run: a plain ``QGraphicsPixmapItem`` with the full-resolution pixmap (what a
QGraphicsView canvas does without levels), and rebuilding the whole 8K overlay QImage per dab (what the
incremental overlay avoids).

Usage: ``python benchmarks/editor_8k.py [--width 7680 --height 4320] [--dabs 200]``
(runs offscreen unless a display is set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_photo(w: int, h: int, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    base = np.stack([160 * x + 60 * y, 120 + 80 * np.sin(6 * x + 3 * y), 200 - 120 * y + 0 * x], -1)
    noise = rng.normal(0, 12, (h // 4, w // 4, 3)).astype(np.float32)
    import cv2
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=7680)
    parser.add_argument("--height", type=int, default=4320)
    parser.add_argument("--dabs", type=int, default=200, help="mouse moves measured while painting")
    args = parser.parse_args(argv)

    import numpy as np
    from PIL import Image
    from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
    from PySide6.QtGui import QImage, QPixmap
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

    from editor.ui.app import create_application
    from editor.ui.main_window import MainWindow
    from editor.ui.settings import Settings

    rows: list[tuple[str, str, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="editor8k-"))
    photo = tmp / "photo8k.jpg"
    Image.fromarray(synthetic_photo(args.width, args.height)).save(photo, quality=92)
    size_label = "8K" if (args.width, args.height) == (7680, 4320) else f"{args.width}x{args.height}"
    rss_start = rss_mb()

    app = create_application()
    window = MainWindow(Settings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    canvas = window.canvas
    vp = canvas.viewport()

    # ---- the editor's real path: open in the loader thread; how long does the event loop stall meanwhile?
    from PySide6.QtCore import QTimer
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    # startup: the worker thread lists the methods (imports the network module, i.e. torch) and probes devices
    t = time.perf_counter()
    last[0] = t
    while not window.method_infos:
        QTest.qWait(2)
    t_quick = time.perf_counter() - t
    while not window.methods_final:
        QTest.qWait(2)
    t_final = time.perf_counter() - t
    rows.append(("startup: classical | all methods listed", f"{t_quick * 1000:.0f} | {t_final * 1000:.0f} ms",
                 f"by the worker thread; longest event-loop stall {max(gaps or [0]) * 1000:.0f} ms "
                 f"(network check imports torch)"))
    gaps.clear()
    from PySide6.QtCore import QEventLoop
    loop = QEventLoop()
    window.model.documentChanged.connect(loop.quit)
    t = time.perf_counter()
    last[0] = t
    window.open_file(photo, background=True)
    loop.exec()  # the real event loop runs while the loader thread decodes
    window.model.documentChanged.disconnect(loop.quit)
    vp.repaint()
    t_bg = time.perf_counter() - t
    timer.stop()
    rows.append((f"open {size_label} JPEG + first paint (cold, loader)", f"{t_bg * 1000:.0f} ms",
                 f"longest event-loop stall meanwhile {max(gaps) * 1000:.0f} ms (5 ms timer)"))
    # breakdown, measured without adopting a second document
    from editor.core.imageio import load_image
    from editor.ui.canvas import ImagePyramid
    t = time.perf_counter()
    doc = load_image(photo)
    t_decode = time.perf_counter() - t
    t = time.perf_counter()
    ImagePyramid(doc.image)
    t_levels = time.perf_counter() - t
    del doc
    rows.append(("  warm: JPEG decode (core) | levels", f"{t_decode * 1000:.0f} | {t_levels * 1000:.0f} ms",
                 "both run in the loader thread; the first decode in a process is slower (cold caches)"))

    # ---- full repaint at fit: mipmaps vs. the full-res pixmap scaled by Qt
    def time_repaints(widget, n=10):
        widget.repaint()
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            widget.repaint()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    t_fit = time_repaints(vp)
    arr = window.model.image
    naive_view = QGraphicsView()
    naive_scene = QGraphicsScene(naive_view)
    naive_view.setScene(naive_scene)
    pix = QPixmap.fromImage(QImage(arr.data, arr.shape[1], arr.shape[0], arr.strides[0],
                                   QImage.Format.Format_RGB888))
    item = QGraphicsPixmapItem(pix)
    item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
    naive_scene.addItem(item)
    naive_view.resize(vp.size())
    naive_view.show()
    app.processEvents()
    naive_view.fitInView(item, Qt.AspectRatioMode.KeepAspectRatio)
    t_naive = time_repaints(naive_view.viewport(), 3)
    if os.environ.get("EDITOR8K_GRAB"):
        naive_view.grab().save(str(tmp / "naive.png"))
        canvas.grab().save(str(tmp / "mip.png"))
        print("grabs in", tmp)
    naive_view.close()
    del pix, item
    rows.append(("full repaint at fit-to-window", f"{t_fit * 1000:.1f} ms",
                 f"baseline QGraphicsPixmapItem, full-res pixmap scaled by Qt: {t_naive * 1000:.1f} ms "
                 f"(point-sampled bilinear: aliased at < 50 %; the levels are area-averaged)"))

    # ---- brush dabs at fit-to-window (each mouse move: dabs + overlay update + synchronous repaint)
    window.set_brush_size(120)
    rng = np.random.default_rng(1)
    lat = []
    strokes = 0
    w_img, h_img = window.model.width, window.model.height

    def stroke(n_moves, measure):
        nonlocal strokes
        x0, y0 = rng.uniform(0.2, 0.8) * w_img, rng.uniform(0.2, 0.8) * h_img
        start = canvas.view_pos(QPointF(x0, y0)).toPoint()
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        p = start
        for i in range(n_moves):
            p = p + QPoint(3, 1 if i % 2 else 0)
            t0 = time.perf_counter()
            QTest.mouseMove(vp, p)
            app.processEvents()  # delivers the paint of the dirty region, as the event loop would
            if measure:
                lat.append(time.perf_counter() - t0)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
        strokes += 1

    per_stroke = max(10, args.dabs // 20)
    for _ in range(20):
        stroke(per_stroke, True)
    rows.append((f"brush move at fit ({canvas.zoom * 100:.0f} %, 120 px brush)",
                 f"{statistics.mean(lat) * 1000:.2f} ms mean",
                 f"p95 {pct(lat, 0.95) * 1000:.2f} ms, max {max(lat) * 1000:.2f} ms (target <= 16 ms)"))
    # baseline: rebuild the whole overlay image per dab
    cov = window.model.coverage
    lut = canvas.photo.overlay._lut
    t0 = time.perf_counter()
    full = lut[cov]
    QImage(full.data, w_img, h_img, full.strides[0], QImage.Format.Format_ARGB32_Premultiplied).copy()
    t_rebuild = time.perf_counter() - t0
    del full
    rows.append((f"baseline: rebuild {size_label} overlay per dab", f"{t_rebuild * 1000:.0f} ms",
                 f"{t_rebuild / statistics.mean(lat):.0f}x the incremental update"))

    # ---- panning at 100 % and at fit
    for label, zoom in (("pan at 100 %", 1.0), ("pan at 25 %", 0.25)):
        canvas.zoom_to(zoom)
        canvas.centerOn(w_img / 2, h_img / 2)
        bar = canvas.horizontalScrollBar()
        ts = []
        for i in range(30):
            t0 = time.perf_counter()
            bar.setValue(bar.value() + (40 if i % 20 < 10 else -40))
            app.processEvents()
            ts.append(time.perf_counter() - t0)
        rows.append((label, f"{statistics.mean(ts) * 1000:.2f} ms per step",
                     f"p95 {pct(ts, 0.95) * 1000:.2f} ms (40 px scroll steps incl. repaint)"))
    canvas.fit_to_window()

    # ---- memory with 20 undo steps
    app.processEvents()
    stack = window.undo_stack
    undo_bytes = sum(getattr(stack.command(i), "nbytes", 0) for i in range(stack.count()))
    rows.append((f"RSS with {size_label} open, {stack.count()} undo steps", f"{rss_mb():.0f} MB",
                 f"undo data {undo_bytes / 1e6:.1f} MB; before Qt/photo {rss_start:.0f} MB (target <= 1536 MB)"))

    window.undo_stack.setClean()
    window.close()

    width = max(len(r[0]) for r in rows)
    print(f"\nInpaint Studio editor, {args.width}x{args.height} synthetic photo, "
          f"platform {app.platformName()}\n")
    print(f"{'measure'.ljust(width)}  {'value':>18}  notes")
    print(f"{'-' * width}  {'-' * 18}  {'-' * 40}")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>18}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
