"""Regenerate the app's bundled resources: icon sizes from the hand-drawn SVG, and the sample photo.

Run from the repository root: ``python packaging/make_resources.py``. Writes into ``resources/``:

- ``inpaint-studio.png`` (256 px) and ``icons/inpaint-studio-<N>.png`` (16 … 512 px), rendered from
  ``inpaint-studio.svg`` with Qt's SVG renderer (QtSvg, part of PySide6-Essentials);
- ``inpaint-studio.ico`` (Windows; 16 … 256 px) and ``inpaint-studio.icns`` (macOS), written by Pillow;
- ``sample.jpg`` (768 x 512, a procedural landscape with a no-entry sign on the meadow) and ``sample-mask.png``
  (white = hole, covering the sign): the photo ``inpaint-studio --self-test`` inpaints, also handy to try
  the editor (``inpaint-studio open resources/sample.jpg --mask resources/sample-mask.png``).

The sample is drawn from seeded noise (``np.random.default_rng(SEED)``), so it is reproducible and
contains no third-party photo. Nothing here runs at app run time.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

REPO = Path(__file__).resolve().parent.parent
RES = REPO / "resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SEED = 20261121
SAMPLE_SIZE = (768, 512)  # (W, H)


def render_svg(svg: Path, size: int) -> Image.Image:
    """Render ``svg`` to an RGBA Pillow image of ``size`` x ``size`` px (Qt, offscreen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"invalid SVG: {svg}")
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data()))).convert("RGBA")


def make_icons() -> None:
    svg = RES / "inpaint-studio.svg"
    (RES / "icons").mkdir(exist_ok=True)
    # Render each size from the vector (sharper at 16-32 px than downscaling one big bitmap).
    images = {s: render_svg(svg, s) for s in ICON_SIZES}
    for s, im in images.items():
        im.save(RES / "icons" / f"inpaint-studio-{s}.png", optimize=True)
    images[256].save(RES / "inpaint-studio.png", optimize=True)
    ico_sizes = [s for s in ICON_SIZES if s <= 256]
    images[256].save(RES / "inpaint-studio.ico", sizes=[(s, s) for s in ico_sizes],
                     append_images=[images[s] for s in ico_sizes if s != 256])
    # Pillow's ICNS writer picks the sizes it needs from the 512 px image (and 1024 if given).
    images[512].save(RES / "inpaint-studio.icns")


def _fbm(rng: np.random.Generator, shape: tuple[int, int], octaves: int = 6, base: int = 4,
         persistence: float = 0.55) -> np.ndarray:
    """Fractal value noise, float32 (H, W) in [0, 1]: upsampled random grids summed over octaves."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2 ** o
        grid = rng.random((max(2, cells * h // w), cells), dtype=np.float32)
        layer = np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BICUBIC))
        out += amp * layer
        total += amp
        amp *= persistence
    out /= total
    return (out - out.min()) / max(float(out.max() - out.min()), 1e-6)


def _ridge(rng: np.random.Generator, w: int, octaves: int = 6) -> np.ndarray:
    """1-D fractal profile, float32 (W,) in [0, 1]."""
    x = np.zeros(w, np.float32)
    amp = 1.0
    for o in range(octaves):
        n = 3 * 2 ** o
        pts = rng.random(n + 1).astype(np.float32)
        x += amp * np.interp(np.linspace(0, n, w), np.arange(n + 1), pts).astype(np.float32)
        amp *= 0.5
    return (x - x.min()) / max(float(x.max() - x.min()), 1e-6)


def make_sample() -> tuple[Image.Image, Image.Image]:
    """The sample photo (RGB 768 x 512) and its hole mask (L, 255 = hole) covering the sign."""
    rng = np.random.default_rng(SEED)
    w, h = SAMPLE_SIZE
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    # Sky: vertical gradient plus soft clouds.
    top, horizon = np.array([70, 130, 205], np.float32), np.array([190, 220, 240], np.float32)
    sky = top + (horizon - top) * (yy / 0.55).clip(0, 1)[..., None]
    clouds = np.clip((_fbm(rng, (h, w), octaves=5, base=3) - 0.45) * 2.5, 0, 1)[..., None]
    clouds *= (1 - yy / 0.5).clip(0, 1)[..., None]  # clouds fade out towards the horizon
    img = sky * (1 - clouds * 0.8) + 250 * clouds * 0.8
    img = np.broadcast_to(img, (h, w, 3)).copy()
    rows = np.arange(h)[:, None]
    # Far mountains (blue-grey) and near hills (green), each with a fractal ridge line and texture.
    far = (0.28 + 0.18 * _ridge(rng, w)) * h
    tex = _fbm(rng, (h, w), octaves=6, base=8)[..., None]
    m = (rows >= far[None, :])[..., None]
    img = np.where(m, np.array([95, 110, 135], np.float32) * (0.85 + 0.3 * tex), img)
    near = (0.48 + 0.12 * _ridge(rng, w)) * h
    m = (rows >= near[None, :])[..., None]
    img = np.where(m, np.array([70, 120, 55], np.float32) * (0.75 + 0.5 * tex), img)
    # Meadow in the foreground: fine grass texture, lighter towards the viewer.
    meadow_top = (0.66 + 0.04 * np.sin(np.linspace(0, 2.5, w)) + 0.015 * _ridge(rng, w)) * h
    grass = _fbm(rng, (h, w), octaves=7, base=24, persistence=0.7)[..., None]
    shade = (0.8 + 0.35 * ((rows - 0.66 * h) / (0.34 * h)).clip(0, 1))[..., None]
    m = (rows >= meadow_top[None, :])[..., None]
    img = np.where(m, np.array([95, 150, 60], np.float32) * shade * (0.7 + 0.6 * grass), img)
    photo = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    # The object to remove: a no-entry sign on a post.
    draw = ImageDraw.Draw(photo)
    cx, cy, r = 470, 340, 34
    draw.rectangle((cx - 4, cy, cx + 4, cy + 95), fill=(70, 60, 50))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(215, 40, 35), outline=(140, 20, 20), width=3)
    draw.rectangle((cx - r + 4, cy - 6, cx + r - 4, cy + 6), fill=(240, 240, 235))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((cx - r - 10, cy - r - 10, cx + r + 10, cy + 95 + 10),
                                           radius=18, fill=255)
    return photo, mask


def main() -> int:
    make_icons()
    photo, mask = make_sample()
    photo.save(RES / "sample.jpg", quality=92, subsampling=0, optimize=True)
    mask.save(RES / "sample-mask.png", optimize=True)
    for p in sorted(RES.rglob("*")):
        if p.is_file():
            print(f"{p.relative_to(REPO)}  {p.stat().st_size / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
