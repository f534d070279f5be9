"""CRA generator speed on this machine: the network's forward pass at 512 px (target ≤ 0.6 s on CPU), and
``--method cra --hd cra`` end to end at 2K, 4K and 8K through ``InpaintPipeline``, against ``telea`` with the
same HD strategy measured in the same run (ratio column).

Usage::

    python benchmarks/network_forward.py [--threads N] [--repeats R] [--sizes 2048,4096,8192] [--device cpu]

Uses the shipped ``cra`` weights when they load, otherwise a randomly initialised generator (speed does not
depend on the weights; the table says which). Photos are synthetic (smooth colour fields plus noise) with a
centred hole of ~6 % of the area.

Measured 2026-11-22 on the 2-core x86_64 CPU with nothing else running, 2 threads, torch 2.13 CPU
(the then-shipped weights cpu-5234)::

    | input   | forward median s | (20.3 GMAC per 512x512 forward: 4.2 coarse + 16.1 refine)
    | 512x512 | 0.414            | target 0.6 s: met
    | 512x384 | 0.279            |

    | photo     | cra+cra s | telea+cra s | ratio | preview s (cra) |
    | 2048x1536 | 0.65      | 0.12        | 5.53  | 0.44            |
    | 4096x3072 | 1.33      | 0.22        | 6.16  | 0.29            |
    | 8192x6144 | 4.30      | 0.67        | 6.45  | 0.33            |

2026-11-30, another machine of the same kind, weights cpu-11249, three runs: 512x512 forward 0.48-0.54 s,
512x384 0.34-0.39 s, 2048x1536 ``cra+cra`` 0.55 s. Weights cpu-12800 (no coarse network, 16.1 GMAC): 512x512
0.45 s, 512x384 0.32 s, 2048x1536 ``cra+cra`` 0.49 s (one run).
2026-11-30 (later), cpu-12800, two runs: 512x512 0.43 s; ``cra+cra`` 2048x1536 0.47-0.55 s, 4096x3072
0.92-1.25 s, 8192x6144 2.59-2.66 s (``telea+cra`` 0.06-0.08 / 0.13-0.20 / 0.24-0.27 s).
2026-12-01, cpu-12800, ``--hd cra`` now on the network's 4 best scores per hole cell (was Eq. 4 over its whole
softmax), two runs: ``cra+cra`` 2048x1536 0.37-0.39 s, 4096x3072 0.36-0.57 s, 8192x6144 0.51-0.57 s
(``telea+cra`` 0.08 / 0.13 / 0.28-0.34 s).

The end-to-end columns time ``InpaintPipeline.run`` with the network already loaded: not the photo's decode
and encode, nor the first run's torch import and weight loading (~1.2 s; the CLI pays it in
``seconds_preview``).

The same script while five other jobs shared the two cores (load ~4) gave 1.97 s per 512 forward and 7.3 s
for 8K: compare timings only from quiet runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout


def forward_seconds(net, size: tuple[int, int], repeats: int, device: str) -> list[float]:
    h, w = size
    x = torch.rand(1, 3, h, w, device=device) * 2 - 1
    m = torch.zeros(1, 1, h, w, device=device)
    m[..., h // 3: h // 2, w // 4: w // 2] = 1
    times = []
    with torch.inference_mode():
        net(x, m)  # warm-up
        for _ in range(repeats):
            t = time.perf_counter()
            net(x, m)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
    return times


def synthetic_photo(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([np.sin(xx / (w / 9)), np.cos(yy / (h / 7)), np.sin((xx + yy) / (w / 5))], -1)
    img = (img + 1) * 110 + rng.integers(0, 30, (h, w, 3))
    hole = np.zeros((h, w), bool)
    hole[int(h * 0.40):int(h * 0.62), int(w * 0.35):int(w * 0.62)] = True
    return img.clip(0, 255).astype(np.uint8), hole


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", default="2048,4096,8192", help="long sides for the end-to-end runs (4:3 photos)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from editor.methods.network import CRAMethod
    from editor.networks.cra import CRAGenerator

    method = CRAMethod(device=args.device)
    ok, why = method.availability()
    tmp = None
    if ok:
        weights = f"shipped weights ({method._locate().path.name})"
    else:  # write random weights to a temporary models folder so the pipeline can load them
        import os

        from editor.networks.weights import save_weights, sha256_file, write_model_card

        tmp = tempfile.TemporaryDirectory()
        path = save_weights(CRAGenerator().state_dict(), Path(tmp.name) / "cra.random.safetensors")
        write_model_card(Path(tmp.name) / "cra.random.md", {"network": "cra", "sha256": sha256_file(path)})
        os.environ["INPAINT_STUDIO_MODELS"] = tmp.name
        os.environ["INPAINT_STUDIO_CRA_TAG"] = "random"
        method = CRAMethod(device=args.device)
        weights = f"random weights (cra unavailable: {why})"
    net = method.load()
    print(f"# CRA forward / end to end — {weights}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"device {args.device}")
    print(f"parameters: {sum(p.numel() for p in net.parameters()):,} (paper: 2.7 M)\n")
    print("| input | forward median s | min s | target |")
    print("|---|---|---|---|")
    for size in [(512, 512), (384, 512)]:
        t = forward_seconds(net, size, args.repeats, args.device)
        print(f"| {size[1]}x{size[0]} | {statistics.median(t):.3f} | {min(t):.3f} | "
              f"{'≤ 0.6 s' if size == (512, 512) else ''} |")

    from editor.pipeline import InpaintPipeline

    rng = np.random.default_rng(0)
    print("\n| photo | cra+cra s | telea+cra s | ratio | preview s (cra) |")
    print("|---|---|---|---|---|")
    for long_side in [int(s) for s in args.sizes.split(",")]:
        h, w = long_side * 3 // 4, long_side
        image, hole = synthetic_photo(h, w, rng)
        row = {}
        for name, m in (("cra", method), ("telea", "telea")):
            pipe = InpaintPipeline(m, hd="cra", device=args.device)
            t0 = time.perf_counter()
            res = pipe.run(image, hole)
            row[name] = (time.perf_counter() - t0, res.seconds_preview)
        print(f"| {w}x{h} | {row['cra'][0]:.2f} | {row['telea'][0]:.2f} | {row['cra'][0] / row['telea'][0]:.2f} | "
              f"{row['cra'][1]:.2f} |")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
