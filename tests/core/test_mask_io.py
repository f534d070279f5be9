"""load_mask / save_mask: conventions (>= 128, alpha, invert), orientation, size checks, resize."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from editor.core.errors import ImageReadError, MaskError, OutputError
from editor.core.imageio import load_image, load_mask, save_mask


def _values() -> np.ndarray:
    """4x8 grey levels around the threshold."""
    return np.array(
        [
            [0, 1, 126, 127, 128, 129, 254, 255],
            [255, 128, 127, 0, 200, 50, 128, 127],
            [0, 0, 0, 0, 255, 255, 255, 255],
            [128, 127, 128, 127, 128, 127, 128, 127],
        ],
        np.uint8,
    )


def test_grayscale_threshold_128(tmp_path):
    v = _values()
    path = tmp_path / "m.png"
    Image.fromarray(v, "L").save(path)
    hole = load_mask(path, (8, 4))
    assert hole.dtype == bool and hole.shape == (4, 8)
    np.testing.assert_array_equal(hole, v >= 128)


def test_rgb_mask_uses_luminance(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = 255  # white: hole
    rgb[0, 1] = (255, 0, 0)  # pure red: luminance 76 -> known
    rgb[0, 2] = (0, 255, 0)  # pure green: luminance 150 -> hole
    rgb[1, 0] = 128  # mid grey: hole
    rgb[1, 1] = 127
    path = tmp_path / "m.png"
    Image.fromarray(rgb).save(path)
    np.testing.assert_array_equal(load_mask(path, (3, 2)), [[True, False, True], [True, False, False]])


def test_rgba_mask_uses_alpha(tmp_path):
    rgba = np.zeros((4, 8, 4), np.uint8)
    rgba[..., :3] = 255  # white colour everywhere: would be all hole by luminance
    rgba[..., 3] = _values()
    path = tmp_path / "m.png"
    Image.fromarray(rgba, "RGBA").save(path)
    np.testing.assert_array_equal(load_mask(path, (8, 4)), _values() >= 128)


def test_opaque_rgba_mask_falls_back_to_luminance(tmp_path):
    rgba = np.full((4, 8, 4), 255, np.uint8)
    rgba[..., :3] = _values()[..., None]
    path = tmp_path / "m.png"
    Image.fromarray(rgba, "RGBA").save(path)
    np.testing.assert_array_equal(load_mask(path, (8, 4)), _values() >= 128)


def test_la_mask_uses_alpha(tmp_path):
    path = tmp_path / "m.png"
    lum = Image.fromarray(np.zeros((4, 8), np.uint8), "L")
    Image.merge("LA", [lum, Image.fromarray(_values(), "L")]).save(path)
    np.testing.assert_array_equal(load_mask(path, (8, 4)), _values() >= 128)


def test_invert(tmp_path):
    v = _values()
    path = tmp_path / "m.png"
    Image.fromarray(v, "L").save(path)
    np.testing.assert_array_equal(load_mask(path, (8, 4), invert=True), v < 128)


def test_bilevel_and_jpeg_masks(tmp_path):
    bits = _values() >= 128
    p1 = tmp_path / "m1.png"
    Image.fromarray(bits).convert("1").save(p1)
    np.testing.assert_array_equal(load_mask(p1, (8, 4)), bits)
    big = np.zeros((64, 64), np.uint8)
    big[16:48, 8:40] = 255
    pj = tmp_path / "m.jpg"
    Image.fromarray(big, "L").save(pj, quality=90)
    np.testing.assert_array_equal(load_mask(pj, (64, 64)), big >= 128)


def test_16bit_mask(tmp_path):
    v = np.array([[0, 32767, 32896, 65535]], np.uint16)
    path = tmp_path / "m16.png"
    Image.fromarray(v).save(path)
    np.testing.assert_array_equal(load_mask(path, (4, 1)), [[False, False, True, True]])


def test_32bit_integer_mask_with_8bit_values(tmp_path):
    # A 0/255 mask saved as 32-bit integers is a mask, not an empty one (scaled as 16-bit it would be 0/1).
    path = tmp_path / "m32.tif"
    Image.fromarray(np.array([[0, 127, 128, 255]], np.int32)).save(path)
    np.testing.assert_array_equal(load_mask(path, (4, 1)), [[False, False, True, True]])


def test_size_mismatch_error_message(tmp_path):
    path = tmp_path / "m.png"
    Image.fromarray(_values(), "L").save(path)
    with pytest.raises(MaskError) as info:
        load_mask(path, (16, 8))
    message = str(info.value)
    assert "mask is 8x4 but the photo is 16x8; use --resize-mask to scale it" in message
    assert str(path) in message


def test_mask_of_the_photo_turned_by_90_degrees_is_named_so(tmp_path):
    """A mask drawn on a photo's stored pixels before its EXIF orientation turned them: the error says so and does
    not propose stretching it."""
    path = tmp_path / "m.png"
    Image.fromarray(_values(), "L").save(path)        # 8x4
    with pytest.raises(MaskError) as info:
        load_mask(path, (4, 8))
    message = str(info.value)
    assert "mask is 8x4 but the photo is 4x8, turned by 90°" in message and "EXIF orientation" in message
    assert "use --resize-mask to scale it" not in message


def test_resize_is_nearest(tmp_path):
    v = _values()
    path = tmp_path / "m.png"
    Image.fromarray(v, "L").save(path)
    hole = load_mask(path, (16, 8), resize=True)
    assert hole.shape == (8, 16)
    np.testing.assert_array_equal(hole, np.repeat(np.repeat(v >= 128, 2, axis=0), 2, axis=1))
    small = load_mask(path, (4, 2), resize=True)
    assert small.shape == (2, 4) and small.dtype == bool
    assert set(np.unique(small)) <= {False, True}


def test_resize_then_invert_commute(tmp_path):
    path = tmp_path / "m.png"
    Image.fromarray(_values(), "L").save(path)
    a = load_mask(path, (13, 7), resize=True, invert=True)
    b = ~load_mask(path, (13, 7), resize=True)
    np.testing.assert_array_equal(a, b)


def test_mask_exif_orientation_applied(tmp_path):
    """A photo and its mask both stored sideways with orientation 6 line up after loading."""
    stored_photo = np.zeros((20, 30, 3), np.uint8)
    stored_photo[2:6, 3:12] = 200
    stored_mask = np.zeros((20, 30), np.uint8)
    stored_mask[2:6, 3:12] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    photo_path, mask_path = tmp_path / "p.png", tmp_path / "m.png"
    Image.fromarray(stored_photo).save(photo_path, exif=exif.tobytes())
    Image.fromarray(stored_mask, "L").save(mask_path, exif=exif.tobytes())
    doc = load_image(photo_path)
    hole = load_mask(mask_path, doc.size)
    assert hole.shape == (30, 20)
    np.testing.assert_array_equal(hole, doc.image[..., 0] == 200)


def test_mask_read_errors(tmp_path):
    with pytest.raises(ImageReadError) as info:
        load_mask(tmp_path / "nope.png", (4, 4))
    assert "nope.png" in str(info.value)
    bad = tmp_path / "bad.png"
    bad.write_text("not a mask")
    with pytest.raises(ImageReadError):
        load_mask(bad, (4, 4))


def test_save_mask_white_is_hole_and_round_trips(tmp_path):
    hole = np.random.default_rng(0).random((9, 13)) < 0.3
    path = tmp_path / "m.png"
    save_mask(path, hole)
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "L"
        values = np.asarray(img)
    np.testing.assert_array_equal(values, np.where(hole, 255, 0))
    np.testing.assert_array_equal(load_mask(path, (13, 9)), hole)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]


def test_save_mask_errors(tmp_path):
    hole = np.zeros((4, 4), bool)
    with pytest.raises(OutputError):
        save_mask(tmp_path / "m.jpg", hole)
    with pytest.raises(OutputError):
        save_mask(tmp_path / "missing" / "m.png", hole)
    assert list(tmp_path.iterdir()) == []


def test_load_photo_and_mask_matches_the_two_loads(tmp_path, monkeypatch):
    from editor.core.imageio import load_photo_and_mask

    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(rng.integers(0, 255, (20, 30), dtype=np.uint8), "L").save(tmp_path / "m.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)           # the user's limit, restored after
    doc, hole = load_photo_and_mask(tmp_path / "p.png", tmp_path / "m.png", invert=True, resize=True)
    np.testing.assert_array_equal(doc.image, load_image(tmp_path / "p.png").image)
    np.testing.assert_array_equal(hole, load_mask(tmp_path / "m.png", (60, 40), invert=True, resize=True))
    assert Image.MAX_IMAGE_PIXELS == 10_000
    with pytest.raises(MaskError, match="resize-mask"):
        load_photo_and_mask(tmp_path / "p.png", tmp_path / "m.png")
    with pytest.raises(ImageReadError, match="no such file"):                  # the photo's error comes first
        load_photo_and_mask(tmp_path / "missing.png", tmp_path / "missing-mask.png")
    with pytest.raises(ImageReadError, match="missing-mask.png: no such file"):
        load_photo_and_mask(tmp_path / "p.png", tmp_path / "missing-mask.png")
    with pytest.raises(ImageReadError, match="above the limit"):               # each load checks its size
        load_photo_and_mask(tmp_path / "p.png", tmp_path / "m.png", max_pixels=1000, resize=True)
    assert Image.MAX_IMAGE_PIXELS == 10_000


def test_uncompressed_tiff_mask_with_a_90_degree_orientation(tmp_path):
    """An L TIFF mask stored sideways (orientation 6, no compression) fits the upright photo."""
    stored = np.zeros((20, 30), np.uint8)
    stored[2:6, 3:12] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored, "L").save(tmp_path / "m.tif", exif=exif.tobytes())
    np.testing.assert_array_equal(load_mask(tmp_path / "m.tif", (20, 30)), np.rot90(stored, -1) > 0)


@pytest.mark.parametrize("transparent", ["one pixel", "a strip"])
def test_black_and_white_mask_with_some_transparency_reads_its_colours(tmp_path, transparent):
    """A white-on-black RGBA mask that is not quite opaque everywhere is a mask image, not strokes on a layer:
    its white is the hole (its alpha would make nearly the whole photo hole)."""
    m = np.zeros((64, 96, 4), np.uint8)
    m[..., 3] = 255
    m[20:30, 30:50, :3] = 255
    if transparent == "one pixel":
        m[0, 0, 3] = 254
    else:
        m[:2, :, 3] = 0
    Image.fromarray(m, "RGBA").save(tmp_path / "m.png")
    expected = np.zeros((64, 96), bool)
    expected[20:30, 30:50] = True
    np.testing.assert_array_equal(load_mask(tmp_path / "m.png", (96, 64)), expected)


@pytest.mark.parametrize("colour", [(255, 0, 0), (0, 0, 0), (255, 255, 255)])
def test_strokes_on_a_transparent_layer_read_their_alpha(tmp_path, colour):
    """Strokes of any one colour on a transparent layer (GIMP's or Photoshop's exported layer): alpha is the hole,
    also with soft edges."""
    m = np.zeros((64, 96, 4), np.uint8)
    m[20:30, 30:50] = (*colour, 255)
    m[19, 30:50] = (*colour, 100)                    # a soft edge, below 128: not hole
    Image.fromarray(m, "RGBA").save(tmp_path / "m.png")
    expected = np.zeros((64, 96), bool)
    expected[20:30, 30:50] = True
    np.testing.assert_array_equal(load_mask(tmp_path / "m.png", (96, 64)), expected)


def test_cut_out_of_a_grey_photo_reads_its_alpha(tmp_path):
    """A background remover's cut-out of a black-and-white photo has neutral opaque pixels from black to white,
    but with mid-tones: not a black-and-white mask. Its alpha is the hole."""
    yy, xx = np.mgrid[:100, :120]
    disc = (yy - 50) ** 2 + (xx - 60) ** 2 < 40 ** 2
    grey = np.clip((xx - 20) * 255 // 80, 0, 255).astype(np.uint8)
    Image.fromarray(np.dstack([grey, grey, grey, np.where(disc, 255, 0).astype(np.uint8)]), "RGBA").save(
        tmp_path / "cut.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "cut.png", (120, 100)), disc)


def test_a_soft_coverage_round_trips_and_load_mask_reads_its_hole(tmp_path):
    from editor.core.imageio import save_coverage, soft_coverage
    cov = np.zeros((40, 60), np.uint8)
    cov[10:30, 10:30] = 255
    cov[9, 10:30] = 90                        # soft edge joined to the hole
    cov[30, 10:30] = 200
    cov[35, 50] = 60                          # a grey speck apart from the hole: known region
    path = tmp_path / "soft.png"
    save_coverage(path, cov)
    hole = load_mask(path, (60, 40))
    np.testing.assert_array_equal(hole, cov >= 128)             # the file's hole is load_mask's rule
    expected = cov.copy()
    expected[35, 50] = 0
    np.testing.assert_array_equal(soft_coverage(path, hole), expected)
    # black = hole: the levels are inverted with it
    save_coverage(tmp_path / "inv.png", 255 - cov)
    inv_hole = load_mask(tmp_path / "inv.png", (60, 40), invert=True)
    np.testing.assert_array_equal(soft_coverage(tmp_path / "inv.png", inv_hole, invert=True), expected)
    # a lossy file is read hard (its noise is no edge)
    Image.fromarray(cov).save(tmp_path / "soft.jpg", quality=90)
    jpeg_hole = load_mask(tmp_path / "soft.jpg", (60, 40))
    assert set(np.unique(soft_coverage(tmp_path / "soft.jpg", jpeg_hole))) <= {0, 255}
    with pytest.raises(OutputError):
        save_coverage(tmp_path / "soft.jpg", cov)
