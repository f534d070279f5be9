"""Background inference (DESIGN.md "Threading"): one :class:`InferenceWorker` on a dedicated QThread owns the
methods (so a CUDA context lives on one thread); :class:`InferenceController` lives on the GUI thread, sends
requests (id + copies of the arrays) over a queued signal, cancels through a
:class:`~editor.core.progress.CancelToken`, and drops results whose id is stale.

torch is never imported on the GUI thread: the device probe and the method registry (which may import the
network module) run in the worker thread.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from editor.core.errors import Cancelled, InpaintError
from editor.core.progress import CancelToken, Reporter

__all__ = ["InpaintRequest", "InferenceWorker", "InferenceController", "FileLoader", "FileSaver", "LoadedPhoto",
           "load_document", "friendly_error", "unavailable_label", "unavailable_tip"]

log = logging.getLogger(__name__)


@dataclass
class InpaintRequest:
    """One run: the photo and hole (copies owned by the request), and how to fill it.

    Attributes:
        image: uint8 (H, W, 3) RGB.
        hole: bool (H, W), True = hole.
        methods: method names; one for Inpaint, several for Compare (run sequentially).
        hd: HD strategy (``editor.pipeline.HD_STRATEGIES``).
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        dilate: hole dilation in low-res px, or None for the pipeline's default.
        lowres_size: long side of the low-res image the method sees.
        detail: ``cra`` detail strength 0–1, or None for the pipeline's default (1).
    """

    image: np.ndarray
    hole: np.ndarray
    methods: list[str]
    hd: str = "cra"
    device: str = "auto"
    dilate: int | None = None
    lowres_size: int | None = None
    detail: float | None = None
    compare: bool = False
    coverage: np.ndarray | None = field(default=None, repr=False)  # GUI side: uint8 coverage at request time


def unavailable_label(info: dict) -> str:
    """Short state of an unavailable method for a list entry: "checking…" while its weights are being looked
    for (the first, quick method list), else "unavailable"."""
    return "checking…" if info.get("checking") else "unavailable"


def unavailable_tip(info: dict) -> str:
    """Tooltip of an unavailable method: why it cannot run (or that it is still being checked)."""
    if info.get("checking"):
        return f"{info['name']}: {info.get('reason') or 'checking…'}"
    return f"Unavailable: {info.get('reason') or 'not installed'}"


def friendly_error(exc: BaseException, method: str | None = None) -> str:
    """A message a photographer understands for an exception raised by a run or a file operation."""
    if isinstance(exc, MemoryError):
        return ("Not enough memory for this photo. Close other programs, try the 'resize' or 'cra' HD "
                "strategy, or work on a smaller copy of the photo.")
    if isinstance(exc, InpaintError):
        return exc.gui_text()  # the message with the editor's advice, not the command line's
    what = f"The method '{method}'" if method else "The operation"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "out of memory" in text.lower():
        return f"{what} ran out of memory. Try the CPU device or the 'resize' HD strategy."
    return f"{what} failed unexpectedly: {text}"


def _probe_devices() -> list[str]:
    devices = ["auto", "cpu"]
    try:
        import torch  # lazy: only in the worker thread
    except Exception:  # torch missing or broken: classical methods still work on the CPU
        return devices
    try:
        if torch.cuda.is_available():
            devices.append("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            devices.append("mps")
    except Exception:
        pass
    return devices


class InferenceWorker(QObject):
    """Runs requests on its own thread; one at a time, in order.

    Signals (all carry the request id first, so the controller can drop stale ones):
        progress(id, stage, fraction): stage in ``prepare``, ``lr_inpaint``, ``hd``, ``composite``.
        preview(id, lr_result): the low-res composite uint8 (h, w, 3), as soon as it exists.
        compareResult(id, method, PipelineResult): one per method of a compare request.
        finished(id, result): ``PipelineResult`` (Inpaint) or ``dict[str, PipelineResult]`` (Compare).
        failed(id, message), cancelled(id).
        methodsReady(list[dict], final): ``InpaintMethod.info()`` of every registered method (+ ``default``);
            ``final`` is False for the quick first list in which networks are still being checked (those are
            unavailable with ``checking`` True).
        devicesReady(list[str]).
    """

    progress = Signal(int, str, float)
    preview = Signal(int, object)
    compareResult = Signal(int, str, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    methodsReady = Signal(object, bool)
    devicesReady = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._methods: dict[tuple[str, str], object] = {}
        self._devices: list[str] | None = None

    @Slot()
    def probe(self) -> None:
        """List the methods and the devices; emits methodsReady twice (classical methods at once, networks
        marked "checking…"; then with every availability known, which imports torch) and devicesReady."""
        infos: list[dict] = []
        pending = []
        try:
            from editor.methods.base import create_method, default_method_name, list_methods
            default = default_method_name()
            for name in list_methods():
                try:
                    method = create_method(name, device="cpu")
                    if method.kind == "network":
                        info = {"name": name, "kind": "network", "available": False, "checking": True,
                                "reason": "checking for weights…", "description": method.description}
                        pending.append((len(infos), method))
                    else:
                        info = dict(method.info())
                except Exception as exc:  # a broken method must not hide the others
                    info = {"name": name, "kind": "?", "available": False, "reason": friendly_error(exc, name),
                            "description": ""}
                info["default"] = name == default
                infos.append(info)
            self.methodsReady.emit([dict(i) for i in infos], not pending)
            for index, method in pending:
                try:
                    info = dict(method.info())
                except Exception as exc:
                    info = dict(infos[index], reason=friendly_error(exc, method.name))
                info["default"] = infos[index]["default"]
                infos[index] = info
        except Exception as exc:
            log.warning("method registry failed: %s", exc)
        if pending or not infos:
            self.methodsReady.emit(infos, True)
        self._devices = _probe_devices()
        self.devicesReady.emit(list(self._devices))

    def _resolve_device(self, device: str, kind: str) -> str:
        if device != "auto":
            return device
        if kind != "network":
            return "cpu"
        if self._devices is None:
            self._devices = _probe_devices()
        for d in ("cuda", "mps"):
            if d in self._devices:
                return d
        return "cpu"

    def _method(self, name: str, device: str):
        from editor.methods.base import create_method
        probe = self._methods.get((name, "cpu")) or create_method(name, device="cpu")
        self._methods[(name, "cpu")] = probe
        resolved = self._resolve_device(device, getattr(probe, "kind", "classical"))
        key = (name, resolved)
        if key not in self._methods:
            self._methods[key] = create_method(name, device=resolved)
        return self._methods[key], resolved

    @Slot(int, object, object)
    def run(self, req_id: int, request: InpaintRequest, token: CancelToken) -> None:
        if token.cancelled:  # superseded or cancelled while queued
            self.cancelled.emit(req_id)
            return
        results = {}
        current = None
        try:
            from editor.pipeline import InpaintPipeline
            for name in request.methods:
                current = name
                token.check()
                method, device = self._method(name, request.device)
                method.require_available()
                hd = request.hd
                if hd == "full" and not method.supports_full_resolution:  # (Compare runs several methods with one hd)
                    hd = "cra"
                pipeline = InpaintPipeline.with_options(method, hd, device, dilate=request.dilate,
                                                        lowres_size=request.lowres_size, detail=request.detail)
                reporter = Reporter(lambda stage, f, _id=req_id: self.progress.emit(_id, stage, f), token)
                on_preview = None if request.compare else (lambda lr, _id=req_id: self.preview.emit(_id, lr))
                t0 = time.perf_counter()
                result = pipeline.run(request.image, request.hole, reporter=reporter, on_preview=on_preview)
                log.info("%s finished in %.2f s", name, time.perf_counter() - t0)
                token.check()
                results[name] = result
                if request.compare:
                    self.compareResult.emit(req_id, name, result)
        except Cancelled:
            self.cancelled.emit(req_id)
            return
        except (InpaintError, MemoryError) as exc:
            self.failed.emit(req_id, friendly_error(exc, current))
            return
        except Exception as exc:  # a method's bug must not take the editor down
            log.error("run %d failed:\n%s", req_id, traceback.format_exc())
            self.failed.emit(req_id, friendly_error(exc, current))
            return
        self.finished.emit(req_id, results if request.compare else results[request.methods[0]])


class InferenceController(QObject):
    """GUI-thread side of the worker: ids, cancellation, stale-result filtering, and shutdown.

    Signals (only for the current request; stale ones are dropped):
        started(id), progress(stage, fraction), preview(id, lr_result), compareResult(id, method, result),
        finished(id, result), failed(id, message), cancelled(id); methodsReady / devicesReady forwarded.
    """

    started = Signal(int)
    progress = Signal(str, float)
    preview = Signal(int, object)
    compareResult = Signal(int, str, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    methodsReady = Signal(object, bool)
    devicesReady = Signal(object)
    _submit = Signal(int, object, object)
    _probe = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("InferenceWorker")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.run)
        self._probe.connect(self.worker.probe)
        w = self.worker
        w.progress.connect(self._on_progress)
        w.preview.connect(self._on_preview)
        w.compareResult.connect(self._on_compare)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.methodsReady.connect(self.methodsReady)
        w.devicesReady.connect(self.devicesReady)
        self.thread.start()
        self._next_id = 0
        self.current_id: int | None = None
        self._token: CancelToken | None = None

    @property
    def busy(self) -> bool:
        return self.current_id is not None

    def probe(self) -> None:
        self._probe.emit()

    def submit(self, request: InpaintRequest) -> int:
        """Start a run; a run in progress is cancelled and its results will be dropped. Returns the new id."""
        if self._token is not None:
            self._token.cancel()
        self._next_id += 1
        self.current_id = self._next_id
        self._token = CancelToken()
        self._submit.emit(self.current_id, request, self._token)
        self.started.emit(self.current_id)
        return self.current_id

    def cancel(self) -> bool:
        """Cancel the current run (the pipeline raises Cancelled at its next check). True if one was running."""
        if self._token is None:
            return False
        self._token.cancel()
        return True

    def _done(self, req_id: int) -> bool:
        if req_id != self.current_id:
            return False
        self.current_id, self._token = None, None
        return True

    def _on_progress(self, req_id: int, stage: str, fraction: float) -> None:
        if req_id == self.current_id:
            self.progress.emit(stage, fraction)

    def _on_preview(self, req_id: int, lr) -> None:
        if req_id == self.current_id:
            self.preview.emit(req_id, lr)

    def _on_compare(self, req_id: int, name: str, result) -> None:
        if req_id == self.current_id:
            self.compareResult.emit(req_id, name, result)

    def _on_finished(self, req_id: int, result) -> None:
        if self._done(req_id):
            self.finished.emit(req_id, result)

    def _on_failed(self, req_id: int, message: str) -> None:
        if self._done(req_id):
            self.failed.emit(req_id, message)

    def _on_cancelled(self, req_id: int) -> None:
        if self._done(req_id):
            self.cancelled.emit(req_id)

    def stop(self, timeout_ms: int = 0) -> bool:
        """Cancel the current run, ask the thread's event loop to end, and wait up to ``timeout_ms`` for it.
        True when the thread has stopped; otherwise it stops by itself once the running step returns (a step
        that does not check for cancellation) and emits ``thread.finished``."""
        if self._token is not None:
            self._token.cancel()
        self.current_id, self._token = None, None
        self.thread.quit()
        return self.thread.wait(max(0, int(timeout_ms)))

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel, stop the thread's event loop and wait for it to end: never kills it, and never returns while
        it still runs (Qt aborts the program when a running QThread is destroyed). Returns True."""
        if not self.stop(timeout_ms):
            log.warning("the running fill does not stop; waiting for its current step to end")
            self.thread.wait()
        return True


