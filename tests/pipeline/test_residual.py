"""Contextual residual aggregation (CRA §3.2): grid mapping, attention (Eq. 1–2), aggregation (Eq. 4)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.methods.base import AttentionScore
from editor.pipeline.residual import (FullResGrid, aggregate_residual_image, check_attention, compute_attention,
                                      lowres_cell_size, sparsify_attention, upsample_region)


def _grid(rows=3, cols=4, cell=10):
    return FullResGrid.from_lowres((rows, cols), (rows * cell, cols * cell), (rows * cell, cols * cell),
                                   (rows * cell, cols * cell))


def _att(hole, context, score):
    return AttentionScore((3, 4), np.array(hole, np.int64), np.array(context, np.int64),
                          np.asarray(score, np.float32))


def test_one_hot_attention_copies_the_context_patch_exactly():
    rng = np.random.default_rng(0)
    res = rng.normal(0, 20, (30, 40, 3)).astype(np.float32)
    res[10:20, 10:20] = 0                       # cell 5 = (1, 1) is the hole
    context = [0, 2, 3, 11]
    att = _att([5], context, [[0, 0, 1, 0]])    # all weight on cell 3 = (0, 3)
    out = aggregate_residual_image(res, att, _grid())
    np.testing.assert_array_equal(out[10:20, 10:20], res[0:10, 30:40])
    out[10:20, 10:20] = 0
    assert not out.any()                         # only hole cells receive residual


def test_sparsify_attention_keeps_each_rows_k_best_scores_renormalised():
    att = _att([5, 6], [0, 1, 2, 3, 11], [[0.1, 0.4, 0.05, 0.3, 0.15], [0.2, 0.2, 0.2, 0.2, 0.2]])
    got = sparsify_attention(att, 2)
    np.testing.assert_allclose(got.score[0], [0, 0.4 / 0.7, 0, 0.3 / 0.7, 0], rtol=1e-6)
    np.testing.assert_allclose(got.score[1], [0.5, 0.5, 0, 0, 0])       # a tie keeps the lower indices
    check_attention(got)
    assert got.grid == att.grid and list(got.context_cells) == [0, 1, 2, 3, 11]
    assert sparsify_attention(att, 5) is att                              # nothing to drop
    with pytest.raises(ValueError, match="top_k"):
        sparsify_attention(att, 0)


def test_uniform_attention_gives_the_mean_of_context_patches():
    rng = np.random.default_rng(1)
    res = rng.normal(0, 20, (30, 40, 3)).astype(np.float32)
    context = [0, 1, 2, 3]
    att = _att([9, 10], context, np.full((2, 4), 0.25))
    out = aggregate_residual_image(res, att, _grid())
    mean = np.mean([res[0:10, 10 * c:10 * c + 10] for c in context], axis=0)
    np.testing.assert_allclose(out[20:30, 10:20], mean, atol=1e-4)
    np.testing.assert_allclose(out[20:30, 20:30], mean, atol=1e-4)


def test_overlapping_cells_blend_to_a_partition_of_unity():
    # every context patch holds the same constant residual: the cross-faded hole must hold exactly it,
    # and a one-hot copy keeps the source patch away from cell borders
    res = np.full((30, 40, 3), 7.0, np.float32)
    res[10:30, 10:30] = 0
    hole = [5, 6, 9, 10]
    att = _att(hole, [0, 1, 2, 3], np.full((4, 4), 0.25))
    valid = np.ones((30, 40), bool)
    valid[10:30, 10:30] = False
    out = aggregate_residual_image(res, att, _grid(), overlap=3, valid=valid)
    np.testing.assert_allclose(out[10:30, 10:30], 7.0, atol=1e-4)

    rng = np.random.default_rng(2)
    res2 = rng.normal(0, 20, (30, 40, 3)).astype(np.float32)
    res2[10:30, 10:30] = 0
    one_hot = np.zeros((4, 4)); one_hot[:, 3] = 1
    out2 = aggregate_residual_image(res2, att, _grid(), overlap=2)
    src = res2[0:10, 30:40]
    out3 = aggregate_residual_image(res2, _att(hole, [0, 1, 2, 3], one_hot), _grid(), overlap=2)
    # the interior of each hole cell (2 px from its borders) is the copied patch, untouched by blending
    np.testing.assert_allclose(out3[12:18, 12:18], src[2:8, 2:8], atol=1e-4)
    assert not np.allclose(out2, out3)


def test_attention_rows_sum_to_one_and_skip_hole_cells():
    rng = np.random.default_rng(3)
    img = cv2.resize(rng.integers(0, 255, (12, 20, 3), dtype=np.uint8), (200, 120), interpolation=cv2.INTER_CUBIC)
    hole = np.zeros((120, 200), bool)
    hole[40:70, 60:110] = True
    cell = lowres_cell_size(hole.shape)
    att, extent = compute_attention(img, hole, cell, scale=40.0, top_k=5)
    check_attention(att)
    rows, cols = att.grid
    assert extent == (rows * cell, cols * cell) and extent[0] >= 120 and extent[1] >= 200
    np.testing.assert_allclose(att.score.sum(axis=1), 1.0, atol=1e-5)
    assert ((att.score > 0).sum(axis=1) <= 5).all()            # top-k sparse softmax
    for k in att.context_cells:                                  # context: fully known, fully inside
        r, c = divmod(int(k), cols)
        assert (r + 1) * cell <= 120 and (c + 1) * cell <= 200
        assert not hole[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell].any()
    for k in att.hole_cells:
        r, c = divmod(int(k), cols)
        assert hole[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell].any()
    assert len(att.hole_cells) + len(att.context_cells) <= rows * cols
    # the dense softmax (Eq. 2, scale 1) is almost uniform: it averages detail away
    dense, _ = compute_attention(img, hole, cell, scale=1.0, top_k=None)
    assert dense.score.max() < 3.0 / dense.score.shape[1]


def test_attention_prefers_the_matching_context():
    # left half red, right half blue; a hole in the blue half must draw from blue cells
    img = np.zeros((64, 128, 3), np.uint8)
    img[:, :64] = (200, 30, 30)
    img[:, 64:] = (30, 30, 200)
    hole = np.zeros((64, 128), bool)
    hole[24:40, 88:104] = True
    att, _ = compute_attention(img, hole, 8, scale=40.0, top_k=None)
    cols = att.grid[1]
    right = (att.context_cells % cols) >= 8
    assert att.score[:, right].sum(axis=1).min() > 0.99


def test_check_attention_rejects_bad_scores():
    with pytest.raises(ValueError):
        check_attention(_att([5], [0, 1], [[0.5, 0.2]]))        # row sums to 0.7
    with pytest.raises(ValueError):
        check_attention(_att([5], [5, 1], [[0.5, 0.5]]))        # hole cell used as context
    with pytest.raises(ValueError):
        check_attention(_att([5], [0, 1], [[1.0]]))             # wrong shape


@pytest.mark.parametrize("full,lr,extent,grid", [((1000, 1501), (341, 512), (352, 512), (22, 32)),
                                                  ((4320, 7680), (288, 512), (288, 512), (18, 32)),
                                                  ((997, 613), (512, 315), (520, 320), (65, 40))])
def test_grid_tiles_the_photo_exactly_for_non_multiple_sizes(full, lr, extent, grid):
    g = FullResGrid.from_lowres(grid, extent, lr, full)
    for bounds, size, n in ((g.ys, full[0], grid[0]), (g.xs, full[1], grid[1])):
        assert len(bounds) == n + 1 and bounds[0] == 0 and bounds[-1] >= size
        steps = np.diff(bounds)
        assert (steps > 0).all() and steps.max() - steps.min() <= 1   # no gap, no overlap, even cells
        # the cells that cover the photo tile [0, size) exactly; the rest lie over the padding
        inside = bounds[bounds < size]
        assert inside[0] == 0 and (np.diff(np.append(inside, size)) > 0).all()
    # cells_with agrees with a brute-force scan
    rng = np.random.default_rng(4)
    mask = np.zeros(full, bool)
    for _ in range(5):
        y, x = rng.integers(0, full[0]), rng.integers(0, full[1])
        mask[y:y + 3, x:x + 3] = True
    brute = [k for k in range(grid[0] * grid[1])
             if mask[slice(*g.cell_box(k)[:2]), slice(*g.cell_box(k)[2:])].any()]
    assert g.cells_with(mask).tolist() == brute


def test_upsample_region_matches_cv2_resize():
    rng = np.random.default_rng(5)
    lr = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    full = cv2.resize(lr.astype(np.float32), (401, 289), interpolation=cv2.INTER_LINEAR)
    win = upsample_region(lr, (289, 401), 100, 180, 0, 401)
    assert win.dtype == np.float32 and win.shape == (80, 401, 3)
    assert np.abs(win - full[100:180]).max() < 1.5   # same sampling up to OpenCV's 1/32 px table
    assert np.abs(win - full[100:180]).mean() < 0.3


def test_wide_windows_take_the_two_pass_upsampling_with_the_same_sampling():
    from editor.pipeline import residual

    rng = np.random.default_rng(8)
    lr = rng.uniform(0, 255, (41, 90, 3)).astype(np.float32)
    H, W = 250, 1500                                                  # non-integer scales in both directions
    full = cv2.resize(lr, (W, H), interpolation=cv2.INTER_LINEAR)
    calls = []
    real = residual._upsample_separable
    residual._upsample_separable = lambda *a: calls.append(a[2:6]) or real(*a)
    try:
        win = upsample_region(lr, (H, W), 37, 201, 0, W)              # wide: two passes
        edge = upsample_region(lr, (H, W), -6, 30, -9, W + 4)         # past every edge: replicated
        out = np.empty((164, W, 3), np.float32)
        assert upsample_region(lr, (H, W), 37, 201, 0, W, out=out) is not None
    finally:
        residual._upsample_separable = real
    assert calls == [(37, 201, 0, W), (-6, 30, -9, W + 4), (37, 201, 0, W)]
    assert np.abs(win - full[37:201]).max() < 0.05                    # exact weights (warpAffine: 1/32 px)
    np.testing.assert_array_equal(out, win)
    np.testing.assert_allclose(edge[6:, 9:9 + W], full[:30], atol=0.05)
    np.testing.assert_allclose(edge[:6, 9:9 + W], np.broadcast_to(full[:1], (6, W, 3)), atol=0.05)
    np.testing.assert_allclose(edge[6:, :9], np.broadcast_to(full[:30, :1], (30, 9, 3)), atol=0.05)


def _window_of(res):
    H, W = res.shape[:2]

    def window(y0, y1, x0, x1, out=None):
        out = np.zeros((y1 - y0, x1 - x0, 4), np.float32)   # a new array, not ``out``: also allowed
        sy0, sy1, sx0, sx1 = max(y0, 0), min(y1, H), max(x0, 0), min(x1, W)
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0, :3] = res[sy0:sy1, sx0:sx1]
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0, 3] = 1.0
        return out

    return window


def test_preserve_energy_restores_the_detail_a_weighted_mean_averages_away():
    from editor.pipeline.residual import aggregate_residuals

    rng = np.random.default_rng(6)
    res = rng.normal(0, 20, (30, 40, 3)).astype(np.float32)        # uncorrelated texture in every cell
    att = _att([5], [0, 1, 2, 3], np.full((1, 4), 0.25))
    plain = aggregate_residuals(_window_of(res), _grid(), att)[0, ..., :3]
    kept = aggregate_residuals(_window_of(res), _grid(), att, preserve_energy=True)[0, ..., :3]
    src = np.mean([np.mean(res[0:10, 10 * c:10 * c + 10] ** 2) for c in range(4)])
    assert np.mean(plain ** 2) < 0.5 * src                          # Eq. 4: ~1/4 of the energy
    assert 0.85 * src < np.mean(kept ** 2) < 1.15 * src            # restored (sources and neighbours alike)
    np.testing.assert_allclose(kept / np.sqrt(np.mean(kept ** 2)), plain / np.sqrt(np.mean(plain ** 2)),
                               atol=1e-4)                            # same pattern, only rescaled
    # identical (fully correlated) sources: the weighted mean already has their energy, no boost
    same = np.tile(res[0:10, 0:10], (3, 4, 1))
    out = aggregate_residuals(_window_of(same), _grid(), att, preserve_energy=True)[0, ..., :3]
    np.testing.assert_allclose(out, same[0:10, 0:10], atol=1e-3)


def test_blend_interior_fast_path_equals_the_general_sum():
    from editor.pipeline.residual import _blend_general, blend_hole_cell

    g = FullResGrid.from_lowres((6, 8), (96, 128), (90, 125), (900, 1250))
    o = 6
    rng = np.random.default_rng(7)
    ph, pw = g.cell_max
    from editor.pipeline.residual import _window
    patches = rng.normal(size=(48, ph + 2 * o, pw + 2 * o, 4)).astype(np.float32)
    valid = rng.uniform(size=patches.shape[:3]) > 0.1              # a few pixels without a valid source
    for k in range(48):                                            # the form aggregate_residuals hands over
        r, c = divmod(k, g.cols)
        w = _window(ph + 2 * o, pw + 2 * o, int(g.ys[r + 1] - g.ys[r]), int(g.xs[c + 1] - g.xs[c]), o) * valid[k]
        patches[k, ..., :3] *= w[..., None]
        patches[k, ..., 3] = w
    patch_of = {k: k for k in range(48) if k % 5 != 0}             # some neighbours are not hole cells
    for k in patch_of:
        y0, y1, x0, x1 = g.cell_box(k)
        box = (y0, min(y1, 900), x0, min(x1, 1250))
        np.testing.assert_array_equal(blend_hole_cell(k, patches, patch_of, g, o, box),
                                      _blend_general(k, patches, patch_of, g, o, box))


def test_regions_limit_the_work_to_the_part_of_each_patch_that_is_read():
    from editor.pipeline.residual import aggregate_residuals

    rng = np.random.default_rng(9)
    res = rng.normal(0, 20, (30, 40, 3)).astype(np.float32)
    score = np.zeros((2, 10))
    score[0, :2] = score[1, 2:4] = 0.5                               # sparse (top-2): the path regions apply to
    att = _att([5, 6], [0, 1, 2, 3, 4, 7, 8, 9, 10, 11], score)
    full = aggregate_residuals(_window_of(res), _grid(), att, overlap=2)
    regions = np.array([[3, 9, 2, 12], [0, 0, 0, 0]])               # cell 6: nothing of it is read
    part = aggregate_residuals(_window_of(res), _grid(), att, overlap=2, regions=regions)
    np.testing.assert_array_equal(part[0, 3:9, 2:12], full[0, 3:9, 2:12])   # same sums where it is read
    outside = np.ones(part.shape[1:3], bool)
    outside[3:9, 2:12] = False
    assert not part[0][outside].any() and not part[1].any()                 # untouched: 0, validity 0
    assert full[1].any()


def _texture(rng, amplitude):
    return rng.normal(0, 1, (10, 10, 3)).astype(np.float32) * amplitude


@pytest.mark.parametrize("source, around", [(2.0, 20.0), (40.0, 5.0)])
def test_preserve_energy_meets_the_level_of_the_neighbourhood(source, around):
    """A hole cell whose one source is calm amid rippled surroundings is brought up towards them (no flat, pale
    patch); a lone strong source (a boat) amid calm surroundings is toned down (no pasted object): the detail
    level is the neighbourhood's (here the strong cell is part of it, at its distance)."""
    from editor.pipeline.residual import aggregate_residuals

    rng = np.random.default_rng(8)
    res = np.zeros((30, 40, 3), np.float32)
    for cell in range(12):
        r, c = divmod(cell, 4)
        res[10 * r:10 * r + 10, 10 * c:10 * c + 10] = _texture(rng, around)
    res[0:10, 30:40] = _texture(rng, source)                       # cell 3: the only source
    res[10:20, 10:20] = 0                                          # cell 5: the hole
    att = _att([5], [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11], [[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]])
    kept = aggregate_residuals(_window_of(res), _grid(), att, preserve_energy=True)[0, ..., :3]
    plain = aggregate_residuals(_window_of(res), _grid(), att)[0, ..., :3]
    assert np.sqrt(np.mean(plain ** 2)) == pytest.approx(source, rel=0.2)        # Eq. 4: the source itself
    rms = float(np.sqrt(np.mean(kept ** 2)))
    if source < around:
        assert 2.5 * source < rms < around
    else:
        assert around < rms < 0.6 * source


