"""``inpaint-studio --self-test``: prove that an install (source, wheel or PyInstaller bundle) really works.

Loads every registered method, inpaints the bundled sample photo (``resources/sample.jpg``, 768 x 512,
a no-entry sign on a meadow) with its hole mask (``resources/sample-mask.png``, white = hole) through the
full pipeline (``InpaintPipeline(method, hd="cra")`` with the method's defaults) and checks each result:

- same shape and dtype as the photo (uint8 (H, W, 3));
- the known region is bit-identical to the input (only hole pixels changed);
- the hole did change, and the sign is gone (few saturated-red pixels left in the hole).

One line per method on stdout (``ok    telea          0.12 s`` / ``FAIL  cra: ...`` / ``skip  x: ...``)
and a summary line. No display and no torch are needed for the classical methods.

Failure rule (what "exits 0 only if all passed" means for networks):

- a classical method that is unavailable or fails is a failure;
- a network method that is unavailable is a failure **when weights for it ship** (a file
  ``<name>.<tag>.safetensors`` in the shipped ``models/`` folder, :func:`editor.paths.resolve_dir`): in a
  bundle that means the weights, torch or the network code were not packaged correctly;
- a network method with no shipped weights at all is reported as ``skip`` and does not fail the test (a
  network the project has not trained yet, or a user who deleted ``models/``): it cannot be checked --
  unless torch itself cannot be imported, which is a broken install and a failure;
- weights that ship for a network no registered method answers to (e.g. torch failed to import, so
  ``editor.methods.network`` never registered) are a failure too.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TextIO

import numpy as np

__all__ = ["SAMPLE_PHOTO", "SAMPLE_MASK", "MethodCheck", "check_result", "run_self_test"]

SAMPLE_PHOTO = "sample.jpg"
SAMPLE_MASK = "sample-mask.png"
#: Minimum mean absolute change (uint8 levels, over the hole's pixels and channels) for "the hole changed".
MIN_HOLE_CHANGE = 8.0
#: At most this fraction of the sign's saturated-red hole pixels may remain red after inpainting.
MAX_RED_LEFT = 0.10


@dataclass(frozen=True)
class MethodCheck:
    """Outcome of one method: ``status`` is ``"ok"``, ``"FAIL"`` or ``"skip"``; ``seconds`` is wall time."""

    name: str
    status: str
    seconds: float = 0.0
    detail: str = ""

    def line(self) -> str:
        if self.status == "ok":
            return f"ok    {self.name:<16s}{self.seconds:6.2f} s"
        return f"{self.status:<6s}{self.name}: {self.detail}"


def _red(image: np.ndarray) -> np.ndarray:
    """bool (H, W): saturated red pixels (the sign's disc) of a uint8 (H, W, 3) RGB image."""
    r, g, b = (image[..., i].astype(np.int16) for i in range(3))
    return (r > 150) & (g < 100) & (b < 100)


def check_result(image: np.ndarray, hole: np.ndarray, result: np.ndarray) -> str:
    """Check one inpainting result; return ``""`` if it is good, else a one-line reason.

    Args:
        image: the input photo, uint8 (H, W, 3).
        hole: bool (H, W), True = hole.
        result: the pipeline's output.
    """
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8 or result.shape != image.shape:
        got = f"{getattr(result, 'dtype', type(result).__name__)} {getattr(result, 'shape', '')}"
        return f"result is {got}, expected uint8 {image.shape}"
    known = ~hole
    changed = np.any(result != image, axis=-1) & known
    if changed.any():
        return f"{int(changed.sum())} pixels outside the hole changed (the known region must be bit-identical)"
    change = float(np.abs(result[hole].astype(np.int16) - image[hole].astype(np.int16)).mean())
    if change < MIN_HOLE_CHANGE:
        return f"the hole barely changed (mean |diff| {change:.1f} < {MIN_HOLE_CHANGE} levels)"
    red_before = int((_red(image) & hole).sum())
    red_after = int((_red(result) & hole).sum())
    if red_before and red_after > MAX_RED_LEFT * red_before:
        return f"the object is still there ({red_after} of {red_before} red hole pixels left)"
    return ""


def _shipped_weights() -> dict[str, list[Path]]:
    """``{network name: [weight files]}`` found in the shipped ``models/`` folder (not the user's folder)."""
    from editor.paths import resolve_dir

    models = resolve_dir("models")
    found: dict[str, list[Path]] = {}
    if models is not None:
        for path in sorted(models.glob("*.safetensors")):
            found.setdefault(path.name.split(".", 1)[0], []).append(path)
    return found


def _network_import_error() -> str:
    """Why ``editor.methods.network`` cannot be imported, or ``""`` if it can."""
    try:
        import editor.methods.network  # noqa: F401
    except Exception as exc:  # ImportError, OSError from a broken torch DLL, ...
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return ""


def _torch_import_error() -> str:
    """Why ``import torch`` fails here, or ``""`` if it works (a bundle missing a torch file fails here)."""
    try:
        import torch  # noqa: F401
    except Exception as exc:  # ImportError, RuntimeError (missing torch_shm_manager), OSError (DLL)
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return ""


def _load_sample() -> tuple[np.ndarray, np.ndarray]:
    """The bundled sample photo uint8 (H, W, 3) and its hole mask bool (H, W), read with the app's own I/O."""
    from editor.core.imageio import load_image, load_mask
    from editor.paths import resource

    doc = load_image(resource(SAMPLE_PHOTO))
    hole = load_mask(resource(SAMPLE_MASK), (doc.width, doc.height))
    return doc.image, hole


def _check_method(name: str, image: np.ndarray, hole: np.ndarray, shipped: dict[str, list[Path]],
                  device: str) -> MethodCheck:
    from editor.methods.base import create_method
    from editor.pipeline import InpaintPipeline

    try:
        method = create_method(name, device=device)
        ok, why = method.availability()
        if not ok:
            if method.kind == "network" and name not in shipped:
                broken = _torch_import_error()
                if broken:  # the install itself is broken, whatever the weights
                    return MethodCheck(name, "FAIL", detail=f"torch cannot be imported: {broken}")
                return MethodCheck(name, "skip", detail=f"no weights shipped ({why})")
            return MethodCheck(name, "FAIL", detail=f"unavailable: {why}")
        before = (image.copy(), hole.copy())
        t0 = time.perf_counter()
        result = InpaintPipeline(method, hd="cra", device=device).run(image, hole)
        seconds = time.perf_counter() - t0
    except Exception as exc:  # any failure of one method is reported, the others still run
        return MethodCheck(name, "FAIL", detail=f"{type(exc).__name__}: {exc}".splitlines()[0])
    if not (np.array_equal(before[0], image) and np.array_equal(before[1], hole)):
        return MethodCheck(name, "FAIL", seconds, "the pipeline modified its input arrays")
    problem = check_result(image, hole, result.image)
    if problem:
        return MethodCheck(name, "FAIL", seconds, problem)
    return MethodCheck(name, "ok", seconds)


def run_self_test(methods: Sequence[str] | None = None, *, device: str = "cpu",
                  out: TextIO | None = None) -> int:
    """Run the self-test; return the process exit code (0 = every checked method passed, 1 = not).

    Args:
        methods: method names to check; default every registered method (:func:`editor.methods.list_methods`).
        device: torch device for network methods (the self-test is meant for ``"cpu"``).
        out: where the report goes (default ``sys.stdout``).
    """
    from editor.paths import shipped_models_only

    with shipped_models_only():  # the install's own weights, whatever a user added to the per-user folder
        return _run_self_test(methods, device, sys.stdout if out is None else out)


def _run_self_test(methods: Sequence[str] | None, device: str, out: TextIO) -> int:
    import editor
    from editor.methods.base import list_methods
    from editor.paths import resolve_dir, user_models_dir

    where = "bundle" if getattr(sys, "frozen", False) else "python install"
    models, user_dir = resolve_dir("models"), user_models_dir()
    unchecked = user_dir.is_dir() and (models is None or models.resolve() != user_dir.resolve())
    user = f"; not checked: the per-user folder {user_dir}" if unchecked else ""
    print(f"Inpaint Studio {editor.__version__} self-test ({where}; resources: {resolve_dir('resources')}; "
          f"models: {models}{user})", file=out, flush=True)
    checks: list[MethodCheck] = []
    try:
        image, hole = _load_sample()
        registered = list_methods()
    except Exception as exc:
        print(f"FAIL  sample/registry: {type(exc).__name__}: {exc}".splitlines()[0], file=out, flush=True)
        return 1
    names = list(registered) if methods is None else list(methods)
    shipped = _shipped_weights()
    for name in names:
        check = _check_method(name, image, hole, shipped, device)
        checks.append(check)
        print(check.line(), file=out, flush=True)
    if methods is None:
        orphans = sorted(set(shipped) - set(registered))
        if orphans:
            why = _network_import_error() or "no registered method has that name"
            for net in orphans:
                check = MethodCheck(net, "FAIL", detail=f"weights {shipped[net][0].name} ship but the method "
                                                        f"is not registered ({why})")
                checks.append(check)
                print(check.line(), file=out, flush=True)
    counts = {s: sum(c.status == s for c in checks) for s in ("ok", "FAIL", "skip")}
    passed = counts["FAIL"] == 0 and counts["ok"] > 0
    print(f"self-test {'passed' if passed else 'FAILED'}: {counts['ok']} ok, {counts['FAIL']} failed, "
          f"{counts['skip']} skipped", file=out, flush=True)
    return 0 if passed else 1
