"""Training data for CRA (§3.5): random crops of photos with flips and scale jitter, and hole masks made on
the fly (free-form strokes + randomly rotated/flipped/scaled object templates), all from an injected
``np.random.Generator``.

Photos are decoded once into memory at a reduced size (long side ``decode_long_side``), so a training step
only crops and resizes small arrays.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from editor.paths import not_a_folder

__all__ = ["IMAGE_SUFFIXES", "list_images", "PhotoCrops", "MaskSampler", "to_tensor_batch"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


def list_images(folder: str | Path, exclude: list[str] | None = None) -> list[Path]:
    """Image files directly in ``folder``, sorted by name; names matching any glob in ``exclude`` are left out."""
    folder = Path(folder)
    why = not_a_folder(folder)
    if why:
        raise FileNotFoundError(f"{folder}: {why}")
    files = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    for pattern in exclude or []:
        files = [p for p in files if not fnmatch.fnmatch(p.name, pattern)]
    return files


def _decode(path: Path, long_side: int) -> np.ndarray:
    """uint8 ``(H, W, 3)`` RGB at long side ``<= long_side`` px (EXIF orientation applied).

    Raises:
        ImageReadError: the file is empty, truncated, not an image, or too large for Pillow's bomb limit
            (the message names the file and how to hold it out). Training refuses such a folder, as
            ``evaluate`` does, rather than train on fewer photos than the card would claim.
    """
    try:
        with Image.open(path) as im:
            im.draft("RGB", (long_side, long_side))  # JPEG: decode at a reduced scale directly
            im = ImageOps.exif_transpose(im).convert("RGB")
            scale = long_side / max(im.size)
            if scale < 1.0:
                im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                               Image.Resampling.LANCZOS)
            return np.asarray(im, dtype=np.uint8).copy()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        from editor.core.errors import ImageReadError

        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageReadError(f"{path}: not a readable photo ({reason}); remove it or hold it out with "
                             f"--exclude '{path.name}'") from None


class PhotoCrops:
    """Random square crops from a folder of photos (CRA §3.5 / §4: random crops; flips; scale jitter).

    Args:
        folder: photos (JPEG/PNG/...); ``exclude``: filename globs to hold out.
        size: crop side in px (multiple of 16 for the generator, 64 for the discriminator).
        decode_long_side: photos are kept in memory at this long side (default ``2 * size``, i.e. the scale
            the network sees at inference with a 512-px low-res pass when ``size = 256``).
        scale_jitter: crop window side = ``size * f``, ``log f ~ U(log(1/j), log j)``, clipped to the photo.

    Raises:
        FileNotFoundError: ``folder`` is missing or holds no photos (after ``exclude``).
        ImageReadError: a photo cannot be decoded (see :func:`_decode`).
    """

    def __init__(self, folder: str | Path, size: int, decode_long_side: int | None = None,
                 scale_jitter: float = 1.25, exclude: list[str] | None = None) -> None:
        self.paths = list_images(folder, exclude)
        if not self.paths:
            every = list_images(folder)
            raise FileNotFoundError(f"--exclude leaves none of the {len(every)} photos in {folder}" if every
                                    else f"no images in {folder}")
        self.size = size
        long_side = decode_long_side or 2 * size
        self.photos = [_decode(p, max(long_side, size)) for p in self.paths]
        self.scale_jitter = scale_jitter

    def __len__(self) -> int:
        return len(self.photos)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One crop, uint8 ``(size, size, 3)`` RGB."""
        photo = self.photos[rng.integers(len(self.photos))]
        h, w = photo.shape[:2]
        j = np.log(self.scale_jitter)
        side = int(round(self.size * np.exp(rng.uniform(-j, j))))
        side = max(8, min(side, h, w))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = photo[y:y + side, x:x + side]
        if side != self.size:
            interp = cv2.INTER_AREA if side > self.size else cv2.INTER_LINEAR
            crop = cv2.resize(crop, (self.size, self.size), interpolation=interp)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        return np.ascontiguousarray(crop)


class MaskSampler:
    """Hole masks made on the fly (CRA §3.5): free-form strokes, object templates, or both.

    Uses ``editor.core.masks.free_form_mask`` / ``object_mask`` / ``load_templates``.

    Args:
        size: mask side in px.
        templates_dir: folder of object-shape templates (white = object); ``None`` → free-form only.
        p_object: probability that a mask is an object template; ``p_both``: probability that an object
            mask also gets free-form strokes added.
    """

    def __init__(self, size: int, templates_dir: str | Path | None = None, p_object: float = 0.5,
                 p_both: float = 0.2) -> None:
        from editor.core import masks  # core owns the generators; imported lazily (training only)
        self._masks = masks
        self.size = size
        self.templates = masks.load_templates(templates_dir) if templates_dir else []
        self.p_object, self.p_both = p_object, p_both

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """bool ``(size, size)``, True = hole; never empty and never all hole."""
        shape = (self.size, self.size)
        for _ in range(20):
            if self.templates and rng.random() < self.p_object:
                mask = self._masks.object_mask(shape, rng, self.templates)
                if rng.random() < self.p_both:
                    mask = mask | self._masks.free_form_mask(shape, rng)
            else:
                mask = self._masks.free_form_mask(shape, rng)
            mask = np.asarray(mask, dtype=bool)
            if 0 < mask.sum() < mask.size:
                return mask
        raise RuntimeError("mask generator produced only empty or full masks")


def to_tensor_batch(images: list[np.ndarray], masks: list[np.ndarray]):
    """uint8 ``(H, W, 3)`` images and bool ``(H, W)`` masks → float tensors ``(N, 3, H, W)`` in [-1, 1] and
    ``(N, 1, H, W)`` in {0, 1} (1 = hole)."""
    import torch

    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    m = torch.from_numpy(np.stack(masks)[:, None].astype(np.float32))
    return x, m
