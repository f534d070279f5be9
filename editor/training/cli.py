"""``inpaint-studio train cra ...``: the training command (dispatched lazily by editor/cli.py).

Single process: ``inpaint-studio train cra --images DIR --out RUN_DIR``. Several GPUs / nodes:
``torchrun --nproc_per_node N -m editor train cra ...`` (each rank gets ``--batch`` samples).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["build_parser", "train_main"]

NETWORKS = ("cra",)


def _default_templates() -> str | None:
    here = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mask-templates"
    return str(here) if here.is_dir() else None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="inpaint-studio train",
                                description="Train an inpainting network (CRA §3.5, Algorithm 1).")
    p.add_argument("network", choices=NETWORKS)
    p.add_argument("--images", required=True, help="folder of training photos")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt, log.jsonl, samples/, exported weights")
    p.add_argument("--size", type=int, default=512, help="square crop side, multiple of 64 (default 512)")
    p.add_argument("--batch", type=int, default=8, help="batch per process (default 8)")
    p.add_argument("--steps", type=int, default=300_000, help="generator steps (default 300000)")
    p.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate, G and D (default 1e-4)")
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--beta2", type=float, default=0.9)
    p.add_argument("--d-steps", type=int, default=5, help="critic steps per generator step (Algorithm 1: 5)")
    p.add_argument("--adv-start", type=int, default=0,
                   help="generator steps trained with the reconstruction loss only before WGAN-GP starts")
    p.add_argument("--resume", help="checkpoint to resume from (e.g. RUN_DIR/checkpoint.pt)")
    p.add_argument("--init", help="start the generator from exported weights (e.g. models/cra.cpu-12800.safetensors; "
                                   "fresh optimiser, steps counted on from the file's)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (default cpu)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample-every", type=int, default=500, help="write a sample grid every N steps")
    p.add_argument("--checkpoint-every", type=int, default=200, help="checkpoint every N steps")
    p.add_argument("--checkpoint-minutes", type=float, default=5.0, help="and at least every M minutes")
    p.add_argument("--log", help="JSON-lines loss log (default RUN_DIR/log.jsonl)")
    p.add_argument("--workers", type=int, default=0, help="background batch-preparation threads")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--exclude", action="append", default=[], help="filename glob to hold out (repeatable)")
    p.add_argument("--templates", default=_default_templates(),
                   help="object-shape mask templates folder (default ../shared/data/mask-templates)")
    p.add_argument("--max-minutes", type=float, help="stop after this wall time (checkpoint + export)")
    p.add_argument("--tag", help="tag of the exported weights (default <device>-<steps>)")
    p.add_argument("--softmax-scale", type=float, default=10.0, help="ACM softmax scale (Eq. 2 verbatim: 1)")
    p.add_argument("--decode-long-side", type=int, help="photos are held in memory at this long side "
                                                         "(default 2 x --size)")
    p.add_argument("--rec-normalize", choices=("all", "region"), default="all",
                   help="reduce Eq. 11-12's L1 maps over all pixels (default) or over each region's own pixels")
    p.add_argument("--coarse", choices=("network", "pull-push"), default="network",
                   help="coarse stage: the paper's coarse network (default) or none, the refine network "
                        "starting from a smooth pull-push fill of the hole (recorded in the weights' card)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def train_main(argv: list[str] | None = None) -> int:
    """Entry point of ``inpaint-studio train``; returns the exit status."""
    args = build_parser().parse_args(argv)
    from editor.core.errors import InpaintError

    try:
        if args.resume and args.init:
            raise ValueError("--resume and --init exclude each other (a checkpoint already holds the weights)")
        from editor.training.trainer import TrainConfig, Trainer

        cfg = TrainConfig(images=args.images, out=args.out, size=args.size, batch=args.batch, steps=args.steps,
                          lr=args.lr, betas=(args.beta1, args.beta2), d_steps=args.d_steps,
                          adv_start=args.adv_start, seed=args.seed, device=args.device,
                          sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                          checkpoint_minutes=args.checkpoint_minutes, log=args.log, workers=args.workers,
                          threads=args.threads, exclude=args.exclude, templates=args.templates,
                          max_minutes=args.max_minutes, tag=args.tag, softmax_scale=args.softmax_scale,
                          decode_long_side=args.decode_long_side, rec_normalize=args.rec_normalize,
                          coarse=args.coarse)
        trainer = Trainer(cfg)
        if args.resume:
            trainer.load_checkpoint(args.resume)
        elif args.init:
            trainer.init_from_weights(args.init)
        summary = trainer.fit(progress=not args.no_progress)
    except (InpaintError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "weights" in summary:
        print(f"trained {summary['steps']} steps in {summary['wall_seconds'] / 60:.1f} min; "
              f"weights {summary['weights']} (sha256 {summary['sha256'][:12]}…), card {summary['card']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(train_main())
