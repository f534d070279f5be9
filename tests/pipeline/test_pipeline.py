"""InpaintPipeline: prepare, strategies, composite, errors, progress and cancellation (issue 2 §3)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.core.errors import Cancelled, InpaintError, MaskError, MethodUnavailableError
from editor.core.progress import CancelToken, Reporter
from editor.methods.base import AttentionScore, InpaintMethod, LowResResult
from editor.pipeline import (DEFAULT_DILATE, DEFAULT_LOWRES_SIZE, HD_STRATEGIES, STAGES, InpaintPipeline,
                             prepare)
from editor.pipeline.hd import hd_crop


class TeleaFill(InpaintMethod):
    """cv2.inpaint directly (tests must not depend on editor.methods.classical)."""

    name = "test-telea"

    def __init__(self, multiple: int = 1, device: str = "cpu") -> None:
        super().__init__(device)
        self.multiple = multiple
        self.shapes: list[tuple[int, int]] = []

    def inpaint(self, image, hole, reporter=None):
        assert image.shape[0] % self.multiple == 0 and image.shape[1] % self.multiple == 0
        assert hole.dtype == bool and hole.shape == image.shape[:2] and not hole.all()
        self.shapes.append(hole.shape)
        return LowResResult(cv2.inpaint(image, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA))


class MeanFill(InpaintMethod):
    """Fills the hole with the mean colour of the known region."""

    name = "test-mean"

    def inpaint(self, image, hole, reporter=None):
        out = image.copy()
        out[hole] = image[~hole].mean(axis=0).round().astype(np.uint8)
        return LowResResult(out)


class RowFill(InpaintMethod):
    """Fills each row of the hole by interpolating between its nearest known pixels left and right (continues
    horizontal structure exactly)."""

    name = "test-rows"

    def __init__(self) -> None:
        super().__init__("cpu")
        self.shapes: list[tuple[int, int]] = []

    def inpaint(self, image, hole, reporter=None):
        self.shapes.append(hole.shape)
        out = image.astype(np.float32)
        x = np.arange(hole.shape[1])
        for y in np.flatnonzero(hole.any(axis=1)):
            known = ~hole[y]
            for c in range(3):
                out[y, hole[y], c] = np.interp(x[hole[y]], x[known], out[y, known, c])
        return LowResResult(np.rint(out).astype(np.uint8))


def photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.integers(0, 255, (max(h // 40, 2), max(w // 40, 2), 3), dtype=np.uint8), (w, h),
                      interpolation=cv2.INTER_CUBIC).astype(np.int16)
    return np.clip(base + rng.integers(-25, 25, (h, w, 3)), 0, 255).astype(np.uint8)


def blob_hole(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (w // 2, h // 2), (w // 7, h // 4), 20, 0, 360, 1, -1)
    cv2.circle(m, (w // 5, h // 3), min(h, w) // 12, 1, -1)
    return m.astype(bool)


def readonly(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


# ------------------------------------------------------------------------------------------------- prepare
def test_prepare_keeps_aspect_and_pads_to_the_multiple():
    img, hole = photo(601, 1333), blob_hole(601, 1333)
    lr = prepare(img, hole, 512, 2, multiple=8)
    h, w = lr.hole.shape
    assert w == 512 and abs(h - 601 * 512 / 1333) <= 0.5              # long side 512, aspect kept
    assert lr.image.shape == (h, w, 3) and lr.image.dtype == np.uint8
    assert lr.padded_image.shape[0] % 8 == 0 and lr.padded_image.shape[1] % 8 == 0
    assert lr.padded_image.shape[:2] == lr.padded_hole.shape
    np.testing.assert_array_equal(lr.padded_image[:h, :w], lr.image)
    np.testing.assert_array_equal(lr.padded_hole[:h, :w], lr.hole)
    # area averaging (CRA §4.1): the low-res image is cv2.INTER_AREA of the photo
    np.testing.assert_array_equal(lr.image, cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA))
    # portrait photos too
    lr2 = prepare(photo(900, 300), blob_hole(900, 300), 512, 2)
    assert lr2.hole.shape == (512, round(300 * 512 / 900))


def test_prepare_never_upsamples_a_small_photo():
    img, hole = photo(300, 400), blob_hole(300, 400)
    lr = prepare(img, hole, 512, 0)
    assert lr.image.shape == img.shape
    np.testing.assert_array_equal(lr.image, img)
    np.testing.assert_array_equal(lr.hole, hole)


def test_a_panorama_keeps_a_short_side_of_a_quarter_of_lowres_size():
    from editor.pipeline import pipeline as pp
    assert pp.lowres_size((4000, 6000), 512) == (512, 341)            # camera formats: long side 512
    assert pp.lowres_size((1000, 4000), 512) == (512, 128)            # 4:1 still
    assert pp.lowres_size((480, 10240), 512) == (2731, 128)           # longer: short side 512 / 4
    assert pp.lowres_size((10240, 480), 512) == (128, 2731)           # portrait strips too
    assert pp.lowres_size((100, 20000), 512) == (3072, 15)            # the long side stops at 6 x 512
    assert pp.lowres_size((100, 2000), 512) == (2000, 100)            # never upsampled


def test_a_panorama_is_filled_from_a_low_res_image_that_keeps_its_structure(monkeypatch):
    # horizontal stripes 12 px apart on a 6000x240 strip: at 512x20 (one low-res px per 12 photo px) they are
    # gone and the fill is a flat blur; at 3072x123 they are 6 px apart and the fill continues them
    from editor.pipeline import pipeline as pp
    y = np.arange(240, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(128 + 80 * np.sin(2 * np.pi * y / 12), (240, 6000, 3)).astype(np.uint8)
    hole = np.zeros((240, 6000), bool)
    hole[60:180, 2900:3100] = True
    method = RowFill()
    new = InpaintPipeline(method, hd="resize").run(img, hole).image
    assert min(method.shapes[-1]) >= 120
    monkeypatch.setattr(pp, "PANORAMA_ASPECT", 10 ** 9)               # the long side at 512, whatever the shape
    old = InpaintPipeline(method, hd="resize").run(img, hole).image
    assert max(method.shapes[-1]) == 512
    err = {k: np.abs(v[hole].astype(int) - img[hole]).mean() for k, v in (("new", new), ("old", old))}
    assert err["new"] < 0.3 * err["old"], err


def test_prepare_downsamples_the_hole_conservatively_then_dilates():
    img = photo(1000, 2000)
    hole = np.zeros((1000, 2000), bool)
    hole[503, 1001] = True                                          # one full-res pixel
    lr0 = prepare(img, hole, 512, 0)                                # scale 512/2000: ~3.9 px per low-res px
    assert 1 <= lr0.hole.sum() <= 2                                 # kept (nearest would lose it)
    ys, xs = np.nonzero(lr0.hole)
    assert abs(ys[0] - 503 * 256 / 1000) <= 1 and abs(xs[0] - 1001 * 512 / 2000) <= 1
    lr3 = prepare(img, hole, 512, 3)
    assert lr3.hole[lr0.hole].all()                                 # dilation only grows
    assert lr3.hole.sum() >= 25 and lr3.hole.sum() <= 2 * 49        # a disc of radius 3 (or two)
    yy, xx = np.nonzero(lr3.hole)
    assert yy.max() - yy.min() <= 7 and xx.max() - xx.min() <= 7


def test_prepare_falls_back_to_the_undilated_hole_when_dilation_covers_everything():
    img = photo(100, 100)
    hole = np.ones((100, 100), bool)
    hole[0:2, 0:2] = False
    lr = prepare(img, hole, 50, 5)
    assert not lr.hole.all()


# ------------------------------------------------------------------------------------------------- contract
@pytest.mark.parametrize("hd", HD_STRATEGIES)
def test_known_region_is_bit_identical_for_every_strategy(hd):
    img, hole = readonly(photo(700, 1100, seed=1), blob_hole(700, 1100))
    method = TeleaFill(multiple=8)
    res = InpaintPipeline(method, hd=hd).run(img, hole)
    assert res.image.dtype == np.uint8 and res.image.shape == img.shape
    np.testing.assert_array_equal(res.image[~hole], img[~hole])
    assert (res.image[hole] != img[hole]).any(axis=1).mean() > 0.5   # the hole really was filled
    assert res.hd == hd and res.method == "test-telea"
    assert res.hole_fraction == pytest.approx(hole.mean())
    assert 0 < res.seconds_preview <= res.seconds_total
    assert res.lr_result.shape == (round(700 * 512 / 1100), 512, 3)
    assert all(s[0] % 8 == 0 and s[1] % 8 == 0 for s in method.shapes)


@pytest.mark.parametrize("hd", HD_STRATEGIES)
def test_in_place_writes_the_same_result_into_the_photo(hd):
    img, hole = photo(700, 1100, seed=4), blob_hole(700, 1100)
    hole[20:60, 30:90] = True                                      # a second hole: crop merges/keeps boxes
    expected = InpaintPipeline(TeleaFill(multiple=8), hd=hd).run(img, hole).image
    work = img.copy()
    res = InpaintPipeline(TeleaFill(multiple=8), hd=hd).run(work, hole, in_place=True)
    assert res.image is work
    np.testing.assert_array_equal(work, expected)                  # bit-identical to the copying run
    with pytest.raises(InpaintError, match="in_place"):
        InpaintPipeline(TeleaFill(), hd=hd).run(*readonly(img.copy()), hole, in_place=True)


def test_crop_strategy_downscales_large_boxes():
    img, hole = photo(600, 900, seed=2), blob_hole(600, 900)
    out = hd_crop(TeleaFill(), img, hole, 4.0, margin=32, limit=128)
    np.testing.assert_array_equal(out[~hole], img[~hole])
    assert (out[hole] != img[hole]).any(axis=1).mean() > 0.5


def test_full_strategy_refuses_methods_without_full_resolution_support():
    class LowResOnly(MeanFill):
        supports_full_resolution = False

    with pytest.raises(MethodUnavailableError):
        InpaintPipeline(LowResOnly(), hd="full").run(photo(100, 150), blob_hole(100, 150))


def test_empty_hole_returns_the_photo_unchanged():
    img = photo(300, 800)
    hole = np.zeros((300, 800), bool)
    res = InpaintPipeline(MeanFill()).run(img, hole)
    np.testing.assert_array_equal(res.image, img)
    assert res.image is not img and res.hole_fraction == 0.0
    assert res.lr_result.shape == (192, 512, 3)


def test_full_hole_and_mismatched_mask_raise_mask_error():
    img = photo(64, 64)
    with pytest.raises(MaskError):
        InpaintPipeline(MeanFill()).run(img, np.ones((64, 64), bool))
    with pytest.raises(MaskError):
        InpaintPipeline(MeanFill()).run(img, np.zeros((64, 65), bool))


def _cancelled_run(h: int, w: int, seed: int, cancel_at) -> list[tuple[str, float]]:
    """Run cra on a photo, cancelling when ``cancel_at(stage, fraction)`` says so; asserts that the run raises
    ``Cancelled`` and leaves its inputs untouched, and returns the progress events seen."""
    img, hole = photo(h, w, seed=seed), blob_hole(h, w)
    img0, hole0 = img.copy(), hole.copy()
    token = CancelToken()
    seen = []

    def progress(stage, fraction):
        seen.append((stage, fraction))
        if cancel_at(stage, fraction):
            token.cancel()

    with pytest.raises(Cancelled):
        InpaintPipeline(TeleaFill(), hd="cra").run(img, hole, Reporter(progress, token))
    np.testing.assert_array_equal(img, img0)
    np.testing.assert_array_equal(hole, hole0)
    return seen


def test_cancel_mid_run_raises_and_leaves_inputs_untouched():
    seen = _cancelled_run(600, 1000, 3, lambda stage, fraction: stage == "hd")
    assert "composite" not in [stage for stage, _ in seen]


def test_cancel_inside_the_composite_stops_it_and_leaves_inputs_untouched():
    # after the first composite tile: the tiles not yet started are dropped
    seen = _cancelled_run(1200, 1600, 5, lambda stage, fraction: stage == "composite" and fraction > 0)
    fractions = [fraction for stage, fraction in seen if stage == "composite"]
    assert fractions and max(fractions) < 1.0


def test_progress_stages_are_reported_in_order_and_preview_comes_once():
    img, hole = photo(900, 1200, seed=4), blob_hole(900, 1200)
    events, previews = [], []
    InpaintPipeline(TeleaFill(), hd="cra").run(img, hole, Reporter(lambda s, f: events.append((s, f))),
                                              on_preview=previews.append)
    order = [s for i, (s, _) in enumerate(events) if i == 0 or events[i - 1][0] != s]
    assert order == list(STAGES)                                   # each stage once, in order
    for stage in STAGES:
        fr = [f for s, f in events if s == stage]
        assert fr[0] == 0.0 and fr[-1] == 1.0 and fr == sorted(fr)
    assert len([s for s, _ in events if s == "hd"]) > 3             # reported inside the hd loops
    assert len(previews) == 1
    assert previews[0].shape == (384, 512, 3) and previews[0].dtype == np.uint8


@pytest.mark.parametrize("hd", ["crop", "full"])
def test_native_resolution_strategies_report_the_methods_work_as_the_hd_stage(hd):
    """With ``crop`` / ``full`` the method runs inside the HD stage: its own "lr_inpaint" progress must not take
    the progress back to stage 2 (the editor said "Filling at low resolution" during a native-size fill)."""
    img, hole = photo(600, 800, seed=4), blob_hole(600, 800)
    hole[20:60, 20:60] = True                                      # two holes: two crops
    events = []
    InpaintPipeline("telea", hd=hd).run(img, hole, Reporter(lambda s, f: events.append((s, f))))  # (reports)
    order = [s for i, (s, _) in enumerate(events) if i == 0 or events[i - 1][0] != s]
    assert order == list(STAGES)
    hd_fractions = [f for s, f in events if s == "hd"]
    assert len(hd_fractions) > 3 and hd_fractions == sorted(hd_fractions)


def test_defaults_match_the_contract():
    assert HD_STRATEGIES == ("cra", "resize", "crop", "full")
    assert DEFAULT_LOWRES_SIZE == 512 and 0 < DEFAULT_DILATE <= 4
    p = InpaintPipeline(MeanFill())
    assert p.hd == "cra" and p.lowres_size == 512 and p.dilate == DEFAULT_DILATE and p.detail == 1.0


# ------------------------------------------------------------------------------------------------- CRA
def textured(h: int, w: int, period: int = 4) -> np.ndarray:
    """A smooth colour gradient plus a fine periodic texture whose period divides the full-res cell size."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    tex = 40 * np.where((x // (period // 2) + y // (period // 2)) % 2 == 0, 1.0, -1.0)   # a fine checkerboard
    img = np.stack([90 + 60 * x / w + tex, 120 + 40 * y / h + tex, 110 + 0 * x + 0.5 * tex], axis=-1)
    return np.clip(img, 0, 255).astype(np.uint8)


