"""Training loop for the CRA generator (CRA §3.5, Algorithm 1): WGAN-GP with ``d_steps`` critic updates per
generator update, reconstruction loss on the coarse and refined outputs, checkpoints, resume, JSON-lines
log, sample grids, and export to safetensors + a model-card skeleton.

Distributed: under ``torchrun`` (``WORLD_SIZE > 1``) each process joins the default process group from the
environment (NCCL on CUDA, gloo on CPU; a group the caller set up is used as it is, even of one process),
draws its own random stream (``SeedSequence([seed, rank, batch index])``: the per-rank sharding of an
infinite random dataset), the generator is wrapped in
``DistributedDataParallel`` and the critic's gradients are averaged with ``all_reduce`` (its gradient
penalty needs a double backward, which DDP's hooks do not support); only rank 0 writes files.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist

from editor.networks.cra import CRAGenerator
from editor.core.errors import OutputError
from editor.networks.weights import save_weights, sha256_file, write_model_card
from editor.training.datasets import MaskSampler, PhotoCrops, to_tensor_batch
from editor.training.discriminators import CRADiscriminator
from editor.training.losses import BETA_ADV, reconstruction_loss, wgan_g_loss, wgan_gp_d_loss

__all__ = ["TrainConfig", "Trainer", "command_line", "RESUME_LOCKED", "RESUME_RECORDED", "check_resume_config",
           "read_checkpoint"]


@dataclass
class TrainConfig:
    """Everything a run depends on (stored in checkpoints and the model card)."""

    images: str
    out: str
    size: int = 512
    batch: int = 8
    steps: int = 300_000
    lr: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)
    d_steps: int = 5
    adv_start: int = 0  # generator steps of reconstruction-only warm-up before the WGAN-GP terms start
    seed: int = 0
    device: str = "cpu"
    sample_every: int = 500
    checkpoint_every: int = 200  # steps; a checkpoint is also written every checkpoint_minutes
    checkpoint_minutes: float = 5.0
    log: str | None = None  # default: <out>/log.jsonl
    workers: int = 0  # batches prepared ahead (up to 2 x workers) by one background thread (0: none)
    threads: int | None = None  # torch.set_num_threads; None: torch's default
    exclude: list[str] = field(default_factory=list)
    templates: str | None = None  # object-shape templates for masks (CRA §3.5)
    max_minutes: float | None = None  # stop (checkpoint + export) after this wall time
    tag: str | None = None  # weights tag; default "<device>-<steps>"
    softmax_scale: float = 10.0
    decode_long_side: int | None = None
    rec_normalize: str = "all"  # reduction of Eq. 11-12's maps: "all" pixels or each "region" (losses.py)
    init: str | None = None  # exported generator weights this run fine-tunes (set by init_from_weights)
    coarse: str = "network"  # CRAGenerator's coarse stage ("network" or "pull-push"); a resume must pass the same
    #: options changed on resume (RESUME_RECORDED), e.g. ``{"lr": [[0, 1e-4], [800, 5e-5]]}``: value from the
    #: step after each entry's step on; written to the card as "1e-4 (steps 1-800), then 5e-05 (steps 801-...)"
    changes: dict = field(default_factory=dict)


#: TrainConfig fields that define a run (what the card describes), with their flags: a resume must keep them.
RESUME_LOCKED = {"images": "--images", "exclude": "--exclude", "templates": "--templates", "seed": "--seed",
                 "size": "--size", "batch": "--batch", "betas": "--beta1/--beta2", "d_steps": "--d-steps",
                 "adv_start": "--adv-start", "softmax_scale": "--softmax-scale",
                 "decode_long_side": "--decode-long-side", "rec_normalize": "--rec-normalize", "coarse": "--coarse"}
#: Fields a resume may change; each change is kept in ``TrainConfig.changes`` and shown in the card. The other
#: fields (steps, tag, device-independent bookkeeping: checkpoint/sample intervals, workers, threads, log,
#: out, max_minutes) do not change what the weights are trained on.
RESUME_RECORDED = {"lr": "--lr", "device": "--device"}


def _same_value(key: str, a, b) -> bool:
    """Whether two values of TrainConfig field ``key`` describe the same run (paths: same folder)."""
    if key in ("images", "templates"):
        if a == b:
            return True
        return a is not None and b is not None and Path(a).resolve() == Path(b).resolve()
    if key == "exclude":
        return sorted(a or []) == sorted(b or [])
    if key == "betas":
        return [float(v) for v in a] == [float(v) for v in b]
    return a == b


def _shown(key: str, value) -> str:
    if key == "exclude":
        return " ".join(value) if value else "(none)"
    if key == "betas":
        return " ".join(str(float(v)) for v in value)
    return "(none)" if value is None else str(value)


def check_resume_config(saved: dict, cfg: "TrainConfig", name: str = "the checkpoint") -> None:
    """Refuse to resume with a different value of an option that defines the run (:data:`RESUME_LOCKED`).

    ``saved``: the checkpoint's config (a dict; fields it lacks take TrainConfig's defaults).

    Raises:
        ValueError: one line naming the option, the checkpoint's value and the given value.
    """
    defaults = asdict(TrainConfig(images="", out=""))
    for key, flag in RESUME_LOCKED.items():
        old, new = saved.get(key, defaults[key]), getattr(cfg, key)
        if not _same_value(key, old, new):
            raise ValueError(f"{flag} {_shown(key, new)} does not match {name}, trained with {flag} "
                             f"{_shown(key, old)}: options that define a run cannot change on resume (leave "
                             f"{flag.split('/')[0]} out to keep it, or start a new run from an export with --init)")


def read_checkpoint(path: str | Path) -> dict:
    """Load a training checkpoint (``checkpoint.pt`` written by :meth:`Trainer.save_checkpoint`) onto the CPU.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is a folder, or not a readable checkpoint of this trainer (a photo, a truncated
            or foreign file); one line.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--resume {path}: is a folder (pass {path / 'checkpoint.pt'})")
    if not path.is_file():
        raise FileNotFoundError(f"--resume {path}: no such checkpoint")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle/zip/EOF/Runtime errors all mean "not a checkpoint"
        reason = (str(exc).splitlines() or [""])[0].split(". ")[0][:120] or type(exc).__name__
        damaged = "zip archive" in reason or isinstance(exc, (EOFError, OSError))
        raise ValueError(f"--resume {path}: not a readable training checkpoint"
                         + (" (truncated or damaged: an earlier copy, or a fresh start with --force, is needed)"
                            if damaged else f" ({type(exc).__name__}: {reason})")) from None
    needed = ("generator", "discriminator", "opt_g", "opt_d", "step", "wall_seconds", "config")
    if not isinstance(ck, dict) or any(k not in ck for k in needed):
        raise ValueError(f"--resume {path}: not a training checkpoint of 'inpaint-studio train' "
                         f"(a checkpoint.pt holds {', '.join(needed)})")
    try:
        ck["config_dict"] = json.loads(ck["config"])
    except (TypeError, ValueError):
        raise ValueError(f"--resume {path}: the checkpoint's config is unreadable") from None
    return ck


