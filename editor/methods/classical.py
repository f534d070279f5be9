"""Classical (non-learned) inpainting methods: OpenCV's ``telea`` and ``navier-stokes``, and ``patchmatch``.

- ``telea``: fast marching (A. Telea, "An Image Inpainting Technique Based on the Fast Marching Method",
  J. Graphics Tools 9(1), 2004), ``cv2.inpaint(..., cv2.INPAINT_TELEA)``.
- ``navier-stokes``: fluid-dynamics diffusion (Bertalmio, Bertozzi, Sapiro, CVPR 2001),
  ``cv2.inpaint(..., cv2.INPAINT_NS)``.
  Both use a neighbourhood radius of 3 px, chosen for the pipeline's ~512 px low-res image
  (``benchmarks/patchmatch_candidates.py``: radius 5 was no better, -0.07 dB, and twice as slow). They diffuse
  colour inwards, so large holes come out smooth and streaky; the pipeline's ``--hd cra`` adds the detail back.
- ``patchmatch``: exemplar-based fill by PatchMatch (Barnes, Shechtman, Finkelstein, Goldman, SIGGRAPH 2009),
  which copies real texture from the known region instead of smearing it.

Which PatchMatch library, and why (``benchmarks/patchmatch_candidates.py``, 6 shared photos at 512 px x 2
seeded masks each, free-form strokes and object templates, 5.9 % mean hole, this 2-core CPU):

=========================== ======== ====== ====== ======= ========================
variant                      PSNR dB  SSIM    L1    s/img   notes
=========================== ======== ====== ====== ======= ========================
telea r3 (baseline)           23.02   0.645  0.056   0.009
pypatchmatch patch_size 3     25.18   0.662  0.050   0.63   chosen
pypatchmatch patch_size 5     24.94   0.668  0.050   0.68
patchmatch-cython p5          19.00   0.585  0.081   0.63   library defaults
patchmatch-cython p7 em2+rev  21.01   0.631  0.069   1.08   its quality options
=========================== ======== ====== ====== ======= ========================

We use **pypatchmatch** (PyPI ``pypatchmatch`` 2.2.0, import ``patchmatch``; InvokeAI's maintained packaging
of Jiayuan Mao's C++ PatchMatch, MIT). It is ~4-6 dB better in the hole than ``patchmatch-cython`` 0.2.1 at
the same speed, leaves the known region untouched, is deterministic once seeded (``set_random_seed``), and
installs as one small wheel per platform for every Python 3 (``py3-none``, 1.7 MB installed, the native
library is loaded with ctypes and bundles what it needs of OpenCV) where ``patchmatch-cython`` needs a wheel per
CPython version (5.3 MB) and silently falls back to a pure-Python solver when its extension fails. Both ship
wheels for Linux, Windows and macOS. ``patch_size=3`` (a radius: 7x7 patches) is the library's own example
setting and measured best in PSNR. If the library cannot be imported the method reports itself unavailable
with the reason; it never crashes the app.

**Default method: ``patchmatch``**, by the public evaluation (``inpaint-studio evaluate --images
../shared/data/photos --size 1024 --mask-kind both --methods telea,navier-stokes,patchmatch --hd cra``; 23 photos
x 2 seeded masks, 15.6 % mean hole): in-hole PSNR 20.71 dB vs telea 19.26 / navier-stokes 19.53, SSIM 0.6707 vs
0.6665 / 0.6727, L1 0.0765 vs 0.0851 / 0.0836; and by eye on the HiFill samples it continues the background
(shoreline, tree trunks, road) where the diffusion methods smear long streaks of the surrounding colours into the
hole. Its cost is time: ~0.6 s at the 512 px low-res stage against ~0.01 s.

All three work on RGB directly (OpenCV's inpainting treats channels independently, so no BGR conversion is
needed) and never modify their inputs. No torch here (the app must start without it). Their one native call can
take seconds on a large hole at native size (``--hd full`` / ``crop``), so with a reporter it runs through
:func:`editor.core.progress.run_cancellable`: a cancel (Esc, closing the editor) takes effect at once.
"""

from __future__ import annotations

import functools
import threading

import cv2
import numpy as np

from editor.core.progress import Reporter, run_cancellable
from editor.methods.base import InpaintMethod, LowResResult, register_method

__all__ = ["TeleaMethod", "NavierStokesMethod", "PatchMatchMethod", "CV_RADIUS", "PATCHMATCH_PATCH_SIZE",
           "PATCHMATCH_SEED"]

#: Neighbourhood radius of OpenCV's inpainting, in low-res px.
CV_RADIUS = 3
#: pypatchmatch's ``patch_size`` (a radius: patches are (2 * 3 + 1)^2 = 7x7 px).
PATCHMATCH_PATCH_SIZE = 3
#: Thinner images are extended to this many px (edge repeated) before PatchMatch (see ``inpaint``).
_PATCHMATCH_MIN_SIDE = 32
#: Seed of PatchMatch's randomized search, set before every call so equal inputs give equal results.
PATCHMATCH_SEED = 0
# pypatchmatch keeps its random generator in the native library: one call at a time, so seeding stays exact
_PATCHMATCH_LOCK = threading.Lock()


