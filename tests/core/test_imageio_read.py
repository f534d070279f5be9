"""load_image: orientation, colour modes, metadata, and every bad input."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from editor.core.errors import ImageReadError, InpaintError
from editor.core.imageio import load_image

ORIENTATION = 0x0112


def _pattern(h: int = 24, w: int = 40) -> np.ndarray:
    """Asymmetric test image: every pixel distinct enough to pin its position."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _blocks(h: int = 32, w: int = 48) -> np.ndarray:
    """8x8-aligned solid blocks (JPEG-friendly): survives lossy compression within a few levels."""
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)


def _exif(orientation: int | None = None, **tags) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[0x010F] = tags.get("make", "TestCam")
    return exif.tobytes()


# Expected display orientation for each EXIF value, written from the EXIF spec with numpy only.
DISPLAY = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied_exactly_png(tmp_path, orientation):
    stored = _pattern()
    path = tmp_path / "o.png"
    Image.fromarray(stored).save(path, exif=_exif(orientation))
    doc = load_image(path)
    expected = DISPLAY[orientation](stored)
    assert doc.image.shape == expected.shape
    np.testing.assert_array_equal(doc.image, expected)
    exif = Image.Exif()
    exif.load(doc.exif)
    assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"


def test_exif_orientation_6_jpeg_shape_pixels_and_dpi(tmp_path):
    stored = _blocks(32, 48)  # stored W=48, H=32
    path = tmp_path / "rot.jpg"
    Image.fromarray(stored).save(path, exif=_exif(6), quality=100, subsampling=0, dpi=(300, 150))
    doc = load_image(path)
    assert doc.image.shape == (48, 32, 3)  # displayed portrait
    diff = np.abs(doc.image.astype(int) - np.rot90(stored, -1).astype(int))
    assert diff.max() <= 6
    # the stored top-left block shows at the top-right after the 90° clockwise turn
    np.testing.assert_allclose(doc.image[0, -1], stored[0, 0], atol=6)
    assert doc.dpi == (150.0, 300.0)  # swapped with the axes
    exif = Image.Exif()
    exif.load(doc.exif)
    assert exif[ORIENTATION] == 1
    assert doc.format == "JPEG" and doc.source_mode == "RGB" and doc.path == path


def test_exif_resolution_and_dimensions_turn_with_the_pixels(tmp_path):
    """After a 90° turn the EXIF agrees with the pixels and the DPI: X/Y resolution and PixelX/YDimension are
    swapped, as the JFIF density is."""
    exif = Image.Exif()
    exif[ORIENTATION], exif[0x011A], exif[0x011B], exif[0x0128] = 6, 300.0, 150.0, 2
    exif[0x8769] = {0xA002: 48, 0xA003: 32}
    path = tmp_path / "rot.jpg"
    Image.fromarray(_blocks(32, 48)).save(path, exif=exif.tobytes(), dpi=(300, 150))
    doc = load_image(path)
    back = Image.Exif()
    back.load(doc.exif)
    assert doc.dpi == (150.0, 300.0) and doc.image.shape[:2] == (48, 32)
    assert (back[0x011A], back[0x011B]) == (150.0, 300.0)
    assert back.get_ifd(0x8769) == {0xA002: 32, 0xA003: 48}


