"""The `train` command's guards: one-line usage errors before any work, run folders never overwritten without
--force, resumes that keep the run's options (and record an --lr change), a log cut back after a hard kill,
nothing-to-train refusals, honest cards, and interrupts (SIGTERM like Ctrl+C)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch

from editor.networks.weights import read_card
from editor.training import datasets
from editor.training.cli import train_main
from editor.training.trainer import Trainer


def _base(tiny_data, out, *extra):
    photos, templates = tiny_data
    return ["cra", "--images", str(photos), "--out", str(out), "--size", "64", "--batch", "1", "--d-steps", "0",
            "--sample-every", "0", "--templates", str(templates), "--no-progress", *extra]


def _run(capsys, argv):
    rc = train_main(argv)
    cap = capsys.readouterr()
    return rc, cap.err


def _one_error(rc, err, *expect):
    assert rc == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for e in expect:
        assert e in err, (e, err)


def _log_steps(path):
    return [json.loads(line)["step"] for line in Path(path).read_text().splitlines()]


def _ck_step(out):
    return torch.load(Path(out) / "checkpoint.pt", weights_only=True)["step"]


def test_usage_errors_are_one_line_and_write_nothing(tiny_data, tmp_path, capsys):
    photos, _ = tiny_data
    out = tmp_path / "run"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    good = tmp_path / "ck.pt"
    torch.save({"step": 1, "x": torch.zeros(1000)}, good)
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(good.read_bytes()[:300])
    cases = [
        ([], "train needs a network"),
        (["gan", "--images", str(photos), "--out", str(out)], "invalid choice: 'gan'"),
        (["cra", "--out", str(out)], "--images is required"),
        (_base(tiny_data, out, "--size", "0"), "--size"),
        (_base(tiny_data, out, "--size", "-64"), "at least 64"),
        (_base(tiny_data, out, "--size", "100"), "multiple of 64"),
        (_base(tiny_data, out, "--size", "abc"), "'abc'"),
        (_base(tiny_data, out, "--steps", "0"), "--steps"),
        (_base(tiny_data, out, "--steps", "-3"), "--steps"),
        (_base(tiny_data, out, "--batch", "0"), "--batch"),
        (_base(tiny_data, out, "--checkpoint-every", "0"), "--checkpoint-every"),
        (_base(tiny_data, out, "--lr", "-1"), "--lr"),
        (_base(tiny_data, out, "--lr", "nan"), "--lr"),
        (_base(tiny_data, out, "--beta1", "1"), "--beta1"),
        (_base(tiny_data, out, "--threads", "0"), "--threads"),
        (_base(tiny_data, out, "--max-minutes", "0"), "--max-minutes"),
        (_base(tiny_data, out, "--tag", "../escaped"), "not a plain tag"),
        (_base(tiny_data, out, "--device", "banana"), "not a device"),
        (_base(tiny_data, a_file), "is a file, not a folder"),
        (_base(tiny_data, out, "--resume", str(tmp_path / "none.pt")), "no such checkpoint"),
        (_base(tiny_data, out, "--resume", str(tmp_path)), "is a folder"),
        (_base(tiny_data, out, "--resume", str(a_file)), "not a readable training checkpoint"),
        (_base(tiny_data, out, "--resume", str(trunc)), "not a readable training checkpoint (truncated or damaged"),
        (_base(tiny_data, out, "--resume", str(good)), "not a training checkpoint"),
    ]
    if not torch.cuda.is_available():
        cases.append((_base(tiny_data, out, "--device", "cuda"), "CUDA is not available"))
    for argv, expect in cases:
        _one_error(*_run(capsys, argv), expect)
    assert not out.exists()


def test_a_corrupt_photo_is_refused_by_name(tiny_data, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "ok.png").write_bytes((tiny_data[0] / "p0.png").read_bytes())
    (photos / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    argv = _base(tiny_data, tmp_path / "run", "--steps", "1")
    argv[argv.index("--images") + 1] = str(photos)
    _one_error(*_run(capsys, argv), "bad.jpg: not a readable photo", "--exclude 'bad.jpg'")
    assert not (tmp_path / "run").exists()


def test_a_run_folder_is_never_overwritten_without_force(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(_base(tiny_data, out, "--steps", "2", "--sample-every", "1")) == 0
    log_before = (out / "log.jsonl").read_text()
    # a fresh run into it: refused, checkpoint and log untouched
    rc, err = _run(capsys, _base(tiny_data, out, "--steps", "1"))
    _one_error(rc, err, "already holds a run", f"--resume {out / 'checkpoint.pt'}", "--force")
    assert _ck_step(out) == 2 and (out / "log.jsonl").read_text() == log_before
    # an export that would replace existing weights: refused before any work
    other = tmp_path / "other"
    other.mkdir()
    (other / "cra.mine.safetensors").write_bytes(b"precious")
    _one_error(*_run(capsys, _base(tiny_data, other, "--steps", "1", "--tag", "mine")), "already exists", "--force")
    assert (other / "cra.mine.safetensors").read_bytes() == b"precious" and not (other / "log.jsonl").exists()
    # --force starts the folder over: a new log, checkpoint and samples of the new run only
    assert train_main(_base(tiny_data, out, "--steps", "1", "--force")) == 0
    assert _log_steps(out / "log.jsonl") == [1] and _ck_step(out) == 1
    assert sorted(p.name for p in (out / "samples").glob("step_*.png")) == ["step_0000001.png"]
    # ... and its exports: the old cra.cpu-2 (more steps) would otherwise be the one `--models-dir run` uses;
    # but only the files the old checkpoint records: other weights kept in the folder stay
    assert sorted(p.name for p in out.glob("cra.*")) == ["cra.cpu-1.md", "cra.cpu-1.safetensors"]
    (out / "cra.keep.safetensors").write_bytes(b"someone's weights")
    (out / "cra.notes.md").write_text("notes")
    assert train_main(_base(tiny_data, out, "--steps", "2", "--force")) == 0
    assert sorted(p.name for p in out.glob("cra.*")) == ["cra.cpu-2.md", "cra.cpu-2.safetensors",
                                                         "cra.keep.safetensors", "cra.notes.md"]
    # a folder of weights without a run (e.g. the models folder): a run there removes none of them
    models = tmp_path / "models"
    models.mkdir()
    (models / "cra.cpu-99.safetensors").write_bytes(b"shipped")
    (models / "cra.cpu-99.md").write_text("card")
    assert train_main(_base(tiny_data, models, "--steps", "1")) == 0
    assert (models / "cra.cpu-99.safetensors").read_bytes() == b"shipped" and (models / "cra.cpu-99.md").exists()


def test_a_resume_from_another_folder_trains_on_the_same_photos(tiny_data, tmp_path, capsys, monkeypatch):
    """Paths are recorded absolute: a relative --images given at the start means the same photos on resume,
    wherever the resume is run from (a same-named folder elsewhere is not picked up)."""
    photos, templates = tiny_data
    monkeypatch.chdir(photos.parent)
    out = tmp_path / "run"
    argv = _base(tiny_data, out, "--steps", "1", "--log", "logs/run.jsonl")   # relative photos and log
    argv[argv.index("--images") + 1] = photos.name
    assert train_main(argv) == 0
    log = photos.parent / "logs" / "run.jsonl"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / photos.name).mkdir(parents=True)   # an unrelated folder of the same name
    monkeypatch.chdir(elsewhere)
    assert train_main(["cra", "--resume", str(out / "checkpoint.pt"), "--steps", "2", "--no-progress"]) == 0
    assert read_card(out / "cra.cpu-2.md")["data"].startswith(str(photos))
    assert _log_steps(log) == [1, 2] and not (elsewhere / "logs").exists()   # the same log, continued
    rc, err = _run(capsys, ["cra", "--resume", str(out / "checkpoint.pt"), "--steps", "3", "--images", photos.name])
    _one_error(rc, err, "--images")   # relative to here, it is the other folder: refused
    rc, err = _run(capsys, _base(tiny_data, tmp_path / "r2", "--steps", "1", "--exclude", "*.png"))
    _one_error(rc, err, f"--exclude leaves none of the 3 photos in {photos}")


def test_resume_keeps_the_runs_options_cuts_the_log_and_records_an_lr_change(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(_base(tiny_data, out, "--steps", "2", "--seed", "4")) == 0
    ck = str(out / "checkpoint.pt")
    for extra, expect in ((["--size", "128"], ("--size 128", "--size 64")),
                          (["--batch", "2"], ("--batch 2", "--batch 1")),
                          (["--softmax-scale", "1"], ("--softmax-scale 1.0", "--softmax-scale 10.0")),
                          (["--rec-normalize", "region"], ("--rec-normalize region", "--rec-normalize all")),
                          (["--seed", "0"], ("--seed 0", "--seed 4")),
                          (["--steps", "2"], ("nothing to train", "at step 2"))):
        _one_error(*_run(capsys, _base(tiny_data, out, "--resume", ck, *extra)), *expect)
    other = tmp_path / "other-photos"
    other.mkdir()
    argv = _base(tiny_data, out, "--resume", ck, "--steps", "3")
    argv[argv.index("--images") + 1] = str(other)
    _one_error(*_run(capsys, argv), "--images", str(tiny_data[0]))
    assert _ck_step(out) == 2
    # a hard kill after step 4 left records past the checkpoint (and half a line): cut back on resume
    with open(out / "log.jsonl", "a") as f:
        f.write(json.dumps({"step": 3}) + "\n" + json.dumps({"step": 4}) + "\n" + '{"step": 5, "lo')
    # options left out keep the checkpoint's values; --lr may change, and the card says from when
    assert train_main(["cra", "--resume", ck, "--steps", "3", "--lr", "5e-5", "--no-progress"]) == 0
    assert _log_steps(out / "log.jsonl") == [1, 2, 3]
    card = read_card(out / "cra.cpu-3.md")
    assert card["lr"] == "0.0001 (steps 1-2), then 5e-05 (steps 3-3)"
    assert card["crop"] == 64 and card["batch"] == 1 and card["seed"] == 4
    assert card["templates"] == str(tiny_data[1])
    assert card["losses"].endswith("only (no adversarial step was taken)")


def test_init_refusals_and_a_card_that_counts_only_trained_adversarial_steps(tiny_data, tmp_path, capsys):
    a = tmp_path / "a"
    assert train_main(_base(tiny_data, a, "--steps", "1")) == 0
    exported = str(a / "cra.cpu-1.safetensors")
    _one_error(*_run(capsys, _base(tiny_data, tmp_path / "b", "--init", exported, "--steps", "1")),
               "nothing to train", "at step 1")
    assert not (tmp_path / "b").exists()
    # WGAN-GP from step 3 on (--adv-start 2): of the steps 2-3 trained here only step 3 took it
    assert train_main(_base(tiny_data, tmp_path / "b", "--init", exported, "--steps", "3", "--d-steps", "1",
                            "--adv-start", "2")) == 0
    card = read_card(tmp_path / "b" / "cra.cpu-3.md")
    assert "WGAN-GP (gp 10) in the last 1 of 2 steps (steps 3-3)" in card["losses"]
    assert card["steps"] == 3 and card["steps_trained"] == "2 (steps 2-3)"
    # weights without a coarse network need --coarse pull-push
    assert train_main(_base(tiny_data, tmp_path / "p", "--init", exported, "--steps", "2",
                            "--coarse", "pull-push")) == 0
    _one_error(*_run(capsys, _base(tiny_data, tmp_path / "q", "--init", str(tmp_path / "p" / "cra.cpu-2.safetensors"),
                                   "--steps", "3")),
               "these weights have no coarse network: add --coarse pull-push")


def _terminate_during_step_2(monkeypatch):
    """``kill`` the process as its second generator step starts (the run stops after that step)."""
    g_step = Trainer.g_step

    def g_step_then_term(self, *a, **k):
        if self.step == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return g_step(self, *a, **k)

    monkeypatch.setattr(Trainer, "g_step", g_step_then_term)


def test_sigterm_while_training_stops_like_ctrl_c_with_checkpoint_and_export(tiny_data, tmp_path, capsys,
                                                                            monkeypatch):
    _terminate_during_step_2(monkeypatch)
    out = tmp_path / "run"
    rc, err = _run(capsys, _base(tiny_data, out, "--steps", "50"))
    assert rc == 143 and "interrupted at step 2 of 50" in err and f"--resume {out / 'checkpoint.pt'}" in err
    assert _ck_step(out) == 2 and (out / "cra.cpu-2.safetensors").is_file()
    card = read_card(out / "cra.cpu-2.md")           # the card says the run stopped early, and how it was run
    assert card["stopped_early"].startswith("at step 2 of --steps 50") and card["torch"] == torch.__version__
    assert "command" in card and "decode_long_side" in card
    assert _log_steps(out / "log.jsonl") == [1, 2]


def test_an_interrupt_while_photos_load_writes_nothing(tiny_data, tmp_path, capsys, monkeypatch):
    def decode_then_term(path, long_side):
        os.kill(os.getpid(), signal.SIGTERM)
        return decode(path, long_side)

    decode = datasets._decode
    monkeypatch.setattr(datasets, "_decode", decode_then_term)
    out = tmp_path / "run"
    before = signal.getsignal(signal.SIGTERM)
    rc, err = _run(capsys, _base(tiny_data, out, "--steps", "5"))
    assert rc == 143 and err == "terminated: nothing was written\n" and not out.exists()
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back


def test_a_resume_keeps_the_tag_and_replaces_its_own_earlier_export(tiny_data, tmp_path, capsys, monkeypatch):
    """--tag was dropped on resume (the README: the checkpoint holds every option), and resuming with it again was
    refused because the interrupted run had exported cra.<tag> itself. Now the tag carries over and the resumed
    run replaces its own earlier export; another run's file of that name is still refused without --force."""
    _terminate_during_step_2(monkeypatch)
    out = tmp_path / "run"
    rc, _ = _run(capsys, _base(tiny_data, out, "--steps", "5", "--tag", "mine"))
    assert rc == 143 and read_card(out / "cra.mine.md")["steps"] == 2
    monkeypatch.undo()                                     # no kill this time
    rc, err = _run(capsys, ["cra", "--resume", str(out / "checkpoint.pt"), "--steps", "3", "--no-progress"])
    assert rc == 0, err
    assert read_card(out / "cra.mine.md")["steps"] == 3 and not list(out.glob("cra.cpu-*"))
    # a file of that name that this run did not write is another matter
    other = tmp_path / "other"
    assert train_main(_base(tiny_data, other, "--steps", "1")) == 0
    (other / "cra.mine.safetensors").write_bytes(b"someone else's")
    _one_error(*_run(capsys, ["cra", "--resume", str(other / "checkpoint.pt"), "--steps", "2", "--tag", "mine",
                              "--no-progress"]), "already exists", "--force")


def test_a_run_stopped_by_max_minutes_says_so_and_how_to_go_on(tiny_data, tmp_path, capsys, monkeypatch):
    import time as time_module
    clock = iter(range(0, 10**6, 1000))                         # every reading is 1000 s later than the last
    monkeypatch.setattr(time_module, "monotonic", lambda: float(next(clock)))
    out = tmp_path / "run"
    assert train_main(_base(tiny_data, out, "--steps", "50", "--max-minutes", "1")) == 0
    cap = capsys.readouterr()
    assert f"stopped by --max-minutes at step 1 of 50; continue with --resume {out / 'checkpoint.pt'}" in cap.err
    assert "trained 1 step (steps 1-1)" in cap.out
    assert read_card(out / "cra.cpu-1.md")["stopped_early"].startswith("at step 1 of --steps 50")


def test_train_help_names_its_values_like_the_other_commands(capsys):
    """``train --help`` showed argparse's upper-cased option names (``--size SIZE``, ``--d-steps D_STEPS``)
    where the other commands show what a value is (``PX``, ``N``, ``DIR``)."""
    assert train_main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "--size PX" in text and "--images DIR" in text and "--steps N" in text
    assert "SIZE" not in text and "D_STEPS" not in text and "MAX_MINUTES" not in text