def _check(image: np.ndarray, hole: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (h, w, 3), got {image.dtype} {image.shape}")
    if hole.shape != image.shape[:2]:
        raise ValueError(f"hole mask shape {hole.shape} does not match the image's {image.shape[:2]}")


def _thick_enough(image: np.ndarray, mask: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """``image`` (uint8 (h, w, 3)) and ``mask`` (uint8 or bool (h, w)) extended at the bottom / right to at least
    ``side`` px each way, by repeating their edge (the mask too, so a hole stays a hole); unchanged otherwise.
    A panorama strip's low-res stage can be 1 px thin, which the native libraries do not handle. Crop the result
    back to ``[:h, :w]``."""
    h, w = mask.shape
    py, px = max(0, side - h), max(0, side - w)
    if not (py or px):
        return image, mask
    grow = lambda a: np.pad(a, ((0, py), (0, px)) + ((0, 0),) * (a.ndim - 2), mode="edge")  # noqa: E731
    return np.ascontiguousarray(grow(image)), np.ascontiguousarray(grow(mask))


class _OpenCVMethod(InpaintMethod):
    kind = "classical"
    _flag: int = cv2.INPAINT_TELEA

    def inpaint(self, image: np.ndarray, hole: np.ndarray, reporter: Reporter | None = None) -> LowResResult:
        """Fill ``hole`` (bool (h, w), True = hole) of ``image`` (uint8 (h, w, 3) RGB); see the module docstring."""
        _check(image, hole)
        if reporter is not None:
            reporter.report("lr_inpaint", 0.0)
        mask = np.ascontiguousarray(hole, dtype=np.uint8) * 255
        image = np.ascontiguousarray(image)
        h, w = hole.shape
        image, mask = _thick_enough(image, mask, 3)   # OpenCV reads past an image 1 px thin (random values)
        # seconds for a large hole at native size (--hd full / crop): cancellable from outside
        out = run_cancellable(lambda: cv2.inpaint(image, mask, CV_RADIUS, self._flag), reporter)[:h, :w]
        if reporter is not None:
            reporter.report("lr_inpaint", 1.0)
        return LowResResult(image=out)


@register_method
class TeleaMethod(_OpenCVMethod):
    name = "telea"
    description = "OpenCV fast-marching inpainting (Telea 2004): very fast, smooth fill, smears large holes"
    _flag = cv2.INPAINT_TELEA


@register_method
class NavierStokesMethod(_OpenCVMethod):
    name = "navier-stokes"
    description = "OpenCV Navier-Stokes diffusion (Bertalmio et al. 2001): very fast, smooth fill"
    _flag = cv2.INPAINT_NS


@functools.lru_cache(maxsize=1)
def _load_patchmatch():
    """Import pypatchmatch once: ``(module, "")`` or ``(None, reason)``."""
    try:
        import patchmatch
    except Exception as exc:  # noqa: BLE001 - any import failure (missing, broken .so) makes it unavailable
        return None, f"the pypatchmatch library could not be imported ({type(exc).__name__}: {exc}); " \
                     f"install it with 'pip install pypatchmatch'"
    if not getattr(patchmatch, "patchmatch_available", False):
        return None, "pypatchmatch is installed but its native library failed to load"
    return patchmatch, ""


@register_method(default=True)
class PatchMatchMethod(InpaintMethod):
    name = "patchmatch"
    kind = "classical"
    description = "PatchMatch (Barnes et al. 2009, pypatchmatch): copies real texture from the photo into the hole"

    def availability(self) -> tuple[bool, str]:
        module, why = _load_patchmatch()
        return module is not None, why

    def inpaint(self, image: np.ndarray, hole: np.ndarray, reporter: Reporter | None = None) -> LowResResult:
        """Fill ``hole`` (bool (h, w), True = hole) of ``image`` (uint8 (h, w, 3) RGB) by PatchMatch.

        Deterministic: the library's search is seeded with :data:`PATCHMATCH_SEED` before each call.

        Raises:
            MethodUnavailableError: when pypatchmatch cannot be loaded.
        """
        _check(image, hole)
        self.require_available()
        module, _ = _load_patchmatch()
        if reporter is not None:
            reporter.report("lr_inpaint", 0.0)
        image, hole = np.ascontiguousarray(image), np.ascontiguousarray(hole, dtype=bool)
        h, w = hole.shape
        # on a strip a few px thin the library fills with garbage (0, 32, 64 ... on a flat grey one; its coarse
        # pyramid levels degenerate): 32 px measured enough for holes 87-400 px wide, 16 not
        image, hole = _thick_enough(image, hole, _PATCHMATCH_MIN_SIDE)

        def fill() -> np.ndarray:
            module.set_random_seed(PATCHMATCH_SEED)
            return module.inpaint(image, hole, patch_size=PATCHMATCH_PATCH_SIZE)
        # seconds on a large crop, in native code: cancellable from outside, one call at a time (global seed)
        out = run_cancellable(fill, reporter, lock=_PATCHMATCH_LOCK)[:h, :w]
        if reporter is not None:
            reporter.report("lr_inpaint", 1.0)
        return LowResResult(image=np.ascontiguousarray(out, dtype=np.uint8))
