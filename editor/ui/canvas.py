"""The canvas: a QGraphicsView showing the photo at any zoom with the hole mask as a coloured overlay.

Why QGraphicsView: it gives scroll bars, view transforms, exposed-rect repaints and overlay items (brush
outline, shape previews) for free; the one thing it does badly — drawing an 8K pixmap scaled down on every
repaint — is replaced by :class:`PhotoItem`, which draws from cached downscaled levels (mipmaps at 1, 1/2,
1/4 …, the level chosen by zoom) and only the exposed part. Measured in ``benchmarks/editor_8k.py``.

The mask overlay is a second pyramid of premultiplied ARGB images (numpy-owned buffers wrapped by QImage)
whose alpha is the coverage; a brush dab updates only its box in each level, so painting never rebuilds an
8K image.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QCursor, QImage, QPainter, QPainterPath, QPen,
                           QUndoStack)
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsScene,
                               QGraphicsView, QStyleOptionGraphicsItem)

from editor.ui.model import Box, EditorModel, box_of, union_box
from editor.ui.tools import BrushTool, LassoTool, RectangleTool, Tool

__all__ = ["ImagePyramid", "OverlayPyramid", "PhotoItem", "Canvas", "MIN_LEVEL_SIDE", "level_for_scale"]

#: The smallest pyramid level's long side is at most this (smaller photos have fewer levels).
MIN_LEVEL_SIDE = 256
ZOOM_MIN, ZOOM_MAX = 0.01, 32.0


def level_count(width: int, height: int) -> int:
    n, side = 1, max(width, height)
    while side > MIN_LEVEL_SIDE and n < 8:
        side = (side + 1) // 2
        n += 1
    return n


def level_for_scale(scale: float, levels: int) -> int:
    """Pyramid level to draw at view scale ``scale``: the smallest level with at least as many pixels as the
    screen shows (level k is scaled by 2**-k), so drawing only ever downsamples by less than 2x."""
    if scale >= 1.0:
        return 0
    return max(0, min(levels - 1, int(math.floor(math.log2(1.0 / scale) + 1e-9))))


def halve(a: np.ndarray) -> np.ndarray:
    """2x2 box average, odd sizes padded by repeating the last row/column.

    (h, w[, c]) uint8 -> (ceil(h/2), ceil(w/2)[, c]) uint8.
    """
    h, w = a.shape[:2]
    if h % 2 or w % 2:
        a = cv2.copyMakeBorder(a, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    return cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2), interpolation=cv2.INTER_AREA)


def _aligned(box: Box, levels: int, width: int, height: int) -> Box:
    """``box`` grown to multiples of 2**(levels-1) (clipped to the image), so that every level's block
    average over it is exact and matches the pyramid built from the whole image."""
    f = 1 << (levels - 1)
    return (box[0] // f * f, box[1] // f * f, min(width, -(-box[2] // f) * f), min(height, -(-box[3] // f) * f))


def rgb_qimage(a: np.ndarray) -> QImage:
    """QImage (RGB888) viewing a C-contiguous uint8 (h, w, 3) array; the caller keeps ``a`` alive."""
    h, w = a.shape[:2]
    return QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGB888)


class ImagePyramid:
    """The photo as RGB32 QImages at 1, 1/2, 1/4 … (level k is ceil(W / 2**k) x ceil(H / 2**k)).

    QImage rather than QPixmap: on Qt 6's raster backends both draw at the same speed, and a QImage can be
    built in a loader thread, so opening a photo never blocks the window.
    """

    def __init__(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        self.width, self.height = w, h
        self.levels: list[QImage] = []
        n = level_count(w, h)
        a = image
        for k in range(n):
            if k:
                a = halve(a)
            self.levels.append(rgb_qimage(np.ascontiguousarray(a)).convertToFormat(QImage.Format.Format_RGB32))

    def copy(self) -> ImagePyramid:
        """A copy sharing pixel data until either side is painted on (Qt's implicit sharing)."""
        other = ImagePyramid.__new__(ImagePyramid)
        other.width, other.height = self.width, self.height
        other.levels = [QImage(p) for p in self.levels]
        return other

    def update_box(self, image: np.ndarray, box: Box) -> None:
        """Recompute ``box`` (full-res image coordinates) in every level from ``image`` uint8 (H, W, 3)."""
        ax0, ay0, ax1, ay1 = _aligned(box, len(self.levels), self.width, self.height)
        a = np.ascontiguousarray(image[ay0:ay1, ax0:ax1])
        for k, level in enumerate(self.levels):
            if k:
                a = halve(a)
            painter = QPainter(level)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            painter.drawImage(ax0 >> k, ay0 >> k, rgb_qimage(np.ascontiguousarray(a)))
            painter.end()


class OverlayPyramid:
    """The hole-mask overlay at every level: premultiplied ARGB32 arrays (alpha = coverage) wrapped by QImages."""

    def __init__(self, coverage: np.ndarray, color: QColor, levels: int) -> None:
        self.height, self.width = coverage.shape
        self.set_color(color, rebuild=False)
        self.arrays: list[np.ndarray] = []
        self.images: list[QImage] = []
        #: Conservative bounding box of non-zero coverage (full-res px), None when empty: painting skips the
        #: overlay outside it (an empty mask costs nothing to draw).
        self.bbox: Box | None = box_of(coverage > 0)
        a = coverage
        for k in range(levels):
            if k:
                a = halve(a)
            argb = self._colorize(a)
            self.arrays.append(argb)
            self.images.append(self._wrap(argb))

    def _colorize(self, a: np.ndarray) -> np.ndarray:
        """uint8 (h, w) coverage -> premultiplied BGRA (h, w, 4); a whole level at once."""
        if not a.any():
            return np.zeros(a.shape + (4,), np.uint8)
        argb = cv2.LUT(cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_GRAY2BGRA), self._lut.reshape(1, 256, 4))
        argb[..., 3] = a
        return argb

    @staticmethod
    def _wrap(argb: np.ndarray) -> QImage:
        h, w = argb.shape[:2]
        return QImage(argb.data, w, h, argb.strides[0], QImage.Format.Format_ARGB32_Premultiplied)

    def set_color(self, color: QColor, rebuild: bool = True) -> None:
        a = np.arange(256, dtype=np.uint32)
        lut = np.empty((256, 4), np.uint8)  # BGRA in memory (little-endian ARGB32)
        lut[:, 0] = (a * color.blue() + 127) // 255
        lut[:, 1] = (a * color.green() + 127) // 255
        lut[:, 2] = (a * color.red() + 127) // 255
        lut[:, 3] = a
        self._lut = lut
        if rebuild:
            for argb in self.arrays:
                argb[...] = self._colorize(argb[..., 3].copy())

    def update_box(self, coverage: np.ndarray, box: Box) -> None:
        """Recompute ``box`` of every level from the full-resolution coverage uint8 (H, W)."""
        ax0, ay0, ax1, ay1 = _aligned(box, len(self.arrays), self.width, self.height)
        a = coverage[ay0:ay1, ax0:ax1]
        if a.any():
            self.bbox = union_box(self.bbox, (ax0, ay0, ax1, ay1))
        for k, argb in enumerate(self.arrays):
            if k:
                a = halve(np.ascontiguousarray(a))
            y, x = ay0 >> k, ax0 >> k
            argb[y:y + a.shape[0], x:x + a.shape[1]] = self._lut[a]