@pytest.mark.parametrize("ext", ["tif", "webp"])
def test_exif_orientation_in_tiff_and_webp(tmp_path, ext):
    stored = _pattern()
    path = tmp_path / f"o.{ext}"
    extra = {"lossless": True} if ext == "webp" else {"dpi": (300, 150)}
    Image.fromarray(stored).save(path, exif=_exif(8), **extra)
    doc = load_image(path)
    np.testing.assert_array_equal(doc.image, np.rot90(stored, 1))
    if ext == "tif":
        assert doc.dpi == (150.0, 300.0)
    exif = Image.Exif()
    exif.load(doc.exif)
    assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"
    assert 256 not in exif and 273 not in exif  # the TIFF's own layout tags are not passed on as EXIF


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "I;16", "RGB"])
@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
@pytest.mark.parametrize("compression", ["raw", "tiff_lzw"])
def test_exif_orientation_in_tiff_of_every_mode(tmp_path, mode, orientation, compression):
    """Pillow 13 garbled uncompressed L / RGBA / 16-bit TIFFs with a 90° orientation (it memory-maps them with
    the upright size); the photo must come out upright, pixel for pixel, and keep its EXIF."""
    stored = _pattern()
    gray = stored[:, :, 0]
    img = {"L": Image.fromarray(gray, "L"), "RGB": Image.fromarray(stored),
           "LA": Image.merge("LA", [Image.fromarray(gray, "L")] * 2),
           "RGBA": Image.fromarray(np.dstack([stored, gray]), "RGBA"),
           "I;16": Image.fromarray(gray.astype(np.uint16) * 257)}[mode]
    path = tmp_path / "o.tif"
    img.save(path, exif=_exif(orientation), compression=compression)
    doc = load_image(path)
    expected = DISPLAY[orientation](stored if mode in ("RGB", "RGBA") else np.dstack([gray] * 3))
    np.testing.assert_array_equal(doc.image, expected)
    exif = Image.Exif()
    exif.load(doc.exif)
    assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"


@pytest.mark.parametrize("pages", [1, 2])
def test_turned_tiff_keeps_its_exif_sub_blocks(tmp_path, pages):
    """A TIFF with a 90° orientation and an Exif / GPS block keeps them (swapped pixel dimensions), single-page
    and multi-page (whose blocks Pillow reads lazily, after the file it was decoded from is closed)."""
    exif = Image.Exif()
    exif[ORIENTATION], exif[0x010F] = 6, "TestCam"
    exif[0x8769] = {0xA002: 48, 0xA003: 32, 0x9003: "2020:01:01 10:00:00"}
    exif[0x8825] = {1: "N"}
    frames = [Image.fromarray(_blocks(32, 48)[:, :, 0], "L") for _ in range(pages)]
    frames[0].save(tmp_path / "o.tif", exif=exif.tobytes(), save_all=pages > 1, append_images=frames[1:])
    doc = load_image(tmp_path / "o.tif")
    assert doc.image.shape[:2] == (48, 32) and doc.exif is not None
    back = Image.Exif()
    back.load(doc.exif)
    assert back[ORIENTATION] == 1 and back[0x010F] == "TestCam"
    assert back.get_ifd(0x8769) == {0xA002: 32, 0xA003: 48, 0x9003: "2020:01:01 10:00:00"}
    assert back.get_ifd(0x8825) == {1: "N"}


