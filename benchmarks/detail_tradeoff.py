"""Why ``--hd cra`` costs in-hole PSNR against ``--hd resize``: energy and correlation of the added detail.

    python benchmarks/detail_tradeoff.py                       # telea, 23 photos x 2 seeded holes, 1024 px
    python benchmarks/detail_tradeoff.py --method patchmatch --limit 6

For each case (``evaluate``'s seeded free-form and object holes, the same masks as the README table) both
strategies run on the same photo; over the hole pixels:

* ``e = truth - resize``: the error of the ``resize`` fill (the smooth, upsampled low-res result);
* ``R = cra - resize``: the detail that contextual residual aggregation adds (CRA §3.2, Eq. 4);
* ``r = truth - upsample(downsample(truth))``: the detail the hole really lost (its own residual, §3.2).

``MSE(cra) = |e|² - 2<e, R> + |R|²``: the detail lowers the error only where it is correlated with the lost
detail. Two more lines say why no detail derived from the fill can be: the correlation of the fill's own
mid-band (``G_1 - G_3`` of luma) with the truth's, more than 4 px inside the hole; and the correlation with the
lost detail of a 7×7 sharpening filter fitted on the known region (``r ≈ K * upsample(downsample(truth))``,
least squares), applied once to the fill and once to the truth's own low-res image in the hole (the ceiling:
what a perfect low-res fill would allow). With the energy of the added detail equal to the lost one's (a hole "as sharp as its surroundings"),
breaking even needs ``corr(R, r) >= 0.5 · |R| / |r|``. The script prints the energies (relative to ``|e|²``),
the measured correlation, the break-even correlation, the PSNR of both strategies, and the PSNR-optimal
detail strength ``d* = <e, R> / |R|²`` (``--detail`` scales R). Energies and correlations are pooled over all
hole pixels of all cases; PSNR is the mean over cases, as in ``evaluate``.

Needs ``../shared/data/photos`` (skips with a message otherwise).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", default=str(REPO.parent / "shared" / "data" / "photos"))
    ap.add_argument("--method", default="telea")
    ap.add_argument("--size", type=int, default=1024, help="long side of the evaluated photos, px")
    ap.add_argument("--limit", type=int, default=None, help="first N photos only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--templates", default=None,
                    help="object-shape templates (default: mask-templates beside the --images folder)")
    ap.add_argument("--mask-kind", choices=("free-form", "object", "both"), default="both")
    args = ap.parse_args(argv)

    from editor.core.imageio import load_image, load_mask
    from editor.evaluation.evaluate import evaluate, find_images, resize_long_side
    from editor.evaluation.metrics import psnr
    from editor.pipeline import InpaintPipeline
    from editor.pipeline.pipeline import lowres_size

    if args.templates is not None and not Path(args.templates).is_dir():
        print(f"error: --templates {args.templates}: no such folder", file=sys.stderr)
        return 2
    if not Path(args.images).is_dir():
        print(f"skipped: {args.images} is absent (the shared data folder)")
        return 0
    t0 = time.perf_counter()
    resize = InpaintPipeline(args.method, hd="resize")
    cra = InpaintPipeline(args.method, hd="cra")
    e2 = eR = r2 = R2 = er = 0.0             # pooled sums over all hole pixels (RGB values, grey levels)
    band = np.zeros(3)                       # <fill, truth>, |fill|², |truth|² of the mid-band, inside the hole
    sharp = np.zeros(5)                      # <r, K*fill>, |K*fill|², <r, K*U>, |K*U|², |r|² (luma)
    gains, p_resize, p_cra = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # evaluate's own seeded masks (saved to tmp): the README table's cases
        templates = args.templates or (Path(args.images).parent / "mask-templates")
        evaluate(args.images, [f"{args.method}:resize"], size=args.size, seed=args.seed, limit=args.limit,
                 masks_out=tmp, mask_kind=args.mask_kind,
                 templates=templates if Path(templates).is_dir() else None)  # (evaluate names a missing one)
        for photo in find_images(args.images)[: args.limit]:
            truth = resize_long_side(load_image(photo).image, args.size)
            H, W = truth.shape[:2]
            w, h = lowres_size((H, W), resize.lowres_size)
            lost = truth.astype(np.float32) - cv2.resize(
                cv2.resize(truth, (w, h), interpolation=cv2.INTER_AREA), (W, H),
                interpolation=cv2.INTER_LINEAR).astype(np.float32)
            for mask_path in sorted(Path(tmp).glob(f"{photo.stem}.*.png")):
                hole = load_mask(mask_path, (W, H))
                out_r = resize.run(truth, hole).image
                out_c = cra.run(truth, hole).image
                t, a, b = (x[hole].astype(np.float64) for x in (truth, out_r, out_c))
                e, R, r = t - a, b - a, lost[hole].astype(np.float64)
                e2 += float(np.sum(e * e))
                R2 += float(np.sum(R * R))
                r2 += float(np.sum(r * r))
                eR += float(np.sum(e * R))
                er += float(np.sum(r * R))
                _why_uncorrelated(truth, out_r, hole, (w, h), band, sharp)
                p_resize.append(psnr(out_r, truth, hole))
                p_cra.append(psnr(out_c, truth, hole))
                gains.append(float(np.sum(e * R)) / max(float(np.sum(R * R)), 1e-12))
    n = len(p_resize)
    corr = er / max(np.sqrt(R2 * r2), 1e-12)
    need = 0.5 * np.sqrt(R2 / max(r2, 1e-12))
    print(f"Detail trade-off, {args.method}, {n} cases at long side {args.size} (in-hole, pooled over hole pixels)"
          f" — {time.perf_counter() - t0:.0f} s")
    print(f"  PSNR resize {np.mean(p_resize):.4f} dB   cra {np.mean(p_cra):.4f} dB   "
          f"difference {np.mean(p_cra) - np.mean(p_resize):+.4f} dB")
    print(f"  energy of the detail cra adds,  |R|² / |e|²   {100 * R2 / e2:6.2f} %")
    print(f"  energy of the detail truly lost, |r|² / |e|²   {100 * r2 / e2:6.2f} %")
    print(f"  correlation of added with lost detail          {corr:+.3f}   (break-even at this energy: {need:.2f})")
    print(f"  PSNR-optimal detail strength <e,R>/|R|²         {eR / max(R2, 1e-12):+.3f}   "
          f"(per case: median {np.median(gains):+.3f})")
    print(f"  mid-band correlation of the fill with the truth {band[0] / max(np.sqrt(band[1] * band[2]), 1e-12):+.3f}"
          f"   (more than 4 px inside the hole)")
    print(f"  sharpening fitted on the known region: correlation with the lost detail "
          f"{sharp[0] / max(np.sqrt(sharp[1] * sharp[4]), 1e-12):+.3f} applied to the fill, "
          f"{sharp[2] / max(np.sqrt(sharp[3] * sharp[4]), 1e-12):+.3f} to the truth's own low-res")
    return 0


def _why_uncorrelated(truth: np.ndarray, fill: np.ndarray, hole: np.ndarray, lr_size: tuple[int, int],
                      band: np.ndarray, sharp: np.ndarray, taps: int = 7) -> None:
    """Accumulate (in place) the fill's mid-band correlation with the truth and the fitted sharpening's
    correlation with the lost detail, on luma (see the module docstring)."""
    H, W = hole.shape
    t = cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY).astype(np.float32)
    f = cv2.cvtColor(fill, cv2.COLOR_RGB2GRAY).astype(np.float32)
    inner = cv2.erode(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    if not inner.any():
        return
    bt, bf = ((cv2.GaussianBlur(x, (0, 0), 1.0) - cv2.GaussianBlur(x, (0, 0), 3.0))[inner] for x in (t, f))
    band += (float(bf @ bt), float(bf @ bf), float(bt @ bt))
    u = cv2.resize(cv2.resize(t, lr_size, interpolation=cv2.INTER_AREA), (W, H), interpolation=cv2.INTER_LINEAR)
    r = t - u
    pad = taps // 2
    known = cv2.erode((~hole).astype(np.uint8), np.ones((taps + 2, taps + 2), np.uint8)) > 0
    ys, xs = np.nonzero(known)
    pick = np.random.default_rng(0).choice(len(ys), min(len(ys), 40_000), replace=False)
    up, fp = np.pad(u, pad, mode="reflect"), np.pad(f, pad, mode="reflect")

    def taps_at(img, yy, xx):
        return np.stack([img[yy + dy, xx + dx] for dy in range(taps) for dx in range(taps)], axis=1)
    k, *_ = np.linalg.lstsq(taps_at(up, ys[pick], xs[pick]), r[ys[pick], xs[pick]], rcond=None)
    hy, hx = np.nonzero(inner)
    rh, on_fill, on_truth = r[hy, hx], taps_at(fp, hy, hx) @ k, taps_at(up, hy, hx) @ k
    sharp += (float(rh @ on_fill), float(on_fill @ on_fill), float(rh @ on_truth), float(on_truth @ on_truth),
              float(rh @ rh))


if __name__ == "__main__":
    from editor.core.errors import InpaintError
    try:
        raise SystemExit(main())
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
