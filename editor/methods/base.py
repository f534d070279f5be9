"""The one interface every inpainting method implements, and the registry the pipeline picks from.

A method only ever sees the low-resolution image (long side ≈ ``--lowres-size``, padded to
``method.multiple``); the pipeline's HD strategies bring its result to full resolution (DESIGN.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from editor.core.errors import MethodUnavailableError
from editor.core.progress import Reporter

__all__ = ["AttentionScore", "LowResResult", "InpaintMethod", "register_method", "create_method",
           "list_methods", "default_method_name"]


@dataclass(frozen=True)
class AttentionScore:
    """Attention scores between hole and context cells of a patch grid laid over an image (CRA §3.2, Eq. 1–2).

    Attributes:
        grid: ``(rows, cols)`` of the attention grid over the image the method was given
            (its padded low-res input); each cell is ``(h // rows) x (w // cols)`` px there.
        hole_cells: int64 ``(n_hole,)`` flat indices (``row * cols + col``) of cells intersecting the hole.
        context_cells: int64 ``(n_context,)`` flat indices of cells fully in the known region.
        score: float32 ``(n_hole, n_context)``; row ``j`` holds s_{i,j} for hole cell ``hole_cells[j]``
            over the context cells; each row sums to 1 (softmax, Eq. 2).
    """

    grid: tuple[int, int]
    hole_cells: np.ndarray
    context_cells: np.ndarray
    score: np.ndarray


@dataclass(frozen=True)
class LowResResult:
    """What ``InpaintMethod.inpaint`` returns.

    Attributes:
        image: uint8 ``(h, w, 3)`` RGB, same size as the method's input; hole filled.
        attention_score: the network's attention scores (ACM output), or ``None`` for methods without an
            attention computing module (the pipeline then computes them on ``image``, CRA Eq. 1–2).
    """

    image: np.ndarray
    attention_score: AttentionScore | None = None


class InpaintMethod(ABC):
    """Base class of inpainting methods.

    Subclasses set the class attributes and implement :meth:`inpaint`. Instances are cheap to create;
    networks load weights lazily on the first ``inpaint`` call (or in :meth:`load`).
    """

    #: Registry name, used on the command line (``--method``): lowercase, dashes.
    name: str = ""
    #: ``"classical"`` or ``"network"``.
    kind: str = "classical"
    #: One line for ``inpaint-studio methods`` and the editor's picker.
    description: str = ""
    #: The low-res input's height and width must be multiples of this (network stride); the pipeline pads.
    multiple: int = 1
    #: True when the method can reasonably run on a whole full-resolution photo (``--hd full``).
    supports_full_resolution: bool = True

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def availability(self) -> tuple[bool, str]:
        """``(True, "")`` when the method can run here, else ``(False, reason)`` with a one-line reason."""
        return True, ""

    def parameter_count(self) -> int | None:
        """Number of trainable parameters for networks; ``None`` for classical methods."""
        return None

    def info(self) -> dict:
        """Metadata for ``inpaint-studio methods --json`` (without ``default``, which the registry adds);
        ``full_resolution`` is :attr:`supports_full_resolution` (whether ``--hd full`` can run it)."""
        ok, why = self.availability()
        return {"name": self.name, "kind": self.kind, "available": ok, "reason": why or None,
                "parameters": self.parameter_count(), "description": self.description,
                "full_resolution": bool(self.supports_full_resolution)}

    def require_available(self) -> None:
        """Raise :class:`MethodUnavailableError` with the reason when the method cannot run."""
        ok, why = self.availability()
        if not ok:
            raise MethodUnavailableError(f"method '{self.name}' is unavailable: {why}")

    @abstractmethod
    def inpaint(self, image: np.ndarray, hole: np.ndarray, reporter: Reporter | None = None) -> LowResResult:
        """Fill the hole of a (low-resolution) image.

        Args:
            image: uint8 ``(h, w, 3)`` RGB; h and w are multiples of :attr:`multiple`.
            hole: bool ``(h, w)``, True = hole (pixels to fill). Never all True (the pipeline refuses that).
            reporter: progress/cancel; long methods call ``reporter.report("lr_inpaint", f)``.

        Returns:
            :class:`LowResResult`; pixels of the known region may differ (the pipeline composites).

        Raises:
            MethodUnavailableError: when the method cannot run here.
            Cancelled: when the reporter's cancel flag is set.
        """


_REGISTRY: dict[str, Callable[..., InpaintMethod]] = {}
_DEFAULT: list[str] = []


def register_method(cls: type[InpaintMethod] | None = None, *, default: bool = False):
    """Class decorator adding a method to the registry under ``cls.name``.

    ``default=True`` marks the default method (exactly one; chosen by public evaluation, see README).
    """

    def wrap(c: type[InpaintMethod]) -> type[InpaintMethod]:
        if not c.name:
            raise ValueError(f"{c.__qualname__} has no name")
        if c.name in _REGISTRY:
            raise ValueError(f"method '{c.name}' registered twice")
        _REGISTRY[c.name] = c
        if default:
            _DEFAULT[:] = [c.name]
        return c

    return wrap(cls) if cls is not None else wrap


def _ensure_loaded() -> None:
    # Importing the implementation modules fills the registry (decorators run on import).
    import editor.methods.classical  # noqa: F401
    try:
        import editor.methods.network  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken torch (ImportError, OSError, ...) must not hide classical methods
        pass


def list_methods() -> list[str]:
    """Registered method names, classical first, each kind in registration order (whichever module was
    imported first)."""
    _ensure_loaded()
    return sorted(_REGISTRY, key=lambda name: _REGISTRY[name].kind != "classical")


def default_method_name() -> str:
    _ensure_loaded()
    return _DEFAULT[0] if _DEFAULT else next(iter(_REGISTRY))


def create_method(name: str, device: str = "cpu") -> InpaintMethod:
    """Build a registered method by name (the one public way to get a method).

    Raises:
        MethodUnavailableError: for an unknown name (the message lists the known ones).
    """
    _ensure_loaded()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise MethodUnavailableError(
            f"unknown method '{name}' (known: {', '.join(_REGISTRY)})") from None
    return factory(device=device)


def iter_methods(device: str = "cpu") -> Iterator[InpaintMethod]:
    for name in list_methods():
        yield create_method(name, device=device)
