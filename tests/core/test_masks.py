"""Mask operations: morphology, conservative downsampling, hole boxes, generators, templates."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from editor.core import masks
from editor.core.errors import ImageReadError


def _brute_any(mask: np.ndarray, w: int, h: int) -> np.ndarray:
    """Reference: low-res (i, j) is hole iff a full-res pixel overlapping its span is (exact rationals)."""
    from fractions import Fraction

    H, W = mask.shape
    out = np.zeros((h, w), bool)
    for i in range(h):
        ys = [y for y in range(H) if Fraction(y + 1) > Fraction(i * H, h) and Fraction(y) < Fraction((i + 1) * H, h)]
        for j in range(w):
            xs = [x for x in range(W) if Fraction(x + 1) > Fraction(j * W, w) and Fraction(x) < Fraction((j + 1) * W, w)]
            out[i, j] = mask[np.ix_(ys, xs)].any()
    return out


# ----------------------------------------------------------------------------------------- downsampling
def test_single_pixel_survives_non_integer_ratio():
    """Every single full-res hole pixel must show in the low-res mask, at the cells it overlaps."""
    H, W, w, h = 37, 53, 10, 7  # ratios 5.3 and 5.29
    for y, x in [(0, 0), (36, 52), (5, 5), (15, 26), (21, 31), (22, 33), (36, 0)]:
        m = np.zeros((H, W), bool)
        m[y, x] = True
        low = masks.downsample_conservative(m, (w, h))
        assert low.shape == (h, w) and low.any()
        np.testing.assert_array_equal(low, _brute_any(m, w, h))
    # nearest resampling loses a pixel it does not sample (the reason this function exists)
    m = np.zeros((H, W), bool)
    m[22, 33] = True
    assert masks.downsample_conservative(m, (w, h)).any()
    assert not cv2.resize(m.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).any()


def test_pixel_on_cell_boundary_marks_both_cells():
    m = np.zeros((10, 10), bool)
    m[0, 4] = True  # full-res column 4 spans [4, 5); with w=3 cells split at 3.33 and 6.67 -> cell 1 only
    np.testing.assert_array_equal(masks.downsample_conservative(m, (3, 1)), [[False, True, False]])
    m[0, 4] = False
    m[0, 3] = True  # column 3 spans [3, 4): overlaps cell 0 [0, 3.33) and cell 1 [3.33, 6.67)
    np.testing.assert_array_equal(masks.downsample_conservative(m, (3, 1)), [[True, True, False]])


def test_downsample_matches_reference_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(60):
        H, W = (int(v) for v in rng.integers(1, 30, 2))
        h, w = (int(v) for v in rng.integers(1, 36, 2))  # includes upsampling in one or both axes
        m = rng.random((H, W)) < rng.choice([0.005, 0.05, 0.4])
        np.testing.assert_array_equal(masks.downsample_conservative(m, (w, h)), _brute_any(m, w, h))


def test_downsample_integer_ratio_is_block_max_and_input_untouched():
    m = np.random.default_rng(1).random((64, 96)) < 0.02
    before = m.copy()
    low = masks.downsample_conservative(m, (12, 8))
    np.testing.assert_array_equal(low, m.reshape(8, 8, 12, 8).any(axis=(1, 3)))
    np.testing.assert_array_equal(m, before)
    assert not masks.downsample_conservative(np.zeros((64, 96), bool), (12, 8)).any()


def test_downsample_same_size_is_copy():
    m = np.random.default_rng(2).random((5, 7)) < 0.5
    out = masks.downsample_conservative(m, (7, 5))
    np.testing.assert_array_equal(out, m)
    assert out is not m


# ----------------------------------------------------------------------------------------- morphology
def _distances(mask: np.ndarray, target: bool) -> np.ndarray:
    """Brute-force Euclidean distance from every pixel to the nearest pixel whose value is ``target``.

    Only target pixels with a non-target 4-neighbour can be nearest to a non-target pixel, so only those
    are searched (inside the image: the border is not a target).
    """
    t = mask == target
    pad = np.pad(t, 1, constant_values=True)
    inner = pad[:-2, 1:-1] & pad[2:, 1:-1] & pad[1:-1, :-2] & pad[1:-1, 2:]
    ys, xs = np.nonzero(t & ~inner)
    if ys.size == 0:
        return np.where(t, 0.0, np.inf)
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    d2 = (yy[..., None] - ys) ** 2 + (xx[..., None] - xs) ** 2
    return np.where(t, 0.0, np.sqrt(d2.min(axis=-1)))


def _random_mask(seed: int, shape=(40, 56)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = np.zeros(shape, bool)
    for _ in range(4):
        y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        m[max(0, y - 4):y + 5, max(0, x - 7):x + 8] = True
    m[0, :6] = True  # touches the border
    m[rng.integers(0, shape[0], 5), rng.integers(0, shape[1], 5)] = True  # single pixels
    return m


def test_dilate_is_a_disc_of_radius_px():
    m = np.zeros((41, 41), bool)
    m[20, 20] = True
    out = masks.dilate(m, 5)
    yy, xx = np.mgrid[:41, :41]
    np.testing.assert_array_equal(out, (yy - 20) ** 2 + (xx - 20) ** 2 <= 25)
    assert out[20, 25] and out[17, 24] and not out[16, 16]  # (3, 4, 5) on the circle; the box corner is not
    assert m.sum() == 1  # input untouched


@pytest.mark.parametrize("px", [1, 2, 3, 5, masks.EXACT_DISC_MAX_PX])
def test_small_radius_exact_euclidean(px):
    for seed in range(3):
        m = _random_mask(seed)
        np.testing.assert_array_equal(masks.dilate(m, px), _distances(m, True) <= px)
        # erode: a hole pixel survives if no known pixel is within px; the image border is not known
        np.testing.assert_array_equal(masks.erode(m, px), m & (_distances(m, False) > px))


@pytest.mark.parametrize("px", [masks.EXACT_DISC_MAX_PX + 1, 12, 20])
def test_large_radius_close_to_euclidean(px):
    m = _random_mask(7, (70, 90))
    for fn, dist, expect in (
        (masks.dilate, _distances(m, True), lambda d: d <= px),
        (masks.erode, _distances(m, False), lambda d: m & (d > px)),
    ):
        out = fn(m, px)
        wrong = out != expect(dist)
        assert np.all(np.abs(dist[wrong] - px) <= 0.03 * px + 0.5)  # only right at the disc's edge
        assert wrong.sum() <= 0.03 * max(1, expect(dist).sum())


def test_erode_keeps_border_holes():
    m = np.zeros((50, 70), bool)
    m[10:30, 20:60] = True
    m[35:50, 0:20] = True  # touches the bottom and left border
    for px in (3, 10):
        out = masks.erode(m, px)
        assert out[10 + px:30 - px, 20 + px:60 - px].all() and not out[10:10 + px].any()
        assert out[49, 0] and out[49, 19 - px] and not out[49, 20 - px]  # the image edge does not eat it


def test_zero_radius_and_empty_masks():
    m = np.random.default_rng(4).random((8, 8)) < 0.5
    for fn in (masks.dilate, masks.erode):
        out = fn(m, 0)
        np.testing.assert_array_equal(out, m)
        assert out is not m
        assert not fn(np.zeros((8, 8), bool), 3).any()
    with pytest.raises(ValueError):
        masks.dilate(m, -1)


def test_erode_then_dilate_recovers_a_big_disc():
    yy, xx = np.mgrid[:101, :101]
    disc = np.hypot(yy - 50, xx - 50) <= 30
    back = masks.dilate(masks.erode(disc, 6), 6)
    assert np.count_nonzero(back ^ disc) < 0.02 * disc.sum()


# ----------------------------------------------------------------------------------------- hole boxes
def test_hole_boxes_separate_and_merged():
    m = np.zeros((100, 200), bool)
    m[10:20, 10:30] = True  # A
    m[10:20, 45:60] = True  # B: 15 px right of A
    m[70:90, 150:190] = True  # C: far away
    assert masks.hole_boxes(m, 0) == [(10, 10, 30, 20), (45, 10, 60, 20), (150, 70, 190, 90)]
    # margin 5: A and B boxes [5,35) and [40,65) do not overlap
    assert len(masks.hole_boxes(m, 5)) == 3
    # margin 8: [2,38) and [37,68) overlap -> merged; C stays apart
    assert masks.hole_boxes(m, 8) == [(2, 2, 68, 28), (142, 62, 198, 98)]


def test_hole_boxes_clipped_and_chain_merged():
    m = np.zeros((50, 50), bool)
    m[0:3, 0:3] = True
    m[0:3, 12:15] = True
    m[0:3, 24:27] = True  # a chain: merging A+B makes a box that then overlaps C
    assert masks.hole_boxes(m, 5) == [(0, 0, 32, 8)]
    assert masks.hole_boxes(np.zeros((5, 5), bool), 3) == []
    full = np.ones((6, 9), bool)
    assert masks.hole_boxes(full, 10) == [(0, 0, 9, 6)]


def test_hole_boxes_no_overlap_and_cover_every_hole_pixel():
    rng = np.random.default_rng(5)
    m = rng.random((120, 160)) < 0.003
    boxes = masks.hole_boxes(m, 6)
    covered = np.zeros_like(m)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        covered[y0:y1, x0:x1] = True
        for (a0, b0, a1, b1) in boxes[i + 1:]:
            assert not (x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1)
    assert covered[m].all()


def test_hole_boxes_diagonal_pixels_are_one_component():
    m = np.zeros((10, 10), bool)
    m[2, 2] = m[3, 3] = True
    assert masks.hole_boxes(m, 0) == [(2, 2, 4, 4)]


def _naive_merge(boxes: list[tuple[int, int, int, int]]) -> set[tuple[int, int, int, int]]:
    boxes = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    changed = True
                    break
            if changed:
                break
    return set(boxes)


def test_hole_boxes_match_naive_pairwise_merging():
    for seed in range(25):
        rng = np.random.default_rng(seed)
        m = np.zeros((90, 120), bool)
        for _ in range(int(rng.integers(1, 25))):
            y, x = rng.integers(0, 90), rng.integers(0, 120)
            m[y:y + rng.integers(1, 12), x:x + rng.integers(1, 12)] = True
        margin = int(rng.integers(0, 8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(m.view(np.uint8), connectivity=8)
        raw = []
        for x, y, w, h, _ in stats[1:]:
            raw.append((max(0, x - margin), max(0, y - margin), min(120, x + w + margin), min(90, y + h + margin)))
        assert set(masks.hole_boxes(m, margin)) == _naive_merge(raw)


def test_hole_boxes_ring_with_island():
    m = np.zeros((40, 40), bool)
    m[5:35, 5:35] = True
    m[8:32, 8:32] = False  # a ring
    m[18:22, 18:22] = True  # an island inside it
    assert masks.hole_boxes(m, 0) == [(5, 5, 35, 35)]


def test_hole_fraction():
    m = np.zeros((10, 20), bool)
    m[:5, :4] = True
    assert masks.hole_fraction(m) == pytest.approx(0.1)
    assert masks.hole_fraction(np.zeros((0, 0), bool)) == 0.0


# ----------------------------------------------------------------------------------------- generators
def test_free_form_reproducible_and_in_range():
    a = masks.free_form_mask((256, 384), np.random.default_rng(42))
    b = masks.free_form_mask((256, 384), np.random.default_rng(42))
    c = masks.free_form_mask((256, 384), np.random.default_rng(43))
    assert a.dtype == bool and a.shape == (256, 384)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    fractions = [masks.hole_fraction(masks.free_form_mask((128, 128), np.random.default_rng(s))) for s in range(40)]
    assert min(fractions) >= 0.1 and max(fractions) <= 0.4
    assert max(fractions) - min(fractions) > 0.1  # varied, not one fixed size


def test_free_form_is_strokes_not_blobs():
    m = masks.free_form_mask((256, 256), np.random.default_rng(7))
    n, _, stats, _ = cv2.connectedComponentsWithStats(m.view(np.uint8))
    biggest = stats[1:, cv2.CC_STAT_AREA].argmax() + 1
    bw, bh = stats[biggest, cv2.CC_STAT_WIDTH], stats[biggest, cv2.CC_STAT_HEIGHT]
    assert stats[biggest, cv2.CC_STAT_AREA] < 0.7 * bw * bh  # thin strokes fill little of their box


def test_free_form_custom_fraction():
    for s in range(10):
        frac = masks.hole_fraction(masks.free_form_mask((96, 96), np.random.default_rng(s), fraction=(0.3, 0.5)))
        assert 0.3 <= frac <= 0.5


def test_free_form_demanding_fraction_terminates():
    m = masks.free_form_mask((16, 24), np.random.default_rng(0), fraction=(0.97, 1.0), max_tries=2)
    assert m.shape == (16, 24) and masks.hole_fraction(m) > 0.5
    with pytest.raises(ValueError):
        masks.free_form_mask((8, 8), np.random.default_rng(0), fraction=(0.5, 0.2))


def _disc_templates() -> list[np.ndarray]:
    yy, xx = np.mgrid[:40, :60]
    ellipse = ((yy - 20) / 19.5) ** 2 + ((xx - 30) / 29.5) ** 2 <= 1
    ell = np.zeros((40, 60), bool)
    ell[:, :30] = ellipse[:, :30]  # half an ellipse: asymmetric, so flips and rotations show
    return [ell]


def test_object_mask_reproducible_and_in_range():
    tpl = _disc_templates()
    a = masks.object_mask((200, 300), np.random.default_rng(1), tpl)
    b = masks.object_mask((200, 300), np.random.default_rng(1), tpl)
    np.testing.assert_array_equal(a, b)
    fr = []
    shapes = set()
    for s in range(30):
        m = masks.object_mask((200, 300), np.random.default_rng(s), tpl)
        fr.append(masks.hole_fraction(m))
        ys, xs = np.nonzero(m)
        shapes.add((ys.min() // 20, xs.min() // 20, round(m.sum(), -2)))
    assert min(fr) >= 0.05 and max(fr) <= 0.3
    assert len(shapes) > 20  # placed, scaled, rotated differently each time


def test_object_mask_keeps_the_template_shape():
    square = [np.ones((30, 30), bool)]
    m = masks.object_mask((120, 120), np.random.default_rng(0), square, fraction=(0.2, 0.2))
    n, _, stats, _ = cv2.connectedComponentsWithStats(m.view(np.uint8))
    assert n == 2  # one object
    assert abs(masks.hole_fraction(m) - 0.2) < 0.03


def test_object_mask_needs_templates():
    with pytest.raises(ValueError):
        masks.object_mask((10, 10), np.random.default_rng(0), [])


def test_load_templates_from_folder(tmp_path):
    a = np.zeros((20, 30), np.uint8)
    a[5:10, 7:20] = 255
    Image.fromarray(a, "L").save(tmp_path / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8), "L").save(tmp_path / "empty.png")  # skipped
    (tmp_path / "notes.txt").write_text("ignored")
    tpl = masks.load_templates(tmp_path)
    assert len(tpl) == 1 and tpl[0].dtype == bool and tpl[0].shape == (5, 13) and tpl[0].all()


def test_load_templates_errors(tmp_path):
    with pytest.raises(ImageReadError):
        masks.load_templates(tmp_path / "missing")
    with pytest.raises(ImageReadError):
        masks.load_templates(tmp_path)  # no PNGs
    (tmp_path / "bad.png").write_text("not a png")
    with pytest.raises(ImageReadError) as info:
        masks.load_templates(tmp_path)
    assert "bad.png" in str(info.value)


def test_shared_templates(shared_data):
    tpl = masks.load_templates(shared_data / "mask-templates")
    assert len(tpl) == 100 and all(t.dtype == bool and t.any() for t in tpl)
    rng = np.random.default_rng(0)
    fr = [masks.hole_fraction(masks.object_mask((256, 256), rng, tpl)) for _ in range(30)]
    assert min(fr) >= 0.05 and max(fr) <= 0.3


def test_grey_level_grow_and_shrink_move_a_soft_edge_and_keep_it_soft():
    from editor.core.masks import dilate_levels, erode_levels
    cov = np.zeros((40, 80), np.uint8)
    cov[:, :30] = 255
    cov[:, 30:40] = np.linspace(230, 23, 10).astype(np.uint8)     # a soft edge: a 10-px ramp to the right
    grown, shrunk = dilate_levels(cov, 5), erode_levels(cov, 5)
    np.testing.assert_array_equal(grown[:, 5:], cov[:, :-5])      # the ramp moved 5 px outward, unchanged
    np.testing.assert_array_equal(grown[20, 40:45], cov[20, 35:40])
    np.testing.assert_array_equal(shrunk[10:30, 5:75], cov[10:30, 10:80])   # ...and 5 px inward
    assert (shrunk[:, :5] == 255).all()                           # the photo's border does not shrink it
    assert ((grown > 0) & (grown < 255)).sum() == ((cov > 0) & (cov < 255)).sum()
    # larger radii (several passes) stay within a pixel of the disc and keep the ramp
    far = dilate_levels(cov, 20)
    np.testing.assert_array_equal(far[20, 50:60], cov[20, 30:40])
    # a hard mask gets exactly the binary operations
    hard = np.zeros((40, 80), np.uint8)
    hard[10:20, 30:50] = 255
    for px in (3, 12):
        np.testing.assert_array_equal(dilate_levels(hard, px), masks.dilate(hard > 0, px).view(np.uint8) * 255)
        np.testing.assert_array_equal(erode_levels(hard, px), masks.erode(hard > 0, px).view(np.uint8) * 255)
    with pytest.raises(ValueError):
        dilate_levels(hard > 0, 3)


def test_outline_hole_draws_a_line_outside_the_hole_and_leaves_its_pixels():
    rgb = np.full((60, 80, 3), 90, np.uint8)
    hole = np.zeros((60, 80), bool)
    cv2.line(hole.view(np.uint8), (10, 10), (70, 50), 1, 1)       # a 1-px diagonal scratch
    out = masks.outline_hole(rgb, hole, 3)
    assert (out[hole] == 90).all() and (rgb == 90).all()           # the hole's own pixels, and the input, untouched
    line = (out == masks.OUTLINE_RGB).all(axis=2)
    assert cv2.connectedComponents(line.view(np.uint8), connectivity=8)[0] - 1 == 1   # one unbroken line
    assert not (line & masks.dilate(hole, 1)).any()                # a 1-px dark gap between hole and line
    assert ((out == 0).all(axis=2) & masks.dilate(hole, 1) & ~hole).any()
