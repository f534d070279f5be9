"""Measure the two PatchMatch libraries from PyPI that could back the ``patchmatch`` method.

Candidates: ``pypatchmatch`` (import ``patchmatch``; InvokeAI's maintained packaging of Jiayuan Mao's C++
PatchMatch, loaded with ctypes) and ``patchmatch-cython`` (import ``patchmatch_cython``; a Cython
re-implementation with a coarse-to-fine pyramid). OpenCV's ``telea`` and ``navier-stokes`` run alongside as
the baseline, in the same process and on the same inputs.

Inputs: every ``--every``-th JPEG of ``DATA/photos``, resized to long side ``--size`` (default 512, the
pipeline's low-res size, cv2.INTER_AREA), each with two seeded hole masks: free-form strokes and an object
template from ``DATA/mask-templates`` (placed, scaled and flipped at random). ``DATA`` is ``--data DIR``, else
``$INPAINT_STUDIO_SHARED_DATA``, else ``../shared/data`` beside the repository; without it the script says
"skipped" (exit 0), and a ``--data`` folder without those two folders is an error (exit 2). The masks are made here
(not by editor.core.masks) so that this script depends on nothing but numpy/OpenCV and the candidates.

Printed per variant: mean in-hole PSNR (dB), SSIM, L1 ([0,1] units), seconds per image, whether the known
region is left untouched ("respects mask"), whether two runs give identical output ("deterministic"), and
per library: installed size and import time. Usage::

    python benchmarks/patchmatch_candidates.py [--data DIR] [--size 512] [--every 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from editor.evaluation.metrics import l1, psnr, ssim  # noqa: E402



def default_data() -> Path:
    """The shared data folder: ``$INPAINT_STUDIO_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("INPAINT_STUDIO_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def free_form(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random brush strokes (a few polylines of thick lines), bool (H, W)."""
    h, w = shape
    m = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(2, 5)):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        width = int(rng.integers(max(4, w // 40), max(6, w // 15)))
        for _ in range(rng.integers(3, 7)):
            angle = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(0.05, 0.2) * w
            nx = int(np.clip(x + length * np.cos(angle), 0, w - 1))
            ny = int(np.clip(y + length * np.sin(angle), 0, h - 1))
            cv2.line(m, (x, y), (nx, ny), 1, width)
            x, y = nx, ny
    return m.astype(bool)


def object_hole(shape: tuple[int, int], rng: np.random.Generator, templates: list[np.ndarray]) -> np.ndarray:
    """An object-shaped template scaled to 15-35% of the short side, flipped at random, placed anywhere."""
    h, w = shape
    t = templates[int(rng.integers(len(templates)))]
    side = int(rng.uniform(0.15, 0.35) * min(h, w) * 1.6)
    t = cv2.resize(t.astype(np.uint8) * 255, (side, side), interpolation=cv2.INTER_NEAREST) >= 128
    if rng.random() < 0.5:
        t = t[:, ::-1]
    m = np.zeros((h, w), bool)
    y0, x0 = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
    m[y0:y0 + side, x0:x0 + side] = t
    return m


def load(path: Path, size: int) -> np.ndarray:
    img = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    s = size / max(h, w)
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def variants():
    """(name, library or None, fn(image, hole) -> uint8 image)."""
    out = []

    def cv(flag, r):
        def f(img, hole):
            bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
            return cv2.cvtColor(cv2.inpaint(bgr, hole.astype(np.uint8) * 255, r, flag), cv2.COLOR_BGR2RGB)
        return f

    out += [("telea r3", None, cv(cv2.INPAINT_TELEA, 3)), ("telea r5", None, cv(cv2.INPAINT_TELEA, 5)),
            ("navier-stokes r3", None, cv(cv2.INPAINT_NS, 3))]
    try:
        import patchmatch
        patchmatch.set_random_seed(0)
        for p in (3, 5, 7):
            out.append((f"pypatchmatch p{p}", "pypatchmatch",
                        lambda img, hole, p=p: patchmatch.inpaint(img, hole, patch_size=p)))
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        print(f"pypatchmatch unavailable: {exc}")
    try:
        import patchmatch_cython as pmc
        for p in (5, 7):
            out.append((f"patchmatch-cython p{p}", "patchmatch-cython",
                        lambda img, hole, p=p: pmc.inpaint_pyramid(img, hole, patch_size=p, seed=0)))
        out.append(("patchmatch-cython p7 em2+rev", "patchmatch-cython",
                    lambda img, hole: pmc.inpaint_pyramid(img, hole, patch_size=7, seed=0, em_loops=2,
                                                          reverse_search=True)))
    except Exception as exc:  # noqa: BLE001
        print(f"patchmatch-cython unavailable: {exc}")
    return out


def installed_size(dist: str) -> float:
    files = md.distribution(dist).files or []
    return sum((f.locate().stat().st_size for f in files if f.locate().exists()), 0) / 1e6


def import_seconds(module: str) -> float:
    import subprocess
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, metavar="DIR",
                    help="the shared data folder, with photos/ and mask-templates/ (default: "
                         "$INPAINT_STUDIO_SHARED_DATA, else ../shared/data beside the repository)")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--every", type=int, default=4, help="take every N-th photo")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data = args.data if args.data is not None else default_data()
    missing = [d for d in ("photos", "mask-templates") if not (data / d).is_dir()]
    if missing and args.data is not None:
        print(f"error: --data {data}: has no {' and no '.join(missing)} folder", file=sys.stderr)
        return 2
    if missing:
        print(f"skipped: shared data not found at {data} (pass --data DIR or set INPAINT_STUDIO_SHARED_DATA)")
        return 0
    photos = sorted((data / "photos").glob("*.jpg"))[:: args.every]
    templates = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) >= 128
                 for p in sorted((data / "mask-templates").glob("*.png"))]
    if not photos or not templates:
        print(f"error: {data}: no JPEG in photos/ or no PNG in mask-templates/", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    cases = []
    for p in photos:
        img = load(p, args.size)
        cases.append((p.stem, "free-form", img, free_form(img.shape[:2], rng)))
        cases.append((p.stem, "object", img, object_hole(img.shape[:2], rng, templates)))
    fracs = [c[3].mean() for c in cases]
    print(f"{len(photos)} photos x 2 masks at long side {args.size}; hole fraction "
          f"{np.mean(fracs):.1%} mean ({min(fracs):.1%}-{max(fracs):.1%})\n")

    rows = []
    for name, lib, fn in variants():
        ps, ss, ls, secs = [], [], [], []
        respects, deterministic = True, True
        for stem, kind, img, hole in cases:
            inp = img.copy()
            t = time.perf_counter()
            out = fn(inp, hole)
            secs.append(time.perf_counter() - t)
            if not np.array_equal(inp, img):
                respects = False  # modified its input array
            if not np.array_equal(out[~hole], img[~hole]):
                respects = False
            comp = img.copy()
            comp[hole] = out[hole]
            ps.append(psnr(comp, img, hole)); ss.append(ssim(comp, img, hole)); ls.append(l1(comp, img, hole))
        # determinism: rerun the first two cases
        for stem, kind, img, hole in cases[:2]:
            if not np.array_equal(fn(img.copy(), hole), fn(img.copy(), hole)):
                deterministic = False
        rows.append((name, np.mean(ps), np.mean(ss), np.mean(ls), np.mean(secs), respects, deterministic))
        print(f"  done {name}", file=sys.stderr)

    base = rows[0]
    print(f"{'variant':30s} {'PSNR dB':>8s} {'SSIM':>7s} {'L1':>7s} {'s/img':>7s} {'vs telea r3':>12s} "
          f"{'keeps known':>11s} {'determ.':>8s}")
    for name, p, s, l_, sec, resp, det in rows:
        print(f"{name:30s} {p:8.2f} {s:7.4f} {l_:7.4f} {sec:7.3f} {p - base[1]:+8.2f} dB "
              f"{str(resp):>11s} {str(det):>8s}")

    print(f"\n{'library':20s} {'version':>8s} {'installed MB':>13s} {'import s':>9s}")
    for dist, module in (("pypatchmatch", "patchmatch"), ("patchmatch-cython", "patchmatch_cython")):
        try:
            print(f"{dist:20s} {md.version(dist):>8s} {installed_size(dist):13.1f} {import_seconds(module):9.3f}")
        except Exception as exc:  # noqa: BLE001
            print(f"{dist:20s} not installed ({exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
