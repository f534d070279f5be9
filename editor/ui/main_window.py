"""The editor's main window: menus, toolbars, docks (tool options, inpaint, history), status bar, files, runs."""

from __future__ import annotations

import logging
import math
import re
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QStandardItem, QStandardItemModel, QUndoStack
from PySide6.QtWidgets import (QApplication, QColorDialog, QComboBox, QDockWidget, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QSlider,
                               QSpinBox, QToolBar, QToolButton, QUndoView, QVBoxLayout, QWidget, QAbstractSpinBox,
                               QLineEdit, QAbstractButton, QAbstractItemView, QTextEdit, QPlainTextEdit, QFrame,
                               QScrollArea, QSizePolicy)

from editor.core.formats import EXTENSION_FORMATS, open_filter, save_filter
from editor.core.imageio import coverage_as_read, save_coverage, scale_hole, soft_coverage
from editor.core.jpeg_quality import jpeg_settings
from editor.core.progress import WAITING
from editor.paths import same_file
from editor.ui import settings as S
from editor.ui.canvas import Canvas
from editor.ui.commands import MaskEditCommand, mask_change_command, result_command
from editor.ui.compare import CompareDialog
from editor.ui.dialogs import SHORTCUT_NAME, ShortcutsDialog
from editor.ui.model import EditorModel, box_of
from editor.ui.style import fit_to_screen, icon
from editor.ui.worker import (FileLoader, FileSaver, InferenceController, InpaintRequest, friendly_error,
                              load_document, unavailable_label, unavailable_tip)

__all__ = ["MainWindow", "IMAGE_FILTER", "proposed_save_path"]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = tuple(EXTENSION_FORMATS)
IMAGE_FILTER = open_filter()
SAVE_FILTER = save_filter()
STAGES = {"prepare": ("Preparing", 0.0, 0.05), "lr_inpaint": ("Filling at low resolution", 0.05, 0.45),
          "hd": ("Restoring full-resolution detail", 0.45, 0.93), "composite": ("Compositing", 0.93, 1.0),
          WAITING: ("Waiting for the cancelled fill to end", 0.05, 0.05)}
HD_LABELS = {"cra": "CRA — aggregated detail", "resize": "Resize — upscale only",
             "crop": "Crop — native resolution", "full": "Full — whole photo"}
HD_TIPS = {"cra": "Contextual residual aggregation (CRA §3.2): the low-res fill plus high-frequency detail "
                  "borrowed from matching parts of the photo. Sharp, fast at any size.",
           "resize": "The low-res fill simply upscaled (soft). The naive baseline.",
           "crop": "Each hole's neighbourhood inpainted at native resolution. Slow for large holes.",
           "full": "The method runs on the whole full-resolution photo (classical methods, small photos)."}
TEXTURE_TIP = ("How much of the surrounding fine texture (grain, ripples, foliage) the CRA fill carries. 100 % "
               "matches the photo around the hole; lower is softer but, on average, closer to what was really there "
               "(0 % = Resize)")
TEXTURE_OFF_TIP = ("Texture applies only when Full res is “CRA — aggregated detail”, which borrows detail from "
                   "the photo around the hole; the other strategies have no texture to set.")
DEVICE_LABELS = {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}


def proposed_save_path(path: Path) -> Path:
    """``NAME_inpainted.EXT`` beside the original (``NAME_inpainted_2.EXT`` … when that exists)."""
    candidate = path.with_name(f"{path.stem}_inpainted{path.suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_inpainted_{n}{path.suffix}")
        n += 1
    return candidate


_TEXT_WIDGETS = (QLineEdit, QAbstractSpinBox, QComboBox, QTextEdit, QPlainTextEdit)
_SPACE_WIDGETS = _TEXT_WIDGETS + (QAbstractButton, QAbstractItemView)  # Space types, presses or selects there
BRUSH_SLIDER_STEPS = 1000
#: A value field's width beyond its text: the style's padding (2 x 8 px), its border (2 x 1 px) and the 14 px it
#: keeps for the arrows it does not draw (``style.py``).
_SPIN_CHROME_PX = 32
IDLE_HINT = "Paint over what should disappear, then Inpaint."
# memory the editor holds per pixel of an open photo: the photo, its display levels, the untouched original
# for the before/after view, the mask and its overlay levels, undo steps and a fill's working copies; measured:
# 967 MB for an 8K photo (33.2 MP) with 20 undo steps (benchmarks/editor_8k.py, README)
EDITOR_BYTES_PER_PIXEL = 29
STOP_WAIT_MS = 500  # closing waits this long for a run to stop before showing the window as "Stopping…"


def slider_to_brush_size(position: int) -> int:
    """Brush size (px) at slider ``position`` 0..BRUSH_SLIDER_STEPS: logarithmic from the smallest to the
    largest size."""
    lo, hi = S.BRUSH_SIZE.minimum, S.BRUSH_SIZE.maximum
    t = min(1.0, max(0.0, position / BRUSH_SLIDER_STEPS))
    return int(min(hi, max(lo, round(lo * (hi / lo) ** t))))


def brush_size_to_slider(size: int) -> int:
    lo, hi = S.BRUSH_SIZE.minimum, S.BRUSH_SIZE.maximum
    size = min(hi, max(lo, size))
    return round(BRUSH_SLIDER_STEPS * math.log(size / lo) / math.log(hi / lo))


def smaller_brush(size: int) -> int:
    """``[``: 20 % smaller, at least 1 px smaller, never below the minimum."""
    return int(max(S.BRUSH_SIZE.minimum, min(size - 1, round(size / 1.25))))


def bigger_brush(size: int) -> int:
    """``]``: 25 % bigger, at least 1 px bigger, never above the maximum."""
    return int(min(S.BRUSH_SIZE.maximum, max(size + 1, round(size * 1.25))))


def _filter_for(suffix: str) -> str:
    """The entry of SAVE_FILTER listing ``suffix`` (the dialog opens on the photo's own type), else ""."""
    for entry in SAVE_FILTER.split(";;"):
        if suffix and f"*{suffix.lower()}" in re.findall(r"\*\.\w+", entry):
            return entry
    return ""


def _megapixels(pixels: int) -> str:
    mp = pixels / 1e6
    return f"{mp:.0f}" if mp >= 10 else f"{mp:.1f}" if mp >= 0.1 else f"{mp:.3f}"


