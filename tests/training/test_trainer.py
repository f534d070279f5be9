"""Data, the training loop (CRA Algorithm 1), checkpoints/resume, export, and the train command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from editor.networks.weights import find_weights, load_weights, read_card, save_weights, sha256_file
from editor.training.cli import train_main
from editor.training.datasets import MaskSampler, PhotoCrops, list_images, to_tensor_batch
from editor.training.trainer import TrainConfig, Trainer


def _cfg(tiny_data, out, **kw):
    photos, templates = tiny_data
    base = dict(images=str(photos), out=str(out), size=64, batch=2, steps=2, d_steps=1, seed=3,
                sample_every=0, templates=str(templates), lr=1e-4)
    base.update(kw)
    return TrainConfig(**base)


def test_crops_and_masks_are_seeded(tiny_data):
    photos, templates = tiny_data
    assert [p.name for p in list_images(photos, exclude=["p1.*"])] == ["p0.png", "p2.png"]
    crops = PhotoCrops(photos, 64)
    masks = MaskSampler(64, templates)
    a = [crops.sample(np.random.default_rng(5)) for _ in range(2)]
    assert a[0].shape == (64, 64, 3) and a[0].dtype == np.uint8 and np.array_equal(a[0], a[1])
    ms = [masks.sample(np.random.default_rng(s)) for s in range(6)]
    assert all(m.dtype == bool and 0 < m.sum() < m.size for m in ms)
    x, m = to_tensor_batch(a, ms[:2])
    assert x.shape == (2, 3, 64, 64) and m.shape == (2, 1, 64, 64)
    assert -1 <= x.min() and x.max() <= 1 and set(m.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(FileNotFoundError):
        PhotoCrops(templates.parent / "nope", 64)


def test_three_steps_lower_the_loss_on_a_fixed_batch(tiny_data, tmp_path):
    tr = Trainer(_cfg(tiny_data, tmp_path, lr=1e-3))
    crops, masks = PhotoCrops(tiny_data[0], 64), MaskSampler(64, tiny_data[1])
    rng = np.random.default_rng(0)
    x, m = to_tensor_batch([crops.sample(rng) for _ in range(2)], [masks.sample(rng) for _ in range(2)])
    losses = [tr.g_step(x, m, adversarial=False)[0]["loss_g"] for _ in range(4)]
    assert losses[3] < losses[0]  # the loss measured before steps 1 and 4 (3 updates apart)


@pytest.mark.slow
def test_fit_exports_weights_and_resume_is_exact(tiny_data, tmp_path):
    # 2 steps straight...
    a = Trainer(_cfg(tiny_data, tmp_path / "a", steps=2, batch=1))
    summary = a.fit(progress=False)
    weights = tmp_path / "a" / "cra.cpu-2.safetensors"
    assert summary["weights"] == str(weights) and weights.is_file()
    card = read_card(tmp_path / "a" / "cra.cpu-2.md")
    assert card["sha256"] == sha256_file(weights) and card["steps"] == 2 and card["crop"] == 64
    log = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and {"loss_d", "gp", "rec_refine", "adv"} <= set(log[0])
    state = load_weights(find_weights("cra", dirs=[tmp_path / "a"]))
    assert all(torch.equal(state[k], v) for k, v in a.generator.state_dict().items())
    # ...equals 1 step, checkpoint, resume in a fresh trainer, 1 more step.
    b = Trainer(_cfg(tiny_data, tmp_path / "b", steps=1, batch=1))
    b.fit(progress=False)
    c = Trainer(_cfg(tiny_data, tmp_path / "b", steps=2, batch=1))
    c.load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert c.step == 1
    c.fit(progress=False)
    # Float32 reductions may be summed in another order by another process (thread scheduling): differences
    # of ~1e-6 are rounding; a resume that lost optimiser or RNG state differs by orders of magnitude more.
    for k, v in a.generator.state_dict().items():
        torch.testing.assert_close(c.generator.state_dict()[k], v, rtol=0, atol=1e-5)
    for k, v in a.discriminator.state_dict().items():
        torch.testing.assert_close(c.discriminator.state_dict()[k], v, rtol=0, atol=1e-5)


def test_a_resume_with_prefetching_workers_is_exact_too(tiny_data, tmp_path):
    """With --workers the batches of the steps after a checkpoint were already drawn when it was saved, so a
    resumed run drew other batches than an uninterrupted one. Each batch now depends on its step alone."""
    a = Trainer(_cfg(tiny_data, tmp_path / "a", steps=3, batch=1, workers=2))
    a.fit(progress=False)
    b = Trainer(_cfg(tiny_data, tmp_path / "b", steps=1, batch=1, workers=2))
    b.fit(progress=False)
    c = Trainer(_cfg(tiny_data, tmp_path / "b", steps=3, batch=1, workers=2))
    c.load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    c.fit(progress=False)
    d = Trainer(_cfg(tiny_data, tmp_path / "d", steps=3, batch=1, workers=0))   # and prefetching changes nothing
    d.fit(progress=False)
    for other in (c, d):
        for k, v in a.generator.state_dict().items():
            torch.testing.assert_close(other.generator.state_dict()[k], v, rtol=0, atol=1e-5)


def test_a_resume_with_another_number_of_processes_is_refused(tiny_data, tmp_path):
    """Each process takes --batch samples, so 2 processes resumed by 1 halved the run's batch while its card
    went on saying one batch and world size for every step. The checkpoint records the process count."""
    from editor.training.trainer import read_checkpoint
    b = Trainer(_cfg(tiny_data, tmp_path / "b", steps=1, batch=1))
    b.fit(progress=False)
    ck = read_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert ck["world_size"] == 1
    ck["world_size"] = 2                                   # as torchrun --nproc_per_node 2 would have saved it
    c = Trainer(_cfg(tiny_data, tmp_path / "b", steps=2, batch=1))
    with pytest.raises(ValueError, match=r"trained by 2 processes \(a batch of 2\); this run has 1"):
        c.load_checkpoint(ck)
    del ck["world_size"]                                   # a checkpoint from before the record: 1 process
    c.load_checkpoint(ck)
    assert c.step == 1


def test_init_from_exported_weights_continues_the_lineage(tiny_data, tmp_path, capsys):
    a = Trainer(_cfg(tiny_data, tmp_path / "a", steps=1, batch=1, d_steps=0))
    exported = Path(a.fit(progress=False)["weights"])
    b = Trainer(_cfg(tiny_data, tmp_path / "b", steps=2, batch=1, d_steps=0))
    assert not all(torch.equal(b.generator.state_dict()[k], v) for k, v in a.generator.state_dict().items())
    b.init_from_weights(exported)
    assert b.step == 1  # counted on from the file's metadata
    assert all(torch.equal(b.generator.state_dict()[k], v) for k, v in a.generator.state_dict().items())
    summary = b.fit(progress=False)
    assert summary["steps"] == 2 and Path(summary["weights"]).name == "cra.cpu-2.safetensors"
    card = read_card(tmp_path / "b" / "cra.cpu-2.md")
    assert card["init"] == f"{exported.name} (sha256 {sha256_file(exported)}, at step 1)"
    log = [json.loads(line) for line in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2]
    # A resumed fine-tuning run keeps naming its starting weights.
    c = Trainer(_cfg(tiny_data, tmp_path / "b", steps=3, batch=1, d_steps=0))
    c.load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert c.fit(progress=False)["steps"] == 3 and read_card(tmp_path / "b" / "cra.cpu-3.md")["init"] == card["init"]
    # Files that are not this generator's weights: one error line from the command.
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    other = tmp_path / "other.safetensors"
    save_weights({"w": torch.zeros(2)}, other)
    photos, templates = tiny_data
    base = ["cra", "--images", str(photos), "--out", str(tmp_path / "r"), "--size", "64", "--steps", "1",
            "--templates", str(templates), "--no-progress"]
    for extra, expect in ((["--init", str(junk)], "not a readable safetensors"),
                          (["--init", str(other)], "does not hold this CRA generator"),
                          (["--init", str(tmp_path / "none.safetensors")], "no such weights file"),
                          (["--init", str(exported), "--resume", "x.pt"], "exclude each other")):
        assert train_main(base + extra) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and expect in err and err.count("\n") == 1


def test_pull_push_coarse_stage_is_trained_recorded_and_checked_on_resume(tiny_data, tmp_path, capsys,
                                                                        monkeypatch):
    photos, templates = tiny_data
    base = ["cra", "--images", str(photos), "--size", "64", "--batch", "1", "--d-steps", "0",
            "--templates", str(templates), "--no-progress"]
    # a run of the paper's generator, then its export fine-tuned without the coarse network
    assert train_main(base + ["--out", str(tmp_path / "z"), "--steps", "1"]) == 0
    full = tmp_path / "z" / "cra.cpu-1.safetensors"
    assert read_card(tmp_path / "z" / "cra.cpu-1.md")["coarse"] == "network"
    assert train_main(base + ["--out", str(tmp_path / "a"), "--steps", "2", "--coarse", "pull-push",
                              "--init", str(full)]) == 0
    card = read_card(tmp_path / "a" / "cra.cpu-2.md")
    assert card["coarse"] == "pull-push" and "coarse network is not used" in card["init"]
    assert "refined (no coarse network)" in card["losses"]
    state = load_weights(find_weights("cra", dirs=[tmp_path / "a"]))
    assert not any(k.startswith("coarse.") for k in state)
    from editor.methods.network import CRAMethod
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path / "a"))
    assert CRAMethod().load().coarse is None                         # the method builds what was trained
    capsys.readouterr()
    # resuming needs the same --coarse: one error line when another is given; left out, it is kept
    ck = str(tmp_path / "a" / "checkpoint.pt")
    assert train_main(base + ["--out", str(tmp_path / "a"), "--steps", "3", "--resume", ck,
                              "--coarse", "network"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--coarse pull-push" in err and err.count("\n") == 1
    assert train_main(base + ["--out", str(tmp_path / "a"), "--steps", "3", "--resume", ck]) == 0
    assert read_card(tmp_path / "a" / "cra.cpu-3.md")["coarse"] == "pull-push"


def test_train_command(tiny_data, tmp_path, capsys):
    photos, templates = tiny_data
    rc = train_main(["cra", "--images", str(photos), "--out", str(tmp_path / "run"), "--size", "64",
                     "--batch", "1", "--steps", "1", "--d-steps", "1", "--sample-every", "1",
                     "--templates", str(templates), "--tag", "t1", "--no-progress"])
    assert rc == 0
    assert (tmp_path / "run" / "cra.t1.safetensors").is_file()
    assert list((tmp_path / "run" / "samples").glob("step_*.png"))
    assert "weights" in capsys.readouterr().out
    rc = train_main(["cra", "--images", str(tmp_path / "missing"), "--out", str(tmp_path / "r2"), "--size", "64",
                     "--no-progress"])
    assert rc == 2 and "error:" in capsys.readouterr().err
    assert train_main(["unknown-net", "--images", "x", "--out", "y"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument network: invalid choice") and err.count("\n") == 1


def test_the_card_command_is_one_a_user_can_type_again():
    from editor.training.trainer import command_line

    pkg = "/venv/lib/python3.11/site-packages/editor"
    assert command_line(["/venv/bin/inpaint-studio", "train", "cra", "--out", "a b"], {}) == \
        "inpaint-studio train cra --out 'a b'"
    assert command_line([f"{pkg}/__main__.py", "train", "cra"], {}) == "python -m editor train cra"
    assert command_line([f"{pkg}/training/cli.py", "cra", "--steps", "3"], {}) == \
        "python -m editor.training.cli cra --steps 3"
    torchrun = {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "4", "WORLD_SIZE": "8"}
    assert command_line([f"{pkg}/training/cli.py", "cra", "--device", "cuda"], torchrun) == \
        "torchrun --nproc_per_node 4 --nnodes 2 -m editor.training.cli cra --device cuda"
    assert command_line([f"{pkg}/training/cli.py", "cra"], {**torchrun, "WORLD_SIZE": "4"}) == \
        "torchrun --nproc_per_node 4 -m editor.training.cli cra"
