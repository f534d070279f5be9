"""Compare methods side by side: run several methods on the same hole (sequentially, in the worker), show the
results in a grid with synchronised zoom and pan, apply the chosen one (one undo command, by the window).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (QDialog, QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QHBoxLayout,
                               QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from editor.core.masks import outline_hole
from editor.core.progress import seconds_text
from editor.ui.commands import blend_result
from editor.ui.model import Box
from editor.ui.style import fit_to_screen, icon
from editor.ui.worker import unavailable_label, unavailable_tip

__all__ = ["CompareDialog", "SyncView", "crop_box_around"]


def crop_box_around(hole_box: Box, width: int, height: int, margin: float = 0.6, minimum: int = 192,
                    aspect: float | None = 4 / 3) -> Box:
    """The region shown in the grid: the hole's box grown by ``margin`` of its size (at least ``minimum`` px
    each side) and clipped to the photo, then widened or heightened towards ``aspect`` (w / h; None: as it is)
    as far as the photo allows, so it fills the grid's views.

    Args:
        hole_box: ``(x0, y0, x1, y1)`` of the hole, px (x1, y1 exclusive).
        width, height: the photo's size, px.

    Returns:
        ``(x0, y0, x1, y1)`` within the photo, holding ``hole_box``.
    """
    x0, y0, x1, y1 = hole_box
    mx = max(minimum, int((x1 - x0) * margin))
    my = max(minimum, int((y1 - y0) * margin))
    # clipped first: a tall hole's box grown past the photo's top and bottom would otherwise be widened for a
    # height it does not have (half the view left empty)
    x0, y0, x1, y1 = max(0, x0 - mx), max(0, y0 - my), min(width, x1 + mx), min(height, y1 + my)
    w, h = x1 - x0, y1 - y0
    if aspect is not None and w < h * aspect:
        x0, x1 = _widened(x0, x1, min(width, round(h * aspect)), width)
    elif aspect is not None:
        y0, y1 = _widened(y0, y1, min(height, round(w / aspect)), height)
    return x0, y0, x1, y1


def _widened(lo: int, hi: int, length: int, limit: int) -> tuple[int, int]:
    """``[lo, hi)`` grown about its centre to ``length`` (not below its own), shifted to lie within ``[0, limit)``."""
    length = max(length, hi - lo)
    lo = min(max(0, lo - (length - (hi - lo)) // 2), limit - length)
    return lo, lo + length


class SyncView(QGraphicsView):
    """A view whose zoom and scroll position follow the other views of its group.

    Signal: zoomed(): the user zoomed with the wheel (the group no longer fits its views).
    """

    zoomed = Signal()

    def __init__(self, group: list[SyncView], parent=None) -> None:
        super().__init__(parent)
        self.group = group
        group.append(self)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setBackgroundBrush(QColor("#1b1d21"))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self._syncing = False
        self.horizontalScrollBar().valueChanged.connect(lambda v: self._sync_scroll())
        self.verticalScrollBar().valueChanged.connect(lambda v: self._sync_scroll())

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self.item.setPixmap(pixmap)
        self.scene().setSceneRect(self.item.boundingRect())

    def _others(self):
        return [v for v in self.group if v is not self]

    def center(self) -> QPointF:
        """Scene point (crop pixels) at the centre of the viewport."""
        return self.mapToScene(self.viewport().rect().center())

    def _sync_scroll(self) -> None:
        """Show the same scene point at the centre of every view of the group (sizes may differ)."""
        if self._syncing:
            return
        center = self.center()
        for v in self._others():
            v._syncing = True
            v.centerOn(center)
            v._syncing = False

    def zoom_to(self, scale: float, anchor: QPointF) -> None:
        inv, _ = self.viewportTransform().inverted()
        point = inv.map(anchor)
        for v in self.group:
            v._syncing = True
            v.setTransform(v.transform().fromScale(scale, scale))
        after = self.viewportTransform().map(point) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(after.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(after.y()))
        for v in self.group:
            v._syncing = False
        self._sync_scroll()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta:
            scale = min(16.0, max(0.05, self.transform().m11() * 2 ** (delta / 240.0)))
            self.zoom_to(scale, event.position())
            self.zoomed.emit()
        event.accept()

    def fit(self) -> None:
        rect = self.item.boundingRect()
        if rect.isEmpty():
            return
        vp = self.viewport().rect()
        s = min(vp.width() / rect.width(), vp.height() / rect.height())
        self.setTransform(self.transform().fromScale(s, s))
        self.centerOn(rect.center())


class _Panel(QFrame):
    clicked = Signal(str)

    def __init__(self, name: str, title: str, group: list[SyncView], parent=None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("comparePanel")
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: 600; padding: 2px 4px;")
        self.detail = QLabel("")
        self.detail.setProperty("role", "hint")
        self.view = SyncView(group)
        self.view.setMinimumSize(32, 32)  # (the grid sizes the views: _Grid.MIN_VIEW)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        self.set_selected(False)

    def chrome(self) -> QSize:
        """What the panel adds around its view (frame, margins, title row), px."""
        self.ensurePolished()
        lay, frame = self.layout(), 2 * self.frameWidth()
        m = lay.contentsMargins()
        head = lay.itemAt(0).sizeHint().height()
        return QSize(frame + m.left() + m.right(), frame + m.top() + m.bottom() + head + lay.spacing())

    def set_selected(self, selected: bool) -> None:
        border = "#4c8dff" if selected else "#3a3d44"
        self.setStyleSheet(f"QFrame#comparePanel {{ border: 2px solid {border}; border-radius: 8px; "
                           f"background: #1f2125; }}")

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.name)
        super().mousePressEvent(event)


class _Grid(QWidget):
    """The results grid: equal cells in the columns that show the region largest, each panel's view sized to the
    region's aspect (so the image fills it: no empty bands inside the cells), the spare space around the grid.
    Below ``MIN_VIEW`` px per view the grid keeps that size and its scroll area scrolls.

    Signal: laidOut(): the panels were placed (their views may have a new size).
    """

    GAP = 8
    MIN_VIEW = 160  # px: the least view width (and height, for a region taller than wide)

    laidOut = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.panels: list[_Panel] = []
        self.slots = 1           # panels the grid is laid out for (the original and the methods asked for)
        self.aspect = 4 / 3      # width / height of the region shown
        self.hint: QLabel | None = None

    def area(self) -> QSize:
        """The space to fill: the scroll area's viewport (the grid itself may be larger when it scrolls)."""
        parent = self.parentWidget()
        return parent.size() if parent is not None else self.size()

    def _chrome(self) -> QSize:
        return self.panels[0].chrome() if self.panels else QSize(16, 40)

    def best_layout(self, slots: int, aspect: float, area: QSize | None = None) -> tuple[int, QSizeF]:
        """``(columns, largest view size)`` for ``slots`` panels showing a region of ``aspect`` (w / h): the
        columns that make the region largest; the view size is the whole cell less the panel's chrome."""
        area = area or self.area()
        chrome = self._chrome()
        best = (1, QSizeF(1, 1), -1.0)
        for cols in range(1, max(1, slots) + 1):
            rows = -(-slots // cols)
            vw = (area.width() - (cols - 1) * self.GAP) / cols - chrome.width()
            vh = (area.height() - (rows - 1) * self.GAP) / rows - chrome.height()
            scale = min(vw / aspect, vh)   # the region's displayed height
            if scale > best[2]:
                best = (cols, QSizeF(max(1.0, vw), max(1.0, vh)), scale)
        return best[0], best[1]

    def relayout(self) -> None:
        if self.hint is not None:
            self.hint.setGeometry(self.rect())
        if not self.panels:
            return
        cols, cell = self.best_layout(self.slots, self.aspect)
        rows = -(-self.slots // cols)
        a = self.aspect
        vw = min(cell.width(), cell.height() * a)
        vw = max(vw, self.MIN_VIEW * min(1.0, a))     # (a tall region: MIN_VIEW high)
        vw, vh = int(vw), max(1, int(vw / a))
        chrome = self._chrome()
        pw, ph = vw + chrome.width(), vh + chrome.height()
        gw, gh = cols * pw + (cols - 1) * self.GAP, rows * ph + (rows - 1) * self.GAP
        self.setMinimumSize(gw if gw > self.area().width() else 0, gh if gh > self.area().height() else 0)
        ox, oy = max(0, (self.width() - gw) // 2), max(0, (self.height() - gh) // 2)
        for i, panel in enumerate(self.panels):
            r, c = divmod(i, cols)
            panel.setGeometry(ox + c * (pw + self.GAP), oy + r * (ph + self.GAP), pw, ph)
            panel.show()
        self.laidOut.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.relayout()


def _pixmap(rgb: np.ndarray) -> QPixmap:
    a = np.ascontiguousarray(rgb)
    h, w = a.shape[:2]
    return QPixmap.fromImage(QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGB888).copy())


class CompareDialog(QDialog):
    """Non-modal: the window stays usable while methods run; closing it (or Esc) cancels the methods still to
    run, keeping the finished results.

    Signals:
        runRequested(list[str]): run these methods on the current hole.
        cancelRequested().
        applyRequested(str): apply this method's result.
    """

    runRequested = Signal(list)
    cancelRequested = Signal()
    applyRequested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare methods")
        fit_to_screen(self, 1180, 760)  # (always 1180 x 760 left Apply below a 1280 x 720 screen's edge)
        self.results: dict[str, object] = {}
        self.selected: str | None = None
        self.stale: str | None = None  # why the results no longer fit the photo (Apply disabled), or None
        self._status_before_stale = ""  # the status the stale reason replaced (shown again when it clears)
        self.crop: Box | None = None
        self._soft: tuple[np.ndarray, np.ndarray] | None = None  # (original crop, coverage crop) of a soft hole
        self._group: list[SyncView] = []
        self._panels: dict[str, _Panel] = {}

        self.methods = QListWidget()
        self.methods.setMaximumWidth(230)
        self.run_button = QPushButton(icon("mdi6.play", "#ffffff"), "  Run comparison")
        self.run_button.setProperty("role", "primary")
        self.run_button.clicked.connect(self._run)
        self.cancel_button = QPushButton(icon("mdi6.stop-circle-outline"), "  Cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.status = QLabel("Tick the methods to compare, then run.")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "hint")
        self.apply_button = QPushButton(icon("mdi6.check", "#ffffff"), "  Apply selected")
        self.apply_button.setProperty("role", "primary")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self._apply)
        self.fit_button = QPushButton(icon("mdi6.fit-to-screen-outline"), "  Fit all")
        self.fit_button.clicked.connect(self.fit_all)

        side = QVBoxLayout()
        heading = QLabel("Methods")
        heading.setProperty("role", "muted")
        side.addWidget(heading)
        side.addWidget(self.methods, 1)
        side.addWidget(self.run_button)
        side.addWidget(self.cancel_button)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addSpacing(12)
        side.addWidget(self.fit_button)
        side.addWidget(self.apply_button)

        self.grid = _Grid()
        self._refit_timer = QTimer(self, singleShot=True, interval=0, timeout=self._refit)
        self.grid.laidOut.connect(self._refit_timer.start)  # (once the panels' own layouts have placed the views)
        hint = QLabel("Results appear here. Wheel zooms and dragging pans all of them together; "
                      "click a result to select it.", self.grid)
        hint.setProperty("role", "hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.grid.hint = hint
        self._fitted = True  # the views show the whole region (kept so when the window is resized)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid)
        self.scroll = scroll

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        layout.addLayout(side)
        layout.addWidget(scroll, 1)

    # ----------------------------------------------------------------- setup
    def set_methods(self, infos: list[dict], checked: list[str]) -> None:
        self.methods.clear()
        for info in infos:
            item = QListWidgetItem(info["name"])
            flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
            tip = info.get("description") or ""
            if info.get("available", True):
                flags |= Qt.ItemFlag.ItemIsEnabled
            else:
                tip = unavailable_tip(info)
                item.setText(f"{info['name']} — {unavailable_label(info)}")
                item.setForeground(QColor("#5d626b"))
                item.setData(Qt.ItemDataRole.UserRole, info["name"])
            item.setFlags(flags)
            item.setToolTip(tip)
            item.setCheckState(Qt.CheckState.Checked if info["name"] in checked and info.get("available", True)
                               else Qt.CheckState.Unchecked)
            self.methods.addItem(item)

    def checked_methods(self) -> list[str]:
        out = []
        for i in range(self.methods.count()):
            item = self.methods.item(i)
            if item.checkState() == Qt.CheckState.Checked and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                out.append(item.text())
        return out

    def set_checked(self, names: list[str]) -> None:
        for i in range(self.methods.count()):
            item = self.methods.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)

    # ----------------------------------------------------------------- running
    def _run(self) -> None:
        names = self.checked_methods()
        if not names:
            self.status.setText("Tick at least one method.")
            return
        self.runRequested.emit(names)

    def crop_for(self, hole_box: Box, width: int, height: int, methods: int) -> Box:
        """The region to show for a hole: :func:`crop_box_around` at the aspect of the views of the grid that
        shows it largest with ``methods`` results and the original (so the images fill their views)."""
        natural = crop_box_around(hole_box, width, height, aspect=None)
        aspect = (natural[2] - natural[0]) / max(1, natural[3] - natural[1])
        _, view = self.grid.best_layout(methods + 1, aspect, self.scroll.viewport().size())
        return crop_box_around(hole_box, width, height, aspect=view.width() / view.height())

    def start(self, names: list[str], crop: Box, original: np.ndarray, hole: np.ndarray | None = None,
              coverage: np.ndarray | None = None) -> None:
        """Called by the window when the run was submitted: clear the grid, show the original crop, with the
        hole (bool (H, W), True = hole) outlined when given, so one can see what each result replaced. With a
        soft-edged ``coverage`` (uint8 (H, W)), each result is shown blended as Apply writes it."""
        self._clear()
        self.stale = None
        self.crop = crop
        self._expected = list(names)
        self.grid.slots = len(names) + 1
        self.grid.aspect = (crop[2] - crop[0]) / max(1, crop[3] - crop[1])
        self._fitted = True
        shown = original[crop[1]:crop[3], crop[0]:crop[2]]
        cov = coverage[crop[1]:crop[3], crop[0]:crop[2]] if coverage is not None else None
        soft = cov is not None and not np.all((cov == 0) | (cov == 255))
        self._soft = (shown.copy(), cov.copy()) if soft else None
        if hole is not None:
            # about 1/200 of the region's long side (at least 3 px): visible in a view fitted to a small cell
            shown = outline_hole(shown, hole[crop[1]:crop[3], crop[0]:crop[2]], max(3, round(max(shown.shape) / 200)))
        self._add_panel("__original__", "Original", shown, "hole outlined" if hole is not None else "")
        self.set_busy(True)
        self.status.setText(f"Running {names[0]} (1 of {len(names)})…")

    def set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setRange(0, 0 if busy else 1)
        self.progress.setValue(0 if busy else 1)
        self._update_apply()

    def _update_apply(self) -> None:
        """Apply is enabled when a finished result is selected, nothing runs, and the results still fit."""
        running = not self.run_button.isEnabled()
        self.apply_button.setEnabled(self.selected in self.results and not running and self.stale is None)
        self.apply_button.setToolTip(self.stale or ("Available when the comparison has finished, or once it is "
                                                    "cancelled" if running else ""))

    def set_stale(self, reason: str | None) -> None:
        """The window says whether the results still fit the photo and its hole (None) or why not. The status
        shows the reason while there is one; when it clears (the change was undone), it says what it said
        before."""
        old = self.stale
        self.stale = reason
        self._update_apply()
        if reason == old:
            return
        if old is None:
            self._status_before_stale = self.status.text()
        if reason:
            self.status.setText(reason)
        elif self.status.text() == old:  # (not replaced meanwhile by a newer message)
            self.status.setText(self._status_before_stale or f"{len(self.results)} result(s). Click one, then Apply.")

    def add_result(self, name: str, result) -> None:
        """One method's PipelineResult: add its panel (cropped to the hole's neighbourhood)."""
        self.results[name] = result
        x0, y0, x1, y1 = self.crop
        seconds = getattr(result, "seconds_total", None)
        detail = seconds_text(seconds) if seconds is not None else ""
        shown = result.image[y0:y1, x0:x1]
        if self._soft is not None:          # a soft-edged hole: show what Apply will write
            shown = blend_result(self._soft[0], shown, self._soft[1])
        self._add_panel(name, name, shown, detail)
        done = len(self.results)
        if done < len(self._expected):
            self.status.setText(f"Running {self._expected[done]} ({done + 1} of {len(self._expected)})…")
        if self.selected is None:
            self._select(name)

    def finish(self, message: str | None = None) -> None:
        self.set_busy(False)
        QTimer.singleShot(0, self._refit)   # a zoom the user chose while it ran is kept (Fit all undoes it)
        self.status.setText(message or f"{len(self.results)} result(s). Click one, then Apply.")

    def _clear(self) -> None:
        for panel in self._panels.values():
            panel.hide()
            panel.deleteLater()
        self._panels.clear()
        self.grid.panels.clear()
        self._group.clear()
        self.results.clear()
        self.selected = None
        if self.grid.hint is not None:
            self.grid.hint.hide()
            self.grid.hint.deleteLater()
            self.grid.hint = None

    def _add_panel(self, key: str, title: str, rgb: np.ndarray, detail: str) -> None:
        panel = _Panel(key, title, self._group, self.grid)
        panel.detail.setText(detail)
        panel.view.set_pixmap(_pixmap(rgb))
        panel.view.zoomed.connect(self._user_zoomed)
        if key != "__original__":
            panel.clicked.connect(self._select)
            panel.view.viewport().installEventFilter(self)
            panel.view.viewport().setProperty("method", key)
        self._panels[key] = panel
        self.grid.panels.append(panel)
        self.grid.relayout()  # equal cells: every view shows the crop at the same size
        # new views take the group's current zoom and position
        first = self._group[0]
        if panel.view is first or self._fitted:
            panel.view.fit()
        else:
            panel.view.setTransform(first.transform())
            panel.view.centerOn(first.center())

    def _user_zoomed(self) -> None:
        self._fitted = False

    def _refit(self) -> None:
        """The views changed size: while nobody zoomed since the last fit, they show the whole region again."""
        if self._fitted:
            self.fit_all()

    def eventFilter(self, obj, event) -> bool:
        if event.type() == event.Type.MouseButtonPress:
            name = obj.property("method")
            if name:
                self._select(name)
        return False

    def fit_all(self) -> None:
        """Every view shows the whole region (Fit all); a later resize of the window keeps it so."""
        self._fitted = True
        if self._group:
            self._group[0].fit()
            for v in self._group[1:]:
                v.setTransform(self._group[0].transform())
            self._group[0]._sync_scroll()

    def _select(self, name: str) -> None:
        self.selected = name
        for key, panel in self._panels.items():
            panel.set_selected(key == name)
        self.apply_button.setText(f"  Apply {name}")
        self._update_apply()

    def reject(self) -> None:
        """Esc or closing the window (both end here): a comparison still running is cancelled, as with Cancel
        (its finished results are kept and shown when the window is opened again); then the window hides."""
        if self.cancel_button.isEnabled():
            self.status.setText("Cancelling…")
            self.cancelRequested.emit()
        super().reject()

    def _apply(self) -> None:
        if self.selected in self.results:
            self.applyRequested.emit(self.selected)
