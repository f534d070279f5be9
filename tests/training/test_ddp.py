"""Data-parallel training under torch.distributed (gloo, 2 CPU processes), as torchrun would launch it."""

from __future__ import annotations

import json
import socket

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
