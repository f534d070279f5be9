"""Training loop for the CRA generator (CRA §3.5, Algorithm 1): WGAN-GP with ``d_steps`` critic updates per
generator update, reconstruction loss on the coarse and refined outputs, checkpoints, resume, JSON-lines
log, sample grids, and export to safetensors + a model-card skeleton.

Distributed: under ``torchrun`` (``WORLD_SIZE > 1``) each process joins the default process group from the
environment (NCCL on CUDA, gloo on CPU), draws its own random stream (``SeedSequence([seed, rank])``: the
per-rank sharding of an infinite random dataset), the generator is wrapped in
``DistributedDataParallel`` and the critic's gradients are averaged with ``all_reduce`` (its gradient
penalty needs a double backward, which DDP's hooks do not support); only rank 0 writes files.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from editor.networks.cra import CRAGenerator
from editor.networks.weights import save_weights, sha256_file, write_model_card
from editor.training.datasets import MaskSampler, PhotoCrops, to_tensor_batch
from editor.training.discriminators import CRADiscriminator
from editor.training.losses import BETA_ADV, reconstruction_loss, wgan_g_loss, wgan_gp_d_loss

__all__ = ["TrainConfig", "Trainer"]


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
    workers: int = 0  # background threads preparing batches (0: in the training thread)
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


def _dist_info() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))


class _Batches:
    """Infinite random batches (images, masks) from one rank's generator; optional prefetch threads."""

    def __init__(self, crops: PhotoCrops, masks: MaskSampler, batch: int, rng: np.random.Generator,
                 workers: int) -> None:
        self.crops, self.masks, self.batch, self.rng = crops, masks, batch, rng
        self.workers = workers
        self._queue = None
        if workers > 0:
            import queue
            import threading

            self._queue = queue.Queue(maxsize=2 * workers)
            self._stop = threading.Event()
            # One producer thread keeps the random stream's order deterministic.
            self._thread = threading.Thread(target=self._produce, daemon=True)
            self._thread.start()

    def _make(self):
        imgs = [self.crops.sample(self.rng) for _ in range(self.batch)]
        ms = [self.masks.sample(self.rng) for _ in range(self.batch)]
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
        if config.size % 64:
            raise ValueError(f"--size must be a multiple of 64 (discriminator), got {config.size}")
        if config.threads:
            torch.set_num_threads(config.threads)
        self.world, self.rank, local_rank = _dist_info()
        self.distributed = self.world > 1
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
        self.out = Path(config.out)
        if self.is_main:
            (self.out / "samples").mkdir(parents=True, exist_ok=True)
        self.log_path = Path(config.log) if config.log else self.out / "log.jsonl"

        torch.manual_seed(config.seed)  # identical initial weights on every rank
        self.generator = CRAGenerator(softmax_scale=config.softmax_scale, coarse=config.coarse).to(self.device)
        self.discriminator = CRADiscriminator(config.size).to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.step = 0
        self.wall_seconds = 0.0
        self.rng = np.random.default_rng(np.random.SeedSequence([config.seed, self.rank]))
        self.torch_gen = torch.Generator().manual_seed(config.seed * 1000 + self.rank)
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
                "wall_seconds": self.wall_seconds, "rng": json.dumps(self.rng.bit_generator.state),
                "torch_rng": self.torch_gen.get_state(), "config": json.dumps(asdict(self.cfg)),
                "last_losses": json.dumps(self.last_losses)}

    def load_checkpoint(self, path: str | Path) -> None:
        """Resume generator, critic, optimisers, step, wall time and random state from ``path``."""
        ck = torch.load(path, map_location=self.device, weights_only=True)
        saved = json.loads(ck.get("config", "{}"))
        if saved.get("coarse", "network") != self.cfg.coarse:  # the generator was built for the other stage
            raise ValueError(f"{Path(path).name} was trained with --coarse {saved.get('coarse', 'network')}; "
                             f"resume with the same --coarse")
        self.generator.load_state_dict(ck["generator"])
        self.opt_g.load_state_dict(ck["opt_g"])
        d_shapes = {k: v.shape for k, v in self.discriminator.state_dict().items()}
        if all(d_shapes.get(k) == v.shape for k, v in ck["discriminator"].items()):
            self.discriminator.load_state_dict(ck["discriminator"])
            self.opt_d.load_state_dict(ck["opt_d"])
        elif self.is_main:  # resumed at another crop size: the critic's FC layer no longer fits
            print(f"note: crop size changed; the discriminator restarts from scratch ({path})", flush=True)
        for group in self.opt_g.param_groups + self.opt_d.param_groups:
            group["lr"] = self.cfg.lr  # --lr applies to a resumed run too
        self.step, self.wall_seconds = int(ck["step"]), float(ck["wall_seconds"])
        if self.rank == 0:  # other ranks keep their own stream (their state is not in rank 0's file)
            self.rng.bit_generator.state = json.loads(ck["rng"])
            self.torch_gen.set_state(ck["torch_rng"])
        else:
            self.rng = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, self.rank, self.step]))
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
            ValueError: not a safetensors file, or not this generator's tensors (names or shapes differ).
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
            raise ValueError(f"{path.name} is not a readable safetensors file ({exc})") from None
        own = self.generator.state_dict()
        dropped = ""
        if self.generator.coarse is None and any(k.startswith("coarse.") for k in state):
            state = {k: v for k, v in state.items() if not k.startswith("coarse.")}
            dropped = "; its coarse network is not used (--coarse pull-push)"
        bad = sorted(set(own) ^ set(state)) or [k for k in own if own[k].shape != state[k].shape]
        if bad:
            raise ValueError(f"{path.name} does not hold this CRA generator's weights "
                             f"({len(bad)} tensors differ, e.g. {bad[0]})")
        self.generator.load_state_dict(state)
        try:
            self.step = int(meta.get("steps", 0))
        except ValueError:
            self.step = 0
        self.cfg.init = f"{path.name} (sha256 {sha256_file(path)}, at step {self.step}{dropped})"

    def save_checkpoint(self, path: Path | None = None) -> Path | None:
        if not self.is_main:
            return None
        path = path or self.out / "checkpoint.pt"
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

    def d_step(self, x: torch.Tensor, m: torch.Tensor) -> dict:
        """One critic update (Algorithm 1, inner loop): L_d of Eq. 9 on the pasted-back fakes."""
        with torch.no_grad():
            out = self.g_ddp(x, m)
            fake = out.refined * m + x * (1 - m)
        alpha = torch.rand(x.shape[0], 1, 1, 1, generator=self.torch_gen).to(self.device)
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
    def fit(self, crops: PhotoCrops | None = None, masks: MaskSampler | None = None,
            progress: bool = True) -> dict:
        """Train until ``cfg.steps`` (or ``cfg.max_minutes``, or SIGINT/SIGTERM), then checkpoint and export.

        Returns:
            Summary dict: steps, wall_seconds, last_losses, and (rank 0) the exported weights/card paths.
        """
        cfg = self.cfg
        crops = crops or PhotoCrops(cfg.images, cfg.size, cfg.decode_long_side, exclude=cfg.exclude)
        masks = masks or MaskSampler(cfg.size, cfg.templates)
        batches = _Batches(crops, masks, cfg.batch, self.rng, cfg.workers)
        sample_rng = np.random.default_rng(cfg.seed + 12345)
        sample_batch = to_tensor_batch([crops.sample(sample_rng) for _ in range(min(4, cfg.batch))],
                                       [masks.sample(sample_rng) for _ in range(min(4, cfg.batch))])
        stop = {"flag": False}

        def _on_signal(signum, frame):  # finish the current step, then checkpoint and export
            stop["flag"] = True

        old = {}
        if self.is_main:
            for s in (signal.SIGINT, signal.SIGTERM):
                try:
                    old[s] = signal.signal(s, _on_signal)
                except ValueError:  # not the main thread
                    pass
        bar = None
        if progress and self.is_main:
            from tqdm import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step, unit="step", dynamic_ncols=True, mininterval=2.0)
        t_start = time.monotonic()
        wall0 = self.wall_seconds
        last_ck = time.monotonic()
        log = open(self.log_path, "a", encoding="utf-8") if self.is_main else None
        try:
            while self.step < cfg.steps:
                t0 = time.monotonic()
                adversarial = self.step >= cfg.adv_start and cfg.d_steps > 0
                d_info: dict = {}
                if adversarial:
                    for _ in range(cfg.d_steps):
                        x, m = (t.to(self.device) for t in batches.next())
                        d_info = self.d_step(x, m)
                x, m = (t.to(self.device) for t in batches.next())
                g_info, _ = self.g_step(x, m, adversarial)
                self.step += 1
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
                    flag = torch.tensor([float(stop_now)])
                    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                    stop_now = bool(flag.item())
                if (self.step % cfg.checkpoint_every == 0
                        or time.monotonic() - last_ck > cfg.checkpoint_minutes * 60 or stop_now):
                    self.save_checkpoint()
                    last_ck = time.monotonic()
                if stop_now:
                    break
        finally:
            batches.close()
            if bar is not None:
                bar.close()
            if log is not None:
                log.close()
            for s, h in old.items():
                signal.signal(s, h)
        self.save_checkpoint()
        summary = {"steps": self.step, "wall_seconds": self.wall_seconds, "last_losses": self.last_losses}
        if self.is_main:
            self.save_samples(sample_batch)
            summary.update(self.export(n_photos=len(crops)))
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
        tmp = path.with_name(path.name + ".tmp.png")
        Image.fromarray(grid).save(tmp)
        os.replace(tmp, path)
        return path

    def export(self, n_photos: int | None = None) -> dict:
        """Write ``<out>/cra.<tag>.safetensors`` and its model-card skeleton (rank 0)."""
        cfg = self.cfg
        kind = self.device.type
        tag = cfg.tag or f"{kind}-{self.step}"
        weights = self.out / f"cra.{tag}.safetensors"
        save_weights(self.generator.state_dict(), weights,
                     metadata={"network": "cra", "tag": tag, "steps": str(self.step), "coarse": cfg.coarse})
        digest = sha256_file(weights)
        machine = (torch.cuda.get_device_name(self.device) if kind == "cuda"
                   else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads")
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
            "steps": self.step, "batch": cfg.batch * self.world, "crop": cfg.size, "lr": cfg.lr,
            "betas": list(cfg.betas), "d_steps": cfg.d_steps, "adv_start": cfg.adv_start,
            "wall_time_s": round(self.wall_seconds), "machine": machine, "world_size": self.world,
            "losses": ("L_rec (alpha1=1 hole, alpha2=1.2 context) on "
                       + ("coarse and refined" if cfg.coarse == "network" else "refined (no coarse network)")
                       + (" + 1e-4 WGAN-GP (gp 10)" if cfg.d_steps > 0 and self.step > cfg.adv_start
                          else " only (no adversarial step was taken)")),
            "rec_normalize": cfg.rec_normalize,
            **({"init": cfg.init} if cfg.init else {}),
            "last_losses": {k: round(v, 5) for k, v in self.last_losses.items()},
            "licence": "MIT (weights trained by the project)",
        }
        card = write_model_card(self.out / f"cra.{tag}.md", facts)
        return {"weights": str(weights), "card": str(card), "sha256": digest}