class PhotoItem(QGraphicsItem):
    """Draws the photo (or the original, or a split of both), the low-res preview and the mask overlay,
    from the pyramid level matching the view's scale, only over the exposed rect."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.pyramid: ImagePyramid | None = None
        self.original: ImagePyramid | None = None
        self.overlay: OverlayPyramid | None = None
        self.overlay_visible = True
        self.overlay_opacity = 0.55
        self.show_original = False
        self.split: float | None = None  # x position of the before|after split as a fraction of the width
        self.preview: QImage | None = None
        self._preview_buffer: np.ndarray | None = None
        self._preview_rgb: np.ndarray | None = None   # uint8 (h, w, 3), the low-res result
        self._preview_hole: np.ndarray | None = None  # uint8 (H, W), the coverage the run was asked to fill
        self._rect = QRectF()

    def set_pyramids(self, pyramid: ImagePyramid | None, overlay: OverlayPyramid | None) -> None:
        self.prepareGeometryChange()
        self.pyramid, self.overlay = pyramid, overlay
        self.original = pyramid.copy() if pyramid is not None else None
        self._rect = QRectF(0, 0, pyramid.width, pyramid.height) if pyramid is not None else QRectF()
        self.preview = None
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_preview(self, lr_result: np.ndarray | None, coverage: np.ndarray | None,
                    current: np.ndarray | None = None) -> None:
        """Show ``lr_result`` uint8 (h, w, 3) stretched over the photo, only inside the hole: the alpha of a low-res
        pixel is the mean, over the full-res pixels it stands for, of the run's ``coverage`` uint8 (H, W) less
        what is no longer hole in ``current`` (the mask now, uint8 (H, W); default ``coverage``). None removes
        the preview."""
        if lr_result is None:
            self.preview = self._preview_buffer = self._preview_rgb = self._preview_hole = None
        else:
            h, w = lr_result.shape[:2]
            H, W = coverage.shape
            self._preview_rgb, self._preview_hole = lr_result, coverage
            # low-res pixel i stands for full-res rows ys[i]:ys[i+1] (a partition: a box update recomputes
            # exactly what the whole computation gave)
            self._ys, self._xs = (np.arange(h + 1) * H) // h, (np.arange(w + 1) * W) // w
            self._preview_buffer = np.empty((h, w, 4), np.uint8)
            self._fill_preview((0, 0, w, h), current)
            self.preview = QImage(self._preview_buffer.data, w, h, self._preview_buffer.strides[0],
                                  QImage.Format.Format_ARGB32_Premultiplied)
        self.update()

    def update_preview_box(self, current: np.ndarray, box: Box) -> QRectF:
        """The mask changed in ``box`` (full-res x0, y0, x1, y1) during a run: an erased part of the run's hole
        shows the photo again instead of the preview (the run's result will not be applied there either).
        Returns the full-res rect to repaint (empty without a preview)."""
        if self.preview is None:
            return QRectF()
        ys, xs = self._ys, self._xs
        x0, y0, x1, y1 = box
        ly0, lx0 = int(np.searchsorted(ys, y0, "right")) - 1, int(np.searchsorted(xs, x0, "right")) - 1
        ly1, lx1 = int(np.searchsorted(ys, y1, "left")), int(np.searchsorted(xs, x1, "left"))
        ly0, lx0 = max(ly0, 0), max(lx0, 0)
        ly1, lx1 = min(ly1, len(ys) - 1), min(lx1, len(xs) - 1)
        if lx1 <= lx0 or ly1 <= ly0:
            return QRectF()
        fy0, fy1, fx0, fx1 = int(ys[ly0]), int(ys[ly1]), int(xs[lx0]), int(xs[lx1])
        self._fill_preview((lx0, ly0, lx1, ly1), current)
        (H, W), (h, w) = self._preview_hole.shape, self._preview_rgb.shape[:2]
        sy, sx = H / h, W / w                           # smooth scaling blends a low-res pixel into its neighbours
        return QRectF(fx0 - 2 * sx, fy0 - 2 * sy, fx1 - fx0 + 4 * sx, fy1 - fy0 + 4 * sy)

    def _fill_preview(self, box: Box, current: np.ndarray | None = None) -> None:
        """Premultiplied BGRA of the preview over low-res ``box`` (x0, y0, x1, y1): alpha is the mean, over the
        full-res pixels each low-res pixel stands for, of the run's hole less what ``current`` (uint8 (H, W), or
        None) no longer holds. Row by row of low-res pixels, so no full-res temporary is made (8K: ~20 ms)."""
        x0, y0, x1, y1 = box
        fx0, fx1 = int(self._xs[x0]), int(self._xs[x1])
        xs = self._xs[x0:x1 + 1] - fx0
        ys = self._ys[y0:y1 + 1]
        sums = np.empty((y1 - y0, x1 - x0), np.int64)
        for i in range(y1 - y0):        # per low-res row: its full-res rows summed (OpenCV), then column blocks
            rows = slice(int(ys[i]), int(ys[i + 1]))
            block = self._preview_hole[rows, fx0:fx1]
            if current is not None:
                block = np.minimum(block, current[rows, fx0:fx1])
            col = cv2.reduce(block, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[0]
            run = np.concatenate(([0], np.cumsum(col, dtype=np.int64)))
            sums[i] = run[xs[1:]] - run[xs[:-1]]
        ys = ys - ys[0]
        area = np.diff(ys)[:, None] * np.diff(xs)[None, :]
        alpha = (2 * sums + area) // (2 * area)            # the rounded mean, 0..255
        buf, rgb = self._preview_buffer[y0:y1, x0:x1], self._preview_rgb[y0:y1, x0:x1]
        for c_out, c_in in ((0, 2), (1, 1), (2, 0)):
            buf[..., c_out] = (rgb[..., c_in].astype(np.uint32) * alpha + 127) // 255
        buf[..., 3] = alpha

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.pyramid is None:
            return
        scale = painter.worldTransform().m11()
        k = level_for_scale(scale, len(self.pyramid.levels))
        exposed = option.exposedRect.intersected(self._rect)
        if exposed.isEmpty():
            return
        painter.setClipRect(self._rect)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
        if self.split is not None:
            sx = self.split * self._rect.width()
            left = exposed.intersected(QRectF(0, 0, sx, self._rect.height()))
            right = exposed.intersected(QRectF(sx, 0, self._rect.width() - sx, self._rect.height()))
            if not left.isEmpty():
                self._draw_level(painter, self.original.levels[k], k, left)
            if not right.isEmpty():
                self._draw_level(painter, self.pyramid.levels[k], k, right)
                self._draw_overlays(painter, k, right)
            return
        source = self.original if self.show_original else self.pyramid
        self._draw_level(painter, source.levels[k], k, exposed)
        if not self.show_original:
            self._draw_overlays(painter, k, exposed)

    def _draw_overlays(self, painter: QPainter, k: int, rect: QRectF) -> None:
        """The mask overlay, then the preview over it (a run's hole shows the preview, untinted; what is painted
        during the run shows as mask)."""
        if self.overlay is not None and self.overlay_visible and self.overlay.bbox is not None:
            x0, y0, x1, y1 = self.overlay.bbox
            mask_rect = rect.intersected(QRectF(x0, y0, x1 - x0, y1 - y0))
            if not mask_rect.isEmpty():
                painter.save()
                painter.setOpacity(self.overlay_opacity)
                self._draw_level(painter, self.overlay.images[k], k, mask_rect)
                painter.restore()
        if self.preview is not None:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
            painter.drawImage(self._rect, self.preview)
            painter.restore()

    @staticmethod
    def _draw_level(painter: QPainter, level, k: int, rect: QRectF) -> None:
        f = float(1 << k)
        x0, y0 = math.floor(rect.left() / f), math.floor(rect.top() / f)
        x1 = min(level.width(), math.ceil(rect.right() / f))
        y1 = min(level.height(), math.ceil(rect.bottom() / f))
        if x1 <= x0 or y1 <= y0:
            return
        src = QRectF(x0, y0, x1 - x0, y1 - y0)
        dst = QRectF(x0 * f, y0 * f, (x1 - x0) * f, (y1 - y0) * f)
        painter.drawImage(dst, level, src)


class Canvas(QGraphicsView):
    """The photo view with zoom, pan and the mask tools.

    Signals:
        zoomChanged(float): view scale (1.0 = 100 %).
        cursorMoved(int, int): image pixel under the cursor (-1, -1 when outside the photo).
        toolChanged(str): the active tool (brush, eraser, rectangle, lasso).
    """

    zoomChanged = Signal(float)
    cursorMoved = Signal(int, int)
    toolChanged = Signal(str)
    #: a stroke or shape began: the mask is being edited by hand until gestureEnded
    gestureStarted = Signal()
    #: a stroke or shape ended (released or aborted): the mask is no longer being edited by hand
    gestureEnded = Signal()

    def __init__(self, model: EditorModel, undo_stack: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack
        self.brush_size = 60
        self.hardness = 1.0
        self.overlay_color = QColor("#ff3b6b")
        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.photo = PhotoItem()
        self.scene_.addItem(self.photo)
        self._outline_dark = QGraphicsEllipseItem()
        self._outline_light = QGraphicsEllipseItem()
        for item, color, width in ((self._outline_dark, QColor(0, 0, 0, 200), 3),
                                   (self._outline_light, QColor(255, 255, 255, 230), 1)):
            pen = QPen(color, width)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(10)
            item.setVisible(False)
            self.scene_.addItem(item)
        self._shape = QGraphicsPathItem()
        pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._shape.setPen(pen)
        self._shape.setBrush(QBrush(QColor(255, 59, 107, 50)))
        self._shape.setZValue(11)
        self._shape.setVisible(False)
        self.scene_.addItem(self._shape)

        self.setBackgroundBrush(QColor("#1b1d21"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # the main window handles file drops

        self.tools: dict[str, Tool] = {
            "brush": BrushTool(self), "eraser": BrushTool(self, erase=True),
            "rectangle": RectangleTool(self), "lasso": LassoTool(self)}
        self.tool: Tool = self.tools["brush"]
        self._pan_start: QPointF | None = None
        self._pan_scroll = (0, 0)  # scroll bar values at the pan's press
        self._space_down = False
        self._split_drag = False
        self._fit_mode = True
        self._last_view_pos: QPointF | None = None

        model.documentChanged.connect(self._on_document)
        model.maskChanged.connect(self._on_mask)
        model.imageChanged.connect(self._on_image)

    # ------------------------------------------------------------------ document
    def prebuild(self, pyramid: ImagePyramid) -> None:
        """Use ``pyramid`` (built in a loader thread) for the next document of its size."""
        self._prebuilt = pyramid

    def _on_document(self) -> None:
        prebuilt, self._prebuilt = getattr(self, "_prebuilt", None), None
        if not self.model.has_document:
            self.photo.set_pyramids(None, None)
            self.scene_.setSceneRect(QRectF())
            return
        if prebuilt is not None and (prebuilt.width, prebuilt.height) == (self.model.width, self.model.height):
            pyramid = prebuilt
        else:
            pyramid = ImagePyramid(self.model.image)
        overlay = OverlayPyramid(self.model.coverage, self.overlay_color, len(pyramid.levels))
        self.photo.set_pyramids(pyramid, overlay)
        self.scene_.setSceneRect(QRectF(0, 0, self.model.width, self.model.height))
        self.fit_to_window()

    def _on_mask(self, rect: QRect) -> None:
        overlay = self.photo.overlay
        if overlay is None:
            return
        box = (rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
        overlay.update_box(self.model.coverage, box)
        dirty = QRectF(rect).adjusted(-2, -2, 2, 2)
        if self.photo.preview is not None:
            dirty = dirty.united(self.photo.update_preview_box(self.model.coverage, box))
        self.photo.update(dirty)

    def _on_image(self, rect: QRect) -> None:
        if self.photo.pyramid is None:
            return
        self.photo.pyramid.update_box(self.model.image, (rect.left(), rect.top(), rect.right() + 1,
                                                         rect.bottom() + 1))
        self.photo.update(QRectF(rect).adjusted(-2, -2, 2, 2))

    # ------------------------------------------------------------------ overlay settings
    def set_overlay_color(self, color: QColor) -> None:
        self.overlay_color = QColor(color)
        if self.photo.overlay is not None:
            self.photo.overlay.set_color(self.overlay_color)
        fill = QColor(color)
        fill.setAlpha(50)
        self._shape.setBrush(QBrush(fill))
        self.photo.update()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.photo.overlay_opacity = float(opacity)
        self.photo.update()

    def set_overlay_visible(self, visible: bool) -> None:
        self.photo.overlay_visible = bool(visible)
        self.photo.update()

    def set_show_original(self, show: bool) -> None:
        if self.photo.show_original != show:
            self.photo.show_original = show
            self.photo.update()

    def set_split(self, fraction: float | None) -> None:
        self.photo.split = None if fraction is None else min(1.0, max(0.0, fraction))
        self.photo.update()
        self.viewport().update()

    def set_preview(self, lr_result: np.ndarray | None, coverage: np.ndarray | None = None) -> None:
        """Show a run's low-res result over the hole it was asked to fill (``coverage`` uint8 (H, W)), less any
        part erased since; None removes it."""
        self.photo.set_preview(lr_result, coverage, None if lr_result is None else self.model.coverage)

    # ------------------------------------------------------------------ zoom and pan
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit_scale(self) -> float:
        if not self.model.has_document:
            return 1.0
        vp = self.viewport().rect()
        margin = 16
        return max(ZOOM_MIN, min((vp.width() - margin) / self.model.width, (vp.height() - margin) / self.model.height))

    def fit_to_window(self) -> None:
        self._fit_mode = True
        self._set_scale(self.fit_scale())
        self.centerOn(self.photo.boundingRect().center())

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Set the view scale, keeping the image point under ``anchor`` (viewport coordinates; default: the
        viewport centre) where it is."""
        self._fit_mode = False
        scale = min(ZOOM_MAX, max(ZOOM_MIN, scale))
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        before = self.image_pos(anchor)  # exact scene point under the (possibly fractional) anchor
        self._set_scale(scale)
        after = self.viewportTransform().map(before)
        delta = after - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(delta.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(delta.y()))
        if self._pan_start is not None and self._last_view_pos is not None:  # zoomed mid-pan: pan on from here
            self._pan_start = self._last_view_pos
            self._pan_scroll = (self.horizontalScrollBar().value(), self.verticalScrollBar().value())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.zoom * factor, anchor)

    def zoom_in(self) -> None:
        self.zoom_by(math.sqrt(2))

    def zoom_out(self) -> None:
        self.zoom_by(1 / math.sqrt(2))

    def actual_size(self) -> None:
        self.zoom_to(1.0)

    def _set_scale(self, scale: float) -> None:
        self.setTransform(self.transform().fromScale(scale, scale))
        self._update_outline()
        self.zoomChanged.emit(scale)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode and self.model.has_document:
            self.fit_to_window()

    def wheelEvent(self, event) -> None:
        if not self.model.has_document:
            return
        delta = event.angleDelta().y()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        sideways = not delta and event.angleDelta().x()
        if not ctrl and (event.modifiers() & Qt.KeyboardModifier.ShiftModifier or sideways):
            super().wheelEvent(event)  # Shift+wheel and a sideways swipe (horizontal wheel) scroll
            return
        delta = delta or event.angleDelta().x()  # (Ctrl + a horizontal wheel zooms too)
        if delta:
            self.zoom_by(2 ** (delta / 240.0), event.position())
        event.accept()

    # ------------------------------------------------------------------ tools
    def set_tool(self, name: str) -> None:
        if self.tool.active:
            self.tool.cancel()
            self.gestureEnded.emit()
        self.tool = self.tools[name]
        self._update_outline()
        self.toolChanged.emit(name)

    def set_brush_size(self, size: int) -> None:
        self.brush_size = max(1, int(size))
        self._update_outline()

    def set_hardness(self, hardness: float) -> None:
        self.hardness = min(1.0, max(0.0, float(hardness)))

    def set_shape_preview(self, path: QPainterPath | None) -> None:
        if path is None:
            self._shape.setVisible(False)
        else:
            self._shape.setPath(path)
            self._shape.setVisible(True)

    def image_pos(self, view_pos: QPointF) -> QPointF:
        """Image coordinates (float px) of a viewport position."""
        inv, _ = self.viewportTransform().inverted()
        return inv.map(QPointF(view_pos))

    def view_pos(self, image_pos: QPointF) -> QPointF:
        return self.viewportTransform().map(QPointF(image_pos))

    def _update_outline(self) -> None:
        pos = self._last_view_pos
        show = (self.tool.shows_brush and pos is not None and self.model.has_document
                and self._pan_start is None and not self._space_down)
        for item in (self._outline_dark, self._outline_light):
            item.setVisible(bool(show))
        if show:
            c = self.image_pos(pos)
            r = self.brush_size / 2.0
            rect = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
            self._outline_dark.setRect(rect)
            self._outline_light.setRect(rect)

    def _near_split(self, view_pos: QPointF) -> bool:
        if self.photo.split is None or not self.model.has_document:
            return False
        x = self.view_pos(QPointF(self.photo.split * self.model.width, 0)).x()
        return abs(view_pos.x() - x) <= 8

    def set_space_held(self, held: bool) -> None:
        self._space_down = held
        self._update_cursor()
        self._update_outline()

    def _update_cursor(self) -> None:
        if self._pan_start is not None:
            shape = Qt.CursorShape.ClosedHandCursor
        elif self._space_down:
            shape = Qt.CursorShape.OpenHandCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.viewport().setCursor(QCursor(shape))

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_down):
            self._pan_start = pos
            self._pan_scroll = (self.horizontalScrollBar().value(), self.verticalScrollBar().value())
            self._update_cursor()
            self._update_outline()
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and self._near_split(pos):
            self._split_drag = True
            event.accept()
            return
        if button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) and self.model.has_document:
            if not self.tool.active:
                self.tool.press(self.image_pos(pos), button, event.modifiers())
                if self.tool.active:
                    self.gestureStarted.emit()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        self._last_view_pos = pos
        if self._pan_start is not None:
            # from the grab point and the scroll position at the press, not step by step: with display scaling
            # a move is a fraction of a logical pixel, and rounding each one lost (at 200 %) or doubled it
            delta = pos - self._pan_start
            x0, y0 = self._pan_scroll
            self.horizontalScrollBar().setValue(x0 - round(delta.x()))
            self.verticalScrollBar().setValue(y0 - round(delta.y()))
            event.accept()
            return
        img = self.image_pos(pos)
        if self.model.has_document and 0 <= img.x() < self.model.width and 0 <= img.y() < self.model.height:
            self.cursorMoved.emit(int(img.x()), int(img.y()))
        else:
            self.cursorMoved.emit(-1, -1)
        if self._split_drag:
            self.set_split(img.x() / max(1, self.model.width))
        elif self.tool.active:
            self.tool.move(img, event.modifiers())
        self._update_outline()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_start is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_start = None
            self._update_cursor()
            self._update_outline()
            event.accept()
            return
        if self._split_drag:
            self._split_drag = False
            event.accept()
            return
        if self.tool.active:
            self.tool.release(self.image_pos(event.position()), event.modifiers())
            if not self.tool.active:
                self.gestureEnded.emit()
        event.accept()

    def leaveEvent(self, event) -> None:
        self._last_view_pos = None
        self._update_outline()
        self.cursorMoved.emit(-1, -1)
        super().leaveEvent(event)

    def enterEvent(self, event) -> None:
        self._update_cursor()
        super().enterEvent(event)

    def cancel_gesture(self) -> bool:
        """Abort a stroke/shape in progress (Esc); True when there was one."""
        if self.tool.active:
            self.tool.cancel()
            self.gestureEnded.emit()
            return True
        return False

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.model.has_document:
            return
        painter.save()
        painter.resetTransform()
        vp = QRectF(self.viewport().rect())
        painter.setPen(QColor("#8b9099"))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        painter.setFont(font)
        painter.drawText(vp.adjusted(0, -30, 0, -30), Qt.AlignmentFlag.AlignCenter, "Open a photo to begin")
        font.setPointSizeF(font.pointSizeF() / 1.5)
        painter.setFont(font)
        painter.setPen(QColor("#62666e"))
        painter.drawText(vp.adjusted(0, 20, 0, 20), Qt.AlignmentFlag.AlignCenter,
                         "File → Open (Ctrl+O), or drop an image here")
        painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        split = self.photo.split
        if split is None or not self.model.has_document:
            return
        x = split * self.model.width
        painter.save()
        pen = QPen(QColor(255, 255, 255, 230), 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(QPointF(x, 0), QPointF(x, self.model.height))
        # a round handle in the middle of the line, constant size on screen
        scale = self.zoom
        c = QPointF(x, self.model.height / 2)
        painter.setBrush(QColor(40, 42, 48, 230))
        painter.drawEllipse(c, 12 / scale, 12 / scale)
        # "Before" / "After" tags beside the line, at the top of the visible part, constant size on screen
        line_x = self.mapFromScene(QPointF(x, 0)).x()
        top = max(self.mapFromScene(QPointF(x, 0)).y(), 0) + 10
        painter.resetTransform()
        metrics = painter.fontMetrics()
        for text, right_side in (("Before", False), ("After", True)):
            w, h = metrics.horizontalAdvance(text) + 16, metrics.height() + 6
            left = line_x + 8 if right_side else line_x - 8 - w
            box = QRectF(left, top, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 22, 26, 190))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(235, 237, 240))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
