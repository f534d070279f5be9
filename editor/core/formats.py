"""The image file types the program writes, by extension: one declaration for the core, the CLI and the editor.

Light on purpose (no Pillow, no numpy), so that the editor can build its file dialogs' filters at start-up.
"""

from __future__ import annotations

__all__ = ["EXTENSION_FORMATS", "FORMAT_LABELS", "save_filter", "open_filter"]

#: Output extension (lower case) → Pillow format name.
EXTENSION_FORMATS: dict[str, str] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
}

#: Pillow format name → the name a file dialog shows, in the dialogs' order.
FORMAT_LABELS: dict[str, str] = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP", "BMP": "BMP"}


def _patterns(fmt: str | None = None) -> str:
    return " ".join(f"*{ext}" for ext, f in EXTENSION_FORMATS.items() if fmt is None or f == fmt)


def save_filter() -> str:
    """A Qt file-dialog filter with one entry per format, e.g. ``"JPEG (*.jpg *.jpeg *.jpe *.jfif);;…"``, then
    ``All files (*)``."""
    return ";;".join([f"{label} ({_patterns(fmt)})" for fmt, label in FORMAT_LABELS.items()] + ["All files (*)"])


def open_filter() -> str:
    """A Qt file-dialog filter ``"Images (*.jpg …);;All files (*)"`` (any other file Pillow reads opens too)."""
    return f"Images ({_patterns()});;All files (*)"