def _cut_log(path: Path, last_step: int) -> None:
    """Keep only the records of ``path`` (JSON lines) with ``step <= last_step``; atomic (temp + rename).

    Records past the checkpoint's step were written after it (then lost by a hard kill) and are trained again.
    A line cut short by the kill is dropped too."""
    kept = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("step"), int) and rec["step"] <= last_step:
                kept.append(json.dumps(rec) + "\n")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(kept)
    os.replace(tmp, path)


def _history(start: int, end: int, entries: list, fmt=str) -> str:
    """``[[start, v0], [s1, v1], ...]`` → ``"v0 (steps start+1-s1), then v1 (steps s1+1-end)"``."""
    parts = []
    for i, (step, value) in enumerate(entries):
        last = entries[i + 1][0] if i + 1 < len(entries) else end
        parts.append(f"{fmt(value)} (steps {step + 1}-{last})")
    return ", then ".join(parts)


def _dist_info() -> tuple[int, int, int]:
    """``(world size, rank, local rank)``: the default process group's when the caller has set one up (a
    one-process group too), else torchrun's environment (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``)."""
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank(), local
    return int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0")), local


def command_line(argv: list[str], environ: dict | None = None) -> str:
    """The command that started this process, as a user would type it again: ``inpaint-studio train ...``,
    ``python -m editor train ...``, ``python -m editor.training.cli ...`` or, under torchrun (its
    ``TORCHELASTIC_RUN_ID``), ``torchrun --nproc_per_node N [--nnodes K] -m editor.training.cli ...``."""
    env = os.environ if environ is None else environ
    prog = Path(argv[0]) if argv else Path("inpaint-studio")
    if prog.name == "__main__.py" and prog.parent.name == "editor":
        head = ["python", "-m", "editor"]
    elif prog.name == "cli.py" and prog.parent.name == "training":
        head = ["python", "-m", "editor.training.cli"]
    else:
        head = [prog.name]
    if "TORCHELASTIC_RUN_ID" in env:
        local = int(env.get("LOCAL_WORLD_SIZE", "1"))
        nodes = max(1, int(env.get("WORLD_SIZE", str(local))) // max(1, local))
        head = ["torchrun", "--nproc_per_node", str(local), *(["--nnodes", str(nodes)] if nodes > 1 else []),
                *(head[1:] if head[0] == "python" else [head[0]])]
    return " ".join(shlex.quote(a) for a in [*head, *argv[1:]])


class _Batches:
    """Infinite random batches (images, masks), the ``k``-th drawn from ``rng_for(k)``; optional prefetch thread.

    Each batch has its own generator (seeded by the run's seed, the rank and the batch's index in the run), so
    a batch depends only on its index: batches prefetched when a run stops are not lost from the stream, and a
    run resumed at index :attr:`consumed` draws exactly the batches the uninterrupted one would have, with or
    without prefetching."""

    def __init__(self, crops: PhotoCrops, masks: MaskSampler, batch: int,
                 rng_for: Callable[[int], np.random.Generator], start: int, workers: int) -> None:
        self.crops, self.masks, self.batch, self.rng_for = crops, masks, batch, rng_for
        self.workers = workers
        self._next = start  # index of the next batch to make (the producer's, when there is one: ahead)
        self.consumed = start  # index of the next batch to hand out = batches the run has drawn
        self._queue = None
        if workers > 0:
            import queue
            import threading

            self._queue = queue.Queue(maxsize=2 * workers)
            self._stop = threading.Event()
            # one producer thread: batches come in step order
            self._thread = threading.Thread(target=self._produce, daemon=True)
            self._thread.start()

    def _make(self):
        rng = self.rng_for(self._next)
        self._next += 1
        imgs = [self.crops.sample(rng) for _ in range(self.batch)]
        ms = [self.masks.sample(rng) for _ in range(self.batch)]
        return to_tensor_batch(imgs, ms)

    def _produce(self) -> None:
        while not self._stop.is_set():
            item = self._make()
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.5)
                    break
                except Exception:  # queue.Full
                    continue

    def next(self):
        self.consumed += 1
        return self._make() if self._queue is None else self._queue.get()

    def close(self) -> None:
        if self._queue is not None:
            self._stop.set()