class FileLoader(QObject):
    """Opens photos off the GUI thread (decode + display levels), so the window never freezes on an 8K file.

    Signals: loaded(id, LoadedPhoto), failed(id, message) when the photo cannot be opened, tooLarge(id,
    (TooLargeError, path, mask, invert_mask)) for a photo above the decompression-bomb limit. A mask that
    cannot be used does not fail the load: it comes with the photo as ``LoadedPhoto.mask_error``. A newer
    ``load`` supersedes an older one (its result is dropped).
    """

    loaded = Signal(int, object)  # (id, LoadedPhoto)
    failed = Signal(int, str)
    tooLarge = Signal(int, object)  # (id, (TooLargeError, path, mask, invert_mask)): may be opened anyway

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._next = 0
        self.current_id: int | None = None
        self._threads: list = []

    @property
    def busy(self) -> bool:
        return self.current_id is not None

    def load(self, path, mask=None, max_pixels: int | None = None, invert_mask: bool = False) -> int:
        import threading
        self._next += 1
        req_id = self.current_id = self._next
        thread = threading.Thread(target=self._work, args=(req_id, path, mask, max_pixels, invert_mask),
                                  name=f"load-{req_id}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return req_id

    def _work(self, req_id: int, path, mask, max_pixels: int | None, invert_mask: bool) -> None:
        from editor.core.errors import TooLargeError
        try:
            payload = load_document(path, mask, max_pixels=max_pixels, invert_mask=invert_mask)
        except TooLargeError as exc:
            self._emit(self.tooLarge, req_id, (exc, path, mask, invert_mask))
            return
        except (Exception, MemoryError) as exc:
            self._emit(self.failed, req_id, friendly_error(exc))
            return
        self._emit(self.loaded, req_id, payload)

    def _emit(self, signal, req_id, value) -> None:
        try:
            signal.emit(req_id, value)
        except RuntimeError:  # the window (and this object) was deleted meanwhile
            pass

    def accept(self, req_id: int) -> bool:
        """True (once) when ``req_id`` is the newest load; the GUI then adopts its result."""
        if req_id != self.current_id:
            return False
        self.current_id = None
        return True

    def wait(self, timeout: float = 10.0) -> None:
        for t in self._threads:
            t.join(timeout)


class LoadedPhoto(NamedTuple):
    """A photo read by :func:`load_document`, ready to be shown.

    Attributes:
        doc: the ``Document``; its ``hole_mask`` is the mask asked for when that one could be used.
        pyramid: its display levels (``ImagePyramid``).
        mask: the mask file asked for, or None.
        mask_error: why ``mask`` could not be used (``MaskSizeError`` for a mask of another size, with
            ``turned``; ``ImageReadError`` for an unreadable file; MemoryError...), or None. The photo opens
            without it; the window then deals with it as File → Import Mask would.
        invert_mask: ``mask`` is black = hole (read inverted), also when it is read again (stretched).
        coverage: the mask's soft edge, uint8 (H, W) (see ``imageio.soft_coverage``), when the mask is a
            lossless grey file with grey levels; None for a hard mask (``doc.hole_mask`` says it all).
        mask_hole: with a ``MaskSizeError``, the mask as decoded, bool at its own size, so that stretching it
            does not read the file again; else None.
    """

    doc: object
    pyramid: object
    mask: object = None
    mask_error: BaseException | None = None
    invert_mask: bool = False
    coverage: object = None
    mask_hole: object = None


def load_document(path, mask=None, max_pixels: int | None = None, invert_mask: bool = False) -> LoadedPhoto:
    """Read a photo (and optionally its hole mask, white = hole; black with ``invert_mask``) and build its
    display levels.

    ``max_pixels`` raises the decompression-bomb limit (None: Pillow's, ~89.5 MP) for a photo the user chose
    to open anyway.

    Returns:
        :class:`LoadedPhoto`. A mask that cannot be used is no reason not to open its photo (a mask of
        another size can still be stretched, asked on the GUI thread): its error is returned, not raised.

    Raises:
        ImageReadError (InpaintError) with a message naming the photo, TooLargeError (an ImageReadError) above
        the limit; MemoryError. Never for the mask.
    """
    from pathlib import Path

    from editor.core.errors import MaskSizeError
    from editor.core.imageio import fit_hole, load_image, load_mask, soft_coverage
    from editor.ui.canvas import ImagePyramid
    doc = load_image(Path(path), max_pixels=max_pixels)
    mask_error = coverage = own = None
    if mask is not None:
        mask = Path(mask)
        try:
            own = load_mask(mask, None, max_pixels=max_pixels, invert=invert_mask)
            doc.hole_mask = fit_hole(own, mask, (doc.width, doc.height))
            coverage = soft_coverage(mask, doc.hole_mask, invert_mask)
            if not ((coverage > 0) & (coverage < 255)).any():
                coverage = None  # (hard: the document's mask says it all)
            own = None
        except (Exception, MemoryError) as exc:  # noqa: BLE001 - said by the window, after the photo opened
            mask_error = exc.with_traceback(None)  # (its frames would keep the decoded mask in memory)
            if not isinstance(exc, MaskSizeError):
                own = None
    return LoadedPhoto(doc, ImagePyramid(doc.image), mask, mask_error, invert_mask, coverage, own)


class FileSaver(QObject):
    """Encodes and writes photos off the GUI thread (core's atomic ``save_document`` on a snapshot).

    Saves are written one at a time, in the order they were asked for, by a single writer thread: two saves
    to the same file (Ctrl+S, an edit, Ctrl+S again while the first is still writing) can never finish in the
    wrong order, so the file always ends up holding the newest state asked for.

    Signal: saved(job id, error message or "" on success), in job order.
    """

    saved = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        import threading
        self._next = 0
        self._cond = threading.Condition()
        self._queue: deque = deque()   # (job, path, doc, quality, subsampling) not started yet
        self._writing = False           # the writer thread is on a job
        self._thread = None             # the writer thread, while there is work
        self.done: dict[int, str] = {}  # job -> error ("" = written), set before ``saved`` is emitted

    @property
    def pending(self) -> bool:
        """True while a save is queued or being written."""
        with self._cond:
            return bool(self._queue) or self._writing

    def save(self, path, doc, quality: int, subsampling: int = 0) -> int:
        """Queue a save of ``doc`` (a snapshot the caller no longer touches) at JPEG/WebP ``quality`` and JPEG
        chroma ``subsampling`` (see ``save_image``); returns its job id."""
        import threading
        with self._cond:
            self._next += 1
            job = self._next
            self._queue.append((job, path, doc, quality, subsampling))
            if self._thread is None:  # not daemon: the program does not end before the file is written
                self._thread = threading.Thread(target=self._work, name="saver", daemon=False)
                self._thread.start()
        return job

    def _work(self) -> None:
        from editor.core import imageio
        while True:
            with self._cond:
                if not self._queue:
                    self._thread = None
                    self._writing = False
                    self._cond.notify_all()
                    return
                job, path, doc, quality, subsampling = self._queue.popleft()
                self._writing = True
            try:
                imageio.save_document(path, doc, quality=quality, subsampling=subsampling)
                error = ""
            except (Exception, MemoryError) as exc:
                error = friendly_error(exc)
            with self._cond:
                self.done[job] = error
            try:
                self.saved.emit(job, error)
            except RuntimeError:  # the window was deleted meanwhile; the file is written anyway
                pass

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until the queued saves are written (on close: never lose a save in flight), at most ``timeout``
        seconds in all. True when none is left."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._writing, timeout)
