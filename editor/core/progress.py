"""Progress reporting and cooperative cancellation shared by the pipeline, the CLI and the editor's worker.

No Qt here: the editor's ``InferenceWorker`` wraps these in signals, the CLI in a tqdm bar.
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol, TypeVar

from editor.core.errors import Cancelled

__all__ = ["CancelToken", "ProgressCallback", "Reporter", "Cancelled", "run_cancellable", "abandoned_calls_running",
           "WAITING", "seconds_text"]

T = TypeVar("T")


class ProgressCallback(Protocol):
    def __call__(self, stage: str, fraction: float) -> None:
        """Called with a stage name (``prepare``, ``lr_inpaint``, ``hd``, ``composite``; :data:`WAITING` while a call
        waits for a cancelled one still running) and its progress in [0, 1]."""


class CancelToken:
    """A thread-safe cancel flag. ``cancel()`` from any thread; the worker calls ``check()`` at safe points."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if ``cancel()`` was called."""
        if self._event.is_set():
            raise Cancelled("cancelled")


class Reporter:
    """Bundles an optional progress callback and an optional cancel token.

    ``report(stage, fraction)`` first checks the cancel flag (raising :class:`Cancelled`), then calls the
    callback, so every progress point is also a cancellation point.
    """

    def __init__(self, callback: Callable[[str, float], None] | None = None,
                 cancel: CancelToken | None = None) -> None:
        self.callback = callback
        self.cancel = cancel or CancelToken()

    def report(self, stage: str, fraction: float) -> None:
        self.cancel.check()
        if self.callback is not None:
            self.callback(stage, min(max(float(fraction), 0.0), 1.0))

    def check(self) -> None:
        self.cancel.check()

    def within(self, stage: str, lo: float, hi: float) -> "Reporter":
        """A reporter for a step inside ``stage``: whatever stage the step reports (a method says
        ``"lr_inpaint"``), it arrives as ``stage`` at ``lo + (hi - lo) * fraction``. Same cancel token."""
        callback = self.callback

        def relay(_stage: str, fraction: float) -> None:
            if callback is not None:
                callback(_stage if _stage == WAITING else stage, lo + (hi - lo) * fraction)
        return Reporter(relay, self.cancel)


#: The stage reported while a call waits for an earlier (cancelled, still running) call into the same library.
WAITING = "waiting"

_abandoned: list[threading.Thread] = []


def abandoned_calls_running() -> bool:
    """Whether a native call that :func:`run_cancellable` gave up on is still running.

    A process must not run its normal exit while one does: a native library's static teardown under a running
    call can abort it ("terminate called without an active exception", seen with OpenCV). The command-line
    entry point ends such a process with ``os._exit`` after flushing its output.
    """
    _abandoned[:] = [t for t in _abandoned if t.is_alive()]
    return bool(_abandoned)


def run_cancellable(fn: Callable[[], T], reporter: Reporter | None, *, lock: threading.Lock | None = None,
                    poll_s: float = 0.05) -> T:
    """``fn()`` — one long call into native code that cannot look at the cancel flag itself — made cancellable.

    ``fn`` runs on a daemon helper thread (the native code must release the GIL: OpenCV and ctypes libraries
    do) while this thread checks ``reporter``'s cancel flag every ``poll_s`` s and raises :class:`Cancelled`
    as soon as it is set, without waiting for ``fn``. The abandoned call runs to its end in the background
    and its result is dropped. ``lock``, held for the whole call (an abandoned one included), serialises calls
    into a library with global state (a seeded random generator), so a later call waits for it —
    cancellably too. Without a reporter ``fn()`` runs on this thread (under ``lock``).

    Returns:
        What ``fn()`` returns; an exception it raises is raised here.

    Raises:
        Cancelled: the cancel flag was set before ``fn`` finished.
    """
    if reporter is None:
        if lock is None:
            return fn()
        with lock:
            return fn()
    if lock is not None and not lock.acquire(blocking=False):
        # an earlier call into the library (a cancelled one, going on in the background) holds it: say so,
        # or a progress bar that does not move looks like a hang
        reporter.report(WAITING, 0.0)
        while not lock.acquire(timeout=poll_s):
            reporter.check()
    outcome: dict[str, object] = {}
    done = threading.Event()

    def call() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            if lock is not None:
                lock.release()
            done.set()

    thread = threading.Thread(target=call, name="native-call", daemon=True)
    try:
        thread.start()
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    try:
        while not done.wait(poll_s):
            reporter.check()
    except BaseException:  # cancelled (or Ctrl+C): the call goes on without us
        _abandoned.append(thread)
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def seconds_text(seconds: float) -> str:
    """A run's time for a label: ``"1.3 s"``, or under a tenth of a second ``"40 ms"`` / ``"<1 ms"`` (never
    ``"0.0 s"``)."""
    if seconds >= 0.1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.0005 else "<1 ms"