def hf_energy(img: np.ndarray, mask: np.ndarray) -> float:
    y = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.mean((y - cv2.GaussianBlur(y, (0, 0), 1.5))[mask] ** 2))


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b)[mask] ** 2)
    return 10 * np.log10(255 ** 2 / mse)


def test_cra_is_sharper_than_resize_without_losing_psnr():
    # 1024 px -> 256 low-res (the 2-px texture averages away there): 8 low-res px cells = 32 full-res px,
    # a multiple of the texture period, so context residuals are in phase with the missing texture
    img = textured(768, 1024)
    hole = np.zeros(img.shape[:2], bool)
    hole[300:520, 380:700] = True
    out = {hd: InpaintPipeline(TeleaFill(), hd=hd, lowres_size=256).run(img, hole).image
           for hd in ("cra", "resize")}
    truth = hf_energy(img, hole)
    assert hf_energy(out["resize"], hole) < 0.3 * truth              # resize loses the detail
    assert hf_energy(out["cra"], hole) > 0.7 * truth                 # CRA brings it back
    assert hf_energy(out["cra"], hole) > 2 * hf_energy(out["resize"], hole)
    assert psnr(out["cra"], img, hole) >= psnr(out["resize"], img, hole)


def test_detail_strength_scales_the_aggregated_texture_and_zero_is_resize():
    img = textured(768, 1024)
    hole = np.zeros(img.shape[:2], bool)
    hole[300:520, 380:700] = True
    run = lambda hd, **kw: InpaintPipeline(TeleaFill(), hd=hd, lowres_size=256, **kw).run(img, hole).image  # noqa: E731
    resize = run("resize")
    assert np.abs(run("cra", detail=0.0).astype(int) - resize).max() <= 1   # no residual: the resize fill
    energy = [hf_energy(run("cra", detail=d), hole) for d in (0.25, 0.5, 1.0)]
    assert hf_energy(resize, hole) < energy[0] < energy[1] < energy[2]
    assert energy[1] == pytest.approx(0.25 * energy[2], rel=0.25)      # energy ~ d^2: half the amplitude
    with pytest.raises(InpaintError, match="detail"):
        InpaintPipeline(TeleaFill(), detail=1.5)
    with pytest.raises(InpaintError, match="detail"):
        InpaintPipeline(TeleaFill(), detail=float("nan"))


