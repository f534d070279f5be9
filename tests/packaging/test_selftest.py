"""editor.selftest: the checks themselves, the skip/fail rule for networks, and a real in-process run."""

from __future__ import annotations

import io

import numpy as np
import pytest

from editor import selftest
from editor.methods import base
from editor.methods.base import InpaintMethod, LowResResult
from editor.selftest import check_result, run_self_test


def _classical() -> list[str]:
    return [n for n in base.list_methods() if base.create_method(n).kind == "classical"]


@pytest.fixture
def photo():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    hole = np.zeros((40, 60), bool)
    hole[10:25, 20:40] = True
    return image, hole


def test_check_result_accepts_a_hole_only_change(photo):
    image, hole = photo
    result = image.copy()
    result[hole] = (60, 140, 50)
    assert check_result(image, hole, result) == ""


def test_check_result_rejects_a_known_pixel_change(photo):
    image, hole = photo
    result = image.copy()
    result[hole] = (60, 140, 50)
    result[0, 0, 1] ^= 1  # one channel of one known pixel, off by one level
    assert "1 pixels outside the hole changed" in check_result(image, hole, result)


def test_check_result_rejects_an_unchanged_hole(photo):
    image, hole = photo
    assert "hole barely changed" in check_result(image, hole, image.copy())


def test_check_result_rejects_wrong_shape_or_dtype(photo):
    image, hole = photo
    assert "expected uint8" in check_result(image, hole, image.astype(np.float32))
    assert "expected uint8" in check_result(image, hole, image[:-1])


def test_check_result_rejects_the_object_left_in_place():
    image = np.full((30, 30, 3), (60, 140, 50), np.uint8)  # green meadow
    image[10:20, 10:20] = (220, 30, 30)  # the red sign
    hole = np.zeros((30, 30), bool)
    hole[8:22, 8:22] = True
    result = image.copy()
    result[8:10, 8:22] = (0, 0, 0)  # "filled" only the top rows of the hole: the sign stays
    assert "still there" in check_result(image, hole, result)
    result[hole] = (60, 140, 50)
    assert check_result(image, hole, result) == ""


def test_real_self_test_passes_with_every_classical_method():
    out = io.StringIO()
    names = _classical()
    assert {"telea", "navier-stokes"} <= set(names)
    assert run_self_test(names, out=out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    for name in names:
        assert any(line.startswith("ok") and f" {name} " in line and line.endswith(" s") for line in lines), lines
    assert lines[-1] == f"self-test passed: {len(names)} ok, 0 failed, 0 skipped"


class _NoFill(InpaintMethod):
    """A broken method: returns its input, so the hole keeps the object."""

    name = "test-no-fill"
    description = "test double"

    def inpaint(self, image, hole, reporter=None):
        return LowResResult(image.copy())


class _NoWeightsNet(InpaintMethod):
    name = "test-net"
    kind = "network"
    description = "test double"

    def availability(self):
        return False, "weights test-net.*.safetensors not found"

    def inpaint(self, image, hole, reporter=None):  # pragma: no cover - never called when unavailable
        raise AssertionError


def test_a_method_that_does_not_fill_fails_the_run(monkeypatch):
    monkeypatch.setitem(base._REGISTRY, _NoFill.name, _NoFill)
    out = io.StringIO()
    assert run_self_test(["telea", _NoFill.name], out=out) == 1
    text = out.getvalue()
    assert "FAIL  test-no-fill: " in text and "ok    telea" in text
    assert text.splitlines()[-1].startswith("self-test FAILED: 1 ok, 1 failed")


def test_unknown_method_name_fails(monkeypatch):
    out = io.StringIO()
    assert run_self_test(["no-such-method"], out=out) == 1
    assert "FAIL  no-such-method: MethodUnavailableError" in out.getvalue()


def test_network_without_shipped_weights_is_skipped(monkeypatch, tmp_path):
    monkeypatch.setitem(base._REGISTRY, _NoWeightsNet.name, _NoWeightsNet)
    monkeypatch.setattr(selftest, "_torch_import_error", lambda: "")  # torch works
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path))  # an empty models folder
    out = io.StringIO()
    assert run_self_test(["telea", _NoWeightsNet.name], out=out) == 0
    assert "skip  test-net: no weights shipped" in out.getvalue()


