"""save_image / save_document / atomic_output: metadata round trips, JPEG settings, alpha, atomicity, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageCms, JpegImagePlugin

from editor.core import imageio
from editor.core.document import Document
from editor.core.errors import OutputError
from editor.core.imageio import atomic_output, load_image, save_document, save_image

ORIENTATION = 0x0112
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _image(h: int = 32, w: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)


def _exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif[0x010F] = "RoundTripCam"  # Make
    exif[0x0110] = "Model X"  # Model
    return exif.tobytes()


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("ext", ["jpg", "png", "tif", "webp"])
def test_exif_icc_dpi_round_trip(tmp_path, ext):
    src = tmp_path / "src.jpg"
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "RoundTripCam"
    exif.get_ifd(0x8769)[0x9003] = "2020:01:02 03:04:05"  # DateTimeOriginal lives in the Exif sub-IFD
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef in the GPS sub-IFD
    Image.fromarray(_image()).save(src, exif=exif.tobytes(), icc_profile=SRGB_ICC, dpi=(300, 240), quality=98)
    doc = load_image(src)
    out = tmp_path / f"out.{ext}"
    save_document(out, doc)
    back = load_image(out)
    assert back.image.shape == doc.image.shape == (48, 32, 3)  # no second rotation on reload
    assert back.icc == SRGB_ICC
    tags = Image.Exif()
    tags.load(back.exif)
    assert tags[0x010F] == "RoundTripCam" and tags[ORIENTATION] == 1
    assert tags.get_ifd(0x8769)[0x9003] == "2020:01:02 03:04:05"
    assert tags.get_ifd(0x8825)[1] == "N"
    if ext == "webp":
        assert back.dpi is None  # WebP has no resolution field
    else:
        assert back.dpi == (240.0, 300.0)
    assert back.format == {"jpg": "JPEG", "png": "PNG", "tif": "TIFF", "webp": "WEBP"}[ext]


def test_bmp_keeps_pixels_and_dpi(tmp_path):
    a = _image()
    save_image(tmp_path / "o.bmp", a, exif=_exif_bytes(), icc=SRGB_ICC, dpi=(150, 150))
    back = load_image(tmp_path / "o.bmp")
    np.testing.assert_array_equal(back.image, a)
    assert back.dpi == (150.0, 150.0)


def test_jpeg_without_a_resolution_does_not_gain_72_dpi(tmp_path):
    """JFIF unit 0 (aspect ratio only) + EXIF without XResolution: Pillow says 72 dpi; we say none."""
    src = tmp_path / "in.jpg"
    Image.fromarray(_image()).save(src, exif=_exif_bytes(), quality=95)
    assert Image.open(src).info["dpi"] == (72, 72)  # Pillow's own default, stated nowhere in the file
    doc = load_image(src)
    assert doc.dpi is None
    save_document(tmp_path / "out.jpg", doc)
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.info.get("jfif_unit") == 0  # still no unit stated: no resolution was invented
    # A stated one is kept: EXIF XResolution, and the JFIF header's.
    exif = Image.Exif()
    exif.load(_exif_bytes())
    exif[0x011A], exif[0x011B], exif[0x0128] = 300.0, 300.0, 2
    Image.fromarray(_image()).save(src, exif=exif.tobytes())
    assert load_image(src).dpi == (300.0, 300.0)
    Image.fromarray(_image()).save(src, exif=_exif_bytes(), dpi=(200, 200))
    assert load_image(src).dpi == (200.0, 200.0)


def test_tiff_without_a_resolution_does_not_gain_1_dpi(tmp_path):
    """A TIFF without XResolution: Pillow says 1 dpi; we say none, and the outputs state none either."""
    src = tmp_path / "in.tif"
    Image.fromarray(_image()).save(src)
    assert Image.open(src).info["dpi"] == (1, 1)  # Pillow's default, stated nowhere in the file
    doc = load_image(src)
    assert doc.dpi is None
    for ext in ("png", "tif"):
        save_document(tmp_path / f"out.{ext}", doc)
        with Image.open(tmp_path / f"out.{ext}") as out:
            assert "dpi" not in out.info or ext == "tif" and 0x011A not in out.tag_v2
    Image.fromarray(_image()).save(src, dpi=(300, 150))
    assert load_image(src).dpi == (300.0, 150.0)


@pytest.mark.parametrize("ext", ["png", "tif", "bmp"])
def test_lossless_pixels_exact(tmp_path, ext):
    a = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    save_image(tmp_path / f"o.{ext}", a)
    np.testing.assert_array_equal(load_image(tmp_path / f"o.{ext}").image, a)


def test_jpeg_default_quality_95_and_444(tmp_path):
    a = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path = tmp_path / "o.jpg"
    save_image(path, a)
    ref95, ref75 = tmp_path / "ref95.jpg", tmp_path / "ref75.jpg"
    Image.fromarray(a).save(ref95, quality=95, subsampling=0)
    Image.fromarray(a).save(ref75, quality=75)
    with Image.open(path) as img, Image.open(ref95) as r95, Image.open(ref75) as r75:
        assert JpegImagePlugin.get_sampling(img) == 0  # 4:4:4
        assert img.quantization == r95.quantization
        assert img.quantization != r75.quantization
        assert max(img.quantization[0]) <= 12 < max(r75.quantization[0])  # q95: fine-grained tables
    assert path.stat().st_size > 2 * ref75.stat().st_size
    diff = np.abs(load_image(path).image.astype(int) - a.astype(int))
    assert diff.mean() < 6


def test_jpeg_quality_and_subsampling_when_asked(tmp_path):
    a = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path = tmp_path / "o.jpeg"
    save_image(path, a, quality=70, subsampling=2)
    ref = tmp_path / "ref.jpg"
    Image.fromarray(a).save(ref, quality=70, subsampling=2)
    with Image.open(path) as img, Image.open(ref) as r:
        assert JpegImagePlugin.get_sampling(img) == 2
        assert img.quantization == r.quantization


@pytest.mark.parametrize("ext", ["png", "tif", "webp"])
def test_alpha_kept(tmp_path, ext):
    a = _image()
    alpha = np.zeros(a.shape[:2], np.uint8)
    alpha[4:20, 8:40] = 255
    alpha[0, 0] = 128
    src = tmp_path / "src.png"
    Image.fromarray(np.dstack([a, alpha]), "RGBA").save(src)
    doc = load_image(src)
    assert doc.source_mode == "RGBA"
    np.testing.assert_array_equal(doc.alpha, alpha)
    np.testing.assert_array_equal(doc.image, a)  # colour under transparent pixels kept, not blackened
    out = tmp_path / f"out.{ext}"
    save_document(out, doc, quality=100)
    with Image.open(out) as img:
        assert img.mode == "RGBA"
    back = load_image(out)
    np.testing.assert_array_equal(back.alpha, alpha)
    if ext != "webp":
        np.testing.assert_array_equal(back.image, a)


def test_alpha_dropped_for_jpeg(tmp_path):
    a = _image()
    alpha = np.full(a.shape[:2], 7, np.uint8)
    save_image(tmp_path / "o.jpg", a, alpha=alpha)
    with Image.open(tmp_path / "o.jpg") as img:
        assert img.mode == "RGB"
    assert "alpha channel is dropped" in imageio.alpha_dropped(tmp_path / "o.jpg", alpha)
    assert imageio.alpha_dropped(tmp_path / "o.bmp", alpha) is not None
    assert imageio.alpha_dropped(tmp_path / "o.png", alpha) is None
    assert imageio.alpha_dropped(tmp_path / "o.jpg", np.full_like(alpha, 255)) is None   # opaque: nothing lost
    assert imageio.alpha_dropped(tmp_path / "o.jpg", None) is None


@pytest.mark.parametrize("shape", [(32, 48), (1000, 1000)])   # Pillow's encoder and the banded one
def test_exif_too_large_for_jpeg_is_one_clear_error(tmp_path, shape):
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000                                   # ImageDescription: 70 KB
    block = exif.tobytes()
    img = np.zeros((*shape, 3), np.uint8)
    with pytest.raises(OutputError, match="does not fit in a JPEG.*png, .tif or .webp"):
        save_image(tmp_path / "o.jpg", img, exif=block)
    assert list(tmp_path.iterdir()) == []
    save_image(tmp_path / "o.tif", img, exif=block)               # TIFF keeps it
    assert Image.open(tmp_path / "o.tif").getexif()[0x010E] == "x" * 70_000


def test_opaque_alpha_is_not_carried(tmp_path):
    src = tmp_path / "src.png"
    Image.fromarray(np.dstack([_image(), np.full((32, 48), 255, np.uint8)]), "RGBA").save(src)
    assert load_image(src).alpha is None


def test_save_document_writes_image_not_mask(tmp_path):
    doc = Document(image=_image())
    doc.hole_mask[:] = True
    save_document(tmp_path / "o.png", doc)
    np.testing.assert_array_equal(load_image(tmp_path / "o.png").image, doc.image)


def test_output_format_follows_extension_case_insensitive(tmp_path):
    a = _image()
    for name, fmt in [("a.JPG", "JPEG"), ("b.Png", "PNG"), ("c.TIFF", "TIFF"), ("d.webp", "WEBP"), ("e.bmp", "BMP")]:
        save_image(tmp_path / name, a)
        with Image.open(tmp_path / name) as img:
            assert img.format == fmt


@pytest.mark.parametrize("name", ["out.xyz", "out", "out.gif.txt"])
def test_unknown_extension(tmp_path, name):
    with pytest.raises(OutputError) as info:
        save_image(tmp_path / name, _image())
    assert name in str(info.value) and ".png" in str(info.value)
    assert _leftovers(tmp_path) == []


def test_no_overwrite(tmp_path):
    path = tmp_path / "o.png"
    path.write_bytes(b"keep me")
    with pytest.raises(OutputError) as info:
        save_image(path, _image(), overwrite=False)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"keep me"
    save_image(path, _image())  # overwrite=True is the default
    assert load_image(path).width == 48


def test_missing_folder(tmp_path):
    path = tmp_path / "no" / "such" / "o.png"
    with pytest.raises(OutputError) as info:
        save_image(path, _image())
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_parent_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        save_image(blocker / "o.png", _image())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError) as info:
            save_image(folder / "o.png", _image())
        assert "o.png" in str(info.value)
        assert _leftovers(folder) == []
    finally:
        folder.chmod(0o755)


def test_failed_write_leaves_nothing_and_keeps_existing(tmp_path, monkeypatch):
    path = tmp_path / "o.jpg"
    path.write_bytes(b"previous result")

    def broken_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"half a JPEG")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OutputError) as info:
        save_image(path, _image())
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == b"previous result"
    assert _leftovers(tmp_path) == ["o.jpg"]


def test_atomic_output_success_and_permissions(tmp_path):
    path = tmp_path / "a.bin"
    with atomic_output(path) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        assert not path.exists()
        tmp.write_bytes(b"data")
    assert path.read_bytes() == b"data"
    assert _leftovers(tmp_path) == ["a.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600


def test_atomic_output_keeps_mode_of_replaced_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with atomic_output(path) as tmp:
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640


def test_atomic_output_failure_removes_temp(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(path) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("writer failed")
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["a.bin"]


def test_save_rejects_wrong_arrays(tmp_path):
    with pytest.raises(ValueError):
        save_image(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        save_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        save_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8), alpha=np.zeros((4, 5), np.uint8))
    assert _leftovers(tmp_path) == []


def test_format_for_path():
    assert imageio.format_for_path("x.JPEG") == "JPEG"
    assert imageio.format_for_path("x.tif") == "TIFF"
    with pytest.raises(OutputError):
        imageio.format_for_path("x.gif")


# --------------------------------------------------------------------------- JPEGs of 1 MP or more: banded encode
def _big(h: int = 1000, w: int = 1040) -> np.ndarray:
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, (h // 40 + 1, w // 40 + 1, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC), np.int16)
    return np.clip(base + rng.integers(-15, 16, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("subsampling", [0, 2])
def test_large_jpeg_is_banded_with_pillows_pixels_and_metadata(tmp_path, subsampling):
    a = _big()
    assert a.shape[0] * a.shape[1] >= imageio._BANDED_JPEG_MIN_PIXELS
    path, ref = tmp_path / "o.jpg", tmp_path / "ref.jpg"
    save_image(path, a, exif=_exif_bytes(), icc=SRGB_ICC, dpi=(300, 240), quality=93, subsampling=subsampling)
    Image.fromarray(a).save(ref, quality=93, subsampling=subsampling, exif=_exif_bytes(), icc_profile=SRGB_ICC,
                            dpi=(300, 240))
    data = path.read_bytes()
    assert b"\xff\xdd" in data and b"\xff\xdd" not in ref.read_bytes()   # restart interval: the banded path ran
    with Image.open(path) as img, Image.open(ref) as r:
        assert img.size == (1040, 1000) and img.mode == "RGB"
        assert img.quantization == r.quantization
        assert JpegImagePlugin.get_sampling(img) == subsampling
        np.testing.assert_array_equal(np.asarray(img), np.asarray(r))   # the same pixels as Pillow's own encode
    back = load_image(path)
    assert back.icc == SRGB_ICC and back.dpi == (300.0, 240.0)
    tags = Image.Exif()
    tags.load(back.exif)
    assert tags[0x010F] == "RoundTripCam"
    assert _leftovers(tmp_path) == ["o.jpg", "ref.jpg"]


def test_large_jpeg_falls_back_to_pillow_when_banding_does_not_apply(tmp_path, monkeypatch):
    from editor.core import jpeg

    monkeypatch.setattr(jpeg, "encode_jpeg_bands", lambda *a, **k: None)
    a = _big()
    path = tmp_path / "o.jpg"
    save_image(path, a, dpi=(72, 72))
    assert b"\xff\xdd" not in path.read_bytes()
    with Image.open(path) as img:
        assert img.size == (1040, 1000) and img.info["dpi"] == (72, 72)


def test_large_jpeg_with_oversized_exif_is_a_clear_error(tmp_path):
    path = tmp_path / "o.jpg"
    with pytest.raises(OutputError) as info:
        save_image(path, _big(), exif=b"Exif\x00\x00" + b"\x00" * 70000)
    assert str(path) in str(info.value)
    assert _leftovers(tmp_path) == []


def test_large_jpeg_failed_write_leaves_nothing_and_keeps_existing(tmp_path, monkeypatch):
    from editor.core import jpeg

    def disk_full(*a, **k):
        def pieces():
            yield b"\xff\xdb half a frame"
            raise OSError(28, "No space left on device")
        return pieces()

    monkeypatch.setattr(jpeg, "encode_jpeg_bands", disk_full)
    path = tmp_path / "o.jpg"
    path.write_bytes(b"previous result")
    with pytest.raises(OutputError) as info:
        save_image(path, _big())
    assert "No space left" in str(info.value)
    assert path.read_bytes() == b"previous result"
    assert _leftovers(tmp_path) == ["o.jpg"]


# ----------------------------------------------------------------------------------------- grayscale
def _gray_icc() -> bytes:
    icc = bytearray(SRGB_ICC)
    icc[16:20] = b"GRAY"  # only the header's colour space is read
    return bytes(icc)


@pytest.mark.parametrize("ext, mode", [("png", "L"), ("tif", "L"), ("bmp", "L"), ("jpg", "L"), ("webp", "RGB")])
def test_grayscale_document_is_written_back_as_grayscale(tmp_path, ext, mode):
    """A grayscale photo stays grayscale (as GIMP and Photoshop keep it), with its GRAY profile; WebP has no
    grayscale and gets RGB without that profile."""
    g = _image()[:, :, 0]
    src = tmp_path / "g.png"
    Image.fromarray(g, "L").save(src, icc_profile=_gray_icc())
    doc = load_image(src)
    out = tmp_path / f"out.{ext}"
    save_document(out, doc)
    with Image.open(out) as img:
        assert img.mode == mode
        assert img.info.get("icc_profile") == (_gray_icc() if mode == "L" and ext != "bmp" else None)
        if ext in ("png", "tif", "bmp"):
            np.testing.assert_array_equal(np.asarray(img), g)


def test_grayscale_with_alpha_is_written_back_as_la(tmp_path):
    g, a = _image()[:, :, 0], _image(seed=1)[:, :, 1]
    src = tmp_path / "la.png"
    Image.merge("LA", [Image.fromarray(g, "L"), Image.fromarray(a, "L")]).save(src)
    save_document(tmp_path / "out.tif", load_image(src))
    with Image.open(tmp_path / "out.tif") as img:
        assert img.mode == "LA"
        np.testing.assert_array_equal(np.asarray(img), np.dstack([g, a]))


def test_grayscale_write_is_the_luma_of_a_coloured_fill(tmp_path):
    """A fill with a tint (a network's output) becomes grey; pixels with R = G = B keep their value."""
    img = np.repeat(_image()[:, :, :1], 3, axis=2)
    img[:8, :8] = (200, 100, 50)
    save_image(tmp_path / "g.png", img, grayscale=True)
    out = np.asarray(Image.open(tmp_path / "g.png"))
    assert out.ndim == 2
    np.testing.assert_array_equal(out[8:], img[8:, :, 0])
    assert out[0, 0] == round(200 * 0.299 + 100 * 0.587 + 50 * 0.114)


def test_icc_profile_is_written_only_onto_pixels_of_its_colour_space(tmp_path):
    save_image(tmp_path / "rgb.png", _image(), icc=_gray_icc())
    save_image(tmp_path / "gray.png", _image(), icc=SRGB_ICC, grayscale=True)
    for name in ("rgb.png", "gray.png"):
        with Image.open(tmp_path / name) as img:
            assert "icc_profile" not in img.info


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's procfs")
def test_folder_that_creates_no_files_says_so():
    """procfs answers "No such file or directory" for an existing folder: the message must not say that."""
    with pytest.raises(OutputError, match=r"/proc/x\.png: cannot write to the folder /proc \(it accepts no new files\)"):
        save_image("/proc/x.png", _image())


def test_tiff_output_has_no_dangling_interop_pointer(tmp_path):
    """A camera EXIF (Exif IFD with an Interop IFD) written to TIFF: the Exif and GPS tags are kept and no
    pointer is left into the source's block; JPEG keeps the Interop IFD."""
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    exif[0x8769] = {0x9003: "2024:01:02 03:04:05", 0xA005: {1: "R98"}}
    exif[0x8825] = {1: "N", 2: (1.0, 2.0, 3.0)}
    for ext in ("tif", "jpg"):
        save_image(tmp_path / f"o.{ext}", _image(), exif=exif.tobytes())
        with Image.open(tmp_path / f"o.{ext}") as img:
            back = img.getexif()
            exif_ifd = back.get_ifd(0x8769)
            assert back[0x010F] == "Cam" and exif_ifd[0x9003] == "2024:01:02 03:04:05"
            assert back.get_ifd(0x8825)[1] == "N"
            if ext == "tif":
                assert 0xA005 not in exif_ifd
            else:
                assert back.get_ifd(0xA005) == {1: "R98"}


def test_tiff_source_exif_loses_only_its_interop_pointer(tmp_path):
    """A TIFF's Interop pointer is an offset into that file, whose Interop IFD Pillow does not keep: written
    elsewhere it would point at nothing, so it is dropped and every other tag kept."""
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    exif[0x8769] = {0x9003: "2024:01:02 03:04:05", 0xA005: {1: "R98"}}
    Image.fromarray(_image()).save(tmp_path / "src.tif", exif=exif.tobytes())
    doc = load_image(tmp_path / "src.tif")
    save_document(tmp_path / "o.jpg", doc)
    with Image.open(tmp_path / "o.jpg") as img:
        back = img.getexif()
        assert back[0x010F] == "Cam" and back.get_ifd(0x8769) == {0x9003: "2024:01:02 03:04:05"}


@pytest.mark.parametrize("alpha", [False, True])
def test_lossless_webp_comes_back_lossless(tmp_path, alpha):
    """A photo read from a lossless WebP is written lossless to WebP (every pixel, and alpha, unchanged); a lossy
    one stays lossy."""
    img = np.random.default_rng(2).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    a = np.full((24, 40), 128, np.uint8)
    Image.fromarray(np.dstack([img, a]) if alpha else img).save(tmp_path / "in.webp", lossless=True)
    doc = load_image(tmp_path / "in.webp")
    assert doc.webp_lossless
    save_document(tmp_path / "out.webp", doc)
    with Image.open(tmp_path / "out.webp") as out:
        back = np.asarray(out)
    np.testing.assert_array_equal(back[..., :3], img)
    if alpha:
        np.testing.assert_array_equal(back[..., 3], a)
    assert (tmp_path / "out.webp").read_bytes()[12:16] in (b"VP8L", b"VP8X")
    Image.fromarray(img).save(tmp_path / "lossy.webp", quality=90)
    assert not load_image(tmp_path / "lossy.webp").webp_lossless


@pytest.mark.parametrize("compression", ["tiff_lzw", "tiff_adobe_deflate", "packbits", "raw"])
def test_tiff_keeps_its_lossless_compression(tmp_path, compression):
    """An LZW TIFF saved back is LZW (not 40 % larger and uncompressed); JPEG-in-TIFF is not carried."""
    img = _image()
    Image.fromarray(img).save(tmp_path / "in.tif", compression=compression)
    save_document(tmp_path / "out.tif", load_image(tmp_path / "in.tif"))
    with Image.open(tmp_path / "out.tif") as out:
        assert out.info["compression"] == compression
        np.testing.assert_array_equal(np.asarray(out), img)
    Image.fromarray(img).save(tmp_path / "j.tif", compression="jpeg")
    save_document(tmp_path / "out2.tif", load_image(tmp_path / "j.tif"))
    assert Image.open(tmp_path / "out2.tif").info["compression"] == "raw"


def test_compressed_tiff_with_camera_exif_is_written_keeping_the_exif(tmp_path):
    """Pillow's compressing TIFF writer cannot write Exif / GPS sub-blocks: such a TIFF is written uncompressed
    with its EXIF, never refused (a Photoshop LZW TIFF with camera EXIF could not be saved back)."""
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    exif[0x8769] = {0x9003: "2020:01:01 10:00:00"}
    exif[0x8825] = {1: "N"}
    save_image(tmp_path / "o.tif", _image(), exif=exif.tobytes(), tiff_compression="tiff_lzw")
    with Image.open(tmp_path / "o.tif") as out:
        back = out.getexif()
        assert back[0x010F] == "Cam" and back.get_ifd(0x8769)[0x9003] == "2020:01:01 10:00:00"
        assert back.get_ifd(0x8825)[1] == "N"
    plain = Image.Exif()
    plain[0x010F] = "Cam"                                       # no sub-blocks: compressed as asked
    save_image(tmp_path / "p.tif", _image(), exif=plain.tobytes(), tiff_compression="tiff_lzw")
    assert Image.open(tmp_path / "p.tif").info["compression"] == "tiff_lzw"
