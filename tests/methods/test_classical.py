"""Classical methods: each fills a hole plausibly, keeps the interface, and the registry has one default."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from editor.core.errors import MethodUnavailableError
from editor.methods import base
from editor.methods import classical
from editor.methods.base import LowResResult, create_method, default_method_name, list_methods

CLASSICAL = ["telea", "navier-stokes", "patchmatch"]


def _scene(h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """A smooth colour gradient with a periodic stripe texture, and a 16x20 hole in the middle."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([60 + xx, 80 + yy, 120 + 0.3 * (xx + yy)], axis=-1)
    img += 25 * (((xx // 4) % 2) - 0.5)[..., None]  # vertical stripes, period 8 px
    img = np.clip(img, 0, 255).astype(np.uint8)
    hole = np.zeros((h, w), bool)
    hole[40:56, 54:74] = True
    return img, hole


@pytest.mark.parametrize("name", CLASSICAL)
def test_fills_hole_plausibly(name):
    img, hole = _scene()
    inp, hole_in = img.copy(), hole.copy()
    damaged = img.copy()
    damaged[hole] = 0  # the method must not rely on what lies under the hole
    res = create_method(name).inpaint(damaged, hole)
    assert isinstance(res, LowResResult) and res.attention_score is None
    out = res.image
    assert out.shape == img.shape and out.dtype == np.uint8
    err = np.abs(out[hole].astype(float) - img[hole]).mean()
    zero_fill_err = np.abs(img[hole].astype(float)).mean()
    assert err < 0.15 * zero_fill_err, (err, zero_fill_err)
    assert np.array_equal(img, inp) and np.array_equal(hole, hole_in)  # inputs untouched
    # the known region is left alone (up to tiny changes the pipeline's composite would undo anyway)
    assert np.abs(out[~hole].astype(int) - damaged[~hole]).max() <= 1


def test_patchmatch_copies_texture_and_is_deterministic():
    img, hole = _scene()
    damaged = img.copy()
    damaged[hole] = 0
    m = create_method("patchmatch")
    a, b = m.inpaint(damaged, hole).image, m.inpaint(damaged, hole).image
    assert np.array_equal(a, b)
    # PatchMatch copies the stripe texture: the fill keeps the stripes' contrast where diffusion flattens it
    def stripe_contrast(x):
        col_means = x[hole].reshape(16, 20, 3).astype(float).mean(axis=(0, 2))
        return col_means.std()
    telea = create_method("telea").inpaint(damaged, hole).image
    assert stripe_contrast(a) > 2 * stripe_contrast(telea)
    assert stripe_contrast(a) > 0.5 * stripe_contrast(img)


def test_reporter_and_cancel():
    from editor.core.progress import CancelToken, Reporter
    img, hole = _scene()
    seen = []
    create_method("telea").inpaint(img, hole, Reporter(lambda s, f: seen.append((s, f))))
    assert seen[0] == ("lr_inpaint", 0.0) and seen[-1] == ("lr_inpaint", 1.0)
    tok = CancelToken()
    tok.cancel()
    from editor.core.errors import Cancelled
    with pytest.raises(Cancelled):
        create_method("patchmatch").inpaint(img, hole, Reporter(cancel=tok))


def test_cancel_during_a_long_native_call_takes_effect_at_once():
    """A large PatchMatch fill (seconds, in native code) stops within a poll of the cancel, and the next call
    (waiting for the abandoned one: the library's seed is global) is still deterministic."""
    import threading
    import time

    from editor.core.errors import Cancelled
    from editor.core.progress import CancelToken, Reporter
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    hole = np.zeros((600, 800), bool)
    hole[150:450, 200:600] = True
    tok = CancelToken()
    threading.Timer(0.2, tok.cancel).start()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        create_method("patchmatch").inpaint(img, hole, Reporter(cancel=tok))
    assert time.perf_counter() - t0 < 0.2 + 0.5
    small, small_hole = _scene()
    a = create_method("patchmatch").inpaint(small, small_hole, Reporter()).image
    b = create_method("patchmatch").inpaint(small, small_hole).image
    np.testing.assert_array_equal(a, b)


def test_bad_shapes_rejected():
    img, hole = _scene()
    with pytest.raises(ValueError):
        create_method("telea").inpaint(img, hole[:-1])
    with pytest.raises(ValueError):
        create_method("patchmatch").inpaint(img.astype(np.float32), hole)


def test_registry_has_exactly_one_default_among_classical():
    names = list_methods()
    assert names[:3] == CLASSICAL
    assert default_method_name() in names
    assert base._DEFAULT == [default_method_name()]
    for n in CLASSICAL:
        info = create_method(n).info()
        assert info["kind"] == "classical" and info["available"] is True and info["description"]


def test_unknown_method():
    with pytest.raises(MethodUnavailableError, match="unknown method 'nope'"):
        create_method("nope")


def test_patchmatch_unavailable_reports_reason(monkeypatch):
    monkeypatch.setattr(classical, "_load_patchmatch", lambda: (None, "library missing"))
    m = create_method("patchmatch")
    assert m.availability() == (False, "library missing")
    assert m.info()["available"] is False and m.info()["reason"] == "library missing"
    with pytest.raises(MethodUnavailableError, match="library missing"):
        m.inpaint(*_scene())


def test_patchmatch_unavailable_when_import_fails():
    # A real import failure (the module hidden) must give a reason, not an exception.
    code = ("import sys; sys.modules['patchmatch'] = None\n"
            "from editor.methods import create_method\n"
            "ok, why = create_method('patchmatch').availability()\n"
            "assert not ok and 'pypatchmatch' in why, why\n"
            "import numpy as np\n"
            "img = np.zeros((8, 8, 3), np.uint8); h = np.zeros((8, 8), bool); h[2:4, 2:4] = True\n"
            "create_method('telea').inpaint(img, h)\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", ["telea", "navier-stokes", "patchmatch"])
@pytest.mark.parametrize("shape", [(1, 64), (64, 1), (5, 64), (3, 512)])
def test_thin_image_is_filled_deterministically(name, shape):
    """A panorama strip's low-res image can be a few px thin; OpenCV then read past it (values 128-134 on a flat
    grey photo, different each run) and PatchMatch filled it with 0, 32, 64 ... The fill of a flat photo is
    flat, every time."""
    image = np.full((*shape, 3), 128, np.uint8)
    hole = np.zeros(shape, bool)
    hole[tuple(slice(20, 33 if n < 100 else 300) if n > 5 else slice(None) for n in shape)] = True
    method = create_method(name)
    outs = [method.inpaint(image, hole).image for _ in range(10)]
    for out in outs:
        assert out.shape == image.shape
        np.testing.assert_array_equal(out, image)
