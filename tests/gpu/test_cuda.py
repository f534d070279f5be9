"""What needs an NVIDIA GPU: the CRA network on CUDA (the same fill as on the CPU), the pipeline and CLI with
``--device cuda``, training on CUDA with a resume, NCCL's data-parallel path and the README's ``torchrun``
command. Skipped where ``torch.cuda.is_available()`` is False (CI, the project's CPU machines); the README says
when and where they last ran."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from PIL import Image

from editor.networks.weights import read_card

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason="needs a CUDA GPU (torch.cuda.is_available() is False here)")]


def _photo(h: int = 384, w: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured uint8 (h, w, 3) photo and a bool (h, w) hole of ~8 % in its middle."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([np.sin(xx / 9.0), np.cos(yy / 7.0), np.sin((xx + yy) / 13.0)], -1)
    img = ((base + 1) * 100 + rng.integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8)
    hole = np.zeros((h, w), bool)
    hole[h // 2 - h // 7:h // 2 + h // 7, w // 2 - w // 7:w // 2 + w // 7] = True
    return img, hole


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def test_cra_on_cuda_fills_as_on_the_cpu():
    from editor.methods import create_method

    img, hole = _photo()
    cpu = create_method("cra", device="cpu").inpaint(img, hole)
    gpu = create_method("cra", device="cuda").inpaint(img, hole)
    whole, inside = _psnr(gpu.image, cpu.image), _psnr(gpu.image[hole], cpu.image[hole])
    assert whole > 35 and inside > 35, (whole, inside)  # cuDNN's TF32 convolutions: close, not bit-identical
    a, b = gpu.attention_score, cpu.attention_score
    assert a.grid == b.grid and np.array_equal(a.hole_cells, b.hole_cells)
    assert np.allclose(a.score.sum(1), 1, atol=1e-3)
    assert np.abs(a.score - b.score).max() < 0.05, np.abs(a.score - b.score).max()


def test_cli_inpaint_with_device_cuda(tmp_path, capsys):
    from editor.cli import main

    img, hole = _photo(960, 1280, seed=1)
    Image.fromarray(img).save(tmp_path / "photo.png")
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    outs = {}
    for dev in ("cpu", "cuda"):
        out = tmp_path / f"out-{dev}.png"
        rc = main(["inpaint", str(tmp_path / "photo.png"), str(tmp_path / "mask.png"), "-o", str(out),
                   "--method", "cra", "--device", dev, "--json"])
        cap = capsys.readouterr()
        assert rc == 0, cap.err
        report = json.loads(cap.out.strip().splitlines()[-1])
        assert report["device"] == dev and report["method"] == "cra"
        outs[dev] = np.asarray(Image.open(out).convert("RGB"))
    for res in outs.values():
        assert np.array_equal(res[~hole], img[~hole])  # the known region is untouched on either device
    assert _psnr(outs["cuda"][hole], outs["cpu"][hole]) > 30


def _data(tmp_path: Path) -> tuple[Path, Path]:
    photos, templates = tmp_path / "photos", tmp_path / "templates"
    photos.mkdir()
    templates.mkdir()
    for i in range(3):
        Image.fromarray(_photo(200, 260, seed=i)[0]).save(photos / f"p{i}.png")
    t = np.zeros((64, 64), np.uint8)
    t[16:48, 20:40] = 255
    Image.fromarray(t).save(templates / "t0.png")
    return photos, templates


def test_train_on_cuda_then_resume(tmp_path, capsys):
    from editor.training.cli import train_main

    photos, templates = _data(tmp_path)
    out = tmp_path / "run"
    base = ["cra", "--images", str(photos), "--templates", str(templates), "--out", str(out), "--device", "cuda",
            "--size", "128", "--batch", "2", "--d-steps", "1", "--adv-start", "2", "--sample-every", "2",
            "--no-progress"]
    assert train_main([*base, "--steps", "2"]) == 0, capsys.readouterr().err
    assert train_main(["cra", "--resume", str(out / "checkpoint.pt"), "--steps", "4", "--no-progress"]) == 0, \
        capsys.readouterr().err
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ck["step"] == 4
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]
    assert all(np.isfinite(r["loss_g"]) for r in log)
    assert [r["adversarial"] for r in log] == [False, False, True, True]  # WGAN-GP's double backward on CUDA
    card = read_card(out / "cra.cuda-4.md")
    assert card["machine"].startswith(torch.cuda.get_device_name(0)), card["machine"]
    from safetensors.torch import load_file

    assert all(torch.isfinite(v).all() for v in load_file(out / "cra.cuda-4.safetensors").values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nccl_worker(rank: int, port: int, photos: str, templates: str, out: str, result: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from editor.training.trainer import TrainConfig, Trainer

    dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", world_size=1, rank=0)
    tr = Trainer(TrainConfig(images=photos, out=out, size=128, batch=2, steps=100_000, d_steps=1, adv_start=1,
                             seed=3, sample_every=0, templates=templates, tag="nccl", device="cuda",
                             max_minutes=0.05))
    summary = tr.fit(progress=False)
    json.dump({"distributed": tr.distributed, "ddp": isinstance(tr.g_ddp, DistributedDataParallel),
               "steps": summary["steps"]}, open(result, "w"))
    dist.destroy_process_group()


def test_nccl_data_parallel_step_and_stop(tmp_path):
    """A one-process NCCL group runs the multi-GPU code path: DDP with device ids, the critic's gradient
    all_reduce, the per-step stop flag (a CUDA tensor: NCCL reduces no CPU tensors) and the stop at
    ``--max-minutes`` with its checkpoint and export."""
    photos, templates = _data(tmp_path)
    out, result = tmp_path / "run", tmp_path / "result.json"
    mp.spawn(_nccl_worker, args=(_free_port(), str(photos), str(templates), str(out), str(result)), nprocs=1,
             join=True)
    r = json.loads(result.read_text())
    assert r["distributed"] and r["ddp"]
    assert 1 <= r["steps"] < 100_000
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == r["steps"]
    assert read_card(out / "cra.nccl.md")["steps"] == r["steps"]


def test_readme_torchrun_command(tmp_path):
    photos, templates = _data(tmp_path)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
           "-m", "editor.training.cli", "cra", "--images", str(photos), "--templates", str(templates),
           "--out", str(out), "--device", "cuda", "--size", "128", "--batch", "2", "--steps", "3",
           "--sample-every", "0", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "cra.cuda-3.safetensors").is_file()
    assert read_card(out / "cra.cuda-3.md")["steps"] == 3
