"""Mask tools: brush, eraser, rectangle, lasso. Each gesture becomes exactly one undo command.

Tools receive positions in image coordinates (float px; pixel ``(x, y)`` covers ``[x, x+1) x [y, y+1)``, its
centre is ``(x + 0.5, y + 0.5)``) from the canvas and edit the model's coverage (uint8, 255 = hole).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath

from editor.ui.commands import MaskEditCommand
from editor.ui.model import Box, StrokeRecorder, clip_box

__all__ = ["dab_alpha", "Tool", "BrushTool", "RectangleTool", "LassoTool", "TOOL_NAMES"]

TOOL_NAMES = ("brush", "eraser", "rectangle", "lasso")


def dab_alpha(cx: float, cy: float, radius: float, hardness: float, box: Box) -> np.ndarray:
    """Coverage of one round brush dab over ``box``: uint8 (y1-y0, x1-x0), 255 inside.

    A pixel is covered fully when its centre lies within ``radius * hardness`` of ``(cx, cy)``, with a linear
    fall-off to 0 at ``radius`` (so hardness 1 gives exactly the disc ``distance(centre) <= radius``).
    """
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float32) + (0.5 - cx)
    ys = np.arange(y0, y1, dtype=np.float32) + (0.5 - cy)
    d = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
    if hardness >= 1.0:
        return np.where(d <= radius, np.uint8(255), np.uint8(0))
    inner = radius * hardness
    a = np.clip((radius - d) / max(radius - inner, 1e-6), 0.0, 1.0)
    return (a * 255.0 + 0.5).astype(np.uint8)


class Tool:
    """Base: the canvas calls ``press``/``move``/``release`` with image coordinates."""

    name = ""
    shows_brush = False

    def __init__(self, canvas) -> None:
        self.canvas = canvas

    @property
    def model(self):
        return self.canvas.model

    def press(self, pos: QPointF, button: Qt.MouseButton, modifiers: Qt.KeyboardModifier) -> None: ...

    def move(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None: ...

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None: ...

    def cancel(self) -> None: ...

    @property
    def active(self) -> bool:
        return False


class BrushTool(Tool):
    """Round brush painting the hole (``erase=False``) or removing it (eraser; right-drag with the brush)."""

    shows_brush = True

    def __init__(self, canvas, erase: bool = False) -> None:
        super().__init__(canvas)
        self.erase = erase
        self.name = "eraser" if erase else "brush"
        self._stroke: StrokeRecorder | None = None
        self._erasing = False
        self._last: QPointF | None = None

    @property
    def active(self) -> bool:
        return self._stroke is not None

    def press(self, pos, button, modifiers) -> None:
        if not self.model.has_document:
            return
        self._erasing = self.erase != (button == Qt.MouseButton.RightButton)
        self._stroke = StrokeRecorder(self.model)
        self._last = QPointF(pos)
        self.dab(pos.x(), pos.y())

    def move(self, pos, modifiers) -> None:
        if self._stroke is None:
            return
        radius = self.canvas.brush_size / 2.0
        spacing = max(1.0, radius * 0.25)
        last = self._last
        dx, dy = pos.x() - last.x(), pos.y() - last.y()
        dist = math.hypot(dx, dy)
        if dist < spacing:
            return
        n = int(dist // spacing)
        for i in range(1, n + 1):
            t = i * spacing / dist
            self.dab(last.x() + dx * t, last.y() + dy * t)
        self._last = QPointF(last.x() + dx * n * spacing / dist, last.y() + dy * n * spacing / dist)

    def release(self, pos, modifiers) -> None:
        if self._stroke is None:
            return
        self.move(pos, modifiers)
        stroke, self._stroke = self._stroke, None
        done = stroke.finish()
        if done is not None:
            box, old, new = done
            text = "Erase stroke" if self._erasing else "Brush stroke"
            self.canvas.undo_stack.push(MaskEditCommand(self.model, box, old, new, text))

    def cancel(self) -> None:
        """Abort the stroke in progress, restoring the pixels it changed."""
        if self._stroke is None:
            return
        stroke, self._stroke = self._stroke, None
        done = stroke.finish()
        if done is not None:
            box, old, _ = done
            self.model.set_mask_box(box, old)

    def dab(self, cx: float, cy: float) -> None:
        """Apply one dab centred at image point (cx, cy) to the coverage (incremental: only its box)."""
        model = self.model
        radius = self.canvas.brush_size / 2.0
        box = clip_box((int(math.floor(cx - radius)), int(math.floor(cy - radius)),
                        int(math.ceil(cx + radius)) + 1, int(math.ceil(cy + radius)) + 1),
                       model.width, model.height)
        if box is None:
            return
        alpha = dab_alpha(cx, cy, radius, self.canvas.hardness, box)
        x0, y0, x1, y1 = box
        region = model.coverage[y0:y1, x0:x1]
        if self._erasing:
            new = np.minimum(region, 255 - alpha)
        else:
            new = np.maximum(region, alpha)
        if np.array_equal(new, region):
            return
        self._stroke.touch(box)
        region[...] = new
        model.notify_mask(box)


class _ShapeTool(Tool):
    """Shared by rectangle and lasso: a preview while dragging, then one command (Alt at release subtracts)."""

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self._points: list[QPointF] | None = None
        self._subtract = False

    @property
    def active(self) -> bool:
        return self._points is not None

    def press(self, pos, button, modifiers) -> None:
        if not self.model.has_document:
            return
        self._points = [QPointF(pos)]
        self._subtract = bool(modifiers & Qt.KeyboardModifier.AltModifier) or button == Qt.MouseButton.RightButton
        self._update_preview()

    def release(self, pos, modifiers) -> None:
        if self._points is None:
            return
        self.move(pos, modifiers)
        subtract = self._subtract or bool(modifiers & Qt.KeyboardModifier.AltModifier)
        points, self._points = self._points, None
        self.canvas.set_shape_preview(None)
        fill = self._rasterize(points)
        if fill is None:
            return
        box, inside = fill
        x0, y0, x1, y1 = box
        old = self.model.coverage[y0:y1, x0:x1].copy()
        new = np.where(inside, np.uint8(0), old) if subtract else np.where(inside, np.uint8(255), old)
        if np.array_equal(old, new):
            return
        name = "Rectangle" if self.name == "rectangle" else "Lasso"
        self.canvas.undo_stack.push(MaskEditCommand(self.model, box, old, new,
                                                    f"{name} {'subtract' if subtract else 'add'}"))

    def cancel(self) -> None:
        self._points = None
        self.canvas.set_shape_preview(None)

    def _update_preview(self) -> None:
        path = self._path()
        self.canvas.set_shape_preview(path)

    def _path(self) -> QPainterPath:
        raise NotImplementedError

    def _rasterize(self, points: list[QPointF]) -> tuple[Box, np.ndarray] | None:
        raise NotImplementedError


class RectangleTool(_ShapeTool):
    """Axis-aligned rectangle: the pixels whose centres lie inside the dragged rectangle."""

    name = "rectangle"

    def move(self, pos, modifiers) -> None:
        if self._points is None:
            return
        self._points[1:] = [QPointF(pos)]
        self._update_preview()

    def _path(self) -> QPainterPath:
        path = QPainterPath()
        a, b = self._points[0], self._points[-1]
        path.addRect(min(a.x(), b.x()), min(a.y(), b.y()), abs(a.x() - b.x()), abs(a.y() - b.y()))
        return path

    def _rasterize(self, points):
        a, b = points[0], points[-1]
        xa, xb = sorted((a.x(), b.x()))
        ya, yb = sorted((a.y(), b.y()))
        box = clip_box((int(math.ceil(xa - 0.5)), int(math.ceil(ya - 0.5)),
                        int(math.floor(xb - 0.5)) + 1, int(math.floor(yb - 0.5)) + 1),
                       self.model.width, self.model.height)
        if box is None:
            return None
        return box, np.ones((box[3] - box[1], box[2] - box[0]), bool)


class LassoTool(_ShapeTool):
    """Free-hand polygon (closed automatically), filled with OpenCV's polygon scan conversion."""

    name = "lasso"

    def move(self, pos, modifiers) -> None:
        if self._points is None:
            return
        last = self._points[-1]
        if abs(pos.x() - last.x()) + abs(pos.y() - last.y()) >= 1.0 / max(self.canvas.zoom, 1e-6):
            self._points.append(QPointF(pos))
            self._update_preview()

    def _path(self) -> QPainterPath:
        path = QPainterPath(self._points[0])
        for p in self._points[1:]:
            path.lineTo(p)
        path.closeSubpath()
        return path

    def _rasterize(self, points):
        if len(points) < 3:
            return None
        pts = np.array([(p.x() - 0.5, p.y() - 0.5) for p in points], np.float64)
        box = clip_box((int(math.floor(pts[:, 0].min())), int(math.floor(pts[:, 1].min())),
                        int(math.ceil(pts[:, 0].max())) + 2, int(math.ceil(pts[:, 1].max())) + 2),
                       self.model.width, self.model.height)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        shift = 4  # sub-pixel precision for cv2.fillPoly
        poly = np.round((pts - (x0, y0)) * (1 << shift)).astype(np.int32)
        canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(canvas, [poly], 1, lineType=cv2.LINE_8, shift=shift)
        return box, canvas.astype(bool)
