"""Network-backed inpainting methods: ``cra`` (CRA/HiFill generator, Yi et al. CVPR 2020, §3.2–3.4).

torch is imported lazily inside the methods, so importing this module (which fills the registry) works
even when torch is missing or broken: the method then reports itself unavailable with the reason.

Weights: ``cra.<tag>.safetensors`` + ``cra.<tag>.md`` in :func:`editor.paths.models_dirs`, chosen and
checksum-verified by :mod:`editor.networks.weights` (explicit tag: ``CRAMethod(tag=...)`` or env
``INPAINT_STUDIO_CRA_TAG``; otherwise the card with the most training steps in the first folder holding any).
"""

from __future__ import annotations

import threading

import numpy as np

from editor.core.errors import MethodUnavailableError
from editor.core.progress import Reporter
from editor.methods.base import AttentionScore, InpaintMethod, LowResResult, register_method

__all__ = ["CRAMethod"]

_MULTIPLE = 16  # editor.networks.cra.MULTIPLE, repeated here so the registry needs no torch


def _torch_problem() -> str | None:
    try:
        import torch  # noqa: F401
    except Exception as exc:  # ImportError, OSError (broken shared library), ...
        return f"torch cannot be imported ({type(exc).__name__}: {exc})".splitlines()[0]
    return None


@register_method
class CRAMethod(InpaintMethod):
    """The CRA generator at low resolution; returns its attention scores for the pipeline's ``--hd cra``.

    ``inpaint(image uint8 (h, w, 3), hole bool (h, w))`` with h, w multiples of 16: the image goes to [-1, 1],
    the hole is zeroed and the mask concatenated (CRA §3.5; the coarse stage is the coarse network or, when the
    weights' card says ``coarse: pull-push``, a pull-push fill); the refine network's output (clipped to
    [-1, 1]) comes back as uint8, and the ACM's scores over the ``(h/16, w/16)`` grid (Eq. 1–2) as an
    :class:`AttentionScore` (hole cells = cells with any hole pixel; rows sum to 1 over context cells).
    """

    name = "cra"
    kind = "network"
    description = "CRA/HiFill generator (Yi et al. 2020)"
    multiple = _MULTIPLE
    supports_full_resolution = False

    def __init__(self, device: str = "cpu", tag: str | None = None) -> None:
        super().__init__(device)
        self.tag = tag
        self._net = None
        self._info = None
        self._problem: str | None = None
        self._lock = threading.Lock()

    # The weights' location is resolved once; checksum and load happen in load().
    def _locate(self):
        if self._info is None and self._problem is None:
            problem = _torch_problem()
            if problem:
                self._problem = problem
                return None
            from editor.networks.weights import find_weights

            try:
                self._info = find_weights("cra", self.tag)
            except MethodUnavailableError as exc:
                self._problem = str(exc)
        return self._info

    def availability(self) -> tuple[bool, str]:
        """Available when torch imports and a weights file with a readable card exists whose sha256 matches
        (the checksum is verified once, by loading)."""
        if self._net is not None:
            return True, ""
        if self._locate() is None:
            return False, self._problem or "no weights"
        try:
            self.load()
        except MethodUnavailableError as exc:
            return False, str(exc)
        return True, ""

    def load(self):
        """Build the generator and load the verified weights (once). Raises MethodUnavailableError."""
        with self._lock:
            if self._net is not None:
                return self._net
            if self._problem:
                raise MethodUnavailableError(self._problem)
            info = self._locate()
            if info is None:
                raise MethodUnavailableError(self._problem or "no weights")
            from editor.networks.cra import CRAGenerator
            from editor.networks.weights import load_weights

            try:
                state = load_weights(info, "cpu")
                net = CRAGenerator(softmax_scale=float(info.card.get("softmax_scale", 10.0)),
                                   coarse=str(info.card.get("coarse", "network")))
                net.load_state_dict(state)
                net = net.to(self.device).eval()
            except MethodUnavailableError as exc:
                self._problem = str(exc)
                raise
            except Exception as exc:  # wrong keys/shapes, bad device
                self._problem = f"cannot load {info.path.name}: {exc}".splitlines()[0]
                raise MethodUnavailableError(self._problem) from None
            self._net = net
            return net

    def info(self) -> dict:
        """:meth:`InpaintMethod.info` plus ``weights`` (the file used, or None) and ``tag``; the description
        names the tag and what its card says about it (``device``, ``steps``)."""
        out = super().info()
        found = self._info
        out["weights"] = str(found.path) if found is not None else None
        out["tag"] = found.tag if found is not None else None
        if found is not None:
            steps = found.card.get("steps")
            trained = f", {steps} steps" if isinstance(steps, int) else ""
            out["description"] = f"{self.description}, weights cra.{found.tag}{trained}"
        return out

    def parameter_count(self) -> int | None:
        if _torch_problem():
            return None
        if self._net is not None:
            return sum(p.numel() for p in self._net.parameters())
        from editor.networks.cra import COARSE_STAGES, CRAGenerator

        info = self._locate()
        coarse = str(info.card.get("coarse", "network")) if info is not None else "network"
        coarse = coarse if coarse in COARSE_STAGES else "network"   # load() reports a bad card
        return sum(p.numel() for p in CRAGenerator(coarse=coarse).parameters())

    def inpaint(self, image: np.ndarray, hole: np.ndarray, reporter: Reporter | None = None) -> LowResResult:
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image must be uint8 (h, w, 3), got {image.dtype} {image.shape}")
        if hole.shape != image.shape[:2]:
            raise ValueError(f"hole mask shape {hole.shape} does not match the image's {image.shape[:2]}")
        h, w = hole.shape
        if h % self.multiple or w % self.multiple:
            raise ValueError(f"image sides must be multiples of {self.multiple}, got {w}x{h}")
        self.require_available()
        net = self.load()
        import torch

        if reporter is not None:
            reporter.report("lr_inpaint", 0.0)
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 127.5 - 1.0
        m = torch.from_numpy(np.ascontiguousarray(hole, dtype=np.float32))[None, None]
        try:
            with torch.inference_mode():
                out = net(x.to(self.device), m.to(self.device))
        except RuntimeError as exc:  # torch.OutOfMemoryError (a GPU) is one too; the CPU allocator says "allocate"
            if isinstance(exc, getattr(torch, "OutOfMemoryError", ())) or "allocate" in str(exc):
                raise MemoryError(f"the network needs more memory than there is for a {w}x{h} input "
                                  f"(it is meant for ~512 px: lower --lowres-size)") from None
            raise
        if reporter is not None:
            reporter.report("lr_inpaint", 0.9)
        result = ((out.refined[0].clamp(-1, 1) + 1.0) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
        hole_flags = out.hole_cells[0].cpu().numpy()
        hole_cells = np.flatnonzero(hole_flags).astype(np.int64)
        context_cells = np.flatnonzero(~hole_flags).astype(np.int64)
        score = out.score[0].cpu().numpy()[np.ix_(hole_cells, context_cells)].astype(np.float32)
        if reporter is not None:
            reporter.report("lr_inpaint", 1.0)
        return LowResResult(result, AttentionScore(tuple(out.grid), hole_cells, context_cells, score))
