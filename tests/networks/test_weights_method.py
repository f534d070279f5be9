"""Weights files (safetensors + sha256 in the model card) and the ``cra`` method built on them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from editor.core.errors import MethodUnavailableError
from editor.methods.base import AttentionScore, create_method, list_methods
from editor.methods.network import CRAMethod
from editor.networks.cra import CRAGenerator
from editor.networks.weights import (find_weights, load_weights, read_card, save_weights, sha256_file,
                                     write_model_card)

REPO = Path(__file__).resolve().parents[2]


def _write(folder: Path, tag: str, steps: int = 10, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    g = CRAGenerator()
    path = save_weights(g.state_dict(), folder / f"cra.{tag}.safetensors")
    write_model_card(folder / f"cra.{tag}.md", {"network": "cra", "tag": tag, "steps": steps,
                                                 "sha256": sha256_file(path)})
    return path


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path))
    monkeypatch.delenv("INPAINT_STUDIO_CRA_TAG", raising=False)
    monkeypatch.setattr("editor.paths.user_models_dir", lambda: tmp_path / "no-user-dir")
    return tmp_path


def test_safetensors_round_trip(models):
    _write(models, "a")
    info = find_weights("cra")
    state = load_weights(info)
    torch.manual_seed(0)
    ref = CRAGenerator().state_dict()
    assert state.keys() == ref.keys()
    assert all(torch.equal(state[k], ref[k]) for k in ref)
    assert read_card(info.card_path)["sha256"] == sha256_file(info.path)


def test_policy_most_steps_unless_a_tag_is_asked(models, monkeypatch):
    _write(models, "few", steps=5)
    _write(models, "many", steps=500, seed=1)
    assert find_weights("cra").tag == "many"
    assert find_weights("cra", "few").tag == "few"
    monkeypatch.setenv("INPAINT_STUDIO_CRA_TAG", "few")
    assert find_weights("cra").tag == "few"


def test_method_runs_and_returns_attention(models):
    _write(models, "a")
    m = create_method("cra")
    assert m.kind == "network" and m.multiple == 16
    assert m.availability() == (True, "")
    assert m.parameter_count() == 2_663_237
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    hole = np.zeros((48, 64), bool)
    hole[5:20, 20:36] = True
    before = image.copy()
    res = m.inpaint(image, hole)
    assert np.array_equal(image, before)
    assert res.image.shape == (48, 64, 3) and res.image.dtype == np.uint8
    a = res.attention_score
    assert isinstance(a, AttentionScore) and a.grid == (3, 4)
    assert a.hole_cells.tolist() == [1, 2, 5, 6] and a.context_cells.dtype == np.int64
    assert sorted(a.hole_cells.tolist() + a.context_cells.tolist()) == list(range(12))
    assert a.score.shape == (4, 8) and a.score.dtype == np.float32
    np.testing.assert_allclose(a.score.sum(1), 1.0, atol=1e-5)
    with pytest.raises(ValueError):
        m.inpaint(image[:40], hole[:40])


def test_running_out_of_memory_in_the_network_is_a_memory_error_with_a_way_out(models, monkeypatch, tmp_path,
                                                                              capsys):
    """``--lowres-size 100000`` ran the network on the whole 24 MP photo: torch's allocator failed after 30 s and
    the command line said "internal error: RuntimeError ..." (exit 1). Now it is a MemoryError naming the cure."""
    from PIL import Image

    from editor.cli import main
    _write(models, "a")

    def oom(self, *a, **k):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 35156250000 bytes")
    monkeypatch.setattr(CRAGenerator, "forward", oom)
    m = create_method("cra")
    with pytest.raises(MemoryError, match="lower --lowres-size"):
        m.inpaint(np.zeros((48, 64, 3), np.uint8), np.ones((48, 64), bool))
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(tmp_path / "p.png")
    hole = np.zeros((48, 64), np.uint8)
    hole[10:20, 10:20] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    assert main(["inpaint", str(tmp_path / "p.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                 "--method", "cra"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not enough memory: the network needs more memory") and "internal" not in err
    assert not (tmp_path / "o.png").exists()


def test_card_coarse_stage_reaches_the_generator(models):
    _write(models, "a")
    assert CRAMethod().load().coarse is not None                       # no key: the paper's coarse network
    torch.manual_seed(0)
    g = CRAGenerator(coarse="pull-push")
    path = save_weights(g.state_dict(), models / "cra.b.safetensors")
    write_model_card(models / "cra.b.md", {"network": "cra", "tag": "b", "steps": 20, "coarse": "pull-push",
                                            "sha256": sha256_file(path)})
    m = CRAMethod()
    assert m.parameter_count() == sum(p.numel() for p in g.parameters()) < 2_663_237
    assert m.load().coarse is None and m.parameter_count() == sum(p.numel() for p in g.parameters())


def test_weights_in_the_user_folder_are_used_and_named(tmp_path, monkeypatch, capsys):
    """The README's "copy both files into the per-user models folder": they win over the shipped weights (which
    have more steps here), and `methods` says which file runs."""
    import json

    from editor.cli import main
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    shipped.mkdir()
    user.mkdir()
    _write(shipped, "shipped", steps=10_000)
    _write(user, "mine", steps=50, seed=1)
    monkeypatch.delenv("INPAINT_STUDIO_MODELS", raising=False)
    monkeypatch.delenv("INPAINT_STUDIO_CRA_TAG", raising=False)
    monkeypatch.setattr("editor.paths.resolve_dir", lambda name, **kw: shipped)
    monkeypatch.setattr("editor.paths.user_models_dir", lambda: user)
    assert find_weights("cra").path == user / "cra.mine.safetensors"
    assert main(["methods", "--json"]) == 0
    cra = next(m for m in json.loads(capsys.readouterr().out.splitlines()[-1])["methods"] if m["name"] == "cra")
    assert cra["weights"] == str(user / "cra.mine.safetensors") and cra["tag"] == "mine"
    assert "weights cra.mine, 50 steps" in cra["description"]
    assert main(["methods"]) == 0
    assert f"(weights: {user / 'cra.mine.safetensors'})" in capsys.readouterr().out


def test_corrupt_weights_make_the_method_unavailable(models):
    path = _write(models, "a")
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    ok, why = CRAMethod().availability()
    assert not ok and "corrupt" in why
    with pytest.raises(MethodUnavailableError):
        CRAMethod().inpaint(np.zeros((16, 16, 3), np.uint8), np.eye(16, dtype=bool))


def test_missing_weights_or_card_make_the_method_unavailable(models):
    ok, why = CRAMethod().availability()
    assert not ok and "no weights" in why
    path = _write(models, "a")
    path.with_name("cra.a.md").unlink()
    ok, why = CRAMethod().availability()
    assert not ok and "card" in why
    assert "cra" in list_methods()


def test_registry_survives_a_broken_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from editor.methods.base import create_method, list_methods\n"
            "assert 'cra' in list_methods(), list_methods()\n"
            "ok, why = create_method('cra').availability()\n"
            "assert not ok and 'torch' in why, why\n"
            "print('ok')")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