def test_cra_uses_the_methods_attention_score_on_its_grid():
    # a network-like method hands its own scores: every hole cell copies context cell 0 (top-left)
    img = np.full((512, 1024, 3), 128, np.uint8)
    rng = np.random.default_rng(5)
    img[:64, :64] = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)  # the only textured cell (full res)
    hole = np.zeros((512, 1024), bool)
    hole[256:384, 512:640] = True

    class WithAttention(InpaintMethod):
        name = "test-attention"
        multiple = 8

        def inpaint(self, image, hole, reporter=None):
            rows, cols = image.shape[0] // 32, image.shape[1] // 32          # 32-px cells on the low-res input
            cells = hole.reshape(rows, 32, cols, 32).any(axis=(1, 3)).ravel()
            hole_cells = np.flatnonzero(cells)
            context = np.flatnonzero(~cells)
            score = np.zeros((len(hole_cells), len(context)), np.float32)
            score[:, 0] = 1.0
            out = image.copy()
            out[hole] = 128
            return LowResResult(out, AttentionScore((rows, cols), hole_cells, context, score))

    # Eq. 4 exactly (the detail level is not adapted to the flat neighbourhood here)
    res = InpaintPipeline(WithAttention(), hd="cra", cell_overlap=0.0, preserve_detail=False).run(img, hole)
    lr = prepare(img, hole, 512, DEFAULT_DILATE)
    blurry = cv2.resize(cv2.resize(lr.image, (1024, 512), interpolation=cv2.INTER_LINEAR), (1024, 512))
    residual0 = img[:64, :64].astype(np.float32) - blurry[:64, :64]
    # a hole cell (64 x 64 px at full res) holds 128 + the residual of cell 0, up to rounding and feathering
    got = res.image[320:384, 576:640].astype(np.float32) - 128
    inner = (slice(8, 56), slice(8, 56))
    assert np.abs(got[inner] - np.clip(residual0[inner], -128, 127)).mean() < 2.0