def test_attention_matches_the_layout_inside_a_cell():
    """Eq. 1 on the cells' own pixels: a hole cell showing a horizon (sky over sea) matches the context cell with
    the same horizon, not one of the same mean colour laid out otherwise (sea over sky) or a flat one; the old
    cell-mean features could not tell them apart, and pasted, e.g., a boat's detail along an empty horizon."""
    from editor.pipeline.residual import compute_attention

    img = np.full((48, 64, 3), 60, np.uint8)      # a 3 x 4 grid of 16-px cells
    horizon = np.full((16, 16, 3), 80, np.uint8)
    horizon[:8] = 200
    img[16:32, 16:32] = horizon                   # the hole cell 5 = (1, 1), as the low-res fill shows it
    img[0:16, 0:16] = horizon[::-1]               # cell 0: sea over sky, the same mean
    img[32:48, 32:48] = horizon                   # cell 10: the same horizon
    hole = np.zeros((48, 64), bool)
    hole[20:28, 20:28] = True
    att, _ = compute_attention(img, hole, 16, top_k=1)
    assert list(att.hole_cells) == [5]
    assert att.context_cells[int(np.argmax(att.score[0]))] == 10


def test_local_detail_level_listens_to_cells_that_look_alike():
    """Sand next to foliage takes the sand's detail level: two measured neighbours at the same distance, one of
    the hole cell's colour (energy 1) and one not (energy 100)."""
    from editor.pipeline.residual import _local_energy

    hole_cells, ctx = np.array([5]), np.array([4, 6])                  # left and right of cell 5, 4 columns
    energy = np.array([1.0, 100.0])
    colours = np.zeros((12, 3), np.float32)
    colours[[4, 5]] = (0.8, 0.7, 0.6)                                  # sand
    colours[6] = (0.1, 0.3, 0.1)                                       # foliage
    both = np.ones(2, bool)
    assert _local_energy(hole_cells, ctx, both, energy, 4)[0] == pytest.approx(50.5)
    assert _local_energy(hole_cells, ctx, both, energy, 4, colours)[0] == pytest.approx(1.0, abs=1e-3)


