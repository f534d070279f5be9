"""Estimate the quality a JPEG was saved at, so the editor can save it again at the same quality (GIMP's
"use quality settings from original image").

A JPEG stores its quantisation tables, not its quality. Encoders built on the IJG library (libjpeg,
libjpeg-turbo, Pillow, OpenCV, most software) derive them from the IJG example tables (JPEG standard, Annex K)
scaled by the quality: ``scale = 5000 / q`` below 50, else ``200 - 2 q``; each entry becomes
``(base * scale + 50) // 100`` clamped to 1..255. The estimate is the quality whose scaled tables are closest
to the file's (exact for those encoders, the nearest one for a camera's own tables).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ijg_table", "estimate_quality", "jpeg_settings"]

# IJG example tables (Annex K.1), natural (row-major) order, as Pillow's ``Image.quantization`` gives them.
_LUMA = (16, 11, 10, 16, 24, 40, 51, 61,
         12, 12, 14, 19, 26, 58, 60, 55,
         14, 13, 16, 24, 40, 57, 69, 56,
         14, 17, 22, 29, 51, 87, 80, 62,
         18, 22, 37, 56, 68, 109, 103, 77,
         24, 35, 55, 64, 81, 104, 113, 92,
         49, 64, 78, 87, 103, 121, 120, 101,
         72, 92, 95, 98, 112, 100, 103, 99)
_CHROMA = (17, 18, 24, 47, 99, 99, 99, 99,
           18, 21, 26, 66, 99, 99, 99, 99,
           24, 26, 56, 99, 99, 99, 99, 99,
           47, 66, 99, 99, 99, 99, 99, 99) + (99,) * 32


def ijg_table(quality: int, chroma: bool = False) -> list[int]:
    """The 64 entries libjpeg writes for ``quality`` (1..100), baseline (entries at most 255)."""
    q = min(100, max(1, int(quality)))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return [min(255, max(1, (b * scale + 50) // 100)) for b in (_CHROMA if chroma else _LUMA)]


def estimate_quality(tables: dict) -> int | None:
    """The IJG quality (1..100) whose tables are closest to ``tables`` (Pillow's ``quantization``: table id ->
    64 values in natural order; 0 = luminance, 1 = chrominance), or None when there is no usable table."""
    luma = list(tables.get(0) or ())
    chroma = list(tables.get(1) or ())
    if len(luma) != 64:
        return None
    best, best_err = None, None
    for q in range(1, 101):
        err = sum(abs(a - b) for a, b in zip(luma, ijg_table(q)))
        if len(chroma) == 64:
            err += sum(abs(a - b) for a, b in zip(chroma, ijg_table(q, chroma=True)))
        if best_err is None or err < best_err or (err == best_err and q > best):
            best, best_err = q, err   # ties (q 98..100 share near-1 tables): the higher quality, never worse
    return best


def jpeg_settings(path) -> tuple[int, int] | None:
    """``(quality, subsampling)`` to save the JPEG ``path`` again as it was saved (reads only its header):
    the estimated quality and Pillow's chroma subsampling code (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0; 0 for
    grayscale or an unusual layout). None when it is not a readable JPEG with quantisation tables."""
    from PIL import Image, JpegImagePlugin
    try:
        with Image.open(Path(path)) as img:
            if img.format != "JPEG":
                return None
            quality = estimate_quality(dict(getattr(img, "quantization", None) or {}))
            if quality is None:
                return None
            return quality, max(0, JpegImagePlugin.get_sampling(img))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None  # (a photo opened above the bomb limit on request: saved at the defaults instead)