class DiffuseAttention(InpaintMethod):
    """A network-like method: a flat fill and a plain softmax spread evenly over every context cell."""
    name = "test-diffuse"
    multiple = 8

    def inpaint(self, image, hole, reporter=None):
        rows, cols = image.shape[0] // 16, image.shape[1] // 16
        cells = hole.reshape(rows, 16, cols, 16).any(axis=(1, 3)).ravel()
        hole_cells, context = np.flatnonzero(cells), np.flatnonzero(~cells)
        score = np.full((len(hole_cells), len(context)), 1.0 / len(context), np.float32)
        out = image.copy()
        out[hole] = image[~hole].mean(axis=0).astype(np.uint8)
        return LowResResult(out, AttentionScore((rows, cols), hole_cells, context, score))


def test_a_networks_diffuse_attention_keeps_the_surroundings_detail():
    # grain on grey: Eq. 4 over a softmax spread across hundreds of cells averages the residuals away (a flat
    # patch, as the shipped cra weights left in water); the top k with the detail level kept carry the grain
    rng = np.random.default_rng(2)
    img = np.clip(128 + rng.normal(0, 25, (1024, 2048, 1)) + np.zeros(3), 0, 255).astype(np.uint8)
    hole = np.zeros(img.shape[:2], bool)
    hole[400:640, 800:1200] = True
    run = lambda **kw: InpaintPipeline(DiffuseAttention(), hd="cra", **kw).run(img, hole).image  # noqa: E731
    inner = np.zeros_like(hole)
    inner[420:620, 820:1180] = True                                         # away from the feathered border
    truth = hf_energy(img, inner)
    exact = hf_energy(run(attention_top_k=None, preserve_detail=False), inner)
    default = hf_energy(run(), inner)
    assert exact < 0.05 * truth
    assert 0.6 * truth < default < 1.5 * truth