def _grid_image(x, m, coarse, fake) -> np.ndarray:
    """Rows of [masked input | coarse | composited result | ground truth], uint8 (rows*S, 4*S, 3)."""
    def u8(t):
        return ((t.detach().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()

    masked = x * (1 - m) + m  # hole shown white
    cols = [u8(masked), u8(coarse * m + x * (1 - m)), u8(fake), u8(x)]
    return np.concatenate([np.concatenate(row, 1) for row in zip(*cols)], 0)


class Trainer:
    """Trains :class:`CRAGenerator` with :class:`CRADiscriminator` (CRA Algorithm 1)."""

    def __init__(self, config: TrainConfig) -> None:
        self.cfg = config
        if config.size < 64 or config.size % 64:
            raise ValueError(f"--size must be a multiple of 64, at least 64 (the critic halves the crop 6 "
                             f"times), got {config.size}")
        if config.batch < 1 or config.checkpoint_every < 1:
            raise ValueError(f"--batch and --checkpoint-every must be at least 1, got {config.batch} and "
                             f"{config.checkpoint_every}")
        if config.threads:
            torch.set_num_threads(config.threads)
        self.world, self.rank, local_rank = _dist_info()
        self.distributed = self.world > 1 or (dist.is_available() and dist.is_initialized())
        device = config.device
        if self.distributed:
            backend = "nccl" if device.startswith("cuda") else "gloo"
            if not dist.is_initialized():
                dist.init_process_group(backend=backend)
            if device.startswith("cuda"):
                device = f"cuda:{local_rank}"
                torch.cuda.set_device(device)
        self.device = torch.device(device)
        self.is_main = self.rank == 0
        self.out = Path(config.out)  # made by fit() once the photos are loaded, not before
        self.log_path = Path(config.log) if config.log else self.out / "log.jsonl"

        torch.manual_seed(config.seed)  # identical initial weights on every rank
        self.generator = CRAGenerator(softmax_scale=config.softmax_scale, coarse=config.coarse).to(self.device)
        self.discriminator = CRADiscriminator(config.size).to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.step = 0
        self.start_step = 0  # step this lineage's training started from (an --init file's steps, else 0)
        self.adv_steps = 0  # generator steps trained with the WGAN-GP term since start_step
        self.exports: list[str] = []  # file names this run exported into its folder (what --force removes)
        self.resumed = False  # fit() cuts the log back to self.step (True) or starts it empty (False)
        self.overwrite_exports = False  # export() refuses to replace an existing cra.<tag>.* unless True
        self.earlier_exports: frozenset[str] = frozenset()  # this run's exports before a resume: replaceable
        self.wall_seconds = 0.0
        self.batch_index = 0  # batches drawn by this run so far (the next one's index: :meth:`batch_rng`)
        self.last_losses: dict = {}
        self.g_ddp = self.generator
        if self.distributed:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.g_ddp = DDP(self.generator, device_ids=ids)  # also broadcasts rank 0's weights
            for p in self.discriminator.parameters():
                dist.broadcast(p.data, 0)

    # ----------------------------------------------------------------------------------------- state
    def state_dict(self) -> dict:
        return {"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "step": self.step,
                "wall_seconds": self.wall_seconds, "batch_index": self.batch_index,
                "config": json.dumps(asdict(self.cfg)),
                "last_losses": json.dumps(self.last_losses), "start_step": self.start_step,
                "adv_steps": self.adv_steps, "exports": json.dumps(self.exports), "world_size": self.world}

    def batch_rng(self, index: int) -> np.random.Generator:
        """The generator of the crops and masks of the run's ``index``-th batch (0-based; a step draws one for
        the generator and one per critic step) on this rank: seeded by the run's seed, the rank and the index
        alone (see :class:`_Batches`)."""
        return np.random.default_rng(np.random.SeedSequence([self.cfg.seed, self.rank, index]))

    def load_checkpoint(self, path: str | Path | dict) -> None:
        """Resume generator, critic, optimisers, step, wall time and batch index (every random draw depends on
        it: :meth:`batch_rng`) from ``path`` (or a dict already read by :func:`read_checkpoint`).

        The options of :data:`RESUME_LOCKED` and the number of processes (the run's batch is ``batch`` per
        process) must equal the checkpoint's; a changed ``lr`` or ``device`` applies from the next step on and
        is recorded in ``cfg.changes`` (and so in the card).

        Raises:
            FileNotFoundError, ValueError: see :func:`read_checkpoint`; ValueError also for a changed locked
                option or tensors that do not fit this generator.
        """
        ck = path if isinstance(path, dict) else read_checkpoint(path)
        name = "the checkpoint" if isinstance(path, dict) else Path(path).name
        saved = ck.get("config_dict") or json.loads(ck["config"])
        check_resume_config(saved, self.cfg, name)
        world = int(ck.get("world_size", 1))
        if world != self.world:  # each process takes --batch samples: the run's batch is batch x processes
            raise ValueError(f"{name} was trained by {world} process{'es' if world != 1 else ''} (a batch of "
                             f"{self.cfg.batch * world}); this run has {self.world}: resume with the same "
                             f"number (torchrun --nproc_per_node {world}), or start a new run from an export "
                             f"with --init")
        try:
            self.generator.load_state_dict(ck["generator"])
            self.discriminator.load_state_dict(ck["discriminator"])
            self.opt_g.load_state_dict(ck["opt_g"])
            self.opt_d.load_state_dict(ck["opt_d"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ValueError(f"{name} does not hold this trainer's networks "
                             f"({(str(exc).splitlines() or [''])[0][:120]})") from None
        for group in self.opt_g.param_groups + self.opt_d.param_groups:
            group["lr"] = self.cfg.lr  # --lr applies to a resumed run too (recorded below)
        self.step, self.wall_seconds = int(ck["step"]), float(ck["wall_seconds"])
        self.batch_index = int(ck.get("batch_index", 0))  # (0 in checkpoints from before per-batch seeds)
        self.start_step = int(ck.get("start_step", 0))
        self.exports = list(json.loads(ck.get("exports", "[]")))
        self.earlier_exports = frozenset(self.exports)
        self.adv_steps = int(ck.get("adv_steps", max(0, self.step - max(self.cfg.adv_start, self.start_step))
                                    if self.cfg.d_steps > 0 else 0))  # checkpoints from before the counter
        changes = {k: [list(e) for e in v] for k, v in (saved.get("changes") or {}).items()}
        for key in RESUME_RECORDED:
            old, new = saved.get(key, getattr(self.cfg, key)), getattr(self.cfg, key)
            if old != new:
                changes.setdefault(key, [[self.start_step, old]]).append([self.step, new])
        self.cfg.changes = changes
        self.resumed = True
        self.last_losses = json.loads(ck.get("last_losses", "{}"))
        self.cfg.init = self.cfg.init or saved.get("init")  # the lineage's start

    def init_from_weights(self, path: str | Path) -> None:
        """Start the generator from exported weights (``cra.<tag>.safetensors``): continue or fine-tune them.

        Only the generator is loaded; its optimiser, the critic and the random streams start fresh (an export
        does not hold them: resume from ``checkpoint.pt`` when you have it). The step counter continues from
        the file's ``steps`` metadata, so the exported tag and card count the whole lineage's steps, and the
        card names the starting weights and their sha256.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: not a safetensors file, not this generator's tensors (names or shapes differ), or
                weights without a coarse network (``--coarse pull-push``) for a generator that has one.
        """
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no such weights file: {path}")
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                meta = f.metadata() or {}
                state = {k: f.get_tensor(k) for k in f.keys()}
        except (SafetensorError, OSError) as exc:
            hint = (f"; a training checkpoint continues with --resume {path}" if path.suffix == ".pt" else "")
            raise ValueError(f"{path.name} is not a readable safetensors file ({exc}){hint}") from None
        own = self.generator.state_dict()
        dropped = ""
        if self.generator.coarse is None and any(k.startswith("coarse.") for k in state):
            state = {k: v for k, v in state.items() if not k.startswith("coarse.")}
            dropped = "; its coarse network is not used (--coarse pull-push)"
        refine_only = {k for k in own if not k.startswith("coarse.")}
        if self.generator.coarse is not None and (meta.get("coarse") == "pull-push" or set(state) == refine_only):
            raise ValueError(f"{path.name}: these weights have no coarse network: add --coarse pull-push")
        bad = sorted(set(own) ^ set(state)) or [k for k in own if own[k].shape != state[k].shape]
        if bad:
            raise ValueError(f"{path.name} does not hold this CRA generator's weights "
                             f"({len(bad)} tensors differ, e.g. {bad[0]})")
        self.generator.load_state_dict(state)
        try:
            self.step = int(meta.get("steps", 0))
        except ValueError:
            self.step = 0
        self.start_step, self.adv_steps = self.step, 0
        self.cfg.init = f"{path.name} (sha256 {sha256_file(path)}, at step {self.step}{dropped})"

    def save_checkpoint(self, path: Path | None = None) -> Path | None:
        if not self.is_main:
            return None
        path = path or self.out / "checkpoint.pt"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, path)
        return path

    # ----------------------------------------------------------------------------------------- steps
    def _allreduce_d_grads(self) -> None:
        if not self.distributed:
            return
        for p in self.discriminator.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
                p.grad /= self.world

    def d_step(self, x: torch.Tensor, m: torch.Tensor, index: int) -> dict:
        """One critic update (Algorithm 1, inner loop): L_d of Eq. 9 on the pasted-back fakes.

        ``index`` is the batch's index in the run (:meth:`batch_rng`): the gradient penalty's interpolation
        weights are drawn from ``SeedSequence([seed, rank, index, 1])``, so they too depend on the batch alone
        and a resumed run, on every rank, draws the ones the uninterrupted run would have."""
        with torch.no_grad():
            out = self.g_ddp(x, m)
            fake = out.refined * m + x * (1 - m)
        draw = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, self.rank, index, 1]))
        alpha = torch.from_numpy(draw.random(x.shape[0], dtype=np.float32)).view(-1, 1, 1, 1).to(self.device)
        loss, info = wgan_gp_d_loss(self.discriminator, x, fake, alpha=alpha)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self._allreduce_d_grads()
        self.opt_d.step()
        return {"loss_d": float(loss.detach()), **info}

    def g_step(self, x: torch.Tensor, m: torch.Tensor, adversarial: bool) -> tuple[dict, tuple]:
        """One generator update: L_g = L_rec(coarse) + L_rec(refined) + β·L_adv (Eq. 11–14); with
        ``--coarse pull-push`` the coarse term has no parameters to train and is only logged."""
        out = self.g_ddp(x, m)
        fake = out.refined * m + x * (1 - m)
        rec_c = reconstruction_loss(out.coarse, x, m, normalize=self.cfg.rec_normalize)
        rec_r = reconstruction_loss(out.refined, x, m, normalize=self.cfg.rec_normalize)
        loss = rec_r if self.generator.coarse is None else rec_c + rec_r
        info = {"rec_coarse": float(rec_c.detach()), "rec_refine": float(rec_r.detach())}
        if adversarial:
            for p in self.discriminator.parameters():
                p.requires_grad_(False)
            adv = wgan_g_loss(self.discriminator(fake))
            for p in self.discriminator.parameters():
                p.requires_grad_(True)
            loss = loss + BETA_ADV * adv
            info["adv"] = float(adv.detach())
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        info["loss_g"] = float(loss.detach())
        with torch.no_grad():
            info["l1_hole"] = float(((out.refined - x).abs() * m).sum() / (3 * m.sum()).clamp_min(1))
        return info, (x, m, out.coarse, fake)

    # ----------------------------------------------------------------------------------------- loop
    def _prepare_out(self, clean: bool) -> None:
        """Make the run folder and set its log up (rank 0): cut back to ``self.step`` on a resume (records of
        steps trained after the checkpoint, before a hard kill, are dropped: those steps are trained again), or
        start clean: an empty log, no earlier checkpoint or sample grids, and none of the weights and cards the
        earlier checkpoint records it exported (other files in the folder are never removed).

        Raises:
            OutputError: the run folder or the log's folder cannot be created or written.
        """
        try:
            (self.out / "samples").mkdir(parents=True, exist_ok=True)
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            if clean:  # the earlier run's exports go too (find_weights would prefer one with more steps), but
                # only the files its checkpoint says it wrote: never other weights kept in the same folder
                for old in [*self._exports_of(self.out / "checkpoint.pt"), self.out / "checkpoint.pt",
                            *(self.out / "samples").glob("step_*.png")]:
                    old.unlink(missing_ok=True)
                if self.log_path.exists():
                    _cut_log(self.log_path, -1)
            elif self.log_path.is_file():
                _cut_log(self.log_path, self.step)
        except OSError as exc:
            raise OutputError(f"cannot write the run folder {self.out} ({exc.strerror or exc})") from None

    def _exports_of(self, checkpoint: Path) -> list[Path]:
        """The exported files recorded in ``checkpoint`` (none when it is missing, unreadable or older than
        the record), as paths in this run folder."""
        if not checkpoint.is_file():
            return []
        try:
            names = json.loads(read_checkpoint(checkpoint).get("exports", "[]"))
        except (ValueError, FileNotFoundError, TypeError):
            return []
        return [self.out / Path(name).name for name in names if isinstance(name, str)]

    def fit(self, crops: PhotoCrops | None = None, masks: MaskSampler | None = None,
            progress: bool = True, clean: bool | None = None) -> dict:
        """Train until ``cfg.steps`` (or ``cfg.max_minutes``, or SIGINT/SIGTERM), then checkpoint and export.

        The photos are loaded first; nothing is written until they are (an interrupt while loading leaves no
        run folder). Then SIGINT and SIGTERM only stop the loop after the current step, and the checkpoint and
        export are written at the step reached. ``clean``: start the run folder over (see
        :meth:`_prepare_out`); default: not after :meth:`load_checkpoint`, else yes.

        Returns:
            Summary dict: steps (the lineage's step reached), start_step (where this invocation started),
            wall_seconds, last_losses, interrupted (a signal stopped it), signal (the number of the first
            signal this process received, 0 when none: another rank's signal stops it too), and (rank 0) the exported
            weights/card paths and sha256.

        Raises:
            ValueError: nothing to train (``cfg.steps`` is not above the step already reached).
            FileNotFoundError, ImageReadError: see :class:`PhotoCrops`; OutputError: see :meth:`export`.
        """
        cfg = self.cfg
        if cfg.steps <= self.step:
            raise ValueError(f"nothing to train: the run is at step {self.step} and --steps is {cfg.steps} "
                             f"(pass --steps above {self.step})")
        first_step = self.step
        crops = crops or PhotoCrops(cfg.images, cfg.size, cfg.decode_long_side, exclude=cfg.exclude)
        masks = masks or MaskSampler(cfg.size, cfg.templates)
        stop = {"flag": False, "signal": 0}

        def _on_signal(signum, frame):  # finish the current step, then checkpoint and export
            stop["flag"] = True
            stop["signal"] = stop["signal"] or int(signum)

        old = {}
        # every rank: the flag is all-reduced each step, so a signal to any rank (torchrun forwards one to all of
        # them; `kill` may hit one) stops all of them after the same step, instead of killing a rank mid-step
        # and leaving the others blocked in a collective
        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                old[s] = signal.signal(s, _on_signal)
            except ValueError:  # not the main thread
                pass
        bar = log = batches = None
        try:
            if self.is_main:
                self._prepare_out(not self.resumed if clean is None else clean)
            batches = _Batches(crops, masks, cfg.batch, self.batch_rng, self.batch_index, cfg.workers)
            sample_rng = np.random.default_rng(cfg.seed + 12345)
            sample_batch = to_tensor_batch([crops.sample(sample_rng) for _ in range(min(4, cfg.batch))],
                                           [masks.sample(sample_rng) for _ in range(min(4, cfg.batch))])
            if progress and self.is_main:
                from tqdm import tqdm

                bar = tqdm(total=cfg.steps, initial=self.step, unit="step", dynamic_ncols=True, mininterval=2.0)
            t_start = time.monotonic()
            wall0 = self.wall_seconds
            last_ck = time.monotonic()
            log = open(self.log_path, "a", encoding="utf-8") if self.is_main else None
            while self.step < cfg.steps:
                t0 = time.monotonic()
                adversarial = self.step >= cfg.adv_start and cfg.d_steps > 0
                d_info: dict = {}
                if adversarial:
                    for _ in range(cfg.d_steps):
                        x, m = (t.to(self.device) for t in batches.next())
                        d_info = self.d_step(x, m, index=batches.consumed - 1)
                x, m = (t.to(self.device) for t in batches.next())
                g_info, _ = self.g_step(x, m, adversarial)
                self.step += 1
                self.batch_index = batches.consumed  # (saved with the checkpoint: where a resume goes on)
                self.adv_steps += int(adversarial)
                self.wall_seconds = wall0 + time.monotonic() - t_start
                self.last_losses = {**g_info, **d_info}
                if log is not None:
                    rec = {"step": self.step, "time": round(self.wall_seconds, 2), "crop": cfg.size,
                           "batch": cfg.batch * self.world, "adversarial": adversarial,
                           "rec_normalize": cfg.rec_normalize, "lr": self.opt_g.param_groups[0]["lr"],
                           "sec_per_step": round(time.monotonic() - t0, 3), **self.last_losses}
                    log.write(json.dumps(rec) + "\n")
                    log.flush()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rec=f"{g_info['rec_refine']:.4f}", hole=f"{g_info['l1_hole']:.4f}")
                if self.is_main and cfg.sample_every and self.step % cfg.sample_every == 0:
                    self.save_samples(sample_batch)
                stop_now = stop["flag"] or (cfg.max_minutes is not None
                                            and time.monotonic() - t_start > cfg.max_minutes * 60)
                if self.distributed:
                    # on the training device: NCCL (CUDA) reduces only CUDA tensors, gloo (CPU) CPU ones
                    flag = torch.tensor([float(stop_now)], device=self.device)
                    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                    stop_now = bool(flag.item())
                if (self.step % cfg.checkpoint_every == 0
                        or time.monotonic() - last_ck > cfg.checkpoint_minutes * 60 or stop_now):
                    self.save_checkpoint()
                    last_ck = time.monotonic()
                if stop_now:
                    break
            if bar is not None:
                bar.close()
                bar = None
            if log is not None:
                log.close()
                log = None
            # still under the signal handlers: a second Ctrl+C cannot cut the checkpoint or export short
            if self.is_main:  # recorded before the checkpoint that precedes the export
                self.exports += [p.name for p in self.export_paths() if p.name not in self.exports]
            self.save_checkpoint()
            summary = {"steps": self.step, "start_step": first_step, "wall_seconds": self.wall_seconds,
                       "last_losses": self.last_losses, "interrupted": stop["flag"],
                       "signal": stop["signal"]}
            if self.is_main:
                self.save_samples(sample_batch)
                summary.update(self.export(n_photos=len(crops)))
        finally:
            if batches is not None:
                batches.close()
            if bar is not None:
                bar.close()
            if log is not None:
                log.close()
            for s, h in old.items():
                signal.signal(s, h)
        if self.distributed:
            dist.barrier()
        return summary

    @torch.no_grad()
    def save_samples(self, batch) -> Path:
        x, m = (t.to(self.device) for t in batch)
        self.generator.eval()
        out = self.generator(x, m)
        self.generator.train()
        grid = _grid_image(x, m, out.coarse, out.refined * m + x * (1 - m))
        from PIL import Image

        path = self.out / "samples" / f"step_{self.step:07d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.png")
        Image.fromarray(grid).save(tmp)
        os.replace(tmp, path)
        return path

    def export_paths(self, step: int | None = None) -> tuple[Path, Path]:
        """``(<out>/cra.<tag>.safetensors, <out>/cra.<tag>.md)`` for an export at ``step`` (default: now);
        the tag is ``cfg.tag`` or ``<device type>-<step>``."""
        tag = self.cfg.tag or f"{self.device.type}-{self.step if step is None else step}"
        return self.out / f"cra.{tag}.safetensors", self.out / f"cra.{tag}.md"

    def export(self, n_photos: int | None = None) -> dict:
        """Write ``<out>/cra.<tag>.safetensors`` and its model-card skeleton (rank 0), atomically.

        The card describes what was trained: ``steps`` counts the lineage (an ``--init`` file's steps
        included), ``steps_trained`` and ``losses`` what this lineage trained since its start (WGAN-GP only
        for the steps that took it), ``lr`` / ``device`` their values per step range when a resume changed
        them, ``seed`` and ``templates`` the random streams and mask shapes.

        Raises:
            OutputError: the weights or card exist already, are not an earlier export of this run (a resumed
                run replaces its own: ``earlier_exports``) and ``self.overwrite_exports`` is False (the
                checkpoint is saved by then: nothing is lost).
        """
        cfg = self.cfg
        kind = self.device.type
        weights, card_path = self.export_paths()
        tag = weights.name[len("cra."):-len(".safetensors")]
        if not self.overwrite_exports:
            for p in (weights, card_path):
                if p.exists() and p.name not in self.earlier_exports:
                    raise OutputError(f"{p} already exists: not overwritten (pass --force, or another --tag); "
                                      f"the run is saved at step {self.step} in {self.out / 'checkpoint.pt'}")
        save_weights(self.generator.state_dict(), weights,
                     metadata={"network": "cra", "tag": tag, "steps": str(self.step), "coarse": cfg.coarse})
        digest = sha256_file(weights)
        trained = self.step - self.start_step
        if self.adv_steps == 0:
            adversarial = " only (no adversarial step was taken)"
        elif self.adv_steps >= trained:
            adversarial = " + 1e-4 WGAN-GP (gp 10)"
        else:  # WGAN-GP starts at adv_start and stays on: the last adv_steps steps
            adversarial = (f" + 1e-4 WGAN-GP (gp 10) in the last {self.adv_steps} of {trained} steps "
                           f"(steps {self.step - self.adv_steps + 1}-{self.step})")
        threads = torch.get_num_threads()
        machine = (torch.cuda.get_device_name(self.device) if kind == "cuda"
                   else f"{platform.processor() or platform.machine()} CPU, {threads} thread{'s' * (threads != 1)}")
        facts = {
            "network": "cra", "tag": tag, "weights": weights.name, "sha256": digest,
            "paper": "Yi et al., Contextual Residual Aggregation for Ultra High-Resolution Image Inpainting, "
                     "CVPR 2020",
            "sections": "§3.2-3.5, Appendix", "parameters": sum(p.numel() for p in self.generator.parameters()),
            "input_size": "sides multiples of 16 (trained on square crops; 512 long side at inference)",
            "input_range": "[-1, 1] RGB, hole zeroed; mask channel 1 = hole",
            "coarse": cfg.coarse,
            "mask_convention": "1 = hole (pixels to fill), 0 = known",
            "softmax_scale": cfg.softmax_scale,
            "data": f"{cfg.images} ({n_photos} photos; excluded: {', '.join(cfg.exclude) or 'none'})",
            "steps": self.step,
            **({"steps_trained": f"{trained} (steps {self.start_step + 1}-{self.step})"} if self.start_step else {}),
            "batch": cfg.batch * self.world, "crop": cfg.size,
            "lr": (_history(self.start_step, self.step, cfg.changes["lr"], lambda v: f"{v:g}")
                   if len(cfg.changes.get("lr", [])) > 1 else cfg.lr),
            **({"device": _history(self.start_step, self.step, cfg.changes["device"])}
               if len(cfg.changes.get("device", [])) > 1 else {}),
            "seed": cfg.seed,
            "templates": cfg.templates or "none (free-form masks only)",
            "betas": list(cfg.betas), "d_steps": cfg.d_steps, "adv_start": cfg.adv_start,
            **({"stopped_early": f"at step {self.step} of --steps {cfg.steps} (interrupted or --max-minutes); "
                                 f"--resume {self.out / 'checkpoint.pt'} trains on"} if self.step < cfg.steps else {}),
            "decode_long_side": cfg.decode_long_side,
            "wall_time_s": round(self.wall_seconds), "machine": machine, "world_size": self.world,
            "torch": str(torch.__version__),  # (a TorchVersion, which YAML cannot write)
            # how this invocation was started (a resumed run: the resume; earlier ranges are in lr / device)
            "command": command_line(sys.argv),
            "losses": ("L_rec (alpha1=1 hole, alpha2=1.2 context) on "
                       + ("coarse and refined" if cfg.coarse == "network" else "refined (no coarse network)")
                       + adversarial),
            "rec_normalize": cfg.rec_normalize,
            **({"init": cfg.init} if cfg.init else {}),
            "last_losses": {k: round(v, 5) for k, v in self.last_losses.items()},
            "licence": "MIT (weights trained by the project)",
        }
        card = write_model_card(card_path, facts)
        return {"weights": str(weights), "card": str(card), "sha256": digest}
