"""Photo and mask files in and out (Pillow): the ONLY place that converts colour, dtype, orientation and mask convention.

Pillow reads and writes every file, header and metadata. Two exceptions for speed, both through OpenCV's
libjpeg-turbo, the library Pillow's own JPEG codec uses: the pixels of an upright colour JPEG are decoded
straight into the array, the same bytes Pillow's decoder gives (8K: 0.43 -> 0.33 s; see ``_open_decoded``),
and a JPEG of 1 MP or more is encoded in horizontal bands on two threads and joined (:mod:`editor.core.jpeg`;
8K: 0.28 -> 0.13 s), the same pixels Pillow's encoder gives plus a restart marker per MCU row, after the
JFIF/EXIF/ICC segments Pillow writes.

Reading a photo (:func:`load_image`) gives a :class:`~editor.core.document.Document` whose ``image`` is
RGB ``uint8 (H, W, 3)`` in display orientation. Exactly what is converted:

* **EXIF orientation** is applied (``PIL.ImageOps.exif_transpose``); the EXIF block is kept with its
  Orientation tag reset to 1 (re-serialised by Pillow: every tag of IFD0 and its sub-IFDs is kept, the
  embedded JPEG thumbnail is not, which would still show the removed object), and the DPI is swapped for
  the 90° orientations (5–8).
* **Formats**: JPEG, PNG, TIFF, WebP and BMP are supported (anything else Pillow opens is read too).
  For a multi-page TIFF or animated WebP/PNG only the first frame is used.
* **RGB** (8 bit): unchanged. A 16-bit-per-channel RGB file (TIFF, PNG) is reduced to 8 bits by Pillow
  itself (it keeps the high byte).
* **Alpha** (RGBA, LA, PA, P with transparency, premultiplied RGBa/La): the colour is converted to RGB
  (not premultiplied, not composited on a background) and the alpha channel is kept separately in
  ``Document.alpha``; it is not inpainted and is written back when the output format has alpha
  (PNG, TIFF, WebP).
* **Grayscale** (L, LA, 1 and the 16/32-bit and float modes below): expanded to RGB with R = G = B, and
  marked ``Document.grayscale``: it is written back as 8-bit grayscale (L, or LA with alpha; the luma of the
  result, ITU-R 601-2, so the known region is unchanged) with its GRAY ICC profile, except to WebP, which has
  no grayscale (RGB, no profile). A 1-bit photo comes back as 8-bit grayscale. A palette (P) image is
  colour (RGB), whatever its palette.
* **16-bit grayscale** (I;16, I;16B, I;16L, I;16N): scaled linearly from 0..65535 to 0..255
  (``round(v / 257)``), then expanded to RGB. **32-bit integer** "I" (e.g. a 32-bit TIFF; older Pillows
  loaded 16-bit PNGs so) has no fixed range: its values are taken as 8-bit when they all lie in 0..255,
  else as 16-bit (clipped to 0..65535 and scaled the same way).
  **Float** "F": values in 0..1 are scaled by 255 when the image's maximum is ≤ 1, else clipped to 0..255.
* **CMYK**: with an embedded CMYK ICC profile, converted to sRGB through that profile with LittleCMS
  (``PIL.ImageCms``, perceptual intent) and an sRGB profile is embedded on output instead; without one
  (or if LittleCMS fails), Pillow's plain ``convert("RGB")`` (naive, R = 255 − C − K, etc.) and no profile.
* **YCbCr / LAB / HSV**: Pillow's ``convert("RGB")``; LAB's ICC is not applied.
* Any other ICC profile whose colour space is not RGB is dropped.

Reading a mask (:func:`load_mask`): a grayscale or RGB file is converted to luminance (ITU-R 601-2; a colour
JPEG mask is decoded straight to its Y channel, the same luma) and ``>= 128`` is hole; a mask with alpha (RGBA, LA, PA, P with transparency) uses its alpha channel
(``>= 128`` = hole) unless that alpha is fully opaque everywhere, or the opaque pixels are themselves a
black-and-white mask (neutral grey, 95 % of them black or white, both present): then its luminance is used (and
transparent pixels are known region).
16-bit masks are scaled as 16-bit photos are (so 32 768 is hole), a 32-bit "I" mask with values in 0..255 as
8-bit. The mask's own EXIF orientation is applied; its size must equal the
photo's displayed size unless ``resize=True`` (nearest-neighbour).

Writing (:func:`save_image`, :func:`save_document`, :func:`save_mask`): the format follows the output
file's extension (.jpg/.jpeg/.jpe/.jfif, .png, .tif/.tiff, .webp, .bmp); EXIF, ICC and DPI are written
where the format supports them (WebP has no DPI, BMP has neither EXIF nor ICC); JPEG and WebP are written
at quality 95 by default, JPEG with 4:4:4 chroma (no subsampling); a WebP read from a lossless WebP is written
lossless (``Document.webp_lossless``), and a TIFF with its source TIFF's lossless compression (LZW, Deflate,
PackBits; ``Document.tiff_compression``), else uncompressed. Every write goes through
:func:`atomic_output`: a temporary file in the same folder renamed onto the target on success, removed
on failure, so a failed save never leaves a half-written file nor touches an existing one.

Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``, about 89.5 megapixels) stays on by
default; ``max_pixels`` raises (or lowers) it per call. While a file is opened and decoded the global
limit is switched off under a module lock and our own check applies instead, so a concurrent
``load_image`` with another limit is not affected.

Errors a user can cause raise :class:`~editor.core.errors.ImageReadError`,
:class:`~editor.core.errors.MaskError` or :class:`~editor.core.errors.OutputError` with a one-line
message naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from editor.core.document import Document
from editor.core.errors import ImageReadError, MaskSizeError, OutputError, TooLargeError
from editor.core.formats import EXTENSION_FORMATS

__all__ = [
    "EXTENSION_FORMATS",
    "alpha_dropped",
    "check_exif_fits",
    "check_readable",
    "pillow_limit_off",
    "through_link",
    "document_metadata",
    "atomic_output",
    "format_for_path",
    "load_image",
    "load_mask",
    "load_photo_and_mask",
    "save_document",
    "save_image",
    "save_mask",
    "scale_hole",
    "fit_hole",
    "save_coverage",
    "soft_coverage",
    "coverage_as_read",
    "SOFT_MASK_FORMATS",
]

_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
#: Lossless TIFF compressions carried from a source TIFF to a TIFF output (Pillow's names).
_TIFF_COMPRESSIONS = frozenset({"tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"})
_ORIENTATION = 0x0112
# TIFF baseline tags that describe the file's own layout, not the photo: never copied into EXIF.
_TIFF_STRUCTURAL_TAGS = {
    254, 255, 256, 257, 258, 259, 262, 263, 266, 269, 273, 277, 278, 279, 280, 281, 282, 283, 284, 288, 289,
    290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 321, 322, 323, 324, 325, 332, 338, 339, 340, 341,
    342, 347, 512, 513, 514, 515, 517, 518, 519, 520, 521, 529, 530, 531, 532, 700, 33723, 34377, 34675,
    37724,
}

_BOMB_LOCK = threading.Lock()
_bomb_users = 0                 # loads in progress that do their own decompression-bomb check
_bomb_saved: int | None = None  # Pillow's limit while they run


@contextlib.contextmanager
def pillow_limit_off() -> Iterator[int | None]:
    """Switch Pillow's global decompression-bomb check off while this load checks the size itself.

    Yields the limit that was configured (``PIL.Image.MAX_IMAGE_PIXELS``), the default for the load.
    Counted, so that loads on several threads (a photo and its mask, :func:`load_photo_and_mask`) decode
    concurrently; the last one out restores the global. Also for a caller that reads a file again that was
    already checked against the user's limit (the CLI's empty-mask note).
    """
    global _bomb_users, _bomb_saved
    with _BOMB_LOCK:
        if _bomb_users == 0:
            _bomb_saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
        _bomb_users += 1
        limit = _bomb_saved
    try:
        yield limit
    finally:
        with _BOMB_LOCK:
            _bomb_users -= 1
            if _bomb_users == 0:
                Image.MAX_IMAGE_PIXELS = _bomb_saved


_UMASK = os.umask(0)
os.umask(_UMASK)


# --------------------------------------------------------------------------------------------- reading
def _open_header(path: Path, what: str) -> Image.Image:
    """``Image.open(path)``: the header read, nothing decoded. Call under :func:`pillow_limit_off`.

    Raises ImageReadError for a missing, empty or non-image file, or a folder."""
    name = str(path)
    if not path.exists():
        raise ImageReadError(f"{name}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{name}: is a folder, not an image file")
    try:
        if path.stat().st_size == 0:
            raise ImageReadError(f"{name}: the file is empty")
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return Image.open(path)
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"{name}: cannot read the {what} ({_reason(exc)})") from None


def check_readable(path: str | os.PathLike, what: str = "photo", *, check_size: bool = False,
                   max_pixels: int | None = None) -> None:
    """Read only the file's header (milliseconds, even at 8K): is it there and an image Pillow knows?

    A cheap check before anything is given up for the file (the editor asks about unsaved changes only
    then). A file that passes may still fail to decode (truncated data): :func:`load_image` says so.

    Args:
        path: The file.
        what: What the file is, for the messages ("photo", "mask").
        check_size: also check the decompression-bomb limit of :func:`load_image`.
        max_pixels: that limit, in pixels, for ``check_size`` (None = Pillow's default).

    Raises:
        ImageReadError: missing, empty or non-image file, or a folder (the same one-line messages as
            :func:`load_image`).
        TooLargeError: with ``check_size``, an image above the limit (an ImageReadError).
    """
    with pillow_limit_off() as default_limit:
        img = _open_header(Path(path), what)
        try:
            if check_size:
                _check_pixels(img, str(path), default_limit if max_pixels is None else int(max_pixels))
        finally:
            img.close()


def _check_pixels(img: Image.Image, name: str, limit: int | None) -> None:
    """Raise TooLargeError when the opened image has more than ``limit`` pixels (None: no limit)."""
    pixels = img.width * img.height
    if limit is not None and pixels > limit:
        raise TooLargeError(
            f"{name}: {img.width}x{img.height} is {pixels:,} pixels, above the limit of {limit:,} "
            f"that guards against decompression bombs", pixels, limit,
            hint=f"use --max-pixels {pixels} to open it anyway")


def _open_decoded(
    path: Path, max_pixels: int | None, what: str, *, gray: bool = False, fast_rgb: bool = False
) -> tuple[Image.Image, int, np.ndarray | None]:
    """Open and fully decode ``path`` (first frame), with our decompression-bomb check.

    Returns the image, its EXIF orientation (1..8) as stored in the file, read before decoding (Pillow's
    TIFF reader already applies and deletes the orientation tag while loading), and ``None`` — or, with
    ``fast_rgb``, for an upright colour JPEG that ends with its EOI marker, the pixels as uint8 (H, W, 3)
    RGB decoded by OpenCV instead, the image then left undecoded (header, EXIF and ICC are read).
    OpenCV's libjpeg-turbo gives the same bytes as Pillow's (checked on the shared photos and in the
    tests) straight into a numpy array: 8K 0.43 -> 0.33 s, without Pillow's 133 MB RGBX copy. Anything
    else, or a file OpenCV cannot decode, goes through Pillow, whose errors are the ones reported.

    ``gray=True`` lets libjpeg decode a colour JPEG straight to its luminance (Y) channel, ~8× faster
    than decoding RGB and converting (used for masks).

    Raises ImageReadError for a missing, empty, truncated, non-image or too-large file.
    """
    name = str(path)
    with pillow_limit_off() as default_limit:
        limit = default_limit if max_pixels is None else int(max_pixels)
        img = _open_header(path, what)
        try:
            _check_pixels(img, name, limit)
            orientation = _stored_orientation(img)
            if fast_rgb and img.format == "JPEG" and img.mode == "RGB" and orientation == 1:
                rgb = _decode_jpeg_rgb(path, img.size)
                if rgb is not None:
                    return img, orientation, rgb
            if gray and img.format == "JPEG" and img.mode == "RGB":
                img.draft("L", img.size)
            img = _load_pixels(img, path, orientation)  # OSError on a truncated file (LOAD_TRUNCATED_IMAGES is False)
        except ImageReadError:
            img.close()
            raise
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError, Image.DecompressionBombError) as exc:
            img.close()
            raise ImageReadError(f"{name}: cannot decode the {what} ({_reason(exc)})") from None
    return img, orientation, None


def _load_pixels(img: Image.Image, path: Path, orientation: int) -> Image.Image:
    """Decode ``img`` (opened from ``path``); returns the loaded image (a new one in the case below).

    Pillow 13 memory-maps an uncompressed TIFF opened by file name using the upright size of a 90° EXIF
    orientation (5–8) instead of the stored one, which garbles L, RGBA and 16-bit pixels. Such a file is
    decoded again from a file object, which Pillow does not map (and which it then rotates correctly)."""
    if img.format == "TIFF" and orientation in (5, 6, 7, 8) and getattr(img, "filename", ""):
        with open(path, "rb") as f:
            again = Image.open(f)
            try:
                again.load()
                exif = again.getexif()   # a multi-page TIFF reads its Exif and GPS blocks lazily: now, while open
                for ifd in (0x8769, 0x8825):
                    if ifd in exif:
                        exif.get_ifd(ifd)
            except BaseException:
                again.close()
                raise
        img.close()
        return again
    img.load()
    return img


def _decode_jpeg_rgb(path: Path, size: tuple[int, int]) -> np.ndarray | None:
    """OpenCV's decode of a complete JPEG (ends with EOI) as uint8 (H, W, 3) RGB, or None (use Pillow)."""
    import cv2

    data = np.fromfile(path, np.uint8)
    if data.size < 4 or data[-2] != 0xFF or data[-1] != 0xD9:   # truncated, or data after the image
        return None
    as_rgb = getattr(cv2, "IMREAD_COLOR_RGB", None)   # OpenCV >= 4.10; older ones decode BGR
    try:
        rgb = cv2.imdecode(data, (cv2.IMREAD_COLOR if as_rgb is None else as_rgb) | cv2.IMREAD_IGNORE_ORIENTATION)
        if rgb is not None and as_rgb is None and rgb.ndim == 3:
            cv2.cvtColor(rgb, cv2.COLOR_BGR2RGB, dst=rgb)
    except cv2.error:
        return None
    if rgb is None or rgb.shape != (size[1], size[0], 3) or rgb.dtype != np.uint8:
        return None
    return rgb


def _stored_orientation(img: Image.Image) -> int:
    try:
        orientation = int(img.getexif().get(_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the photo unreadable
        return 1
    return orientation if orientation in range(1, 9) else 1


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    if isinstance(exc, MemoryError):
        reason = "not enough memory"
    return reason.rstrip(".")


def _apply_orientation(img: Image.Image) -> None:
    """Apply EXIF orientation in place if the decoded image still carries the tag (not TIFF: Pillow did it)."""
    try:
        orientation = int(img.getexif().get(_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the photo unreadable
        return
    if orientation in range(2, 9):
        ImageOps.exif_transpose(img, in_place=True)


def _exif_bytes(img: Image.Image, orientation: int) -> bytes | None:
    """The EXIF block to carry, for pixels now upright: Orientation 1 (when the file stated one) and, after a 90°
    turn (5–8), X/Y resolution and pixel dimensions swapped with the axes, as the DPI is. None without EXIF."""
    try:
        exif = img.getexif()
        if img.format == "TIFF":
            # Pillow exposes the TIFF's own IFD as EXIF: keep only the descriptive tags.
            kept = Image.Exif()
            for tag, value in exif.items():
                if tag not in _TIFF_STRUCTURAL_TAGS:
                    kept[tag] = value
            for ifd in (0x8769, 0x8825):  # Exif and GPS sub-IFDs
                if ifd in exif:
                    kept[ifd] = dict(exif.get_ifd(ifd))
            if 0xA005 in kept.get(0x8769, {}):
                # the Interop pointer is an offset into this file, whose IFD Pillow has not kept: dropped (it holds
                # only the DCF interoperability index) rather than left pointing at nothing
                del kept[0x8769][0xA005]
            exif = kept
        if orientation != 1 or _ORIENTATION in exif:
            exif[_ORIENTATION] = 1
        if orientation in (5, 6, 7, 8):
            _swap_tags(exif, 0x011A, 0x011B)                   # XResolution, YResolution
            if 0x8769 in exif:                                 # (a TIFF's kept copy holds it as a dict)
                sub = exif[0x8769] if isinstance(exif[0x8769], dict) else exif.get_ifd(0x8769)
                _swap_tags(sub, 0xA002, 0xA003)                # PixelXDimension, PixelYDimension
        if len(exif) == 0:
            return None
        return exif.tobytes()
    except Exception:  # unreadable EXIF is dropped, the photo still loads
        return None


def _swap_tags(tags, a: int, b: int) -> None:
    if a in tags and b in tags:
        tags[a], tags[b] = tags[b], tags[a]


def _icc_colour_space(icc: bytes) -> bytes:
    return icc[16:20] if len(icc) >= 20 else b""


def _cmyk_to_rgb(img: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """CMYK → sRGB through the embedded profile (LittleCMS) when there is one, else Pillow's naive convert."""
    if icc and _icc_colour_space(icc) == b"CMYK":
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            rgb = ImageCms.profileToProfile(img, src, srgb, outputMode="RGB")
            return rgb, ImageCms.ImageCmsProfile(srgb).tobytes()
        except Exception:  # LittleCMS missing or a broken profile: fall back below
            pass
    return img.convert("RGB"), None


def _to_uint8_gray(img: Image.Image) -> np.ndarray:
    """16/32-bit integer or float single-channel image → uint8 (H, W) (see module docstring)."""
    arr = np.asarray(img)
    if img.mode == "F":
        arr = arr.astype(np.float32, copy=False)
        if arr.size and np.nanmax(arr) <= 1.0:
            arr = arr * 255.0
        return np.clip(np.nan_to_num(arr), 0, 255).round().astype(np.uint8)
    if img.mode == "I" and arr.size and arr.min() >= 0 and arr.max() <= 255:
        return arr.astype(np.uint8)  # 8-bit values stored as 32-bit integers
    arr = arr.astype(np.uint32, copy=False) if arr.dtype.kind == "u" else np.clip(arr, 0, 65535).astype(np.uint32)
    return ((arr + 128) // 257).astype(np.uint8)


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    """An RGB Pillow image → writable C-contiguous uint8 (H, W, 3).

    Copied in cache-sized strips (~512 KB) straight into the result, so an 8K photo costs Pillow's decoded
    image plus the array (~235 MB), not the two extra full copies ``np.array(img)`` makes (bytes chunks +
    join); measured 3× faster than ``np.asarray`` too (0.06 s vs 0.17 s at 8K).
    """
    w, h = img.size
    out = np.empty((h, w, 3), dtype=np.uint8)
    step = max(1, (1 << 19) // max(1, w * 3))
    for y0 in range(0, h, step):
        y1 = min(h, y0 + step)
        out[y0:y1] = np.asarray(img.crop((0, y0, w, y1)))
    return out


def load_image(path: str | os.PathLike, *, max_pixels: int | None = None) -> Document:
    """Read a photo file into a :class:`Document` (see the module docstring for every conversion).

    Args:
        path: JPEG, PNG, TIFF, WebP or BMP file (others Pillow reads work too).
        max_pixels: Largest width × height accepted; None keeps Pillow's decompression-bomb limit
            (``PIL.Image.MAX_IMAGE_PIXELS``, ~89.5 MP).

    Returns:
        Document with ``image`` uint8 (H, W, 3) RGB in display orientation, ``hole_mask`` all False,
        ``alpha`` uint8 (H, W) or None, ``exif`` (orientation 1), ``icc``, ``dpi``, ``path``, ``format``
        and ``source_mode``.

    Raises:
        ImageReadError: missing, empty, truncated or non-image file; unsupported pixel mode. Its subclass
            TooLargeError: more pixels than the limit (the hint names ``--max-pixels``).
    """
    path = Path(path)
    img, orientation, rgb = _open_decoded(path, max_pixels, "photo", fast_rgb=True)
    try:
        fmt = img.format
        source_mode = img.mode
        icc = img.info.get("icc_profile") or None
        dpi = _dpi_of(img)
        if rgb is not None:  # an upright colour JPEG, decoded by OpenCV (see _open_decoded)
            image, alpha, exif = rgb, None, _exif_bytes(img, 1)
        else:
            _apply_orientation(img)
            if orientation in (5, 6, 7, 8) and dpi is not None:
                dpi = (dpi[1], dpi[0])
            exif = _exif_bytes(img, orientation)

            alpha: np.ndarray | None = None
            mode = img.mode
            if mode in ("RGBa", "La"):
                img = _replace(img, img.convert("RGBA"))
                mode = "RGBA"
            if mode == "P" or mode == "PA":
                has_alpha = mode == "PA" or "transparency" in img.info or img.palette.mode == "RGBA"
                img = _replace(img, img.convert("RGBA" if has_alpha else "RGB"))
                mode = img.mode
            if mode in ("RGBA", "LA"):
                alpha = np.array(img.getchannel("A"))
                if alpha.min() == 255:
                    alpha = None  # fully opaque: nothing to carry
                img = _replace(img, img.convert("RGB"))
                mode = "RGB"
            if mode == "CMYK":
                converted, icc = _cmyk_to_rgb(img, icc)
                img = _replace(img, converted)
                mode = "RGB"
            if mode.startswith("I") or mode == "F":
                gray = _to_uint8_gray(img)
                img.close()
                image = np.repeat(gray[:, :, None], 3, axis=2)
                del gray
            else:
                if mode != "RGB":
                    try:
                        img = _replace(img, img.convert("RGB"))
                    except (ValueError, OSError) as exc:
                        raise ImageReadError(f"{path}: unsupported pixel mode {mode} ({_reason(exc)})") from None
                image = _to_rgb_array(img)
        grayscale = source_mode in _GRAY_MODES
        webp_lossless = fmt == "WEBP" and _webp_is_lossless(path)
        tiff_compression = img.info.get("compression") if fmt == "TIFF" else None
        if icc is not None and _icc_colour_space(icc) != (b"GRAY" if grayscale else b"RGB "):
            icc = None  # a CMYK / Lab profile (or a mismatched one) does not describe our pixels
    except MemoryError:
        raise ImageReadError(f"{path}: not enough memory to open a {img.width}x{img.height} photo") from None
    finally:
        img.close()
    return Document(
        image=image,
        alpha=alpha,
        exif=exif,
        icc=icc,
        dpi=dpi,
        path=path,
        format=fmt,
        source_mode=source_mode,
        grayscale=grayscale,
        webp_lossless=webp_lossless,
        tiff_compression=tiff_compression if isinstance(tiff_compression, str) else None,
    )


def _webp_is_lossless(path: Path) -> bool:
    """Whether a WebP file's image is VP8L (lossless), from its RIFF chunks; False when unsure."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
                return False
            for _ in range(64):                    # VP8X, ICCP, ANIM, ALPH ... come before the image chunk
                chunk = f.read(8)
                if len(chunk) < 8:
                    return False
                kind, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if kind in (b"VP8L", b"VP8 ", b"ANMF"):
                    return kind == b"VP8L"
                f.seek(size + (size & 1), os.SEEK_CUR)
    except OSError:
        pass
    return False


#: Pillow modes of a grayscale photo (``Document.grayscale``), written back as 8-bit grayscale.
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """Return ``new`` and free ``old``'s pixels at once (8K: ~130 MB each) instead of at garbage collection."""
    if new is not old:
        old.close()
    return new


def _dpi_of(img: Image.Image) -> tuple[float, float] | None:
    """(x, y) dots per inch from Pillow's ``info["dpi"]`` (Pillow converts TIFF cm and PNG px/m units).

    None when the file states no resolution. A JPEG whose JFIF header gives only a pixel aspect ratio
    (unit 0) and whose EXIF has no XResolution states none, though Pillow reports 72 dpi for it; so does a
    TIFF without XResolution, for which Pillow reports 1 dpi.
    """
    dpi = img.info.get("dpi")
    if dpi is None:
        return None
    if img.format == "TIFF" and 0x011A not in getattr(img, "tag_v2", {0x011A: None}):
        return None
    if img.format == "JPEG" and img.info.get("jfif_unit") not in (1, 2):
        try:
            stated = 0x011A in img.getexif()  # XResolution, where Pillow took the value from
        except Exception:  # an unreadable EXIF block: Pillow's 72 is its own default too
            stated = False
        if not stated:
            return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (x > 0 and y > 0):
        return None
    # PNG and BMP store pixels per metre: 300 dpi comes back as 299.9994; snap such rounding noise (< 1 px/m).
    x, y = (round(v) if abs(v - round(v)) < 0.03 else v for v in (x, y))
    return (float(x), float(y))


def load_mask(
    path: str | os.PathLike,
    size: tuple[int, int] | None,
    *,
    invert: bool = False,
    resize: bool = False,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Read a hole mask file for a photo of displayed size ``size``.

    Args:
        path: Mask image: grayscale or RGB (luminance >= 128 = hole), or with alpha (alpha >= 128 = hole,
            unless the alpha is opaque everywhere, or its opaque part is itself a black-and-white mask: then
            luminance, transparent pixels being known). Its EXIF orientation is applied.
        size: The photo's displayed size (W, H) in pixels, after EXIF orientation; None = the mask's own size
            (the caller checks it with :func:`fit_hole` or scales it with :func:`scale_hole`, without decoding
            it again).
        invert: Flip the convention (for black = hole masks such as HiFill's).
        resize: Scale a mask of another size to ``size`` with nearest-neighbour instead of failing.
        max_pixels: Decompression-bomb limit as in :func:`load_image`.

    Returns:
        Hole mask, bool (H, W); True = hole.

    Raises:
        ImageReadError: the file cannot be read (see :func:`load_image`).
        MaskSizeError: its size differs from ``size`` and ``resize`` is False (a MaskError).
    """
    path = Path(path)
    hole = _read_hole(path, invert, max_pixels)
    return np.ascontiguousarray(hole) if size is None else fit_hole(hole, path, size, resize)


def load_photo_and_mask(
    photo: str | os.PathLike,
    mask: str | os.PathLike,
    *,
    invert: bool = False,
    resize: bool = False,
    max_pixels: int | None = None,
) -> tuple[Document, np.ndarray]:
    """:func:`load_image` and :func:`load_mask` together, the mask decoded on a second thread meanwhile.

    The decoders release the GIL, so on 2 cores the mask costs almost nothing on top of the photo (8K: photo
    0.33 s, mask 0.09 s alone). Same arguments, results and errors as the two functions; a
    photo error is raised before a mask error.

    Returns:
        ``(document, hole)``: see :func:`load_image` and :func:`load_mask`.
    """
    photo, mask = Path(photo), Path(mask)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(_read_hole, mask, invert, max_pixels)
        try:
            doc = load_image(photo, max_pixels=max_pixels)
        except BaseException:
            pending.cancel()
            raise
        hole = pending.result()
    return doc, fit_hole(hole, mask, (doc.width, doc.height), resize)


def _read_hole(path: Path, invert: bool, max_pixels: int | None) -> np.ndarray:
    """The mask file as a bool (h, w) hole, in its own (EXIF-oriented) size."""
    img, _, _ = _open_decoded(path, max_pixels, "mask", gray=True)
    try:
        _apply_orientation(img)
        gray = _mask_values(img)
    finally:
        img.close()
    hole = gray >= 128
    del gray
    if invert:
        np.logical_not(hole, out=hole)
    return hole


def fit_hole(hole: np.ndarray, path: str | os.PathLike, size: tuple[int, int], resize: bool = False) -> np.ndarray:
    """Check a hole read by ``load_mask(path, None)`` against the photo's displayed ``size`` (W, H), as
    :func:`load_mask` checks it, or with ``resize`` scale it (nearest): so a caller that keeps the decoded
    mask can deal with a mask of another size without decoding it again.

    Returns:
        bool (H, W), C-contiguous.

    Raises:
        MaskSizeError: its size differs from ``size`` and ``resize`` is False (``turned`` when by 90°).
    """
    width, height = int(size[0]), int(size[1])
    mh, mw = hole.shape
    if (mw, mh) != (width, height):
        if not resize:
            message = f"{path}: mask is {mw}x{mh} but the photo is {width}x{height}"
            error = MaskSizeError(message, (mw, mh), (width, height), hint="use --resize-mask to scale it")
            if error.turned:
                error = MaskSizeError(message + ", turned by 90°", (mw, mh), (width, height),
                                      hint="was it drawn on the photo before its EXIF orientation turned it? Turn "
                                           "the mask the same way (--resize-mask would stretch it)")
            raise error
        hole = scale_hole(hole, (width, height))
    return np.ascontiguousarray(hole)


def scale_hole(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A hole mask (bool (h, w)) scaled to ``size`` (W, H) by nearest neighbour, as ``load_mask(resize=True)``
    scales a mask of another size. Returns a new bool (H, W)."""
    import cv2

    return cv2.resize(hole.view(np.uint8), (int(size[0]), int(size[1])),
                      interpolation=cv2.INTER_NEAREST).astype(bool)


def _mask_values(img: Image.Image) -> np.ndarray:
    """uint8 (H, W) values to threshold at 128 (see :func:`load_mask`)."""
    mode = img.mode
    if mode == "P":
        has_alpha = "transparency" in img.info or img.palette.mode == "RGBA"
        img = img.convert("RGBA" if has_alpha else "L")
        mode = img.mode
    elif mode in ("PA", "RGBa", "La"):
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA"):
        alpha = np.asarray(img.getchannel("A"))
        if alpha.min() < 255:
            painted = alpha >= 128
            luma = np.asarray(img.convert("L"))
            if not _black_and_white(img, painted, luma):
                return alpha
            return np.where(painted, luma, 0).astype(np.uint8)  # a black-and-white mask with transparent parts
        img = img.convert("L")
        mode = "L"
    if mode.startswith("I") or mode == "F":
        return _to_uint8_gray(img)
    if mode == "1":
        return np.asarray(img.convert("L"))
    if mode != "L":
        img = img.convert("L")
    return np.asarray(img)


def _black_and_white(img: Image.Image, painted: np.ndarray, luma: np.ndarray) -> bool:
    """Whether the opaque pixels of a mask with alpha are themselves a black-and-white mask (neutral grey, nearly
    all black or white, both present): then the colours, not the alpha, say where the hole is. Strokes on a
    transparent layer are one colour (whatever it is), and a cut-out of a photo (a grey one too) has its
    mid-tones: their alpha is the hole."""
    values = luma[painted]
    dark, light = values <= 32, values >= 224
    if not (dark.any() and light.any()) or (dark | light).mean() < 0.95:
        return False
    if img.mode == "LA":
        return True
    rgb = np.asarray(img.convert("RGB"))[painted].astype(np.int16)
    neutral = (rgb.max(axis=1) - rgb.min(axis=1)) <= 16
    return bool(neutral.mean() >= 0.99)


# --------------------------------------------------------------------------------------------- writing
def format_for_path(path: str | os.PathLike) -> str:
    """Pillow format name for an output file, from its extension.

    Raises:
        OutputError: the extension is not one of :data:`EXTENSION_FORMATS`.
    """
    path = Path(path)
    fmt = EXTENSION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted({e for e in EXTENSION_FORMATS}))
        shown = path.suffix or "no extension"
        raise OutputError(f"{path}: cannot tell the image format from {shown!s}; use one of {known}")
    return fmt


def check_exif_fits(path: str | os.PathLike, exif: bytes | None) -> None:
    """Refuse, before any work, an EXIF block that ``path``'s format cannot hold (JPEG: one 64 KB segment).

    Raises:
        OutputError: the block is too large for a JPEG (the message names the formats that keep it).
    """
    if exif and len(exif) > _JPEG_MAX_SEGMENT and EXTENSION_FORMATS.get(Path(path).suffix.lower()) == "JPEG":
        raise OutputError(f"{path}: the photo's EXIF block ({len(exif) / 1024:.0f} KB) does not fit in a JPEG "
                          f"(64 KB at most); write .png, .tif or .webp, which keep it")


def alpha_dropped(path: str | os.PathLike, alpha: np.ndarray | None) -> str | None:
    """The sentence to show when writing ``alpha`` (uint8 (H, W) or None) to ``path`` loses transparency
    (JPEG and BMP hold none; :func:`save_image` drops it), else None.

    Raises:
        OutputError: unknown extension (as :func:`format_for_path`).
    """
    fmt = format_for_path(path)
    if alpha is None or fmt in _ALPHA_FORMATS or not (alpha < 255).any():
        return None
    return f"{fmt} has no transparency: the alpha channel is dropped (.png, .tif or .webp keep it)"


#: Largest payload of one JPEG marker segment (an EXIF block must fit in one APP1), bytes.
_JPEG_MAX_SEGMENT = 65533

#: JPEGs of at least this many pixels are encoded in bands on two threads (1 MP: ~10 ms on one thread).
_BANDED_JPEG_MIN_PIXELS = 1_000_000


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Write a file atomically: yield a temporary path in the same folder, renamed onto ``path`` on success.

    On any exception inside the ``with`` block the temporary file is removed and ``path`` is untouched.
    The new file gets the usual permissions (0666 minus the umask), or the replaced file's permissions.

    A symbolic link is written through: its target gets the new file and the link stays (as ``cp`` and most
    editors do; the rename would otherwise put a plain file where the link was, leaving the target as it was).

    Raises:
        OutputError: the folder does not exist or is not writable, or the rename fails.
    """
    path = through_link(Path(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot write: the folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        # ENOENT for an existing folder: a virtual file system (procfs, sysfs) that creates no new files
        reason = "it accepts no new files" if exc.errno == errno.ENOENT else exc.strerror or exc
        raise OutputError(f"{path}: cannot write to the folder {folder} ({reason})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_UMASK
            os.chmod(tmp, mode)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, InterruptedError):
            raise OutputError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
        raise


def through_link(path: Path) -> Path:
    """``path``, or the file a symbolic link ``path`` points to (resolved: a chain of links ends in a file)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def save_image(
    path: str | os.PathLike,
    image: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    exif: bytes | None = None,
    icc: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    quality: int = 95,
    overwrite: bool = True,
    subsampling: int = 0,
    grayscale: bool = False,
    lossless: bool = False,
    tiff_compression: str | None = None,
) -> None:
    """Write an RGB image; the format follows ``path``'s extension (see :data:`EXTENSION_FORMATS`).

    Args:
        path: Output file.
        image: uint8 (H, W, 3) RGB.
        alpha: uint8 (H, W) transparency (255 = opaque), written when the format has alpha (PNG, TIFF,
            WebP), dropped otherwise.
        exif: Raw EXIF block (JPEG, PNG, TIFF, WebP).
        icc: ICC profile (JPEG, PNG, TIFF, WebP), written only when its colour space is that of the written
            pixels (RGB, or GRAY for a grayscale file).
        dpi: (x, y) dots per inch (JPEG, PNG, TIFF, BMP).
        quality: JPEG / WebP quality 1..100 (default 95).
        overwrite: When False, an existing ``path`` is an error.
        subsampling: JPEG chroma subsampling: 0 = 4:4:4 (default), 1 = 4:2:2, 2 = 4:2:0.
        grayscale: Write an 8-bit grayscale file (L, or LA with alpha): the luma of ``image`` (ITU-R 601-2,
            Pillow's ``convert("L")``; exactly the value where R = G = B). WebP has no grayscale: RGB there.
        lossless: WebP only: lossless (``quality`` is then the encoder's effort), e.g. for a photo that was
            a lossless WebP, whose known region must come back unchanged.
        tiff_compression: TIFF only: Pillow's lossless compression name (``tiff_lzw``, ``tiff_adobe_deflate``,
            ``tiff_deflate``, ``packbits``), e.g. the source TIFF's; others (JPEG-in-TIFF, fax) and None write
            it uncompressed, and so does an EXIF block with Exif or GPS sub-blocks, which Pillow's compressing
            (libtiff) writer cannot write.

    Raises:
        OutputError: unknown extension, existing file with ``overwrite=False``, unwritable folder or
            a failed write. Nothing is left behind on failure.
        ValueError: ``image`` / ``alpha`` have the wrong dtype or shape (a programming error).
    """
    path = Path(path)
    fmt = format_for_path(path)
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"save_image needs uint8 (H, W, 3), got {getattr(image, 'dtype', type(image))} "
                         f"{getattr(image, 'shape', '')}")
    h, w = image.shape[:2]
    if alpha is not None and (alpha.dtype != np.uint8 or alpha.shape != (h, w)):
        raise ValueError(f"save_image alpha must be uint8 ({h}, {w}), got {alpha.dtype} {alpha.shape}")
    if not overwrite and path.exists():
        raise OutputError(f"{path}: the file already exists", hint="use --force to overwrite it")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")

    grayscale = grayscale and fmt != "WEBP"
    if icc and _icc_colour_space(icc) != (b"GRAY" if grayscale else b"RGB "):
        icc = None  # e.g. a grayscale photo's GRAY profile onto a colour sheet: it would not describe its pixels
    params: dict = {}
    if fmt == "JPEG":
        params.update(quality=int(quality), subsampling=int(subsampling))
        check_exif_fits(path, exif)
    elif fmt == "WEBP":
        params.update(quality=int(quality), method=2)  # measured on a 18 MP photo: 3x faster than 4, same size
        if lossless:
            params.update(lossless=True, exact=True)   # exact: the RGB under transparent pixels is kept too
    elif fmt == "TIFF" and tiff_compression in _TIFF_COMPRESSIONS and not _has_sub_ifds(exif):
        params.update(compression=tiff_compression)
    elif fmt == "PNG":
        params.update(compress_level=3)  # measured on a 18 MP photo: 3.5x faster than 6, 10 % larger
    if exif and fmt != "BMP":
        params["exif"] = _exif_for_tiff(exif) if fmt == "TIFF" else exif
    if icc and fmt != "BMP":
        params["icc_profile"] = icc
    if dpi is not None and fmt != "WEBP":
        params["dpi"] = (float(dpi[0]), float(dpi[1]))
    if (fmt == "JPEG" and not grayscale and h * w >= _BANDED_JPEG_MIN_PIXELS
            and _save_jpeg_banded(path, image, params)):
        return
    img = Image.fromarray(np.ascontiguousarray(image), "RGB")
    if grayscale:
        img = _replace(img, img.convert("L"))
    if alpha is not None and fmt in _ALPHA_FORMATS:
        img.putalpha(Image.fromarray(np.ascontiguousarray(alpha), "L"))
    with atomic_output(path) as tmp:
        try:
            try:
                img.save(tmp, format=fmt, **params)
            except RuntimeError:
                # Pillow's libtiff writer (any TIFF compression) cannot write an EXIF block with Exif or GPS
                # sub-blocks ("Error setting from dictionary"): the metadata matters more than the compression
                if fmt != "TIFF" or "compression" not in params:
                    raise
                params.pop("compression")
                img.save(tmp, format=fmt, **params)
        except (ValueError, TypeError, KeyError, RuntimeError) as exc:
            raise OutputError(f"{path}: cannot write {fmt} ({_reason(exc)})") from None
        finally:
            img.close()


def _exif_for_tiff(exif: bytes) -> bytes | Image.Exif:
    """The EXIF block for Pillow's TIFF writer, without the Exif IFD's Interop pointer (0xA005).

    Pillow writes the Exif and GPS sub-IFDs into a TIFF but copies the Interop pointer as a bare offset into
    the source's block, which then points at nothing (a camera JPEG's EXIF has one). The Interop IFD holds only
    the DCF interoperability index, so it is dropped rather than left dangling; JPEG, PNG and WebP keep it."""
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        exif_ifd = parsed.get_ifd(0x8769)
    except Exception:  # unparsable: Pillow will say so when it writes it
        return exif
    if 0xA005 not in exif_ifd:
        return exif
    del exif_ifd[0xA005]          # get_ifd returns the block's own dict: Pillow's TIFF writer reads it back
    return parsed


def _has_sub_ifds(exif: bytes | None) -> bool:
    """Whether an EXIF block has Exif or GPS sub-blocks (Pillow's compressing TIFF writer cannot write those)."""
    if not exif:
        return False
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return 0x8769 in parsed or 0x8825 in parsed
    except Exception:
        return True


def _save_jpeg_banded(path: Path, image: np.ndarray, params: dict) -> bool:
    """Write ``image`` as a JPEG encoded in bands on two threads (:mod:`editor.core.jpeg`), after the SOI, JFIF,
    EXIF and ICC segments Pillow writes for ``params``; False (nothing written) when banding does not apply.
    The pixels are those of Pillow's encoder (the same libjpeg-turbo), plus a restart marker per MCU row.
    At 8K (q95, 4:4:4) 0.28 -> 0.13 s.

    Raises:
        OutputError: Pillow refuses the metadata, or the write fails (an EXIF block over 64 KB is refused earlier, by
            :func:`save_image`).
    """
    from editor.core import jpeg

    head = io.BytesIO()
    try:
        Image.new("RGB", (8, 8)).save(head, format="JPEG", **params)   # only its segments before the frame
    except (ValueError, TypeError, KeyError) as exc:
        raise OutputError(f"{path}: cannot write JPEG ({_reason(exc)})") from None
    pieces = jpeg.encode_jpeg_bands(np.ascontiguousarray(image), quality=params["quality"],
                                    subsampling=params["subsampling"])
    if pieces is None:
        return False
    head = head.getvalue()
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        f.write(head[:jpeg.frame_start(head)])
        for piece in pieces:
            f.write(piece)
    return True


def document_metadata(doc: Document) -> dict:
    """The keyword arguments of :func:`save_image` that carry ``doc``'s own properties into a file written from
    it (or from a result computed on it): alpha, EXIF, ICC, DPI, grayscale, lossless WebP, TIFF compression."""
    return dict(alpha=doc.alpha, exif=doc.exif, icc=doc.icc, dpi=doc.dpi, grayscale=doc.grayscale,
                lossless=doc.webp_lossless, tiff_compression=doc.tiff_compression)


def save_document(path: str | os.PathLike, doc: Document, *, quality: int = 95, overwrite: bool = True,
                  subsampling: int = 0) -> None:
    """Write ``doc.image`` with :func:`document_metadata` to ``path``; see :func:`save_image`."""
    save_image(path, doc.image, quality=quality, overwrite=overwrite, subsampling=subsampling,
               **document_metadata(doc))


def save_mask(path: str | os.PathLike, mask: np.ndarray) -> None:
    """Write a hole mask as an 8-bit grayscale PNG: 255 (white) = hole, 0 = known region. Atomic.

    Args:
        path: Output file; must end in .png.
        mask: bool (H, W), True = hole (any other dtype: non-zero = hole).

    Raises:
        OutputError: not a .png name, unwritable folder or failed write.
    """
    if mask.ndim != 2:
        raise ValueError(f"save_mask needs a (H, W) mask, got shape {mask.shape}")
    save_coverage(path, mask.astype(bool, copy=False).view(np.uint8) * np.uint8(255))


# ------------------------------------------------------------------------------------------ soft masks
# The editor's mask is a *coverage* (uint8 (H, W): 0 = known, 255 = hole, grey = the partly covered edge of a
# soft brush stroke). It is written as an 8-bit grey PNG and read back with its grey levels, as GIMP and Krita
# keep a mask's grey. Which pixels are hole stays load_mask's rule (value >= 128), so the CLI reading an
# exported mask fills those pixels. A lossless 8-bit grey file (PNG, TIFF, BMP) adds only the soft edge: the
# hole's pixels keep their value as coverage, and darker non-zero pixels joined to the hole (8-connected) are
# its outer edge (coverage 1..127). Grey specks apart from any hole pixel stay known region, and lossy (JPEG,
# WebP) or colour masks are read as hard masks: their noise is no edge. A coverage saved here reads back exactly.

#: Formats whose 8-bit grey levels are read as a soft edge (lossless).
SOFT_MASK_FORMATS = ("PNG", "TIFF", "BMP")


def save_coverage(path: str | os.PathLike, coverage: np.ndarray) -> None:
    """Write a mask coverage as an 8-bit grey PNG (255 white = hole, grey = soft edge, 0 = known). Atomic.

    Args:
        path: Output file; must end in .png.
        coverage: uint8 (H, W).

    Raises:
        OutputError: not a .png name, unwritable folder or failed write.
        ValueError: ``coverage`` is not uint8 (H, W).
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise OutputError(f"{path}: masks are saved as PNG; use a .png file name")
    if coverage.ndim != 2 or coverage.dtype != np.uint8:
        raise ValueError(f"save_coverage needs a uint8 (H, W) coverage, got {coverage.dtype} {coverage.shape}")
    img = Image.fromarray(np.ascontiguousarray(coverage), "L")
    with atomic_output(path) as tmp:
        img.save(tmp, format="PNG", compress_level=6)


def _grey_levels(path: Path) -> np.ndarray | None:
    """The file's values, uint8 (H, W), when it is a lossless 8-bit grey image stored upright; else None."""
    try:
        with Image.open(path) as img:
            if img.format not in SOFT_MASK_FORMATS or img.mode != "L":
                return None
            if img.getexif().get(_ORIENTATION, 1) not in (0, 1):
                return None
            return np.asarray(img)
    except Exception:  # noqa: BLE001 - load_mask read it a moment ago; without its levels it is simply hard
        return None


def soft_coverage(path: str | os.PathLike, hole: np.ndarray, invert: bool = False) -> np.ndarray:
    """The coverage a mask file gives: ``hole`` (read by :func:`load_mask`) at 255, or where the file is a
    lossless 8-bit grey image of the same size, its grey levels (see the comment above :func:`save_coverage`).

    Args:
        path: The mask file ``hole`` was read from.
        hole: bool (H, W), True = hole (``load_mask(path, ..., invert=invert)``, not resized).
        invert: The file is black = hole: its levels are taken as ``255 - value``.

    Returns:
        uint8 (H, W): 0 = known, 1..254 = soft edge, 255 = hole; non-zero exactly on ``hole`` and the grey
        pixels joined to it.
    """
    hard = hole.view(np.uint8) * np.uint8(255)
    levels = _grey_levels(Path(path))
    if levels is None or levels.shape != hole.shape:
        return hard
    if invert:
        levels = 255 - levels
    if not ((levels > 0) & (levels < 255)).any():
        return hard
    if not np.array_equal(levels >= 128, hole):  # (not the file load_mask read: keep its reading)
        return hard
    return coverage_as_read(levels)


def coverage_as_read(coverage: np.ndarray) -> np.ndarray:
    """What a coverage saved by :func:`save_coverage` reads back as (:func:`load_mask` + :func:`soft_coverage`):
    its pixels >= 128 (the hole) and the grey pixels joined to them (8-connected); fainter pixels apart from
    the hole are lost. ``coverage``: uint8 (H, W). Returns a new uint8 (H, W)."""
    import cv2
    levels, hole = coverage, coverage >= 128
    touched = (levels > 0).view(np.uint8)
    count, labels = cv2.connectedComponents(touched, connectivity=8)
    joined = np.zeros(count, bool)
    joined[labels[hole]] = True
    joined[0] = False  # (label 0 is the known region)
    return np.where(joined[labels], levels, np.uint8(0))
