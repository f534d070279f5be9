"""HD pipeline benchmark: end-to-end seconds and peak RSS of ``--hd cra`` vs ``--hd resize`` (issue 2 §6).

    python benchmarks/hd_pipeline.py                 # 1K, 2K, 4K, 8K table (telea), ratios
    python benchmarks/hd_pipeline.py --sizes 8k      # one size
    python benchmarks/hd_pipeline.py --sweep         # quality sweep of CRA's attention settings

Timing mode: a synthetic photo-like JPEG (multi-octave value noise with fine grain, 7680x4320, q95) and a
~10 % object-like hole mask are generated once into a temp dir, and downscaled for 1K/2K/4K. Each case runs
in its own subprocess (so ``ru_maxrss`` is that case's peak RSS): load JPEG + mask (core's imageio),
``InpaintPipeline(telea, hd).run``, save JPEG (q95, atomic). Targets on the 2-core CPU: 8K cra ≤ 5 s and
≤ 1.5 GB, 8K/1K time ratio ≤ 6.

Sweep mode (``--sweep``): the 23 photos of ``../shared/data/photos`` at native size (1680–2560 px) with a
seeded object-template hole each (5–15 %); ground truth is the photo. For each attention setting (softmax
scale λ, top-k, spatial prior, cell overlap) it prints the in-hole PSNR, the high-frequency ratio (energy of
``luma − GaussianBlur(luma, σ=1.5)`` more than 12 px inside the hole, result / ground truth: 1 = as sharp as
the real photo, ``resize`` is far below), a seam ratio (mean luma step across attention-cell borders inside
the hole / mean step elsewhere in the hole: 1 = no visible grid) and a border ratio (mean luma step across
the hole border, result / photo: 1 = no visible seam).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SIZES = {"1k": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160), "8k": (7680, 4320)}


# ----------------------------------------------------------------------------------------------- data
def synthetic_photo(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Photo-like uint8 RGB: smooth multi-octave colour noise (sky/ground-like gradients) plus fine grain."""
    img = np.zeros((height, width, 3), np.float32)
    amp = 90.0
    for cells in (3, 7, 17, 41, 101, 257):
        field = rng.normal(0, 1, (max(2, cells * height // width), cells, 3)).astype(np.float32)
        img += amp * cv2.resize(field, (width, height), interpolation=cv2.INTER_CUBIC)
        amp *= 0.55
    img += np.linspace(60, -40, height, dtype=np.float32)[:, None, None]   # a vertical light gradient
    grain = rng.normal(0, 6, (height, width)).astype(np.float32)
    img += grain[..., None]
    return np.clip(img + 128, 0, 255).astype(np.uint8)


def synthetic_hole(width: int, height: int, rng: np.random.Generator, fraction: float = 0.10) -> np.ndarray:
    """Object-like hole (a few upright ellipses, like people) covering about ``fraction`` of the photo."""
    mask = np.zeros((height, width), np.uint8)
    scale = 1.0
    for _ in range(40):
        mask[:] = 0
        for cx, cy, ax, ay in ((0.3, 0.55, 0.06, 0.22), (0.62, 0.6, 0.08, 0.25), (0.8, 0.4, 0.05, 0.12)):
            cv2.ellipse(mask, (int(cx * width), int(cy * height)),
                        (int(ax * width * scale), int(ay * height * scale)), 0, 0, 360, 255, -1)
        f = np.count_nonzero(mask) / mask.size
        if abs(f - fraction) < 0.005:
            break
        scale *= (fraction / f) ** 0.5
    return mask > 0


def make_inputs(folder: Path) -> dict[str, tuple[Path, Path]]:
    """JPEG photo + PNG mask per size in ``folder`` (the 8K one generated, the others area-downscaled)."""
    from editor.core.imageio import save_image, save_mask

    rng = np.random.default_rng(2026)
    big = synthetic_photo(*SIZES["8k"], rng)
    hole = synthetic_hole(*SIZES["8k"], rng)
    out = {}
    for name, (w, h) in SIZES.items():
        img = big if (w, h) == SIZES["8k"] else cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
        m = hole if (w, h) == SIZES["8k"] else cv2.resize(hole.astype(np.uint8), (w, h),
                                                         interpolation=cv2.INTER_NEAREST) > 0
        p, q = folder / f"{name}.jpg", folder / f"{name}_mask.png"
        save_image(p, img, quality=95)
        save_mask(q, m)
        out[name] = (p, q)
    return out


# ----------------------------------------------------------------------------------------------- one case
def run_case(photo: str, mask: str, hd: str, method: str, out: str) -> dict:
    """Load + pipeline + save in this process, as ``inpaint-studio inpaint`` does them (photo and mask decoded
    concurrently, the result written into the photo's array); returns seconds per part and peak RSS."""
    from editor.core.imageio import load_photo_and_mask, save_image
    from editor.methods.base import create_method
    from editor.pipeline import InpaintPipeline

    m = create_method(method)
    c0, t0 = time.process_time(), time.perf_counter()
    doc, hole = load_photo_and_mask(photo, mask)
    c1, t1 = time.process_time(), time.perf_counter()
    res = InpaintPipeline(m, hd=hd).run(doc.image, hole, in_place=True)
    c2, t2 = time.process_time(), time.perf_counter()
    save_image(out, res.image, quality=95)
    c3, t3 = time.process_time(), time.perf_counter()
    return {"load": t1 - t0, "pipeline": t2 - t1, "save": t3 - t2, "total": t3 - t0, "cpu_pipeline": c2 - c1,
            "cpu_total": c3 - c0, "hole": res.hole_fraction, "rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak RSS, MB: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``, which a child inherits
    from the parent it was forked from), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timing(sizes: list[str], repeats: int, method: str) -> None:
    with tempfile.TemporaryDirectory(prefix="hd_bench_") as tmp:
        # generated in a child process, so that this (parent) process stays small: forked children
        # would otherwise start with its peak RSS
        subprocess.run([sys.executable, __file__, "--make", tmp], check=True, cwd=REPO)
        inputs = {name: (Path(tmp) / f"{name}.jpg", Path(tmp) / f"{name}_mask.png") for name in SIZES}
        rows = {}
        for size in sizes:
            for hd in ("resize", "cra"):
                runs = []
                for _ in range(repeats):
                    cmd = [sys.executable, __file__, "--case", str(inputs[size][0]), str(inputs[size][1]), hd,
                           method, str(Path(tmp) / f"out_{size}_{hd}.jpg")]
                    p = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
                    runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
                best = min(runs, key=lambda r: r["total"])
                rows[(size, hd)] = best
                print(f"  {size} {hd:6s} total {best['total']:.2f} s", file=sys.stderr)
    print(f"\nHD pipeline, method {method}, best of {repeats}, {os.cpu_count()} CPU cores; "
          "seconds: load = JPEG decode + mask, pipeline = InpaintPipeline.run, save = JPEG q95 encode + write")
    print(f"{'size':>5} {'W x H':>11} {'hole':>5} {'hd':>6} {'load s':>7} {'pipe s':>7} {'save s':>7} "
          f"{'total s':>8} {'pipe CPU s':>11} {'total CPU s':>12} {'peak RSS MB':>12}")
    for size in sizes:
        w, h = SIZES[size]
        for hd in ("resize", "cra"):
            r = rows[(size, hd)]
            print(f"{size:>5} {w:>5}x{h:<5} {r['hole']:5.1%} {hd:>6} {r['load']:7.2f} {r['pipeline']:7.2f} "
                  f"{r['save']:7.2f} {r['total']:8.2f} {r['cpu_pipeline']:11.2f} {r['cpu_total']:12.2f} "
                  f"{r['rss_mb']:12.0f}")
    print(f"(load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wall seconds "
          "include waiting for other processes, CPU seconds do not)")
    print("\nratios")
    for size in sizes:
        c, z = rows[(size, "cra")], rows[(size, "resize")]
        print(f"  {size}: cra/resize total {c['total'] / z['total']:.2f}x, pipeline {c['pipeline'] / z['pipeline']:.2f}x,"
              f" RSS {c['rss_mb'] / z['rss_mb']:.2f}x")
    if "1k" in sizes and "8k" in sizes:
        for hd in ("cra", "resize"):
            print(f"  8K/1K {hd}: total {rows[('8k', hd)]['total'] / rows[('1k', hd)]['total']:.2f}x, "
                  f"pipeline {rows[('8k', hd)]['pipeline'] / rows[('1k', hd)]['pipeline']:.2f}x")


# ----------------------------------------------------------------------------------------------- sweep
def _luma(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def hf_energy(img: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared high-frequency luma (``luma − GaussianBlur(luma, σ=1.5)``) over ``mask``."""
    y = _luma(img)
    hf = y - cv2.GaussianBlur(y, (0, 0), 1.5)
    return float(np.mean(hf[mask] ** 2))


def border_step(img: np.ndarray, hole: np.ndarray) -> float:
    """Mean |luma step| between horizontally adjacent pixels across the hole border."""
    y = _luma(img)
    dx = np.abs(np.diff(y, axis=1))
    cross = hole[:, 1:] != hole[:, :-1]
    return float(dx[cross].mean()) if cross.any() else 0.0


def seam_ratio(img: np.ndarray, hole: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> float:
    """Mean |luma step| across cell borders inside the hole / mean |luma step| elsewhere inside the hole."""
    y = _luma(img)
    dx = np.abs(np.diff(y, axis=1))          # step between x and x+1
    dy = np.abs(np.diff(y, axis=0))
    inx = hole[:, 1:] & hole[:, :-1]
    iny = hole[1:] & hole[:-1]
    bx = np.zeros(dx.shape[1], bool)
    bx[[x - 1 for x in xs[1:-1] if 0 < x <= dx.shape[1]]] = True
    by = np.zeros(dy.shape[0], bool)
    by[[v - 1 for v in ys[1:-1] if 0 < v <= dy.shape[0]]] = True
    on = np.concatenate([dx[inx & bx[None, :]], dy[iny & by[:, None]]])
    off = np.concatenate([dx[inx & ~bx[None, :]], dy[iny & ~by[:, None]]])
    return float(on.mean() / max(off.mean(), 1e-6)) if on.size and off.size else float("nan")


def sweep(photos_dir: Path, limit: int) -> None:
    from editor.core.masks import load_templates, object_mask
    from editor.evaluation.metrics import psnr
    from editor.methods.base import create_method
    from editor.pipeline import InpaintPipeline, prepare
    from editor.pipeline.residual import FullResGrid, lowres_cell_size

    if not photos_dir.is_dir() or not (photos_dir.parent / "mask-templates").is_dir():
        print(f"skipped: {photos_dir} or the mask-templates beside it is absent (the shared data folder; "
              f"--photos DIR points at it)")
        return
    templates = load_templates(photos_dir.parent / "mask-templates")
    rng = np.random.default_rng(7)
    data = []
    for p in sorted(photos_dir.glob("*.jpg"))[:limit]:
        img = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        data.append((img, object_mask(img.shape[:2], rng, templates, fraction=(0.05, 0.15))))
    telea = create_method("telea")
    configs = [("resize", {}),
               ("cra", {"attention_scale": 1.0, "attention_top_k": None, "preserve_detail": False}),  # Eq. 2, 4
               ("cra", {"attention_scale": 40.0, "attention_top_k": 4, "preserve_detail": False})]
    for scale, k, loc, ov in ((10.0, 8, 0.0, 0.125), (40.0, 8, 0.0, 0.125), (40.0, 4, 0.0, 0.125),
                              (40.0, 2, 0.0, 0.125), (40.0, 1, 0.0, 0.125), (40.0, 4, 10.0, 0.125),
                              (40.0, 4, 0.0, 0.0)):
        configs.append(("cra", {"attention_scale": scale, "attention_top_k": k, "attention_locality": loc,
                                "cell_overlap": ov}))
    print(f"{len(data)} photos of {photos_dir}, object holes 5-15 %, method telea; means over photos")
    print(f"{'hd':>6} {'scale':>6} {'top_k':>6} {'local':>6} {'overlap':>7} {'energy':>6} {'PSNR dB':>8} {'HF ratio':>9} {'seam':>6} {'border':>7} {'s/img':>6}")
    for hd, cfg in configs:
        ps, hfs, seams, steps, secs = [], [], [], [], []
        for img, hole in data:
            t = time.perf_counter()
            out = InpaintPipeline(telea, hd=hd, **cfg).run(img, hole).image
            secs.append(time.perf_counter() - t)
            ps.append(psnr(out, img, hole))
            inner = cv2.erode(hole.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
            if inner.any():                    # detail away from the border band (12+ px inside)
                hfs.append(hf_energy(out, inner) / max(hf_energy(img, inner), 1e-6))
            steps.append(border_step(out, hole) / max(border_step(img, hole), 1e-6))
            lr = prepare(img, hole)
            cell = lowres_cell_size(lr.hole.shape)
            h, w = lr.hole.shape
            rows, cols = -(-h // cell), -(-w // cell)
            g = FullResGrid.from_lowres((rows, cols), (rows * cell, cols * cell), (h, w), img.shape[:2])
            seams.append(seam_ratio(out, hole, g.ys, g.xs))
        print(f"{hd:>6} {cfg.get('attention_scale', '-')!s:>6} {cfg.get('attention_top_k', '-')!s:>6} "
              f"{cfg.get('attention_locality', '-')!s:>6} {cfg.get('cell_overlap', '-')!s:>7} "
              f"{str(cfg.get('preserve_detail', hd == 'cra'))[:5]:>6} "
              f"{np.mean(ps):8.2f} {np.mean(hfs):9.3f} {np.nanmean(seams):6.3f} {np.mean(steps):7.2f} {np.mean(secs):6.2f}",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1k,2k,4k,8k")
    ap.add_argument("--repeats", type=int, default=3, help="runs per case; the fastest is reported")
    ap.add_argument("--method", default="telea")
    ap.add_argument("--sweep", action="store_true", help="quality sweep of CRA attention settings")
    ap.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "photos")
    ap.add_argument("--limit", type=int, default=23, help="photos in the sweep")
    ap.add_argument("--make", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--case", nargs=5, metavar=("PHOTO", "MASK", "HD", "METHOD", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make:
        make_inputs(Path(args.make))
        return 0
    if args.case:
        print(json.dumps(run_case(*args.case)))
        return 0
    if args.sweep:
        sweep(args.photos, args.limit)
        return 0
    timing([s.strip().lower() for s in args.sizes.split(",")], args.repeats, args.method)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