def test_network_unavailable_despite_shipped_weights_fails(monkeypatch, tmp_path):
    monkeypatch.setitem(base._REGISTRY, _NoWeightsNet.name, _NoWeightsNet)
    (tmp_path / "test-net.v1.safetensors").write_bytes(b"")
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path))
    out = io.StringIO()
    assert run_self_test(["telea", _NoWeightsNet.name], out=out) == 1
    assert "FAIL  test-net: unavailable: weights" in out.getvalue()


def test_shipped_weights_without_a_registered_method_fail(monkeypatch, tmp_path):
    """E.g. torch failed to load in a bundle, so the network module never registered its method."""
    (tmp_path / "orphan-net.v1.safetensors").write_bytes(b"")
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path))
    classical = _classical()
    monkeypatch.setattr(selftest, "_check_method",
                        lambda name, *a, **k: selftest.MethodCheck(name, "ok", 0.01))  # the run itself is tested above
    monkeypatch.setattr(base, "list_methods", lambda: classical)
    out = io.StringIO()
    assert run_self_test(out=out) == 1
    assert "FAIL  orphan-net: weights orphan-net.v1.safetensors ship but the method is not registered" in out.getvalue()


def test_missing_sample_fails_cleanly(monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINT_STUDIO_RESOURCES", str(tmp_path))  # a resources folder without the sample
    out = io.StringIO()
    assert run_self_test(["telea"], out=out) == 1
    assert out.getvalue().splitlines()[-1].startswith("FAIL  sample/registry: ImageReadError")


def test_network_without_weights_fails_when_torch_is_broken(monkeypatch, tmp_path):
    """A bundle that lost a torch file is broken even if no weights ship (seen: missing torch_shm_manager)."""
    monkeypatch.setitem(base._REGISTRY, _NoWeightsNet.name, _NoWeightsNet)
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(tmp_path))
    monkeypatch.setattr(selftest, "_torch_import_error", lambda: "RuntimeError: Unable to find torch_shm_manager")
    out = io.StringIO()
    assert run_self_test(["telea", _NoWeightsNet.name], out=out) == 1
    assert "FAIL  test-net: torch cannot be imported: RuntimeError" in out.getvalue()


def test_classical_self_test_needs_neither_torch_nor_a_display(tmp_path):
    """In a fresh interpreter with torch made unimportable and no DISPLAY: classical methods still pass."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    code = ("import sys; sys.modules['torch'] = None\n"  # any `import torch` now raises ImportError
            "from editor.selftest import run_self_test\n"
            "rc = run_self_test(['telea', 'navier-stokes'])\n"
            "assert not any(m == 'PySide6' or m.startswith('PySide6.') for m in sys.modules), 'Qt was imported'\n"
            "sys.exit(rc)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-test passed: 2 ok, 0 failed, 0 skipped" in proc.stdout


def test_checks_the_shipped_weights_not_the_users(tmp_path, monkeypatch):
    """A per-user folder holding a half-copied export (weights without a card, which the app would now try
    first) does not fail the install's self-test, and the report says that folder was not checked."""
    pytest.importorskip("torch")
    user = tmp_path / "user-models"
    user.mkdir()
    (user / "cra.cpu-5.safetensors").write_bytes(b"not really weights")
    monkeypatch.setattr("editor.paths.user_models_dir", lambda: user)
    monkeypatch.delenv("INPAINT_STUDIO_MODELS", raising=False)
    from editor.methods.network import CRAMethod
    ok, why = CRAMethod().availability()
    assert not ok and f"model card missing: cra.cpu-5.md in {user}" in why  # what the app itself would say
    out = io.StringIO()
    assert run_self_test(["cra"], out=out) == 0, out.getvalue()
    assert f"not checked: the per-user folder {user}" in out.getvalue()
    assert "ok    cra" in out.getvalue()


def test_a_models_override_on_the_user_folder_is_not_called_unchecked(tmp_path, monkeypatch):
    user = tmp_path / "user-models"
    user.mkdir()
    monkeypatch.setattr("editor.paths.user_models_dir", lambda: user)
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(user))
    out = io.StringIO()
    run_self_test(["telea"], out=out)
    header = out.getvalue().splitlines()[0]
    assert f"models: {user}" in header and "not checked" not in header