def _memory_text(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e9 else f"{max(1.0, nbytes / 1e6):.0f} MB"


def _mask_size_question(exc: Exception, path: Path) -> str:
    """The question asked when an imported mask's size differs from the photo's, in the editor's words (for a
    turned mask, the explanation alone: stretching it would not line it up)."""
    from editor.core.errors import InpaintError, MaskSizeError
    if isinstance(exc, MaskSizeError):
        (mw, mh), (pw, ph) = exc.mask_size, exc.photo_size
        what = f"The mask “{path.name}” is {mw} × {mh} pixels but the photo is {pw} × {ph}."
        if exc.turned:
            return (what + " It is the photo turned by 90°: it was probably drawn on the photo before the photo's "
                    "own orientation turned it. Turn the mask the same way in another editor, then import it.")
    else:
        what = exc.gui_text() if isinstance(exc, InpaintError) else str(exc)
    return f"{what}\n\nStretch the mask to fit the photo?"


def _hd_strategies() -> tuple[str, ...]:
    try:
        from editor.pipeline import HD_STRATEGIES
        return tuple(HD_STRATEGIES)
    except Exception:
        return ("cra", "resize", "crop", "full")


class _PopupClosed(QObject):
    """Event filter on a combo box's popup: calls ``callback`` when the popup hides."""

    def __init__(self, callback, parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide:
            self._callback()
        return False


class _PanelScroll(QScrollArea):
    """A panel's content, scrolling only when the panel is shorter than the content. It asks for the content's
    own height and does not expand (so History, which does, takes the window's spare height)."""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # (the keyboard stays with the canvas and the controls)
        self.setMinimumHeight(60)

    def sizeHint(self) -> QSize:
        content = self.widget().sizeHint() if self.widget() is not None else QSize(0, 0)
        return QSize(content.width() + self.verticalScrollBar().sizeHint().width(), content.height())

    def _content_height(self, width: int) -> int:
        w = self.widget()
        h = w.heightForWidth(width) if w.hasHeightForWidth() else -1   # (wrapped labels: taller when narrow)
        return max(h, w.minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.widget() is not None:  # never taller than the content at this width
            self.setMaximumHeight(self._content_height(event.size().width()))


def _centre_labels(form: QFormLayout) -> None:
    """A form's labels centred on their fields: QFormLayout gives a label that does not expand vertically at
    most 7/4 of its own height at the row's top (its text sat 2-3 px above the field's); an expanding label
    gets the row's height and centres its text."""
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        label = item.widget() if item is not None else None
        if isinstance(label, QLabel):
            label.setSizePolicy(label.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Expanding)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class MainWindow(QMainWindow):
    """The editor window. ``settings`` defaults to the user's QSettings; tests pass an isolated one."""

    def __init__(self, settings: S.Settings | None = None, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings or S.Settings()
        self.model = EditorModel(self)
        self.undo_stack = QUndoStack(self)
        self.canvas = Canvas(self.model, self.undo_stack, self)
        self.controller = InferenceController(self)
        self.loader = FileLoader(self)
        self.saver = FileSaver(self)
        self.saver.saved.connect(self._on_saved)
        self._saves: dict[int, tuple] = {}
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.loader.tooLarge.connect(self._on_too_large)
        self.save_path: Path | None = None
        self.source_jpeg: tuple[int, int] | None = None  # (quality, subsampling) the opened JPEG was saved with
        self.method_infos: list[dict] = []
        self.methods_final = False
        self._run: dict | None = None          # the running Inpaint request (id, request, doc, method)
        self._held: tuple | None = None         # (req_id, result) of a fill that ended during a stroke
        self._compare_run: dict | None = None  # the last Compare request (running, or done with its results)
        self._image_rev = 0                    # counts changes of the photo's pixels (stale-result check)
        self._compare_check = QTimer(self)
        self._compare_check.setSingleShot(True)
        self._compare_check.setInterval(150)
        self._compare_check.timeout.connect(self._check_compare)
        self.compare_dialog: CompareDialog | None = None
        self.last_error: str | None = None
        self._closing = False
        self._stopping = False  # closing: waiting for the worker's current step to end
        self._space_pan = False  # a Space press was taken for panning (its release is too)
        self._edit_serial = 0      # counts changes of the undo history (edits made while a photo loads)
        self._load_base: tuple | None = None  # (document, edit serial) when the pending background open began
        self._hd_auto = False      # Full res changed by the editor (not the user): not saved as the choice
        self._hd_fell_back = False  # "Full" was replaced by "CRA" for a method that cannot run on the whole photo
        self._hd_note: str | None = None  # the fallback note shown in the stage label, if any

        self.setWindowTitle("Inpaint Studio")
        self.setCentralWidget(self.canvas)
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self._create_actions()
        self._create_menus()
        self._create_toolbars()
        self._create_docks()
        self._create_status_bar()
        self._connect()
        self._load_settings()
        self._update_actions()
        self._update_title()
        QApplication.instance().installEventFilter(self)
        self.controller.probe()

    # ================================================================== construction
    def _action(self, key: str, text: str, shortcut=None, icon_name: str | None = None, slot=None,
                checkable: bool = False, tip: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setCheckable(checkable)
        tip_text = tip or text.replace("&", "").rstrip(".…")
        if action.shortcuts():
            tip_text += f"  ({action.shortcuts()[0].toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip_text)
        action.setStatusTip(tip or "")
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        self.actions_[key] = action
        return action

    def _create_actions(self) -> None:
        self.actions_: dict[str, QAction] = {}
        a = self._action
        a("open", "&Open…", QKeySequence.StandardKey.Open, "mdi6.folder-open-outline", self.open_dialog,
          tip="Open a photo")
        a("save", "&Save", QKeySequence.StandardKey.Save, "mdi6.content-save-outline",
          lambda: self.save(background=True),
          tip="Save the edited photo (the first save proposes NAME_inpainted beside the original)")
        a("save_as", "Save &As…", "Ctrl+Shift+S", "mdi6.content-save-edit-outline",
          lambda: self.save_as(background=True))
        a("export", "&Export a Copy…", "Ctrl+E", "mdi6.export", lambda: self.export_copy(background=True),
          tip="Write a copy in another format; the document keeps its file")
        a("import_mask", "&Import Mask…", "Ctrl+Shift+O", "mdi6.tray-arrow-down", self.import_mask_dialog,
          tip="Load a hole mask (white = hole; a PNG's grey keeps a soft edge)")
        a("export_mask", "Export &Mask…", "Ctrl+Shift+E", "mdi6.tray-arrow-up", self.export_mask_dialog,
          tip="Save the hole mask as a grey PNG (white = hole, grey = a soft brush's edge)")
        a("quit", "&Quit", QKeySequence.StandardKey.Quit, None, self.close)
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcuts([QKeySequence("Ctrl+Z")])
        undo.setIcon(icon("mdi6.undo"))
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setIcon(icon("mdi6.redo"))
        for key, act in (("undo", undo), ("redo", redo)):
            act.setProperty(SHORTCUT_NAME, key.capitalize())  # (its text follows the history: "Undo Brush stroke")
            self.addAction(act)
            self.actions_[key] = act
        a("clear_mask", "&Clear Mask", "Ctrl+Shift+A", "mdi6.selection-off", self.clear_mask,
          tip="Remove the whole hole mask")
        a("invert_mask", "&Invert Mask", "Ctrl+I", "mdi6.invert-colors", self.invert_mask,
          tip="Swap hole and known region")
        a("grow_mask", "&Grow Mask", "Ctrl+]", "mdi6.arrow-expand-all", self.grow_mask,
          tip="Grow the hole by the pixels set in Tool options")
        a("shrink_mask", "S&hrink Mask", "Ctrl+[", "mdi6.arrow-collapse-all", self.shrink_mask,
          tip="Shrink the hole by the pixels set in Tool options")
        a("zoom_in", "Zoom &In", ["Ctrl++", "Ctrl+="], "mdi6.magnify-plus-outline", self.canvas.zoom_in)
        a("zoom_out", "Zoom &Out", "Ctrl+-", "mdi6.magnify-minus-outline", self.canvas.zoom_out)
        a("fit", "&Fit to Window", "Ctrl+0", "mdi6.fit-to-screen-outline", self.canvas.fit_to_window)
        a("actual", "&Actual Pixels (100%)", "Ctrl+1", "mdi6.numeric-1-box-outline", self.canvas.actual_size)
        a("toggle_overlay", "Show &Mask Overlay", "M", "mdi6.eye-outline", self.canvas.set_overlay_visible,
          checkable=True, tip="Show or hide the hole-mask overlay")
        self.actions_["toggle_overlay"].setChecked(True)
        a("split", "&Before | After Split", "S", "mdi6.compare-horizontal", self.toggle_split, checkable=True,
          tip="Split view: the original on the left, the edit on the right (drag the line)")
        group = QActionGroup(self)
        for key, text, key_seq, icon_name, tip in (
                ("brush", "&Brush", "B", "mdi6.brush", "Paint the hole (right-drag erases)"),
                ("eraser", "&Eraser", "E", "mdi6.eraser", "Remove from the hole"),
                ("rectangle", "&Rectangle", "R", "mdi6.selection", "Add a rectangle to the hole (Alt subtracts)"),
                ("lasso", "&Lasso", "L", "mdi6.lasso", "Add a free-hand shape to the hole (Alt subtracts)")):
            act = a(f"tool_{key}", text, key_seq, icon_name, checkable=True, tip=tip)
            act.triggered.connect(lambda checked=False, k=key: self.set_tool(k))
            group.addAction(act)
        self.actions_["tool_brush"].setChecked(True)
        a("brush_smaller", "Smaller Brush", "[", None,
          lambda: self.set_brush_size(smaller_brush(self.canvas.brush_size)))
        a("brush_bigger", "Bigger Brush", "]", None,
          lambda: self.set_brush_size(bigger_brush(self.canvas.brush_size)))
        a("inpaint", "&Inpaint", ["Ctrl+Return", "Ctrl+Enter"], "mdi6.auto-fix", self.inpaint,
          tip="Fill the hole with the selected method")
        a("cancel", "&Cancel", "Esc", "mdi6.stop-circle-outline", self.cancel,
          tip="Stop the running fill (or the shape being drawn)")
        a("compare", "C&ompare Methods…", "Ctrl+K", "mdi6.view-grid-outline", self.show_compare,
          tip="Run several methods on the same hole and pick the best")
        a("shortcuts", "&Keyboard Shortcuts", ["F1", "Ctrl+/"], "mdi6.keyboard-outline", self.show_shortcuts)
        a("about", "&About Inpaint Studio", None, None, self.show_about)

    def _create_menus(self) -> None:
        mb = self.menuBar()
        A = self.actions_
        self._menus: list[tuple[str, list[QAction]]] = []

        def menu(title: str, keys: list[str | None]):
            m = mb.addMenu(title)
            acts = []
            for k in keys:
                if k is None:
                    m.addSeparator()
                elif k == "recent":
                    self.recent_menu = m.addMenu(icon("mdi6.history"), "Open &Recent")
                else:
                    m.addAction(A[k])
                    acts.append(A[k])
            self._menus.append((title.replace("&", ""), acts))
            return m

        menu("&File", ["open", "recent", None, "save", "save_as", "export", None, "import_mask", "export_mask",
                       None, "quit"])
        menu("&Edit", ["undo", "redo", None, "clear_mask", "invert_mask", "grow_mask", "shrink_mask"])
        self.view_menu = menu("&View", ["zoom_in", "zoom_out", "fit", "actual", None, "toggle_overlay", "split"])
        menu("&Tools", ["tool_brush", "tool_eraser", "tool_rectangle", "tool_lasso", None, "brush_smaller",
                        "brush_bigger"])
        menu("&Run", ["inpaint", "cancel", None, "compare"])
        menu("&Help", ["shortcuts", None, "about"])

    def _create_toolbars(self) -> None:
        A = self.actions_
        top = QToolBar("Main", self)
        top.setObjectName("mainToolbar")
        top.setIconSize(QSize(20, 20))
        top.setMovable(False)
        for k in ("open", "save", None, "undo", "redo", None, "fit", "actual", "zoom_out", "zoom_in", None,
                  "toggle_overlay", "split"):
            top.addSeparator() if k is None else top.addAction(A[k])
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        top.addWidget(spacer)
        for key in ("compare", "inpaint"):
            top.addAction(A[key])
            top.widgetForAction(A[key]).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, top)
        tools = QToolBar("Tools", self)
        tools.setObjectName("toolsToolbar")
        tools.setIconSize(QSize(22, 22))
        tools.setMovable(False)
        for k in ("tool_brush", "tool_eraser", "tool_rectangle", "tool_lasso", None, "grow_mask", "shrink_mask",
                  "invert_mask", "clear_mask"):
            tools.addSeparator() if k is None else tools.addAction(A[k])
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, tools)
        self.toolbars = (top, tools)

    def _slider_row(self, minimum: int, maximum: int, suffix: str) -> tuple[QWidget, QSlider, QSpinBox]:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(minimum, maximum)
        spin = QSpinBox()
        spin.setRange(minimum, maximum)
        spin.setSuffix(suffix)
        spin.setMinimumWidth(76)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        slider.valueChanged.connect(spin.setValue)
        spin.valueChanged.connect(slider.setValue)
        lay.addWidget(slider, 1)
        lay.addWidget(spin)
        return row, slider, spin

    def _brush_size_row(self) -> tuple[QWidget, QSlider, QSpinBox]:
        """Size 1..2000 px: the spin box takes any size, the slider moves on a log scale (as in Photoshop and
        Krita: fine steps for small brushes, the whole range within reach)."""
        lo, hi = int(S.BRUSH_SIZE.minimum), int(S.BRUSH_SIZE.maximum)
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, BRUSH_SLIDER_STEPS)
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setSuffix(" px")
        spin.setMinimumWidth(76)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        def from_slider(position: int) -> None:
            spin.setValue(slider_to_brush_size(position))

        def to_slider(size: int) -> None:
            slider.blockSignals(True)  # the slider's rounding must not move the size typed in the spin box
            slider.setValue(brush_size_to_slider(size))
            slider.blockSignals(False)

        def step(action: int) -> None:
            # arrows, Page Up/Down and the wheel step by size, not by slider position: one press is `]` / `[`
            # (+25 % / −20 %, at least 1 px), a page twice or half the size; a drag still moves freely
            A = QSlider.SliderAction
            size = spin.value()
            if action in (A.SliderSingleStepAdd.value, A.SliderSingleStepSub.value):
                new = bigger_brush(size) if action == A.SliderSingleStepAdd.value else smaller_brush(size)
            elif action in (A.SliderPageStepAdd.value, A.SliderPageStepSub.value):
                new = (min(hi, max(size + 1, size * 2)) if action == A.SliderPageStepAdd.value
                       else max(lo, min(size - 1, round(size / 2))))
            elif action == A.SliderMove.value and not slider.isSliderDown():  # the wheel
                if slider.sliderPosition() == slider.value():
                    return
                new = bigger_brush(size) if slider.sliderPosition() > slider.value() else smaller_brush(size)
            else:
                return
            spin.setValue(int(min(hi, max(lo, new))))  # moves the slider too (to_slider)
            slider.setSliderPosition(slider.value())  # instead of the position the action computed

        slider.valueChanged.connect(from_slider)
        slider.actionTriggered.connect(step)
        spin.valueChanged.connect(to_slider)
        lay.addWidget(slider, 1)
        lay.addWidget(spin)
        return row, slider, spin

    def _create_docks(self) -> None:
        # ---- tool options
        # compact (as Krita's and GIMP's tool options): the three panels' content fits a 1280 x 720 screen's
        # window (~560 px for the panels) with a few History rows
        opts = QWidget()
        form = QFormLayout(opts)
        form.setContentsMargins(12, 6, 12, 8)
        form.setVerticalSpacing(6)
        row, self.size_slider, self.size_spin = self._brush_size_row()
        form.addRow("Size", row)
        row, self.hardness_slider, self.hardness_spin = self._slider_row(0, 100, " %")
        self.hardness_slider.setToolTip("100 % = hard edge. Softer brushes blend the fill into the photo at the "
                                        "stroke's edge.")
        form.addRow("Hardness", row)
        self.color_button = QPushButton()
        self.color_button.setToolTip("Colour of the hole overlay")
        self.color_button.setFixedSize(26, 22)
        self.color_button.clicked.connect(self.choose_overlay_color)
        row, self.opacity_slider, self.opacity_spin = self._slider_row(5, 100, " %")
        self.opacity_slider.setToolTip("Opacity of the hole overlay")
        row.layout().insertWidget(0, self.color_button)   # one row: the overlay's colour, then its opacity
        form.addRow("Overlay", row)
        self.grow_spin = QSpinBox()
        self.grow_spin.setRange(1, 500)
        self.grow_spin.setSuffix(" px")
        grow_row = QWidget()
        gl = QHBoxLayout(grow_row)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.addWidget(self.grow_spin, 1)
        for key in ("grow_mask", "shrink_mask"):
            b = QToolButton()
            b.setDefaultAction(self.actions_[key])
            gl.addWidget(b)
        form.addRow("Grow / shrink", grow_row)
        # the slider rows end at one x: their value fields all as wide as the widest value ("2000 px") needs,
        # not Qt's size hint, which reserves room for the arrows this style does not draw (109 px: the overlay
        # slider shrank to ~40 px on a 1280-px screen)
        spins = (self.size_spin, self.hardness_spin, self.opacity_spin)
        value_width = max(spin.fontMetrics().horizontalAdvance(f"{spin.maximum()}{spin.suffix()}") for spin in spins)
        for spin in spins:
            spin.setFixedWidth(value_width + _SPIN_CHROME_PX)
        _centre_labels(form)
        self.tool_dock = self._dock("Tool options", "toolDock", opts)

        # ---- inpaint
        run = QWidget()
        v = QVBoxLayout(run)
        v.setContentsMargins(12, 6, 12, 8)
        v.setSpacing(6)
        f2 = QFormLayout()
        f2.setVerticalSpacing(6)
        self.method_combo = QComboBox()
        self.method_model = QStandardItemModel(self.method_combo)
        self.method_combo.setModel(self.method_model)
        loading = QStandardItem("Loading methods…")
        loading.setEnabled(False)
        self.method_model.appendRow(loading)
        self.method_combo.setToolTip("Inpainting method (networks without weights are shown greyed out)")
        self.hd_combo = QComboBox()
        for name in _hd_strategies():
            self.hd_combo.addItem(HD_LABELS.get(name, name), name)
            self.hd_combo.setItemData(self.hd_combo.count() - 1, HD_TIPS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.hd_combo.setToolTip("How the low-resolution fill is brought to the photo's full resolution")
        self.device_combo = QComboBox()
        for d in ("auto", "cpu"):
            self.device_combo.addItem(DEVICE_LABELS[d], d)
        self.device_combo.setToolTip("Where networks run (classical methods always use the CPU)")
        self.dilate_spin = QSpinBox()
        self.dilate_spin.setRange(-1, 64)
        self.dilate_spin.setSpecialValueText("Default")
        self.dilate_spin.setSuffix(" px")
        self.dilate_spin.setToolTip("Grow the low-resolution hole by this many pixels before filling, so that the "
                                    "object's edge is not copied into the fill. Only the painted hole is replaced: "
                                    "to replace a halo or shadow too, use Edit → Grow Mask")
        self.texture_spin = QSpinBox()
        self.texture_spin.setRange(0, 100)
        self.texture_spin.setSingleStep(10)
        self.texture_spin.setSuffix(" %")
        self.texture_spin.setToolTip(TEXTURE_TIP)
        for spin in (self.grow_spin, self.texture_spin, self.dilate_spin):  # numbers right-aligned, as above
            spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        f2.addRow("Method", self.method_combo)
        f2.addRow("Full res", self.hd_combo)
        self.texture_label = QLabel("Texture")
        f2.addRow(self.texture_label, self.texture_spin)
        f2.addRow("Device", self.device_combo)
        f2.addRow("Dilation", self.dilate_spin)
        _centre_labels(f2)
        v.addLayout(f2)
        self.inpaint_button = QPushButton(icon("mdi6.auto-fix", "#ffffff"), "  Inpaint")
        self.inpaint_button.setProperty("role", "primary")
        self.inpaint_button.setToolTip(self.actions_["inpaint"].toolTip())
        self.inpaint_button.clicked.connect(self.inpaint)
        self.cancel_button = QPushButton(icon("mdi6.stop-circle-outline"), "")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setFixedWidth(40)
        compare = self.compare_button = QPushButton(icon("mdi6.view-grid-outline"), " Compare…")
        compare.setToolTip("Compare methods: run several methods on the same hole and pick the best  (Ctrl+K)")
        compare.clicked.connect(self.show_compare)
        compare.setEnabled(self.actions_["compare"].isEnabled())  # as the menu's: not without a photo
        self.actions_["compare"].enabledChanged.connect(compare.setEnabled)
        for b in (compare, self.cancel_button):   # as tall as the (more padded) Inpaint button beside them
            b.setSizePolicy(b.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Preferred)
        buttons = QHBoxLayout()   # (Compare beside Inpaint, not below: one row less on a 720-px screen)
        buttons.setSpacing(6)
        buttons.addWidget(self.inpaint_button, 1)
        buttons.addWidget(compare)
        buttons.addWidget(self.cancel_button)
        v.addLayout(buttons)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(6)
        keep = self.progress_bar.sizePolicy()
        keep.setRetainSizeWhenHidden(True)          # showing it during a run moves nothing
        self.progress_bar.setSizePolicy(keep)
        self.stage_label = QLabel(IDLE_HINT)
        self.stage_label.setProperty("role", "hint")
        self.stage_label.setWordWrap(True)
        # two lines always fit (the panel is not squeezed below them, which clipped the run's status)
        self.stage_label.setMinimumHeight(2 * self.stage_label.fontMetrics().lineSpacing() + 2)
        v.addWidget(self.progress_bar)
        v.addWidget(self.stage_label)
        # clicking a panel button leaves the keyboard focus where it was (the canvas, for Space-panning);
        # Tab still reaches them, and Space then presses them
        for button in (self.color_button, self.inpaint_button, self.cancel_button, compare):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.run_dock = self._dock("Inpaint", "runDock", run)

        # ---- history
        self.undo_view = QUndoView(self.undo_stack)
        self.undo_view.setEmptyLabel("No photo open")
        self.undo_view.setCleanIcon(icon("mdi6.content-save-outline"))
        hist = QWidget()
        hl = QVBoxLayout(hist)
        hl.setContentsMargins(12, 4, 12, 12)
        hl.addWidget(self.undo_view)
        self.undo_view.setMinimumHeight(48)
        self.history_dock = self._dock("History", "historyDock", hist, fixed=False)
        # a step clicked in the History or a choice picked from a list hands the keyboard back to the canvas
        # (as in Photoshop), so Space pans and the single-key shortcuts work again at once; keyboard use of
        # them (Tab, arrows) keeps the focus where it is
        self.undo_view.pressed.connect(self._focus_canvas)
        self._popup_watcher = _PopupClosed(self._return_focus_from_popup, self)
        for combo in (self.method_combo, self.hd_combo, self.device_combo):
            combo.view().window().installEventFilter(self._popup_watcher)
        for dock in (self.run_dock, self.tool_dock, self.history_dock):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.view_menu.addAction(dock.toggleViewAction())
        self._fit_docks()
        self._dock_fit = QTimer(self, singleShot=True, interval=0, timeout=self._fit_docks)
        self.resizeDocks([self.run_dock], [300], Qt.Orientation.Horizontal)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().height() != event.size().height() and hasattr(self, "_dock_fit"):
            self._dock_fit.start()  # once the layout has settled at the new height

    def _fit_docks(self) -> None:
        """Inpaint and Tool options get the height their content needs, History the rest. On a short screen
        History gives way first (down to a few rows), then Tool options, then Inpaint (their content scrolls).
        Run on every change of the window's height (so a splitter dragged by hand holds until then)."""
        docks = [self.run_dock, self.tool_dock, self.history_dock]
        if any(d.isFloating() or not d.isVisible() for d in docks) and self.isVisible():
            return  # (a panel moved out or hidden: the user's layout)
        avail = sum(d.height() for d in docks) if self.isVisible() else 900
        run, tool = self.run_dock.sizeHint().height(), self.tool_dock.sizeHint().height()
        history = 110
        if run + tool + history <= avail:
            history = avail - run - tool
        else:
            left = avail - history
            run = min(run, max(left - 90, left // 2))
            tool = left - run
        self.resizeDocks(docks, [run, tool, history], Qt.Orientation.Vertical)

    def _focus_canvas(self, *_) -> None:
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _return_focus_from_popup(self) -> None:
        """A combo box's list closed (a choice made, or Esc): the focus, still on the combo box, goes to the
        canvas (at once, so a key pressed right after it reaches the canvas; and again once the popup has
        gone, should the platform hand the focus back to the combo box then)."""
        def hand_on() -> None:
            focus = QApplication.focusWidget()
            if focus is None or focus in (self.method_combo, self.hd_combo, self.device_combo):
                self._focus_canvas()
        hand_on()
        QTimer.singleShot(0, hand_on)

    def _dock(self, title: str, name: str, widget: QWidget, fixed: bool = True) -> QDockWidget:
        """A right-hand panel. A ``fixed`` panel (Inpaint, Tool options) is at most as tall as its content and
        scrolls when it gets shorter, so the stacked panels never make the window taller than a 768-px
        laptop screen (their content alone needs ~690 px); the other (History) takes the rest."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if fixed:
            scroll = _PanelScroll()
            scroll.setWidget(widget)
            widget = scroll
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        return dock

    def _create_status_bar(self) -> None:
        sb = self.statusBar()
        self.pos_label = QLabel("")
        self.size_label = QLabel("")
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(70)
        for w in (self.pos_label, self.size_label, self.zoom_label):
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        c = self.controller
        c.methodsReady.connect(self._on_methods)
        c.devicesReady.connect(self._on_devices)
        c.progress.connect(self._on_progress)
        c.preview.connect(self._on_preview)
        c.finished.connect(self._on_finished)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.compareResult.connect(self._on_compare_result)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.canvas.cursorMoved.connect(self._on_cursor)
        self.canvas.gestureStarted.connect(lambda: self._lock_history(True))
        self.canvas.gestureEnded.connect(self._apply_held)
        self.canvas.gestureEnded.connect(lambda: self._lock_history(False))
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._count_edit)
        self.size_spin.valueChanged.connect(self._on_brush_size)
        self.hardness_spin.valueChanged.connect(self._on_hardness)
        self.opacity_spin.valueChanged.connect(self._on_opacity)
        self.grow_spin.valueChanged.connect(lambda v: self.settings.set(S.GROW_SHRINK_PX, v))
        self.method_combo.currentIndexChanged.connect(self._on_method_changed)
        self.hd_combo.currentIndexChanged.connect(self._on_hd_changed)
        self.hd_combo.currentIndexChanged.connect(self._update_texture)
        self.texture_spin.valueChanged.connect(lambda v: self.settings.set(S.LAST_TEXTURE, v))
        self.device_combo.currentIndexChanged.connect(
            lambda i: self.settings.set(S.LAST_DEVICE, self.device_combo.currentData() or "auto"))
        self.dilate_spin.valueChanged.connect(lambda v: self.settings.set(S.LAST_DILATE, v))
        self.model.documentChanged.connect(self._update_actions)
        self.model.imageChanged.connect(self._on_image_changed)
        self.model.documentChanged.connect(self._on_image_changed)
        self.model.maskChanged.connect(lambda rect: self._schedule_compare_check())

    def _load_settings(self) -> None:
        st = self.settings
        self.size_spin.setValue(st.get(S.BRUSH_SIZE))
        self.hardness_spin.setValue(st.get(S.BRUSH_HARDNESS))
        self.opacity_spin.setValue(st.get(S.OVERLAY_OPACITY))
        self.grow_spin.setValue(st.get(S.GROW_SHRINK_PX))
        self._apply_overlay_color(QColor(st.get(S.OVERLAY_COLOR)))
        self.canvas.set_brush_size(self.size_spin.value())
        self.canvas.set_hardness(self.hardness_spin.value() / 100)
        self.canvas.set_overlay_opacity(self.opacity_spin.value() / 100)
        i = self.hd_combo.findData(st.get(S.LAST_HD))
        self.hd_combo.setCurrentIndex(max(0, i))
        self.texture_spin.setValue(st.get(S.LAST_TEXTURE))
        self._update_texture()
        self.dilate_spin.setValue(st.get(S.LAST_DILATE))
        geometry = st.get(S.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(geometry)
        else:  # first start
            fit_to_screen(self, 1440, 900)
        state = st.get(S.WINDOW_STATE)
        if state:
            self.restoreState(state)
        self._rebuild_recent_menu()

    def save_window_settings(self) -> None:
        self.settings.set(S.WINDOW_GEOMETRY, bytes(self.saveGeometry().data()))
        self.settings.set(S.WINDOW_STATE, bytes(self.saveState().data()))
        self.settings.sync()

    # ================================================================== settings-backed controls
    def set_brush_size(self, size: int) -> None:
        self.size_spin.setValue(int(max(S.BRUSH_SIZE.minimum, min(S.BRUSH_SIZE.maximum, int(size)))))

    def _on_brush_size(self, value: int) -> None:
        self.canvas.set_brush_size(value)
        self.settings.set(S.BRUSH_SIZE, value)

    def _on_hardness(self, value: int) -> None:
        self.canvas.set_hardness(value / 100)
        self.settings.set(S.BRUSH_HARDNESS, value)

    def _on_opacity(self, value: int) -> None:
        self.canvas.set_overlay_opacity(value / 100)
        self.settings.set(S.OVERLAY_OPACITY, value)

    def choose_overlay_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.overlay_color, self, "Overlay colour")
        if color.isValid():
            self._apply_overlay_color(color)
            self.settings.set(S.OVERLAY_COLOR, color.name())

    def _apply_overlay_color(self, color: QColor) -> None:
        self.canvas.set_overlay_color(color)
        self.color_button.setStyleSheet(f"QPushButton {{ background: {color.name()}; border-radius: 5px; }}")

    def set_tool(self, name: str) -> None:
        self.canvas.set_tool(name)
        self.actions_[f"tool_{name}"].setChecked(True)

    # ================================================================== status / title
    @Slot()
    def _update_title(self, *_) -> None:
        if self._stopping:
            return
        if self.model.has_document:
            name = (self.save_path or self.model.path or Path("Untitled")).name
            self.setWindowTitle(f"{name}[*] — Inpaint Studio")
        else:
            self.setWindowTitle("Inpaint Studio")
        self.setWindowModified(self.model.has_document and not self.undo_stack.isClean())

    def _count_edit(self, *_) -> None:
        self._edit_serial += 1

    def _update_actions(self) -> None:
        has = self.model.has_document
        for key in ("save", "save_as", "export", "import_mask", "export_mask", "clear_mask", "invert_mask",
                    "grow_mask", "shrink_mask", "zoom_in", "zoom_out", "fit", "actual", "inpaint", "compare",
                    "split"):
            self.actions_[key].setEnabled(has)
        busy = self.controller.busy
        comparing = busy and self._comparing()
        self.inpaint_button.setEnabled(has)
        self.inpaint_button.setText("  Restart" if busy and not comparing else "  Inpaint")
        self.inpaint_button.setToolTip(
            "Stop the comparison and fill with the selected method" if comparing else
            "Stop the running fill and start again with the current settings" if busy
            else self.actions_["inpaint"].toolTip())
        self.cancel_button.setEnabled(busy)
        self.progress_bar.setVisible(self.controller.busy)
        if has:
            self.size_label.setText(f"{self.model.width} × {self.model.height} px")

    def _on_cursor(self, x: int, y: int) -> None:
        if x < 0:
            self.pos_label.setText("")
            return
        r, g, b = (int(v) for v in self.model.image[y, x])
        self.pos_label.setText(f"x {x}  y {y}   RGB {r} {g} {b}")

    def show_message(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    def show_error(self, title: str, text: str) -> None:
        """A message box in words a photographer understands (also kept in ``last_error`` for tests)."""
        self.last_error = text
        log.info("%s: %s", title, text)
        QMessageBox.warning(self, title, text)

    # ================================================================== files
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open photo", self.settings.get(S.LAST_FOLDER), IMAGE_FILTER)
        if path:
            self.open_file(path, background=True)

    def open_file(self, path, mask=None, background: bool = False, invert_mask: bool = False) -> bool:
        """Open a photo (and optionally its hole mask, PNG white = hole; black with ``invert_mask``).

        With ``background=True`` the file is decoded in a loader thread (the window stays responsive) and
        the call returns at once; otherwise it returns False (with a message) on failure. Either way the
        current document is unchanged when opening fails. A mask that cannot be used (another size, turned by
        90°, unreadable) never keeps the photo from opening: the photo opens, then the mask is dealt with as
        File → Import Mask deals with it (see ``_adopt_loaded``).
        """
        from editor.core.imageio import check_readable
        path = Path(path)
        try:  # a missing or non-image file is said at once, before the photo shown is given up for it
            check_readable(path)
        except Exception as exc:  # noqa: BLE001 - ImageReadError, or anything odd: one message, nothing lost
            self.show_error("Could not open the photo", friendly_error(exc))
            return False
        if not self.maybe_save():
            return False
        if background:
            # the user agreed to close the photo shown: a fill still running on it must not land on it now
            # (nor make it "changed" again, asking a second time when the new photo arrives)
            if self.controller.busy:
                self._cancel_runs("Stopped: another photo is being opened.")
            self.loader.load(path, mask, invert_mask=invert_mask)
            self._load_base = (self.model.doc, self._edit_serial)  # what the user agreed to close
            self._set_opening(path)
            return True
        from editor.core.errors import TooLargeError
        max_pixels = None
        while True:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                loaded = load_document(path, mask, max_pixels=max_pixels, invert_mask=invert_mask)
            except TooLargeError as exc:
                QApplication.restoreOverrideCursor()
                if max_pixels is not None:  # (the file grew meanwhile: a mask's errors are not raised)
                    self.show_error("Could not open the photo", friendly_error(exc))
                    return False
                if not self._open_large_anyway(exc, path):
                    return False
                max_pixels = exc.pixels
                continue
            except (Exception, MemoryError) as exc:
                QApplication.restoreOverrideCursor()
                self.show_error("Could not open the photo", friendly_error(exc))
                return False
            QApplication.restoreOverrideCursor()
            self._adopt_loaded(loaded, path)
            return True

    def _open_large_anyway(self, exc, path: Path) -> bool:
        """Ask whether to open a photo above the decompression-bomb limit anyway (as GIMP asks for a huge
        image), saying how much memory it may take; False (with a status message) when the answer is no."""
        question = (f"“{path.name}” has {_megapixels(exc.pixels)} megapixels, more than the "
                    f"{_megapixels(exc.limit)} MP safety limit for opening photos (it protects against damaged "
                    f"or malicious files that would fill the memory).\n\nIt may need about "
                    f"{_memory_text(exc.pixels * EDITOR_BYTES_PER_PIXEL)} of memory. Open it anyway?")
        return self._confirm("Very large photo", question, QMessageBox.StandardButton.Open,
                             f"Not opened: {path.name}")

    def _confirm(self, title: str, text: str, button, declined: str) -> bool:
        """Ask ``text`` with ``button`` and Cancel (the default: Enter never destroys anything); True when the
        user chose ``button``, else False after showing ``declined`` in the status bar."""
        answer = QMessageBox.question(self, title, text, button | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer != button:
            self.show_message(declined)
            return False
        return True

    def _set_opening(self, path: Path | None) -> None:
        if path is None:
            self.statusBar().clearMessage()
            self.canvas.viewport().unsetCursor()
        else:
            self.statusBar().showMessage(f"Opening {path.name}…")
            self.canvas.viewport().setCursor(Qt.CursorShape.BusyCursor)

    def _on_loaded(self, req_id: int, payload) -> None:
        if not self.loader.accept(req_id):
            return
        self._set_opening(None)
        doc = payload.doc
        if self._load_base != (self.model.doc, self._edit_serial):
            # the photo still shown was edited while this one loaded: those edits are not dropped unasked
            if not self.maybe_save(f"Save the changes to “{self._document_name()}” before opening "
                                   f"“{doc.path.name}”?"):
                self.show_message(f"Kept {self._document_name()}; {doc.path.name} was not opened.")
                return
        self._adopt_loaded(payload, doc.path)

    def _on_too_large(self, req_id: int, payload) -> None:
        if not self.loader.accept(req_id):
            return
        self._set_opening(None)
        exc, path, mask, invert_mask = payload
        if self._open_large_anyway(exc, Path(path)):  # (the photo shown was already agreed to be closed)
            self.loader.load(path, mask, max_pixels=exc.pixels, invert_mask=invert_mask)
            self._set_opening(Path(path))

    def _on_load_failed(self, req_id: int, message: str) -> None:
        if not self.loader.accept(req_id):
            return
        self._set_opening(None)
        self.show_error("Could not open the photo", message)

    def _adopt_loaded(self, loaded, path: Path) -> None:
        """Show a photo read by ``load_document`` (a ``LoadedPhoto``), then deal with a mask given with it that
        could not be used, as File → Import Mask would: after the photo is shown, so that a question about the
        mask never costs the photo. A mask that fitted is part of the opened state (no undo step, the window
        unmodified); one stretched at the user's word is an "Import mask" undo step, as with Import Mask: the
        stretched mask exists nowhere but in the editor (closing asks before losing it), and Undo gives the
        photo as opened."""
        self._adopt(loaded.doc, loaded.pyramid, path, loaded.coverage)
        if loaded.mask_error is not None:
            self._import_unread_mask(Path(loaded.mask), loaded.mask_error, loaded.invert_mask, loaded.mask_hole)
        elif loaded.mask is not None:
            self._hint_inverted(self.model.hole_mask(), "mask opened with the photo")

    def _adopt(self, doc, pyramid, path: Path, coverage: np.ndarray | None = None) -> None:
        self._cancel_runs()
        self.canvas.set_preview(None)
        self.undo_stack.clear()
        self.save_path = None
        self.source_jpeg = jpeg_settings(path) if getattr(doc, "format", None) == "JPEG" else None
        self.canvas.prebuild(pyramid)
        self.model.set_document(doc, coverage)
        self.undo_view.setEmptyLabel(f"Opened {path.name}")
        self.progress_bar.setValue(0)
        self.stage_label.setText(IDLE_HINT)  # (not the last photo's "Done with …" or "Cancelled")
        self.pos_label.setText("")
        self.actions_["split"].setChecked(False)
        self.undo_stack.setClean()
        self.settings.set(S.LAST_FOLDER, str(path.parent))
        self.settings.add_recent(str(path))
        self._rebuild_recent_menu()
        self._update_title()
        self._update_actions()
        self.show_message(f"Opened {path.name} ({doc.width} × {doc.height})")
        self.canvas.setFocus()

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.settings.get(S.RECENT_FILES)
        for p in recent:
            act = menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(lambda checked=False, p=p: self.open_file(p, background=True))
        if recent:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        menu.setEnabled(bool(recent))

    def _clear_recent(self) -> None:
        self.settings.set(S.RECENT_FILES, [])
        self._rebuild_recent_menu()

    def _write(self, path: Path, on_success, background: bool = False) -> bool:
        """Write the photo to ``path`` (core's ``save_document``: format from the extension, EXIF/ICC kept,
        atomic). ``on_success(clean)`` runs on the GUI thread afterwards; ``clean`` is False when the document
        was edited while a background save ran (those edits are not in the file).

        ``background=True`` encodes a snapshot in a thread (the window stays responsive) and returns True at
        once; otherwise returns whether the file was written. Failures are shown as a message."""
        from editor.core.imageio import save_document
        quality, subsampling = self.save_quality(path), self.save_subsampling(path)
        doc = self.model.sync_document_mask()
        if background:
            job = self.saver.save(path, doc.copy(), quality, subsampling)
            self._saves[job] = (self._edit_serial, self.model.doc, path, on_success)
            self.statusBar().showMessage(f"Saving {path.name}…")
            return True
        self._settle_saves()  # an older background save still writing must not land after this one
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            save_document(path, doc, quality=quality, subsampling=subsampling)
        except (Exception, MemoryError) as exc:
            QApplication.restoreOverrideCursor()
            self.show_error("Could not save", friendly_error(exc))
            return False
        QApplication.restoreOverrideCursor()
        self.settings.set(S.LAST_FOLDER, str(path.parent))
        on_success(True)
        return True

    def save_quality(self, path: Path) -> int:
        """JPEG/WebP quality for writing ``path``: a JPEG opened from a JPEG keeps the quality it was saved at
        (estimated from its quantisation tables, as GIMP does), so the untouched part of the photo is not
        recompressed harder or bloated; otherwise the ``files/quality`` setting (95)."""
        if self.source_jpeg is not None and EXTENSION_FORMATS.get(path.suffix.lower()) == "JPEG":
            return self.source_jpeg[0]
        return self.settings.get(S.JPEG_QUALITY)

    def save_subsampling(self, path: Path) -> int:
        """JPEG chroma subsampling for writing ``path`` (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0): a JPEG opened from a
        JPEG keeps its own (a camera's 4:2:0 re-saved 4:4:4 grew 13–18 %), anything else 4:4:4."""
        if self.source_jpeg is not None and EXTENSION_FORMATS.get(path.suffix.lower()) == "JPEG":
            return self.source_jpeg[1]
        return 0

    def _settle_saves(self, timeout: float = 30.0) -> None:
        """Let background saves still writing finish (busy cursor), and take their outcome now: a save of the
        current state makes the document clean before anyone asks about unsaved changes."""
        if not self._saves:
            return
        if self.saver.pending:
            self.statusBar().showMessage("Finishing the save…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.saver.wait(timeout)
            finally:
                QApplication.restoreOverrideCursor()
        for job in sorted(self._saves):
            if job in self.saver.done:
                self._on_saved(job, self.saver.done[job])  # (its queued signal then finds nothing to do)

    def _on_saved(self, job: int, error: str) -> None:
        self.saver.done.pop(job, None)
        serial, doc, path, on_success = self._saves.pop(job, (None, None, None, None))
        if on_success is None:
            return
        if error:
            self.show_message(f"Not saved: {path.name}")  # (replaces "Saving …", which has no timeout)
            self.show_error("Could not save", error)
            return
        self.settings.set(S.LAST_FOLDER, str(path.parent))
        if doc is self.model.doc:  # clean only when nothing was done, undone or redone since the snapshot
            on_success(self._edit_serial == serial)

    def _saved_as(self, path: Path, clean: bool, remember: bool = True) -> None:
        if remember:
            self.save_path = path
            self.settings.add_recent(str(path))
            self._rebuild_recent_menu()
        if clean:
            self.undo_stack.setClean()
        self._update_title()
        self.show_message(f"Saved {path}" + ("" if clean else " (later edits are not in the file yet)")
                          + self._alpha_note(path))

    def _alpha_note(self, path: Path) -> str:
        """``" — JPEG has no transparency: …"`` when the photo's alpha was dropped by ``path``'s format."""
        from editor.core.imageio import alpha_dropped
        why = alpha_dropped(path, self.model.doc.alpha) if self.model.has_document else None
        return f" — {why}" if why else ""

    def save(self, background: bool = False) -> bool:
        """Ctrl+S: write to the file chosen before; the first time, ask where (Save As, pre-filled with
        NAME_inpainted.EXT beside the original, so the original is never overwritten silently)."""
        if not self.model.has_document:
            return False
        if self.save_path is None:
            return self.save_as(background)
        path = self.save_path
        return self._write(path, lambda clean: self._saved_as(path, clean, remember=False), background)

    def save_as(self, background: bool = False) -> bool:
        if not self.model.has_document:
            return False
        original = self.model.path or Path(self.settings.get(S.LAST_FOLDER) or ".") / "photo.jpg"
        proposal = self.save_path or proposed_save_path(original)
        path, chosen = QFileDialog.getSaveFileName(self, "Save photo as", str(proposal), SAVE_FILTER,
                                                   _filter_for(proposal.suffix))
        path = self._with_extension(path, chosen, original.suffix or ".jpg")
        if path is None:
            return False
        return self._write(path, lambda clean: self._saved_as(path, clean), background)

    def _with_extension(self, name: str, chosen_filter: str, default_suffix: str) -> Path | None:
        """The file a save dialog's answer ``name`` means: a name without an image extension (``holiday``,
        ``photo.v2``, ``holiday.2024``, ``trail.``) gets the chosen file type's (else ``default_suffix``), after
        any trailing dots, as GIMP and Photoshop complete it. The dialog only asked about replacing the name as
        typed, so when the completed name exists, ask here (Replace / Cancel, Cancel by default). The photo that
        was opened is always asked about in so many words (the dialog's own question only says "already
        exists"). None when the user cancels."""
        if not name:
            return None
        path = Path(name)
        opened = self.model.path is not None and path.exists() and same_file(path, self.model.path)
        if path.suffix.lower() in IMAGE_EXTENSIONS and not opened:
            return path
        match = re.search(r"\*(\.[A-Za-z0-9]+)", chosen_filter or "")
        path = path.with_name(path.name.rstrip(".") or path.name)
        if path.suffix.lower() not in IMAGE_EXTENSIONS:   # ("photo.jpg." is photo.jpg, not photo.jpg.jpg)
            path = path.with_name(path.name + (match.group(1) if match else default_suffix))
        if not path.exists():
            return path
        opened = self.model.path is not None and same_file(path, self.model.path)
        text = (f"“{path.name}” is the photo you opened. Replace the original with the edited photo?\n\n"
                f"This cannot be undone." if opened else f"“{path.name}” already exists. Replace it?")
        if not self._confirm("Replace file?", text, QMessageBox.StandardButton.Yes,
                             f"Not saved: “{path.name}” was left as it was."):
            return None
        return path

    def export_copy(self, background: bool = False) -> bool:
        """Write a copy (any format); the document keeps its file and its modified state."""
        if not self.model.has_document:
            return False
        original = self.save_path or self.model.path or Path("photo.jpg")
        proposal = proposed_save_path(original).with_suffix(".png")
        name, chosen = QFileDialog.getSaveFileName(self, "Export a copy", str(proposal), SAVE_FILTER,
                                                   _filter_for(proposal.suffix))
        path = self._with_extension(name, chosen, ".png")
        if path is None:
            return False
        return self._write(path, lambda clean: self.show_message(f"Exported {path}" + self._alpha_note(path)),
                           background)

    def _document_name(self) -> str:
        return (self.save_path or self.model.path or Path("Untitled")).name

    def maybe_save(self, question: str | None = None) -> bool:
        """Ask Save / Discard / Cancel when there is unsaved work; True when it is fine to go on."""
        self._settle_saves()
        if not self.model.has_document or self.undo_stack.isClean():
            return True
        if self._only_mask_changed():  # Save would write the photo as it is; the mask would still be lost
            answer = QMessageBox.question(
                self, "Unsaved hole mask",
                f"The hole mask painted on “{self._document_name()}” is not part of the photo, which is "
                f"unchanged. Discard the mask?\n\nFile → Export Mask… keeps it as a PNG.",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            return answer == QMessageBox.StandardButton.Discard
        question = question or f"Save the changes to “{self._document_name()}” before closing it?"
        answer = QMessageBox.question(
            self, "Unsaved changes", question,
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _only_mask_changed(self) -> bool:
        """True when every step between the saved state and now edits the hole mask only (the photo's pixels
        are as saved)."""
        stack = self.undo_stack
        clean, index = stack.cleanIndex(), stack.index()
        if clean < 0:  # the saved state was dropped from the history: unknown
            return False
        return all(isinstance(stack.command(i), MaskEditCommand)
                   for i in range(min(clean, index), max(clean, index)))

    def import_mask_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import hole mask (white = hole; grey in a PNG, TIFF or BMP "
                                                    "= soft edge; JPEG and WebP are read as hard masks)",
                                              self.settings.get(S.LAST_FOLDER), IMAGE_FILTER)
        if path:
            self.import_mask(path)

    def import_mask(self, path, invert: bool = False) -> bool:
        """File → Import Mask: ``path`` (white = hole; black with ``invert``) becomes the hole mask, one undo
        step "Import mask". A mask of another size is stretched when the user agrees. False (with a message
        where it was an error) when nothing was imported."""
        from editor.core.imageio import fit_hole, load_mask
        own = None
        try:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # (a 24 MP mask takes ~2 s)
            try:
                own = load_mask(Path(path), None, invert=invert)          # decoded once, at its own size
                mask = fit_hole(own, Path(path), (self.model.width, self.model.height))
            finally:
                QApplication.restoreOverrideCursor()
        except (Exception, MemoryError) as exc:
            return self._import_unread_mask(Path(path), exc, invert, own)
        return self._push_imported_mask(mask, soft_coverage(Path(path), mask, invert))

    def _import_unread_mask(self, path: Path, exc: BaseException, invert: bool = False,
                            own: np.ndarray | None = None) -> bool:
        """The rest of importing the mask ``path`` after reading it for the open photo raised ``exc`` (File →
        Import Mask, or the mask given with the photo to open): a mask of another size is stretched when the
        user agrees, one turned by 90° is explained (stretching would not line it up), any other error is said
        naming the mask. ``own``: the mask as decoded at its own size (bool), given with a ``MaskSizeError``
        (the only ``MaskError`` reading a mask raises), so it is not read again. True when a stretched mask
        was imported (the undo step "Import mask")."""
        from editor.core.errors import MaskSizeError
        if not isinstance(exc, MaskSizeError) or own is None:  # not an image, damaged, too large, out of memory...
            self.show_error("Could not import the mask", friendly_error(exc))
            return False
        if getattr(exc, "turned", False):   # stretching would not line it up: say so, offer nothing
            self.show_error("Mask size differs", _mask_size_question(exc, path))
            return False
        if not own.any():   # a mask with no hole is said before any question
            return self._push_imported_mask(own)   # (says that it has no hole, changes nothing)
        answer = QMessageBox.question(self, "Mask size differs", _mask_size_question(exc, path))
        if answer != QMessageBox.StandardButton.Yes:
            return False
        return self._push_imported_mask(scale_hole(own, (self.model.width, self.model.height)))

    def _push_imported_mask(self, mask: np.ndarray, coverage: np.ndarray | None = None) -> bool:
        """Make the bool hole ``mask`` (the photo's size) the hole mask, with the soft edge ``coverage`` (uint8,
        see ``imageio.soft_coverage``) when given, as the undo step "Import mask"; when most of the photo
        becomes hole, the status bar points to Invert Mask."""
        if coverage is None:
            coverage = np.where(mask, np.uint8(255), np.uint8(0))
        if not mask.any():
            self.show_message("The imported mask has no hole (no pixel of 128 or more): nothing was changed", 15000)
            return False
        if not self._push_mask(coverage, "Import mask"):
            self.show_message("The imported mask is the hole mask already")
            return False
        self.show_message("Mask imported")
        self._hint_inverted(mask, "imported mask")
        return True

    def _hint_inverted(self, mask: np.ndarray, what: str) -> None:
        """A mask that makes most of the photo hole is most likely black = hole (HiFill's, many tools'
        exports): the status bar points to Invert Mask."""
        share = float(np.count_nonzero(mask)) / max(1, mask.size)
        if share > 0.5:
            self.show_message(f"The {what} makes {share:.0%} of the photo hole: if its black marks what should "
                              f"go, use Edit → Invert Mask (Ctrl+I)", 15000)

    def export_mask_dialog(self) -> None:
        base = self.model.path or Path("photo.png")
        proposal = base.with_name(f"{base.stem}_mask.png")
        name, chosen = QFileDialog.getSaveFileName(self, "Export hole mask (grey PNG: white = hole, grey = soft "
                                                         "edge)", str(proposal), "PNG (*.png)")
        path = self._with_extension(name, chosen, ".png")
        if path is not None:
            self.export_mask(path)

    def export_mask(self, path) -> bool:
        """File → Export Mask: the coverage as an 8-bit grey PNG (white = hole, a soft brush's edge in grey; the
        CLI fills its pixels >= 128). False (with a message) when it could not be written."""
        cov = self.model.coverage
        try:
            save_coverage(Path(path), cov)
        except (Exception, MemoryError) as exc:
            self.show_error("Could not export the mask", friendly_error(exc))
            return False
        lost = 0
        if ((cov > 0) & (cov < 128)).any():   # faint pixels apart from the hole are read back as known region
            lost = int(np.count_nonzero((cov > 0) & (coverage_as_read(cov) == 0)))
        if lost:
            self.show_message(f"Mask exported to {path}; {lost:,} px fainter than 50 % and apart from the hole are "
                              f"read back (by Import Mask and other programs) as known region", 15000)
        else:
            self.show_message(f"Mask exported to {path}")
        return True

    # ----------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).suffix.lower() in IMAGE_EXTENSIONS:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            event.acceptProposedAction()
            path = urls[0].toLocalFile()
            QTimer.singleShot(0, lambda: self.open_file(path, background=True))

    # ================================================================== mask operations
    def _lock_history(self, locked: bool) -> None:
        """Undo and Redo wait while a stroke or shape is drawn (as in Krita and Photoshop): the stroke's undo step
        keeps the mask tiles it touched as they were at its first dab, so a history change under it would come
        back when the stroke is undone."""
        self.actions_["undo"].setEnabled(not locked and self.undo_stack.canUndo())
        self.actions_["redo"].setEnabled(not locked and self.undo_stack.canRedo())

    def _push_mask(self, new_coverage: np.ndarray, text: str) -> bool:
        if not self.model.has_document:
            return False
        if self.canvas.tool.active:  # mid-stroke (see _lock_history): the stroke's own undo step comes first
            self.show_message(f"{text}: finish the stroke first (release the mouse button)", 4000)
            return False
        cmd = mask_change_command(self.model, new_coverage, text)
        if cmd is None:
            return False
        self.undo_stack.push(cmd)
        return True

    def clear_mask(self) -> bool:
        return self._push_mask(np.zeros_like(self.model.coverage), "Clear mask")

    def invert_mask(self) -> bool:
        # exact on grey levels (a soft brush's edge), as in GIMP and Krita: inverting twice gives the mask back
        return self._push_mask(255 - self.model.coverage, "Invert mask")

    def grow_mask(self, px: int | None = None) -> bool:
        """Grow the hole by ``px`` (the Grow / shrink field); a soft edge moves outward and stays soft."""
        return self._morph_mask(px, grow=True)

    def shrink_mask(self, px: int | None = None) -> bool:
        """Shrink the hole by ``px``; a soft edge moves inward and stays soft."""
        return self._morph_mask(px, grow=False)

    def _morph_mask(self, px: int | None, grow: bool) -> bool:
        from editor.core.masks import dilate_levels, erode_levels
        px = int(px or self.grow_spin.value())
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)   # (a soft mask grown by hundreds of px: seconds)
        try:
            new = (dilate_levels if grow else erode_levels)(self.model.coverage, px)
        finally:
            QApplication.restoreOverrideCursor()
        return self._push_mask(new, f"{'Grow' if grow else 'Shrink'} mask {px} px")

    # ================================================================== view
    def toggle_split(self, on: bool) -> None:
        self.canvas.set_split(0.5 if on else None)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Held keys work wherever the focus is in this window, except in widgets that type or press with them:
        backslash (show the original) outside text fields, Space (pan) also outside buttons and lists, which
        Space presses or selects (as in Photoshop and Krita)."""
        etype = event.type()
        if etype in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and not event.isAutoRepeat():
            key = event.key()
            pressed = etype == QEvent.Type.KeyPress
            if key == Qt.Key.Key_Space:
                if not pressed:  # the release goes where the press went
                    if not self._space_pan:
                        return False
                    self._space_pan = False
                    self.canvas.set_space_held(False)
                    return True
                if QApplication.activeWindow() is not self or isinstance(QApplication.focusWidget(), _SPACE_WIDGETS):
                    return False
                self._space_pan = True
                self.canvas.set_space_held(True)
                return True
            if key == Qt.Key.Key_Backslash and QApplication.activeWindow() is self:
                if isinstance(QApplication.focusWidget(), _TEXT_WIDGETS):
                    return False
                self.canvas.set_show_original(pressed)
                return True
        return False

    def keyPressEvent(self, event) -> None:
        # direct delivery (tests, or when the app-wide filter is bypassed)
        if event.key() == Qt.Key.Key_Backslash:
            self.canvas.set_show_original(True)
        elif event.key() == Qt.Key.Key_Space:
            self.canvas.set_space_held(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Backslash and not event.isAutoRepeat():
            self.canvas.set_show_original(False)
        elif event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.canvas.set_space_held(False)
        else:
            super().keyReleaseEvent(event)

    # ================================================================== methods picker
    def _on_methods(self, infos: list[dict], final: bool = True) -> None:
        self._populating = True  # rebuilding the list must not overwrite the saved choice
        try:
            self._fill_methods(infos, final)
        finally:
            self._populating = False
        if final and self.current_method():
            self.settings.set(S.LAST_METHOD, self.current_method())
        self._update_hd_choices(announce=False)

    def _fill_methods(self, infos: list[dict], final: bool) -> None:
        self.method_infos = infos
        self.methods_final = final
        self.method_model.clear()
        wanted = self.settings.get(S.LAST_METHOD)
        default = next((i["name"] for i in infos if i.get("default")), None)
        select = None
        for info in infos:
            label = info["name"] + ("  (default)" if info.get("default") else "")
            item = QStandardItem(label)
            item.setData(info["name"], Qt.ItemDataRole.UserRole)
            if info.get("available", True):
                item.setToolTip(info.get("description") or "")
            else:
                item.setEnabled(False)
                item.setToolTip(unavailable_tip(info))
                item.setText(f"{info['name']}  — {unavailable_label(info)}")
            self.method_model.appendRow(item)
        names = [i["name"] for i in infos if i.get("available", True)]
        for candidate in (wanted, default):
            if candidate in names:
                select = candidate
                break
        if select is None and names:
            select = names[0]
        if select is not None:
            self.select_method(select)
        if self.compare_dialog is not None:  # opened before the networks were checked: offer them now
            self.compare_dialog.set_methods(infos, self.compare_dialog.checked_methods())

    def select_method(self, name: str) -> None:
        for row in range(self.method_model.rowCount()):
            if self.method_model.item(row).data(Qt.ItemDataRole.UserRole) == name:
                if self.method_combo.currentIndex() == row:
                    self._on_method_changed(row)
                self.method_combo.setCurrentIndex(row)
                return

    def current_method(self) -> str | None:
        item = self.method_model.item(self.method_combo.currentIndex()) if self.method_combo.currentIndex() >= 0 \
            else None
        if item is None or not item.isEnabled():
            return None
        return item.data(Qt.ItemDataRole.UserRole)

    def _on_method_changed(self, index: int) -> None:
        name = self.current_method()
        if name and not getattr(self, "_populating", False):
            self.settings.set(S.LAST_METHOD, name)
            info = next((i for i in self.method_infos if i["name"] == name), {})
            self.method_combo.setToolTip(info.get("description") or name)
        self._update_hd_choices(announce=not getattr(self, "_populating", False))

    def _method_info(self, name: str | None) -> dict:
        return next((i for i in self.method_infos if i["name"] == name), {})

    def _update_hd_choices(self, announce: bool = True) -> None:
        """"Full" (the method on the whole photo) is offered only for methods that can do it; when the chosen
        method cannot, Full res falls back to CRA, and returns to Full with a method that can. The fallback is
        noted under the Inpaint button when the user picked the method (``announce``; not when the remembered
        choices are restored at startup, which keeps its hint), and the note goes once it no longer applies."""
        name = self.current_method()
        supported = self._method_info(name).get("full_resolution", True) if name else True
        row = self.hd_combo.findData("full")
        if row < 0:
            return
        item = self.hd_combo.model().item(row)
        item.setEnabled(supported)
        item.setToolTip(HD_TIPS["full"] if supported else
                        f"{name} cannot run on the whole full-resolution photo; choose CRA, Resize or Crop")
        if not supported and self.hd_combo.currentData() == "full":
            self._set_hd_automatically("cra")
            self._hd_fell_back = True
            if announce and not self.controller.busy:  # (a running fill's progress keeps the label)
                self._set_hd_note(f"{name} cannot run on the whole full-resolution photo: Full res is set to CRA "
                                  f"for it.")
        elif supported and self._hd_fell_back and self.hd_combo.currentData() == "cra":
            self._set_hd_automatically("full")
            self._hd_fell_back = False
        if not self._hd_fell_back:
            self._set_hd_note(None)

    def _set_hd_note(self, note: str | None) -> None:
        """Show the Full-res fallback ``note`` in the stage label, or (None) take a note still shown away."""
        if note is not None:
            self.stage_label.setText(note)
            self._hd_note = note
        elif self._hd_note is not None:
            if self.stage_label.text() == self._hd_note:
                self.stage_label.setText(IDLE_HINT)
            self._hd_note = None

    def _set_hd_automatically(self, hd: str) -> None:
        self._hd_auto = True
        try:
            self.hd_combo.setCurrentIndex(self.hd_combo.findData(hd))
        finally:
            self._hd_auto = False

    def _on_hd_changed(self, index: int) -> None:
        if self._hd_auto:  # a fallback for the chosen method: the user's choice stays remembered
            return
        self._hd_fell_back = False
        self._set_hd_note(None)
        self.settings.set(S.LAST_HD, self.hd_combo.currentData() or "cra")

    def _update_texture(self, *_) -> None:
        """Texture is set only for Full res CRA: otherwise the field and its label are greyed out and the
        tooltip says why (a disabled field that looks like an enabled one invites typing into it)."""
        cra = self.hd_combo.currentData() == "cra"
        self.texture_spin.setEnabled(cra)
        self.texture_spin.setToolTip(TEXTURE_TIP if cra else TEXTURE_OFF_TIP)
        self.texture_label.setEnabled(cra)
        self.texture_label.setToolTip(self.texture_spin.toolTip())

    def _on_devices(self, devices: list[str]) -> None:
        current = self.settings.get(S.LAST_DEVICE)
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        for d in devices:
            self.device_combo.addItem(DEVICE_LABELS.get(d, d), d)
        i = self.device_combo.findData(current)
        self.device_combo.setCurrentIndex(max(0, i))
        self.device_combo.blockSignals(False)

    # ================================================================== running
    def _request(self, methods: list[str], compare: bool = False) -> InpaintRequest | None:
        if not self.model.has_document:
            return None
        coverage = self.model.coverage.copy()
        hole = coverage > 0
        if not hole.any():
            self.show_message("Paint over what should disappear first (brush B, rectangle R, lasso L).")
            self.stage_label.setText("Nothing to fill: the hole mask is empty.")
            return None
        if hole.all():
            self.show_error("Nothing left to fill from", "The hole covers the whole photo; leave some of the "
                                                         "photo unpainted so the fill has something to copy from.")
            return None
        dilate = self.dilate_spin.value()
        hd = self.hd_combo.currentData() or "cra"
        if hd == "full" and not compare and not self._method_info(methods[0]).get("full_resolution", True):
            hd = "cra"  # (the combo offers no "Full" for such a method; Compare falls back per method)
        return InpaintRequest(image=self.model.image.copy(), hole=hole, methods=methods,
                              hd=hd,
                              device=self.device_combo.currentData() or "auto",
                              dilate=None if dilate < 0 else dilate, detail=self.texture_spin.value() / 100,
                              compare=compare, coverage=coverage)

    def inpaint(self) -> int | None:
        """Start filling the hole with the selected method (Ctrl+Enter); a running fill is superseded.
        Returns the request id, or None when nothing was started."""
        method = self.current_method()
        if method is None:
            self.show_message("Choose an available method first.")
            return None
        request = self._request([method])
        if request is None:
            return None
        self.canvas.set_preview(None)
        req_id = self.controller.submit(request)
        compare = self._compare_run
        if compare is not None and not compare["done"]:  # a running comparison is superseded
            compare["done"] = True
            if self.compare_dialog is not None:
                self.compare_dialog.finish("Stopped: an Inpaint run took over." + self._kept_note(compare))
        self._run = {"id": req_id, "request": request, "doc": self.model.doc, "method": method,
                     "t0": time.perf_counter(), "image_rev": self._image_rev}
        self.progress_bar.setValue(0)
        self.stage_label.setText(f"Starting {method}…")
        self._update_actions()
        return req_id

    def cancel(self) -> None:
        """Esc: cancel the running fill, else abort the stroke/shape being drawn."""
        if self.controller.busy:
            self.controller.cancel()
            self.stage_label.setText("Cancelling…")
        else:
            self.canvas.cancel_gesture()

    def _cancel_runs(self, note: str = "Stopped: another photo was opened.") -> None:
        """Cancel the running fill or comparison and forget it (its result is dropped whenever it comes);
        a comparison dialog still waiting for it says ``note``."""
        if self.controller.busy:
            self.controller.cancel()
        if self._run is not None:
            self.canvas.set_preview(None)
            self.progress_bar.setValue(0)
            self.stage_label.setText("Cancelled; the photo is unchanged.")
        compare = self._compare_run
        if compare is not None and not compare["done"] and self.compare_dialog is not None:
            self.compare_dialog.finish(note)
        self._run = None
        self._held = None
        self._compare_run = None

    def _comparing(self) -> bool:
        """A comparison is running (its progress goes to the Compare window and the panel's bar)."""
        return self._compare_run is not None and not self._compare_run["done"]

    def _compare_status(self) -> str:
        run = self._compare_run
        n, done = len(run["request"].methods), len(run["results"])
        return f"Comparing {n} methods: {done} of {n} done (see the Compare window, Ctrl+K)."

    def _on_progress(self, stage: str, fraction: float) -> None:
        label, lo, hi = STAGES.get(stage, (stage, 0.0, 1.0))
        value = lo + (hi - lo) * fraction
        if self._comparing():   # one bar over all the methods compared (it restarted for each)
            n = len(self._compare_run["request"].methods)
            value = (min(len(self._compare_run["results"]), n) + value) / n
        self.progress_bar.setValue(int(1000 * min(value, 1.0)))
        if self._run is not None:
            self.stage_label.setText(f"{label}… ({self._run['method']})")
        elif self._comparing() and self.compare_dialog is not None:
            self.compare_dialog.progress.setRange(0, 1000)
            self.compare_dialog.progress.setValue(int(1000 * min(value, 1.0)))

    def _on_preview(self, req_id: int, lr_result) -> None:
        run = self._run
        if run is None or run["id"] != req_id or run["doc"] is not self.model.doc:
            return
        self.canvas.set_preview(lr_result, run["request"].coverage)
        run["t_preview"] = time.perf_counter() - run["t0"]
        self.stage_label.setText(f"Preview shown after {run['t_preview']:.1f} s; restoring full-resolution detail…")

    def _on_finished(self, req_id: int, result) -> None:
        if self._compare_run is not None and self._compare_run["id"] == req_id:
            self._finish_compare(result)
            return
        if self._run is not None and self._run["id"] == req_id and self.canvas.tool.active:
            # a stroke or shape is being drawn: its undo step records the mask as it was when the gesture began,
            # so a fill applied now would be undone with the stroke (its hole painted back over filled pixels).
            # The result waits for the release (:meth:`_apply_held`)
            self._held = (req_id, result)
            self.stage_label.setText(f"{self._run['method']} is done: the result is applied when you release "
                                     f"the mouse.")
            return
        run, self._run = self._run, None
        self._held = None
        self.canvas.set_preview(None)
        self._update_actions()
        if run is None or run["id"] != req_id or run["doc"] is not self.model.doc:
            return
        image = getattr(result, "image", None)
        if image is None or image.shape != self.model.image.shape:
            self.show_error("Inpainting failed", "The method returned a result of the wrong size; "
                                                 "the photo was left unchanged.")
            return
        changed = self._changed_since(run)
        if changed is not None:  # the result no longer fits: image, mask and history stay as the user left them
            what = "photo" if changed == "photo" else "hole"
            self.progress_bar.setValue(0)
            self.stage_label.setText(f"The {what} changed while filling, so the result was not applied: "
                                     f"press Inpaint again.")
            self.show_message(f"The {what} changed while filling: press Inpaint again")
            return
        self.undo_stack.push(result_command(self.model, image, run["request"].coverage, f"Inpaint ({run['method']})"))
        total = time.perf_counter() - run["t0"]
        self.progress_bar.setValue(1000)
        self.stage_label.setText(f"Done with {run['method']} in {total:.1f} s. Paint the next object, or Ctrl+Z "
                                 f"to undo.")
        self.show_message(f"Filled with {run['method']} in {total:.1f} s")

    def _apply_held(self) -> None:
        """The gesture that held back a finished fill ended: apply the fill now (if it still fits)."""
        held, self._held = self._held, None
        if held is not None and self._run is not None and self._run["id"] == held[0]:  # (not superseded since)
            self._on_finished(*held)

    def _on_image_changed(self, *_) -> None:
        self._image_rev += 1
        self._check_compare()  # at once (fills and their undo are rare); mask strokes are checked after a pause

    def _changed_since(self, run: dict) -> str | None:
        """What changed since ``run`` (an Inpaint or Compare request) started, such that its result cannot be
        applied: "document" (another photo), "photo" (pixels changed: an undone or applied fill), "hole" (part
        of the run's hole is no longer in the mask: erased or undone). None when it still fits: the photo is
        as it was and the hole is all still there (strokes added meanwhile, e.g. the next object, are fine:
        they stay in the mask)."""
        if run["doc"] is not self.model.doc:
            return "document"
        request = run["request"]
        if run["image_rev"] != self._image_rev:  # pixels changed since: are they back as they were (an undo)?
            if run.get("same_photo", (None, False))[0] != self._image_rev:  # (compared once per change)
                run["same_photo"] = (self._image_rev, np.array_equal(self.model.image, request.image))
            if not run["same_photo"][1]:
                return "photo"
        box = box_of(request.hole)
        if box is not None:
            x0, y0, x1, y1 = box
            then = request.coverage[y0:y1, x0:x1]
            if (self.model.coverage[y0:y1, x0:x1] < then).any():
                return "hole"
        return None

    def _forgotten(self, req_id: int) -> bool:
        """True for a run this window already let go of (:meth:`_cancel_runs`: another photo was opened): its
        late end must not speak about the photo shown now."""
        if any(r is not None and r["id"] == req_id for r in (self._run, self._compare_run)):
            return False
        self._update_actions()  # (the controller is free again)
        return True

    def _on_failed(self, req_id: int, message: str) -> None:
        if self._forgotten(req_id):
            return
        self._end_run(req_id, "Stopped: " + message, "The fill failed; the photo is unchanged.")
        self.show_error("Inpainting failed", message)

    def _on_cancelled(self, req_id: int) -> None:
        if self._forgotten(req_id):
            return
        compare = self._compare_run if self._compare_run is not None and self._compare_run["id"] == req_id else None
        self._end_run(req_id, "Cancelled.", "Cancelled; the photo is unchanged.")
        if self.loader.busy:  # (while a photo opens, the status bar says so)
            return
        n = len(compare["results"]) if compare is not None else 0
        if n and (self.compare_dialog is None or not self.compare_dialog.isVisible()):  # (closed, or Esc)
            self.show_message(f"Comparison cancelled: Compare methods (Ctrl+K) shows its {n} finished "
                              f"result{'s' if n != 1 else ''}")
        else:
            self.show_message("Cancelled")

    def _end_run(self, req_id: int, compare_text: str, stage_text: str) -> None:
        """A run ended without a result (failed or cancelled): clear the preview and progress, and close the
        comparison it was, keeping its finished results."""
        self.canvas.set_preview(None)
        self._run = None
        compare = self._compare_run
        if compare is not None and compare["id"] == req_id:
            compare["done"] = True
            if self.compare_dialog is not None:
                self.compare_dialog.finish(compare_text + self._kept_note(compare))
                self._check_compare()
        self.progress_bar.setValue(0)
        self.stage_label.setText(stage_text)
        self._update_actions()

    # ----------------------------------------------------------------- compare
    def show_compare(self) -> CompareDialog | None:
        if not self.model.has_document:
            return None
        available = [i for i in self.method_infos if i.get("available", True)]
        # reopened: the methods ticked last time stay ticked (they match the results still shown)
        kept = ([n for n in self.compare_dialog.checked_methods() if n in {i["name"] for i in available}]
                if self.compare_dialog is not None else [])
        if self.compare_dialog is None:
            dlg = CompareDialog(self)
            dlg.runRequested.connect(self.run_compare)
            dlg.cancelRequested.connect(self.controller.cancel)
            dlg.applyRequested.connect(self.apply_compare)
            self.compare_dialog = dlg
        current = self.current_method()
        checked = [current] if current else []
        checked += [i["name"] for i in available if i["name"] != current][:max(0, 2 - len(checked))]
        self.compare_dialog.set_methods(self.method_infos, kept or checked)
        self._check_compare()  # results still shown from before: can they still be applied?
        self.compare_dialog.show()
        self.compare_dialog.raise_()
        return self.compare_dialog

    def run_compare(self, names: list[str]) -> int | None:
        request = self._request(list(names), compare=True)
        if request is None:
            if self.compare_dialog is not None:
                self.compare_dialog.status.setText("Paint the hole in the main window first.")
            return None
        self.canvas.set_preview(None)
        req_id = self.controller.submit(request)
        if self._run is not None:
            self.stage_label.setText("Stopped: comparing methods instead.")
        self._run = None
        self._compare_run = {"id": req_id, "request": request, "doc": self.model.doc, "results": {},
                             "image_rev": self._image_rev, "done": False}
        box = box_of(request.hole)
        crop = self.compare_dialog.crop_for(box, self.model.width, self.model.height, len(names))
        self.compare_dialog.start(list(names), crop, request.image, request.hole, request.coverage)
        self.progress_bar.setValue(0)
        self.stage_label.setText(self._compare_status())
        self._update_actions()
        return req_id

    def _on_compare_result(self, req_id: int, name: str, result) -> None:
        run = self._compare_run
        if run is None or run["id"] != req_id:
            return
        run["results"][name] = result
        self.stage_label.setText(self._compare_status())
        if self.compare_dialog is not None:
            self.compare_dialog.add_result(name, result)

    def _finish_compare(self, results: dict) -> None:
        run = self._compare_run
        run["done"] = True
        self.progress_bar.setValue(0)
        n = len(run["results"])
        self.stage_label.setText(f"Comparison done: {n} result{'s' if n != 1 else ''} to choose from in the "
                                 f"Compare window (Ctrl+K).")
        self._update_actions()
        if self.compare_dialog is not None:
            if not self.compare_dialog.isVisible():  # (closed with Esc while it ran: it went on)
                self.show_message("Comparison done: Compare methods (Ctrl+K) shows the results")
            self.compare_dialog.finish()
            self._check_compare()

    @staticmethod
    def _kept_note(compare: dict) -> str:
        n = len(compare["results"])
        return f" {n} finished result{'s' if n != 1 else ''} kept: click one, then Apply." if n else ""

    def _compare_stale_reason(self) -> str | None:
        """Why the comparison's results can no longer be applied, or None when they can."""
        run = self._compare_run
        if run is None:
            return "Run the comparison again: another photo was opened."
        changed = self._changed_since(run)
        if changed == "document":
            return "Another photo is open: run the comparison again."
        applied = self._applied_from(run) if changed is not None else None
        if applied is not None:
            return f"{applied} is applied: undo it (Ctrl+Z) to apply another result, or run the comparison again."
        if changed is not None:
            return f"The {changed} changed since this comparison: run it again to apply one of its results."
        return None

    def _applied_from(self, run: dict) -> str | None:
        """The method whose result of the comparison ``run`` is applied in the history's current state (its undo
        step done), or None."""
        name, command = run.get("applied") or (None, None)
        stack = self.undo_stack
        return name if any(stack.command(i) is command for i in range(stack.index())) else None

    def _schedule_compare_check(self) -> None:
        if self.compare_dialog is not None and self.compare_dialog.results:
            self._compare_check.start()

    def _check_compare(self) -> None:
        """Enable the compare dialog's Apply only while its results still fit the photo and the hole."""
        if self.compare_dialog is not None and self.compare_dialog.results:
            self.compare_dialog.set_stale(self._compare_stale_reason())

    def apply_compare(self, name: str) -> bool:
        """Apply the compare result of method ``name`` (one undo command)."""
        run = self._compare_run
        if run is None or name not in run["results"]:
            return False
        reason = self._compare_stale_reason()
        if reason is not None:
            if self.compare_dialog is not None:
                self.compare_dialog.set_stale(reason)
            self.show_message(reason)
            return False
        result = run["results"][name]
        command = result_command(self.model, result.image, run["request"].coverage, f"Inpaint ({name}, compared)")
        self.undo_stack.push(command)
        # the run is kept: once the photo and its hole are back as they were (Ctrl+Z), another of its results
        # can be applied (the check compares them with the run's own copies, pixel for pixel)
        run["applied"] = (name, command)
        self.select_method(name)
        if self.compare_dialog is not None:
            self.compare_dialog.hide()
        self.show_message(f"Applied {name}")
        return True

    # ================================================================== help
    def show_shortcuts(self) -> ShortcutsDialog:
        dlg = ShortcutsDialog(self._menus, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def show_about(self) -> None:
        from editor import __version__
        QMessageBox.about(self, "About Inpaint Studio",
                          f"<h3>Inpaint Studio {__version__}</h3><p>Remove objects from full-resolution photos: "
                          "paint the hole, fill it at low resolution, and restore the photo's detail with "
                          "contextual residual aggregation (Yi et al., CVPR 2020).</p>")

    # ================================================================== closing
    def closeEvent(self, event) -> None:
        if not self._stopping:
            if not self.maybe_save():
                event.ignore()
                return
            if not self.controller.stop(STOP_WAIT_MS):  # a step that cannot be cancelled at once
                self._stop_then_close()
                event.ignore()
                return
        elif self.controller.thread.isRunning():  # still stopping: the window closes by itself
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def _stop_then_close(self) -> None:
        """Keep the window (responsive, inert) until the worker's current step ends, then close it: the worker
        thread must never be destroyed while it runs. The document was already saved or discarded."""
        self._stopping = True
        self._run = None
        self._compare_run = None
        self.canvas.set_preview(None)
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        for widget in (self.menuBar(), self.canvas, *self.toolbars, self.tool_dock, self.run_dock,
                       self.history_dock):
            widget.setEnabled(False)
        self.setWindowTitle("Stopping… — Inpaint Studio")
        self.stage_label.setText("Stopping the running fill…")
        self.statusBar().showMessage("Stopping the running fill; the window closes as soon as it has stopped…")
        self.setCursor(Qt.CursorShape.BusyCursor)
        self.controller.thread.finished.connect(self.close, Qt.ConnectionType.QueuedConnection)
        if self.controller.thread.isFinished():  # stopped in the meantime
            QTimer.singleShot(0, self.close)

    def shutdown(self) -> None:
        """Save the window layout, stop the worker thread (cancel, quit, wait) and detach app-wide hooks."""
        if self._closing:
            return
        self._closing = True
        self.save_window_settings()
        QApplication.instance().removeEventFilter(self)
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.controller.shutdown()
        self.loader.current_id = None
        self.loader.wait()
        self.saver.wait()
