"""Progress reporting and cooperative cancellation shared by the pipeline, the CLI and the editor's worker.

No Qt here: the editor's ``InferenceWorker`` wraps these in signals, the CLI in a tqdm bar.
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol

from editor.core.errors import Cancelled

__all__ = ["CancelToken", "ProgressCallback", "Reporter", "Cancelled"]


class ProgressCallback(Protocol):
    def __call__(self, stage: str, fraction: float) -> None:
        """Called with a stage name (``prepare``, ``lr_inpaint``, ``hd``, ``composite``) and its progress in [0, 1]."""


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