def test_check_known_region_on_read_only_inputs_with_attention_disabled_context():
    # a tiny photo (smaller than the low-res size) takes the resize path inside cra
    img, hole = readonly(photo(120, 200), blob_hole(120, 200))
    res = InpaintPipeline(TeleaFill(), hd="cra").run(img, hole)
    np.testing.assert_array_equal(res.image[~hole], img[~hole])
    np.testing.assert_array_equal(res.lr_result, np.where(prepare(img, hole).hole[..., None],
                                                          res.lr_result, img))


# ------------------------------------------------------------------------------------------------- real photo
def test_end_to_end_on_a_hifill_sample_changes_only_the_hole(shared_data):
    from editor.core.imageio import load_image, load_mask

    doc = load_image(shared_data / "hifill-samples" / "images" / "14.jpg")
    hole = load_mask(shared_data / "hifill-samples" / "masks" / "14.jpg", (doc.width, doc.height), invert=True)
    assert 0.01 < hole.mean() < 0.5                                  # black = hole in these files
    img0 = doc.image.copy()
    res = InpaintPipeline(TeleaFill(), hd="cra").run(doc.image, hole)
    np.testing.assert_array_equal(doc.image, img0)
    changed = (res.image != doc.image).any(axis=2)
    assert not changed[~hole].any()                                  # only hole pixels changed
    assert changed[hole].mean() > 0.9
    # the person is gone: the fill's colours resemble the ring around the hole, not the removed object
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool) & ~hole
    fill_mean, ring_mean, obj_mean = (a.reshape(-1, 3).mean(0) for a in
                                      (res.image[hole], doc.image[ring], doc.image[hole]))
    assert np.abs(fill_mean - ring_mean).sum() < np.abs(obj_mean - ring_mean).sum()


