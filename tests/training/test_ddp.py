"""Data-parallel training under torch.distributed (gloo, 2 CPU processes), as torchrun would launch it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from editor.networks.weights import read_card


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, photos: str, templates: str, out: str, result: str) -> None:
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from editor.training.trainer import TrainConfig, Trainer

    tr = Trainer(TrainConfig(images=photos, out=out, size=64, batch=1, steps=2, d_steps=1, seed=7,
                             sample_every=0, templates=templates, tag="ddp"))
    first_draw = float(tr.batch_rng(0).random())  # a peek at this rank's own random stream
    tr.fit(progress=False)
    torch.save({"g": tr.generator.state_dict(), "first": first_draw}, f"{result}{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_processes_end_with_identical_generators(tiny_data, tmp_path):
    photos, templates = tiny_data
    out = tmp_path / "run"
    mp.spawn(_worker, args=(2, _free_port(), str(photos), str(templates), str(out), str(tmp_path / "rank")),
             nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["first"] != r1["first"]  # ranks draw different crops and masks
    for k, v in r0["g"].items():
        assert torch.equal(v, r1["g"][k]), k
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]  # only rank 0 writes
    assert (out / "cra.ddp.safetensors").is_file()
    assert read_card(out / "cra.ddp.md")["batch"] == 2  # global batch = 2 ranks x 1


def _stopped_worker(rank: int, world: int, port: int, photos: str, templates: str, out: str) -> None:
    import os
    import signal
    import threading

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from editor.training.trainer import TrainConfig, Trainer

    tr = Trainer(TrainConfig(images=photos, out=out, size=64, batch=1, steps=400, d_steps=1, seed=7,
                             sample_every=0, templates=templates, tag="ddp"))
    if rank == 1:  # `kill` of one rank only, once training runs
        threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    summary = tr.fit(progress=False)
    assert summary["steps"] < 400, summary
    dist.destroy_process_group()


@pytest.mark.slow
def test_a_signal_to_one_rank_stops_all_after_the_same_step(tiny_data, tmp_path):
    """SIGTERM to rank 1 alone: both ranks finish the step, stop together, rank 0 writes checkpoint and weights
    at that step (a rank killed mid-step would leave the other blocked in its all_reduce)."""
    photos, templates = tiny_data
    out = tmp_path / "run"
    mp.spawn(_stopped_worker, args=(2, _free_port(), str(photos), str(templates), str(out)), nprocs=2, join=True)
    ck = torch.load(out / "checkpoint.pt", weights_only=False, map_location="cpu")
    assert 0 < ck["step"] < 400
    assert read_card(out / "cra.ddp.md")["steps"] == ck["step"]


def _group_of_one_worker(rank: int, port: int, photos: str, templates: str, out: str, result: str) -> None:
    torch.set_num_threads(1)
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from editor.training.trainer import TrainConfig, Trainer

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", world_size=1, rank=0)
    tr = Trainer(TrainConfig(images=photos, out=out, size=64, batch=1, steps=2, d_steps=1, seed=7,
                             sample_every=0, templates=templates, tag="one"))
    tr.fit(progress=False)
    json.dump({"distributed": tr.distributed, "ddp": isinstance(tr.g_ddp, DistributedDataParallel),
               "world": tr.world}, open(result, "w"))
    dist.destroy_process_group()


@pytest.mark.slow
def test_a_process_group_set_up_by_the_caller_is_used_even_with_one_process(tiny_data, tmp_path):
    """A caller's own group (here gloo with one process; the GPU tests use NCCL so) takes the data-parallel
    path: DDP, the critic's all_reduce and the per-step stop flag, without torchrun's WORLD_SIZE."""
    photos, templates = tiny_data
    out, result = tmp_path / "run", tmp_path / "result.json"
    mp.spawn(_group_of_one_worker, args=(_free_port(), str(photos), str(templates), str(out), str(result)),
             nprocs=1, join=True)
    assert json.loads(result.read_text()) == {"distributed": True, "ddp": True, "world": 1}
    assert read_card(out / "cra.one.md")["steps"] == 2


def _resume_worker(rank: int, world: int, port: int, photos: str, templates: str, out: str, steps: int,
                   result: str) -> None:
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from editor.training.trainer import TrainConfig, Trainer

    tr = Trainer(TrainConfig(images=photos, out=out, size=64, batch=1, steps=steps, d_steps=1, seed=7,
                             sample_every=0, templates=templates, tag="ddp"))
    if Path(out, "checkpoint.pt").is_file():
        tr.load_checkpoint(Path(out, "checkpoint.pt"))
        tr.overwrite_exports = True
    tr.fit(progress=False)
    if rank == 0:
        torch.save({"g": tr.generator.state_dict(), "d": tr.discriminator.state_dict()}, result)
    dist.destroy_process_group()


@pytest.mark.slow
def test_a_two_process_resume_trains_as_the_uninterrupted_run(tiny_data, tmp_path):
    """Every rank's random draws (crops, masks, the gradient penalty's interpolation weights) depend on the
    batch index alone, so 1 step + resume + 1 step on 2 processes equals 2 steps straight (rank 1 used to
    restart its interpolation-weight stream on resume)."""
    photos, templates = map(str, tiny_data)
    straight, split = tmp_path / "straight", tmp_path / "split"
    for out, steps, result in ((straight, 2, "a.pt"), (split, 1, "b1.pt"), (split, 2, "b.pt")):
        mp.spawn(_resume_worker, args=(2, _free_port(), photos, templates, str(out), steps, str(tmp_path / result)),
                 nprocs=2, join=True)
    a, b = (torch.load(tmp_path / r, weights_only=True) for r in ("a.pt", "b.pt"))
    for net in ("g", "d"):
        for k, v in a[net].items():
            torch.testing.assert_close(b[net][k], v, rtol=0, atol=1e-5)
