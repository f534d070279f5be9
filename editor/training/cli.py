"""``inpaint-studio train cra ...``: the training command (dispatched lazily by editor/cli.py).

Single process: ``inpaint-studio train cra --images DIR --out RUN_DIR``. Several GPUs / nodes:
``torchrun --nproc_per_node N -m editor.training.cli cra ...`` (each rank gets ``--batch`` samples).

Like the other commands, every user error ends with exit code 2 and one line ``error: ...`` on stderr, and
every check that needs no training is made before anything is written: bad numbers, tag or device; an
``--out`` that is a file or already holds a run (``checkpoint.pt`` / a non-empty log) without ``--resume`` or
``--force``; an export that would replace an existing ``cra.<tag>.*`` without ``--force``; nothing to train
(``--steps`` not above the step a checkpoint or ``--init`` file is at); a resume that changes an option that
defines the run (:data:`editor.training.trainer.RESUME_LOCKED`; left out, such an option keeps the
checkpoint's value). Ctrl+C or SIGTERM while photos load writes nothing; during training they stop after the
current step and write the checkpoint and the weights at the step reached. Either way the exit code is 130 for
Ctrl+C and 143 (128 + 15) for SIGTERM.
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import sys
from pathlib import Path

from editor.cli import UsageError, _interrupted, _number, _Parser, _terminate_like_ctrl_c
from editor.paths import same_file

__all__ = ["build_parser", "train_main"]

PROG = "inpaint-studio train"
NETWORKS = ("cra",)
#: An exported weights tag: file-name safe (``cra.<tag>.safetensors`` stays inside the run folder).
TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Defaults of a fresh run; on ``--resume`` an option left out takes the checkpoint's value instead.
DEFAULTS = dict(size=512, batch=8, steps=300_000, lr=1e-4, beta1=0.5, beta2=0.9, d_steps=5, adv_start=0,
                device="cpu", seed=0, sample_every=500, checkpoint_every=200, checkpoint_minutes=5.0, log=None,
                workers=0, threads=None, exclude=[], templates=None, max_minutes=None, tag=None,
                softmax_scale=10.0, decode_long_side=None, rec_normalize="all", coarse="network")


def _default_templates() -> str | None:
    here = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mask-templates"
    return str(here) if here.is_dir() else None


# ------------------------------------------------------------------------------------- argument types
def _int(low: int, what: str):
    return lambda text: _number(text, int, low, None, what)


def _float(low: float, what: str, high: float | None = None, low_open: bool = True, high_open: bool = False):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'") from None
        ok = math.isfinite(v) and (v > low if low_open else v >= low)
        if high is not None:
            ok = ok and (v < high if high_open else v <= high)
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return v
    return parse


def _size(text: str) -> int:
    v = _int(64, "a crop side of at least 64 px")(text)
    if v % 64:
        raise argparse.ArgumentTypeError(f"expected a multiple of 64 (the critic halves the crop 6 times; the "
                                         f"generator needs multiples of 16), got {v}")
    return v


def _tag(text: str) -> str:
    if not TAG_RE.fullmatch(text) or ".." in text:
        raise argparse.ArgumentTypeError(f"'{text}' is not a plain tag: use letters, digits, '.', '_' and '-' "
                                         f"(up to 64, starting with a letter or digit), e.g. gpu-300k")
    return text


def _device(text: str) -> str:
    """A device torch can train on here: cpu, cuda, cuda:N (N < the number of GPUs), mps."""
    import torch

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a device (cpu, cuda, cuda:N or mps)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = "no GPU is visible" if torch.version.cuda else f"torch {torch.__version__} is built without CUDA"
            raise argparse.ArgumentTypeError(f"'{text}': CUDA is not available here ({why}); use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(f"'{text}': there are {torch.cuda.device_count()} GPUs "
                                             f"(cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise argparse.ArgumentTypeError(f"'{text}': MPS is not available here; use --device cpu")
    elif dev.type != "cpu":
        raise argparse.ArgumentTypeError(f"'{text}': training runs on cpu, cuda, cuda:N or mps")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The ``train`` options; a usage error raises :class:`editor.cli.UsageError` (one line). Options whose
    default is None here take :data:`DEFAULTS` on a fresh run and the checkpoint's value on ``--resume``."""
    p = _Parser(prog=PROG, description="Train an inpainting network (CRA §3.5, Algorithm 1).")
    p.add_argument("network", choices=NETWORKS)
    p.add_argument("--images", metavar="DIR", help="folder of training photos (required, except with --resume)")
    p.add_argument("--out", metavar="DIR", help="run folder: checkpoint.pt, log.jsonl, samples/, exported weights "
                                 "(required, except with --resume: the checkpoint's folder)")
    p.add_argument("--force", action="store_true",
                   help="start over in an --out that already holds a run (its checkpoint, log, samples and the "
                        "weights it exported are removed) and overwrite an existing cra.<tag>.* export")
    p.add_argument("--size", metavar="PX", type=_size, help="square crop side, px, multiple of 64 (default 512)")
    p.add_argument("--batch", metavar="N", type=_int(1, "a batch of at least 1"), help="batch per process (default 8)")
    p.add_argument("--steps", metavar="N", type=_int(1, "a positive number of steps"),
                   help="train until this generator step (default 300000; on --resume the checkpoint's)")
    p.add_argument("--lr", metavar="LR", type=_float(0.0, "a learning rate above 0"),
                   help="Adam learning rate, G and D (default 1e-4); may change on --resume (recorded in the card)")
    p.add_argument("--beta1", metavar="B", type=_float(0.0, "an Adam beta in [0, 1)", 1.0, low_open=False, high_open=True),
                   help="(default 0.5)")
    p.add_argument("--beta2", metavar="B", type=_float(0.0, "an Adam beta in [0, 1)", 1.0, low_open=False, high_open=True),
                   help="(default 0.9)")
    p.add_argument("--d-steps", metavar="N", type=_int(0, "a whole number, 0 or more"),
                   help="critic steps per generator step (Algorithm 1: 5; 0: no adversarial loss)")
    p.add_argument("--adv-start", metavar="STEP", type=_int(0, "a whole number, 0 or more"),
                   help="generator steps trained with the reconstruction loss only before WGAN-GP starts")
    p.add_argument("--resume", metavar="FILE", help="checkpoint to resume from (e.g. RUN_DIR/checkpoint.pt)")
    p.add_argument("--init", metavar="FILE", help="start the generator from exported weights (e.g. models/cra.cpu-12800.safetensors; "
                                   "fresh optimiser, steps counted on from the file's)")
    p.add_argument("--device", metavar="DEV", type=_device, help="cpu, cuda, cuda:N, mps (default cpu)")
    p.add_argument("--seed", metavar="N", type=_int(0, "a whole number, 0 or more"), help="(default 0)")
    p.add_argument("--sample-every", metavar="N", type=_int(0, "a whole number, 0 or more"),
                   help="write a sample grid every N steps (0: only at the end; default 500)")
    p.add_argument("--checkpoint-every", metavar="N", type=_int(1, "a positive number of steps"),
                   help="checkpoint every N steps (default 200)")
    p.add_argument("--checkpoint-minutes", metavar="MIN", type=_float(0.0, "a number of minutes above 0"),
                   help="and at least every MIN minutes (default 5)")
    p.add_argument("--log", metavar="FILE", help="JSON-lines loss log (default RUN_DIR/log.jsonl)")
    p.add_argument("--workers", metavar="N", type=_int(0, "a whole number, 0 or more"),
                   help="prepare batches ahead in a background thread, up to 2N (default 0: none; the batches "
                        "are the same either way)")
    p.add_argument("--threads", metavar="N", type=_int(1, "a positive number of threads"), help="torch CPU threads")
    p.add_argument("--exclude", metavar="GLOB", action="append", help="filename glob to hold out (repeatable)")
    p.add_argument("--templates", metavar="DIR", help="object-shape mask templates folder (default ../shared/data/mask-templates)")
    p.add_argument("--max-minutes", metavar="MIN", type=_float(0.0, "a number of minutes above 0"),
                   help="stop after this wall time (checkpoint + export)")
    p.add_argument("--tag", metavar="TAG", type=_tag, help="tag of the exported weights (default <device>-<steps>)")
    p.add_argument("--softmax-scale", metavar="S", type=_float(0.0, "a softmax scale above 0"),
                   help="ACM softmax scale (default 10; Eq. 2 verbatim: 1)")
    p.add_argument("--decode-long-side", metavar="PX", type=_int(1, "a positive number of px"),
                   help="photos are held in memory at this long side (default 2 x --size)")
    p.add_argument("--rec-normalize", choices=("all", "region"),
                   help="reduce Eq. 11-12's L1 maps over all pixels (default) or over each region's own pixels")
    p.add_argument("--coarse", choices=("network", "pull-push"),
                   help="coarse stage: the paper's coarse network (default) or none, the refine network "
                        "starting from a smooth pull-push fill of the hole (recorded in the weights' card)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


# ------------------------------------------------------------------------------------------ checks
def _holds_run(out: Path, log: Path) -> list[str]:
    """Names of the run files in ``out``: ``checkpoint.pt`` and a non-empty log."""
    found = ["checkpoint.pt"] if (out / "checkpoint.pt").exists() else []
    if log.is_file() and log.stat().st_size > 0:
        found.append(log.name if log.parent == out else str(log))
    return found


def _config(args: argparse.Namespace, given: dict):
    """The TrainConfig of this invocation and, on ``--resume``, the checkpoint (read once)."""
    from editor.training.trainer import TrainConfig, check_resume_config, read_checkpoint

    values = {**DEFAULTS, "templates": _default_templates()}
    ck = None
    if args.resume:
        ck = read_checkpoint(args.resume)
        saved = ck["config_dict"]
        known = set(TrainConfig.__dataclass_fields__)
        # not taken over: where to write (out: the checkpoint's folder unless given) and the per-invocation
        # budget (max_minutes). The export's tag is: the resumed run replaces its own earlier export
        # (Trainer.earlier_exports), e.g. the one an interruption wrote
        values.update({k: v for k, v in saved.items()
                       if k in known and k not in ("betas", "out", "changes", "max_minutes")})
        values["beta1"], values["beta2"] = saved.get("betas", (DEFAULTS["beta1"], DEFAULTS["beta2"]))
        values["out"] = str(Path(args.resume).parent)
    for name in ("images", "templates", "log"):  # recorded absolute: a resume from elsewhere means the same files
        if given.get(name) is not None:
            given[name] = str(Path(given[name]).resolve())
    if ck is not None:
        for name in ("images", "templates"):
            saved = ck["config_dict"].get(name)
            if name not in given and saved is not None and not Path(saved).is_absolute():
                raise UsageError(f"{args.resume} names its --{name} by the relative path '{saved}': pass "
                                 f"--{name} with that folder (as seen from where the run started)")
    values.update(given)
    for name in ("images", "out"):
        if values.get(name) is None:
            raise UsageError(f"--{name} is required (see '{PROG} --help')")
    fields = {k: v for k, v in values.items() if k in TrainConfig.__dataclass_fields__}
    cfg = TrainConfig(**{**fields, "betas": (values["beta1"], values["beta2"])})
    if ck is not None:
        check_resume_config(ck["config_dict"], cfg, Path(args.resume).name)
        cfg.init = ck["config_dict"].get("init")
    return cfg, ck


def _check_out(cfg, args) -> bool:
    """Refuse an --out that is a file or holds another run (without --force); True: start the folder clean."""
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    log = Path(cfg.log) if cfg.log else out / "log.jsonl"
    if log.is_dir():
        raise UsageError(f"--log {log}: is a folder, not a file")
    found = _holds_run(out, log)
    if args.resume and (not (out / "checkpoint.pt").exists() or same_file(out / "checkpoint.pt", Path(args.resume))):
        return False  # resuming this folder's own run (or into a fresh folder): the log is cut back, not lost
    if found and not args.force:
        how = (f"resume it with --resume {out / 'checkpoint.pt'}, " if (out / "checkpoint.pt").exists()
               and not args.resume else "")
        raise UsageError(f"--out {out} already holds a run ({', '.join(found)}): {how}choose a new --out, or "
                         f"pass --force to start it over")
    return True


def _train(argv: list[str]) -> int:
    if not argv:
        raise UsageError(f"train needs a network and its data, e.g. '{PROG} cra --images PHOTOS --out RUN' "
                         f"(see '{PROG} --help')")
    args = build_parser().parse_args(argv)
    if args.resume and args.init:
        raise UsageError("--resume and --init exclude each other (a checkpoint already holds the weights)")
    skip = {"network", "resume", "init", "force", "no_progress"}
    given = {k: v for k, v in vars(args).items() if v is not None and k not in skip}
    cfg, ck = _config(args, given)
    if ck is not None and cfg.steps <= int(ck["step"]):
        raise UsageError(f"nothing to train: {args.resume} is at step {int(ck['step'])} and --steps is "
                         f"{cfg.steps} (pass --steps above {int(ck['step'])})")
    clean = _check_out(cfg, args)

    from editor.training.trainer import Trainer

    trainer = Trainer(cfg)  # writes nothing
    if ck is not None:
        trainer.load_checkpoint(ck)
    elif args.init:
        trainer.init_from_weights(args.init)
    if cfg.steps <= trainer.step:
        raise UsageError(f"nothing to train: {Path(args.init).name} is at step {trainer.step} and --steps is "
                         f"{cfg.steps} (pass --steps above {trainer.step})")
    trainer.overwrite_exports = args.force
    if not args.force:
        for path in trainer.export_paths(cfg.steps):
            if path.exists() and path.name not in trainer.earlier_exports:   # (a resume replaces its own)
                raise UsageError(f"{path} already exists: choose another --tag or --out, or pass --force to "
                                 f"overwrite it")
    summary = trainer.fit(progress=not args.no_progress and sys.stderr.isatty(), clean=clean)
    if "weights" in summary:
        done = summary["steps"] - summary["start_step"]
        first = summary["start_step"] + 1
        wall = summary["wall_seconds"]
        took = f"{wall / 60:.1f} min" if wall >= 60 else f"{wall:.0f} s"
        print(f"trained {done} step{'s' if done != 1 else ''} (steps {first}-{summary['steps']}) in "
              f"{took} in all; weights {summary['weights']} "
              f"(sha256 {summary['sha256'][:12]}…), card {summary['card']}")
        if summary["steps"] < cfg.steps and not summary.get("interrupted") and trainer.is_main:
            print(f"stopped by --max-minutes at step {summary['steps']} of {cfg.steps}; continue with "
                  f"--resume {Path(cfg.out) / 'checkpoint.pt'}", file=sys.stderr, flush=True)
    if summary.get("interrupted"):
        if trainer.is_main:
            print(f"interrupted at step {summary['steps']} of {cfg.steps}: checkpoint and weights written; "
                  f"continue with --resume {Path(cfg.out) / 'checkpoint.pt'}", file=sys.stderr, flush=True)
        return 143 if summary.get("signal") == getattr(signal, "SIGTERM", None) else 130
    return 0


def train_main(argv: list[str] | None = None) -> int:
    """Entry point of ``inpaint-studio train``; returns the exit status: 0 trained to ``--steps`` (or
    ``--max-minutes``), 2 a user error (one line ``error: ...`` on stderr), 130 interrupted by Ctrl+C, 143 by
    SIGTERM (nothing written while photos were loading, else checkpoint + weights at the step reached)."""
    from editor.core.errors import InpaintError

    argv = list(sys.argv[1:] if argv is None else argv)
    old_term = _terminate_like_ctrl_c()  # until fit() takes over (nothing is written before it)
    try:
        return _train(argv)
    except (UsageError, InpaintError, FileNotFoundError, ValueError) as exc:
        msg = (str(exc).splitlines() or [""])[0] or type(exc).__name__
        print(f"error: {msg}", file=sys.stderr, flush=True)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


if __name__ == "__main__":
    raise SystemExit(train_main())
