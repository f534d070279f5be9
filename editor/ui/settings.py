"""Every persisted editor setting, declared once (key, type, default, description); QSettings is only storage.

Usage::

    settings = Settings()                      # the user's QSettings (organisation / application names)
    size = settings.get(BRUSH_SIZE)            # typed value, the default when unset or unreadable
    settings.set(BRUSH_SIZE, 64)

Tests pass their own ``QSettings`` (an INI file in ``tmp_path``) so they never touch the user's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

__all__ = ["Setting", "SETTINGS", "Settings", "BRUSH_SIZE", "BRUSH_HARDNESS", "OVERLAY_COLOR",
           "OVERLAY_OPACITY", "LAST_METHOD", "LAST_HD", "LAST_DEVICE", "LAST_DILATE", "LAST_FOLDER",
           "WINDOW_GEOMETRY", "WINDOW_STATE", "RECENT_FILES", "GROW_SHRINK_PX", "JPEG_QUALITY",
           "MAX_RECENT"]

ORGANISATION = "InpaintStudio"
APPLICATION = "Inpaint Studio"
MAX_RECENT = 10


@dataclass(frozen=True)
class Setting:
    """One persisted value: ``key`` in QSettings, Python ``type`` (int, float, str, bool, list, bytes), default."""

    key: str
    type: type
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None


SETTINGS: dict[str, Setting] = {}


def _declare(*args, **kwargs) -> Setting:
    setting = Setting(*args, **kwargs)
    if setting.key in SETTINGS:
        raise ValueError(f"setting {setting.key!r} declared twice")
    SETTINGS[setting.key] = setting
    return setting


BRUSH_SIZE = _declare("brush/size", int, 60, "Brush diameter in image pixels.", 1, 2000)
BRUSH_HARDNESS = _declare("brush/hardness", int, 100,
                          "Brush hardness in percent: 100 = hard edge; lower values blend the fill softly "
                          "into the photo at the stroke's edge.", 0, 100)
OVERLAY_COLOR = _declare("overlay/color", str, "#ff3b6b", "Colour of the hole-mask overlay (#rrggbb).")
OVERLAY_OPACITY = _declare("overlay/opacity", int, 55, "Opacity of the hole-mask overlay in percent.", 5, 100)
GROW_SHRINK_PX = _declare("mask/grow_shrink_px", int, 8, "Pixels added or removed by Grow / Shrink mask.", 1, 500)
LAST_METHOD = _declare("run/method", str, "", "Inpainting method used last (empty = the registry's default).")
LAST_HD = _declare("run/hd", str, "cra", "High-resolution strategy used last (cra, resize, crop, full).")
LAST_DEVICE = _declare("run/device", str, "auto", "Compute device used last (auto, cpu, cuda, mps).")
LAST_DILATE = _declare("run/dilate", int, -1, "Hole dilation in low-res pixels (-1 = the pipeline's default).",
                       -1, 64)
LAST_TEXTURE = _declare("run/texture", int, 100, "CRA detail strength in percent (100 = as sharp as the photo "
                        "around the hole; lower is softer).", 0, 100)
JPEG_QUALITY = _declare("files/quality", int, 95, "JPEG/WebP quality used when saving.", 1, 100)
LAST_FOLDER = _declare("files/last_folder", str, "", "Folder of the last opened or saved file.")
RECENT_FILES = _declare("files/recent", list, [], f"Recently opened photos, newest first (at most {MAX_RECENT}).")
WINDOW_GEOMETRY = _declare("window/geometry", bytes, b"", "Main window geometry (QWidget.saveGeometry).")
WINDOW_STATE = _declare("window/state", bytes, b"", "Docks and toolbars layout (QMainWindow.saveState).")


class Settings:
    """Typed access to the declared settings over a ``QSettings`` store."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    def get(self, setting: Setting) -> Any:
        raw = self.store.value(setting.key, None)
        if raw is None:
            return _copy(setting.default)
        try:
            value = _convert(raw, setting.type)
        except (TypeError, ValueError):
            return _copy(setting.default)
        if setting.minimum is not None and value < setting.minimum:
            value = type(value)(setting.minimum)
        if setting.maximum is not None and value > setting.maximum:
            value = type(value)(setting.maximum)
        return value

    def set(self, setting: Setting, value: Any) -> None:
        if setting.type is bytes:
            value = QByteArray(bytes(value))
        elif setting.type is list:
            value = list(value)
        else:
            value = setting.type(value)
        self.store.setValue(setting.key, value)

    def sync(self) -> None:
        self.store.sync()

    def add_recent(self, path: str) -> list[str]:
        """Put ``path`` first in the recent-files list (deduplicated, at most MAX_RECENT); returns the list."""
        recent = [p for p in self.get(RECENT_FILES) if p != path]
        recent.insert(0, path)
        recent = recent[:MAX_RECENT]
        self.set(RECENT_FILES, recent)
        return recent


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _convert(raw: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(raw, str):
            return raw.lower() in ("1", "true", "yes", "on")
        return bool(raw)
    if kind is bytes:
        return bytes(raw.data()) if isinstance(raw, QByteArray) else bytes(raw)
    if kind is list:
        if isinstance(raw, str):  # INI stores a one-element list as a plain string
            return [raw] if raw else []
        return [str(v) for v in raw]
    if kind is int:
        return int(float(raw))
    return kind(raw)
