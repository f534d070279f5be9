"""Banded JPEG encoding (editor.core.jpeg): the joined stream equals a single encoder's, byte for byte."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.core import jpeg

_CV_FACTOR = {0: "IMWRITE_JPEG_SAMPLING_FACTOR_444", 1: "IMWRITE_JPEG_SAMPLING_FACTOR_422",
              2: "IMWRITE_JPEG_SAMPLING_FACTOR_420"}


def _photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth colour field plus grain: realistic entropy-coded data, including 0xFF bytes to stuff."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.integers(0, 256, (max(2, h // 16), max(2, w // 16), 3), dtype=np.uint8), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    return np.clip(base.astype(np.int16) + rng.integers(-20, 21, (h, w, 3)), 0, 255).astype(np.uint8)


def _single_encoder(rgb: np.ndarray, quality: int, subsampling: int) -> bytes:
    """The whole image through one encoder with one restart interval per MCU row, from its first DQT."""
    per_row = -(-rgb.shape[1] // jpeg.MCU_SIZE[subsampling][0])
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [
        cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        getattr(cv2, _CV_FACTOR[subsampling]), cv2.IMWRITE_JPEG_RST_INTERVAL, per_row])
    assert ok
    data = buf.tobytes()
    return data[jpeg.frame_start(data):]


@pytest.mark.parametrize("subsampling", [0, 1, 2])
@pytest.mark.parametrize("shape", [(600, 808), (203, 77), (17, 9)])
@pytest.mark.parametrize("bands", [2, 3, 11])
def test_joined_bands_equal_one_encoder_byte_for_byte(subsampling, shape, bands):
    rgb = _photo(*shape, seed=bands)
    pieces = jpeg.encode_jpeg_bands(rgb, quality=95, subsampling=subsampling, bands=bands)
    assert pieces is not None
    joined = b"".join(bytes(p) for p in pieces)
    # 11 bands of a 600-px 4:4:4 image carry 74 restart markers: the RST0..7 count wraps inside and between bands
    assert joined == _single_encoder(rgb, 95, subsampling)


def test_joined_stream_decodes_to_the_pixels_of_a_plain_encode():
    rgb = _photo(480, 640)
    joined = b"\xff\xd8" + b"".join(bytes(p) for p in jpeg.encode_jpeg_bands(rgb, quality=90, subsampling=2))
    ok, plain = cv2.imencode(".jpg", rgb[:, :, ::-1].copy(), [cv2.IMWRITE_JPEG_QUALITY, 90])
    a = cv2.imdecode(np.frombuffer(joined, np.uint8), cv2.IMREAD_COLOR)
    b = cv2.imdecode(plain, cv2.IMREAD_COLOR)
    assert a.shape == (480, 640, 3)
    np.testing.assert_array_equal(a, b)
    assert b"\xff\xdd" in joined and b"\xff\xdd" not in plain.tobytes()   # DRI: restart markers only in ours


def test_input_is_not_modified_and_a_row_slice_works():
    big = _photo(256, 96)
    before = big.copy()
    pieces = jpeg.encode_jpeg_bands(big[64:192], quality=95, subsampling=0)
    assert b"".join(bytes(p) for p in pieces) == _single_encoder(big[64:192], 95, 0)
    np.testing.assert_array_equal(big, before)


def test_not_applicable_returns_none():
    assert jpeg.encode_jpeg_bands(_photo(8, 64), quality=95, subsampling=0) is None      # one MCU row
    assert jpeg.encode_jpeg_bands(_photo(16, 64), quality=95, subsampling=2) is None     # one 4:2:0 MCU row
    assert jpeg.encode_jpeg_bands(_photo(64, 64), quality=95, subsampling=7) is None     # unknown subsampling


def test_opencv_without_the_flags_returns_none(monkeypatch):
    monkeypatch.delattr(cv2, "IMWRITE_JPEG_RST_INTERVAL")
    assert jpeg.encode_jpeg_bands(_photo(64, 64), quality=95, subsampling=0) is None


def test_unexpected_encoder_output_returns_none(monkeypatch):
    real = cv2.imencode
    calls = []

    def different_tables(ext, img, params):
        calls.append(1)
        if len(calls) == 2:   # the second band at another quality: its DQT differs from the first's
            params = list(params)
            params[1] = 50
        return real(ext, img, params)

    monkeypatch.setattr(cv2, "imencode", different_tables)
    assert jpeg.encode_jpeg_bands(_photo(64, 64), quality=95, subsampling=0, bands=2) is None


def test_frame_start_skips_app_and_comment_segments():
    ok, buf = cv2.imencode(".jpg", _photo(16, 16))
    data = buf.tobytes()
    at = jpeg.frame_start(data)
    assert data[at:at + 2] == b"\xff\xdb"                 # DQT
    com = b"\xff\xfe\x00\x06\xff\xdbhi"                   # a comment whose text looks like a DQT marker
    assert jpeg.frame_start(data[:at] + com + data[at:]) == at + len(com)
    with pytest.raises(ValueError):
        jpeg.frame_start(b"GIF89a")


def test_sides_over_libjpegs_limit_and_encoder_errors_return_none(monkeypatch):
    assert jpeg.encode_jpeg_bands(np.zeros((65501, 16, 3), np.uint8), quality=95, subsampling=0) is None

    def failing(*args, **kwargs):
        raise cv2.error("encoder failed")

    monkeypatch.setattr(cv2, "imencode", failing)
    assert jpeg.encode_jpeg_bands(_photo(64, 64), quality=95, subsampling=0) is None