def test_result_is_writable_contiguous_uint8(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(_pattern()).save(path)
    doc = load_image(path)
    assert doc.image.dtype == np.uint8 and doc.image.flags.c_contiguous and doc.image.flags.writeable
    assert doc.hole_mask.shape == doc.image.shape[:2] and not doc.hole_mask.any()
    assert doc.exif is None and doc.icc is None and doc.alpha is None


@pytest.mark.parametrize("ext", ["png", "tif", "webp", "bmp"])
def test_lossless_formats_read_exact(tmp_path, ext):
    a = _pattern()
    path = tmp_path / f"a.{ext}"
    Image.fromarray(a).save(path, **({"lossless": True} if ext == "webp" else {}))
    np.testing.assert_array_equal(load_image(path).image, a)


# ----------------------------------------------------------------------------------------- colour modes
def test_grayscale_l_expands_to_rgb(tmp_path):
    g = _pattern()[:, :, 0]
    path = tmp_path / "g.png"
    Image.fromarray(g, "L").save(path)
    doc = load_image(path)
    assert doc.source_mode == "L" and doc.image.shape == (*g.shape, 3)
    for c in range(3):
        np.testing.assert_array_equal(doc.image[:, :, c], g)


def test_grayscale_with_alpha_la(tmp_path):
    g = _pattern()[:, :, 0]
    alpha = _pattern()[:, :, 1]
    path = tmp_path / "la.png"
    Image.merge("LA", [Image.fromarray(g, "L"), Image.fromarray(alpha, "L")]).save(path)
    doc = load_image(path)
    assert doc.source_mode == "LA"
    np.testing.assert_array_equal(doc.image[:, :, 2], g)
    np.testing.assert_array_equal(doc.alpha, alpha)


def test_bilevel_mode_1(tmp_path):
    bits = _pattern()[:, :, 0] >= 128
    path = tmp_path / "b.png"
    Image.fromarray(bits).convert("1").save(path)
    doc = load_image(path)
    assert doc.source_mode == "1"
    np.testing.assert_array_equal(doc.image[:, :, 1], np.where(bits, 255, 0))


def test_palette_with_and_without_transparency(tmp_path):
    a = _blocks()
    p_img = Image.fromarray(a).quantize(16)
    expected = np.asarray(p_img.convert("RGB"))
    plain = tmp_path / "p.png"
    p_img.save(plain)
    doc = load_image(plain)
    assert doc.source_mode == "P" and doc.alpha is None
    np.testing.assert_array_equal(doc.image, expected)
    index0 = np.asarray(p_img) == 0
    assert index0.any() and not index0.all()
    transparent = tmp_path / "pt.png"
    p_img.save(transparent, transparency=0)
    doc = load_image(transparent)
    np.testing.assert_array_equal(doc.alpha, np.where(index0, 0, 255))
    np.testing.assert_array_equal(doc.image, expected)


def test_cmyk_without_profile_plain_conversion(tmp_path):
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[:8, :8] = (0, 0, 0, 0)  # white
    cmyk[:8, 8:] = (255, 0, 0, 0)  # cyan
    cmyk[8:, :8] = (0, 0, 0, 255)  # black
    cmyk[8:, 8:] = (0, 255, 255, 0)  # red
    path = tmp_path / "c.tif"
    Image.fromarray(cmyk, "CMYK").save(path)
    doc = load_image(path)
    assert doc.source_mode == "CMYK" and doc.icc is None and doc.image.dtype == np.uint8
    np.testing.assert_array_equal(doc.image[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(doc.image[0, 15], (0, 255, 255))
    np.testing.assert_array_equal(doc.image[15, 0], (0, 0, 0))
    np.testing.assert_array_equal(doc.image[15, 15], (255, 0, 0))


def test_cmyk_jpeg_loads_as_rgb(tmp_path):
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[..., 1] = 255
    cmyk[..., 2] = 255  # red
    path = tmp_path / "c.jpg"
    Image.fromarray(cmyk, "CMYK").save(path, quality=100)
    doc = load_image(path)
    assert doc.source_mode == "CMYK" and doc.image.shape == (16, 16, 3)
    np.testing.assert_allclose(doc.image[8, 8], (255, 0, 0), atol=4)


def _cmyk_profile() -> bytes:
    """A minimal ICC v2 CMYK printer profile (lut16 A2B0): only K matters, through a strongly bent curve.

    Lab L* is 100 at K = 0 and 20 at K = 100 %, with the K input curve bent so mid K is already dark.
    Nothing like Pillow's naive ``255 - C - K`` formula, so the test can tell which conversion ran.
    """
    import struct

    def tag_xyz(x, y, z):
        s15 = lambda v: int(round(v * 65536)) & 0xFFFFFFFF  # noqa: E731
        return b"XYZ " + b"\0" * 4 + struct.pack(">III", s15(x), s15(y), s15(z))

    grid, n_in, n_out, n_entries = 2, 4, 3, 3
    body = b"mft2" + b"\0" * 4 + bytes([n_in, n_out, grid, 0])
    body += struct.pack(">9i", 65536, 0, 0, 0, 65536, 0, 0, 0, 65536)
    body += struct.pack(">HH", n_entries, n_entries)
    body += struct.pack(">3H", 0, 32768, 65535) * 3  # C, M, Y: linear
    body += struct.pack(">3H", 0, 60000, 65535)  # K: bent
    for index in range(grid ** n_in):  # the last input (K) varies fastest
        k = index % 2
        l_star = 20.0 if k else 100.0
        body += struct.pack(">3H", int(l_star / 100 * 65280), 0x8000, 0x8000)  # v2 16-bit Lab
    body += struct.pack(">3H", 0, 32768, 65535) * n_out
    desc_text = b"test CMYK\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 78
    tags = [(b"desc", desc), (b"wtpt", tag_xyz(0.9642, 1.0, 0.8249)), (b"A2B0", body)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, blob in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(blob))
        data += blob
    header = struct.pack(">I", offset + len(data)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"prtr" + b"CMYK"
    header += b"Lab " + b"\0" * 12 + b"acsp" + b"\0" * 28  # platform, flags, maker, model, attributes, intent
    header += struct.pack(">III", 63190, 65536, 54061) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def test_cmyk_with_icc_profile_converted_through_it(tmp_path):
    profile = _cmyk_profile()
    cmyk = np.zeros((8, 8, 4), np.uint8)
    cmyk[:, 4:, 3] = 128  # half K
    path = tmp_path / "c.tif"
    Image.fromarray(cmyk, "CMYK").save(path, icc_profile=profile)
    doc = load_image(path)
    assert doc.source_mode == "CMYK"
    source = Image.fromarray(cmyk, "CMYK")
    naive = np.asarray(source.convert("RGB"))
    managed = np.asarray(
        ImageCms.profileToProfile(
            source, ImageCms.ImageCmsProfile(io.BytesIO(profile)), ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    )
    assert np.abs(managed.astype(int) - naive.astype(int)).max() > 40  # the profile matters here
    np.testing.assert_array_equal(doc.image, managed)
    assert doc.image[0, 7, 0] < 100  # half K is dark through the bent curve (naive: 127)
    assert doc.icc is not None and doc.icc[16:20] == b"RGB "  # an sRGB profile now describes the pixels


def test_cmyk_with_broken_profile_falls_back(tmp_path):
    bogus = b"\0" * 16 + b"CMYK" + b"\0" * 200
    cmyk = np.zeros((8, 8, 4), np.uint8)
    path = tmp_path / "c.tif"
    Image.fromarray(cmyk, "CMYK").save(path, icc_profile=bogus)
    doc = load_image(path)
    np.testing.assert_array_equal(doc.image, 255)
    assert doc.icc is None


def test_16bit_grayscale_png_scaled(tmp_path):
    v = np.array([[0, 257, 32896, 65535], [1000, 20000, 40000, 60000]], np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(v).save(path)
    doc = load_image(path)
    assert doc.source_mode.startswith("I")
    expected = np.round(v / 257).astype(np.uint8)
    np.testing.assert_array_equal(doc.image[:, :, 0], expected)
    np.testing.assert_array_equal(doc.image[:, :, 2], expected)


def test_16bit_big_endian_tiff(tmp_path):
    v = np.array([[0, 65535], [514, 30000]], np.uint16)
    path = tmp_path / "g16b.tif"
    Image.frombytes("I;16B", (2, 2), v.astype(">u2").tobytes()).save(path)
    doc = load_image(path)
    assert doc.source_mode.startswith("I;16")
    np.testing.assert_array_equal(doc.image[:, :, 1], np.round(v / 257).astype(np.uint8))


def test_32bit_integer_tiff_range(tmp_path):
    """Mode "I" has no fixed range: 0..255 values are 8-bit (not nearly black), larger ones 16-bit."""
    eight = np.array([[0, 1, 128, 255]], np.int32)
    path = tmp_path / "i8.tif"
    Image.fromarray(eight).save(path)
    doc = load_image(path)
    assert doc.source_mode == "I"
    np.testing.assert_array_equal(doc.image[:, :, 0], eight.astype(np.uint8))
    sixteen = np.array([[0, 257, 32896, 70000]], np.int32)
    path = tmp_path / "i16.tif"
    Image.fromarray(sixteen).save(path)
    np.testing.assert_array_equal(load_image(path).image[:, :, 1], [[0, 1, 128, 255]])


@pytest.mark.parametrize("ext", ["tif", "png"])
def test_16bit_rgb_scaled_to_8bit(tmp_path, ext):
    rng = np.random.default_rng(5)
    rgb16 = rng.integers(0, 65536, (6, 9, 3), dtype=np.uint16)
    path = tmp_path / f"rgb16.{ext}"
    assert cv2.imwrite(str(path), rgb16[:, :, ::-1])  # OpenCV writes BGR
    doc = load_image(path)
    assert doc.image.dtype == np.uint8 and doc.image.shape == (6, 9, 3)
    assert np.abs(doc.image.astype(int) - rgb16.astype(int) / 257).max() <= 1.0


def _gray_icc() -> bytes:
    """An ICC profile whose header says GRAY (only the header is read: enough for the bookkeeping)."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[16:20] = b"GRAY"
    return bytes(icc)


def test_grayscale_photo_keeps_its_gray_icc_profile_and_is_marked_grayscale(tmp_path):
    path = tmp_path / "g.png"
    Image.fromarray(np.zeros((4, 4), np.uint8), "L").save(path, icc_profile=_gray_icc())
    doc = load_image(path)
    assert doc.grayscale and doc.icc == _gray_icc()


def test_gray_icc_profile_on_a_colour_photo_is_dropped(tmp_path):
    path = tmp_path / "c.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8), "RGB").save(path, icc_profile=_gray_icc())
    doc = load_image(path)
    assert not doc.grayscale and doc.icc is None


# ----------------------------------------------------------------------------------------- bad inputs
def _assert_read_error(path, **kwargs):
    with pytest.raises(ImageReadError) as info:
        load_image(path, **kwargs)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_missing_file(tmp_path):
    assert "no such file" in _assert_read_error(tmp_path / "missing.jpg")


def test_folder_instead_of_file(tmp_path):
    _assert_read_error(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert "empty" in _assert_read_error(path)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\n")
    assert "not an image" in _assert_read_error(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_jpeg_raises_instead_of_grey(tmp_path, keep):
    full = tmp_path / "full.jpg"
    Image.fromarray(_pattern(64, 64)).save(full, quality=95)
    data = full.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    assert "truncated" in _assert_read_error(path)


def test_truncated_png(tmp_path):
    full = tmp_path / "full.png"
    Image.fromarray(_pattern(64, 64)).save(full)
    data = full.read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    _assert_read_error(path)


def test_bomb_limit_with_tiny_max_pixels(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(_pattern(24, 40)).save(path)
    message = _assert_read_error(path, max_pixels=100)
    assert "--max-pixels" in message and "960" in message
    from editor.core.errors import TooLargeError
    with pytest.raises(TooLargeError) as info:  # what the editor needs to offer "open anyway"
        load_image(path, max_pixels=100)
    assert (info.value.pixels, info.value.limit) == (960, 100) and "--" not in info.value.message
    assert load_image(path, max_pixels=960).image.shape == (24, 40, 3)


def test_default_bomb_limit_stays_on_and_global_untouched(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    Image.fromarray(_pattern(24, 40)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # stands in for Pillow's ~89.5 MP
    assert "--max-pixels" in _assert_read_error(path)
    assert Image.MAX_IMAGE_PIXELS == 500
    assert load_image(path, max_pixels=10_000).width == 40  # the option raises it
    assert Image.MAX_IMAGE_PIXELS == 500


def test_errors_are_inpaint_errors(tmp_path):
    with pytest.raises(InpaintError):
        load_image(tmp_path / "nope.png")


def test_bomb_limit_holds_under_concurrent_loads(tmp_path, monkeypatch):
    """A load with a raised limit in one thread never lifts the default limit for another thread."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "a.png"
    Image.fromarray(_pattern(24, 40)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)

    def attempt(i: int) -> bool:
        try:
            load_image(path, max_pixels=10_000 if i % 2 else None)
            return True
        except ImageReadError:
            return False

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes == [bool(i % 2) for i in range(40)]
    assert Image.MAX_IMAGE_PIXELS == 500


@pytest.mark.parametrize("subsampling", [0, 2])
def test_upright_colour_jpeg_is_decoded_by_opencv_with_pillows_bytes(tmp_path, monkeypatch, subsampling):
    import editor.core.imageio as imageio

    rng = np.random.default_rng(11)
    img = cv2.resize(rng.integers(0, 256, (12, 17, 3), dtype=np.uint8), (170, 120)) + rng.integers(0, 9, (120, 170, 3),
                                                                                                  dtype=np.uint8)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "p.jpg"
    Image.fromarray(img).save(path, quality=90, subsampling=subsampling, exif=_exif(make="Cam"), icc_profile=srgb,
                              dpi=(240, 240))
    calls = []
    real = imageio._decode_jpeg_rgb
    monkeypatch.setattr(imageio, "_decode_jpeg_rgb", lambda p, s: calls.append(p) or real(p, s))
    doc = load_image(path)
    assert calls == [path]                                                   # the OpenCV path was taken
    with Image.open(path) as im:
        np.testing.assert_array_equal(doc.image, np.asarray(im.convert("RGB")))   # Pillow's exact bytes
    assert doc.image.flags.writeable and doc.image.flags.c_contiguous
    assert doc.icc == srgb and doc.dpi == (240.0, 240.0) and doc.format == "JPEG" and doc.source_mode == "RGB"
    exif = Image.Exif()
    exif.load(doc.exif)
    assert exif[0x010F] == "Cam"


def test_jpeg_with_data_after_the_image_or_rotated_goes_through_pillow(tmp_path, monkeypatch):
    import editor.core.imageio as imageio

    calls = []
    real = imageio._decode_jpeg_rgb
    monkeypatch.setattr(imageio, "_decode_jpeg_rgb", lambda p, s: calls.append(p) or real(p, s))
    a = _blocks()
    trailing = tmp_path / "t.jpg"
    Image.fromarray(a).save(trailing, quality=95)
    trailing.write_bytes(trailing.read_bytes() + b"camera makers append data here")
    assert real(trailing, (a.shape[1], a.shape[0])) is None                  # not ending with EOI: Pillow's
    with Image.open(trailing) as im:
        np.testing.assert_array_equal(load_image(trailing).image, np.asarray(im.convert("RGB")))  # Pillow's
    rotated = tmp_path / "r.jpg"
    Image.fromarray(a).save(rotated, quality=95, exif=_exif(6))
    assert load_image(rotated).image.shape == (a.shape[1], a.shape[0], 3)    # turned upright by Pillow
    assert calls == [trailing]                                               # asked once, never for the rotated


def test_opencv_before_4_10_decodes_bgr_and_is_turned_to_rgb(tmp_path, monkeypatch):
    import editor.core.imageio as imageio

    a = _blocks()
    path = tmp_path / "p.jpg"
    Image.fromarray(a).save(path, quality=95, subsampling=0)
    expected = imageio._decode_jpeg_rgb(path, (a.shape[1], a.shape[0]))
    monkeypatch.delattr(cv2, "IMREAD_COLOR_RGB", raising=False)                # as on OpenCV 4.8 / 4.9
    np.testing.assert_array_equal(imageio._decode_jpeg_rgb(path, (a.shape[1], a.shape[0])), expected)
    with Image.open(path) as im:
        np.testing.assert_array_equal(expected, np.asarray(im.convert("RGB")))


def test_camera_exif_keeps_every_tag_but_not_the_stale_thumbnail(shared_data):
    src = shared_data / "hifill-samples" / "images" / "17.jpg"      # a camera JPEG with a 34 KB EXIF thumbnail
    with Image.open(src) as img:
        raw, tags = img.info["exif"], img.getexif()
    assert b"\xff\xd8\xff" in raw
    doc = load_image(src)
    assert b"\xff\xd8\xff" not in doc.exif                        # the thumbnail shows the object being removed
    kept = Image.Exif()
    kept.load(doc.exif)
    assert set(kept) == set(tags)
    pointer = 0xA005                                              # offset of the interoperability IFD: moves
    for ifd in (0x8769, 0x8825, pointer):                         # Exif (incl. MakerNote), GPS, interoperability
        a, b = dict(kept.get_ifd(ifd)), dict(tags.get_ifd(ifd))
        a.pop(pointer, None)
        b.pop(pointer, None)
        assert a == b and a