def test_cells_of_a_panoramas_low_res_image_are_sized_by_its_short_side():
    assert lowres_cell_size((341, 512)) == 16 and lowres_cell_size((512, 384)) == 16   # CRA §3.2: 32 along 512
    assert lowres_cell_size((128, 2731)) == 16          # a 21:1 strip: 8 rows of 16-px cells, not 2 of 86 px
    assert lowres_cell_size((2731, 128)) == 16
    assert lowres_cell_size((20, 100)) == 3             # a tiny photo kept at its own size: 4:1 at most
    assert lowres_cell_size((8, 3072)) == 3             # a 380:1 strip: 1-px cells would be 24 576 of them
    assert -(-8 // 3) * -(-3072 // 3) <= 4 * 32 * 32    # 3072 cells, not 24 576


def test_a_bland_hole_cell_does_not_match_a_far_object_of_its_colour_direction():
    """Eq. 1's cosine on each cell's own norm let a hole cell whose fill is bland (near the mean colour) match
    any cell of the same colour direction at any contrast: a far object's cell won at score 0.99 and its residual
    pasted the object into the hole. Scaled by the context's typical norm, bland matches bland."""
    rng = np.random.default_rng(0)
    cell, rows, cols = 8, 6, 12
    img = np.full((rows * cell, cols * cell, 3), 120.0) + rng.normal(0, 2, (rows * cell, cols * cell, 3))
    direction = np.array([1.0, 0.8, -0.6])
    ramp = np.linspace(-1, 1, cell)[None, :, None] * direction              # a left-to-right colour ramp
    img[0:cell, 11 * cell:12 * cell] += 60 * ramp                          # the object: strong, far right
    img[3 * cell:4 * cell, 2 * cell:3 * cell] += 6 * ramp                  # the hole's fill: a faint trace of it
    lr = np.clip(img, 0, 255).astype(np.uint8)
    hole = np.zeros(lr.shape[:2], bool)
    hole[3 * cell:4 * cell, 2 * cell:3 * cell] = True
    att, _ = compute_attention(lr, hole, cell, scale=40.0, top_k=4)
    object_cell = 0 * cols + 11
    row = att.score[0]
    weight_on_object = float(row[list(att.context_cells).index(object_cell)])
    assert weight_on_object < 0.05, weight_on_object