def test_composite_corrects_the_border_colour_and_only_touches_the_hole():
    from editor.pipeline.composite import feather_composite

    img = np.full((200, 300, 3), 100, np.uint8)
    hole = np.zeros((200, 300), bool)
    hole[50:150, 80:220] = True
    filled = img.copy()
    filled[hole] = 140                                    # the fill's colour is off by 40 grey levels

    def base(y0, y1, x0, x1):
        return np.full((y1 - y0, x1 - x0, 3), 140, np.float32)

    out = feather_composite(img, hole, filled.copy(), feather=2.0, base=base, correction=6.0)
    np.testing.assert_array_equal(out[~hole], img[~hole])
    assert np.abs(out[50:150, 80].astype(int) - 100).max() <= 2     # first hole column: the known colour
    assert (out[100, 150] == 140).all()                              # deep inside: the fill untouched
    profile = out[100, 80:120, 0].astype(int)
    assert (np.diff(profile) >= 0).all()                             # a smooth ramp, no step
    plain = feather_composite(img, hole, filled.copy(), feather=2.0)  # no base: feather only
    assert plain[100, 86, 0] == 140 and plain[100, 80, 0] < 120


@pytest.mark.parametrize("hd", HD_STRATEGIES)
def test_a_method_writing_into_its_input_cannot_touch_the_callers_arrays(hd):
    class Scribbler(MeanFill):
        name = "test-scribbler"

        def inpaint(self, image, hole, reporter=None):
            res = super().inpaint(image, hole, reporter)
            image[:] = 0                                   # misbehaves on purpose
            hole[:] = False
            return res

    img, hole = photo(200, 300, seed=6), blob_hole(200, 300)   # small: low-res = the photo itself
    img0, hole0 = img.copy(), hole.copy()
    res = InpaintPipeline(Scribbler(), hd=hd).run(img, hole)
    np.testing.assert_array_equal(img, img0)
    np.testing.assert_array_equal(hole, hole0)
    np.testing.assert_array_equal(res.image[~hole], img[~hole])


def test_a_finely_scattered_mask_is_refused_with_the_way_out():
    """A mask scattered finer than the low-res pixels (a checker pattern) covers every low-res pixel; the error
    said so without saying what would fill it (the photo's own size as the low-res size)."""
    img = photo(200, 300)
    hole = np.zeros((200, 300), bool)
    hole[::2, ::2] = True
    with pytest.raises(MaskError) as info:
        InpaintPipeline(TeleaFill(), lowres_size=64).run(img, hole)
    assert "--lowres-size 300" in str(info.value) and "solid" in info.value.gui_text()
    out = InpaintPipeline(TeleaFill(), lowres_size=300, dilate=0).run(img, hole).image   # and it is true
    np.testing.assert_array_equal(out[~hole], img[~hole])
