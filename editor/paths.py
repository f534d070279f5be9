"""Where ``resources/`` and ``models/`` are: one place, for a source checkout (editable install), an
installed wheel and the PyInstaller bundle alike (DESIGN.md, "Rooms").

Lookup order for each folder:

1. the environment override (``INPAINT_STUDIO_RESOURCES`` / ``INPAINT_STUDIO_MODELS``; the CLI's
   ``--models-dir`` sets the latter);
2. frozen (PyInstaller): ``sys._MEIPASS/<name>``;
3. source checkout / editable install: ``<repo>/<name>`` next to the ``editor`` package;
4. installed wheel: ``<sys.prefix>/share/inpaint-studio/<name>`` (installed as data files).

Weights a user trains and installs go to a per-user folder (:func:`user_models_dir`), searched before the
shipped ones (after an explicit override): a user's own weights are used instead of the shipped ones.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import platformdirs

__all__ = ["APP_NAME", "resolve_dir", "resources_dir", "models_dirs", "user_models_dir", "resource",
           "shipped_models_only", "same_file", "not_a_folder"]

APP_NAME = "inpaint-studio"
_ENV = {"resources": "INPAINT_STUDIO_RESOURCES", "models": "INPAINT_STUDIO_MODELS"}
_PACKAGE_DIR = Path(__file__).resolve().parent
_use_user_models = True


def resolve_dir(name: str, *, environ: dict | None = None, frozen_root: str | None = None,
                package_dir: Path | None = None, prefix: str | None = None) -> Path | None:
    """Find the shipped folder ``name`` (``"resources"`` or ``"models"``); ``None`` if none exists.

    The keyword arguments default to the running interpreter's state and exist so that tests can pose
    each install layout (frozen, editable, wheel) without building one.
    """
    environ = os.environ if environ is None else environ
    frozen_root = getattr(sys, "_MEIPASS", None) if frozen_root is None else frozen_root
    package_dir = _PACKAGE_DIR if package_dir is None else package_dir
    prefix = sys.prefix if prefix is None else prefix
    override = environ.get(_ENV[name])
    candidates = [Path(override)] if override else []
    if frozen_root:
        candidates.append(Path(frozen_root) / name)
    candidates += [package_dir.parent / name, Path(prefix) / "share" / APP_NAME / name]
    for path in candidates:
        if path.is_dir():
            return path
    return None


def resources_dir() -> Path:
    """The shipped ``resources/`` folder (icons, app icon, sample photo). Raises FileNotFoundError if absent."""
    path = resolve_dir("resources")
    if path is None:
        raise FileNotFoundError("inpaint-studio resources folder not found; set INPAINT_STUDIO_RESOURCES")
    return path


def resource(*parts: str) -> Path:
    """Path of a file inside ``resources/`` (not checked for existence)."""
    return resources_dir().joinpath(*parts)


@contextmanager
def shipped_models_only() -> Iterator[None]:
    """Within the block, :func:`models_dirs` leaves the per-user folder out (the self-test checks the install's
    own weights, not weights a user added). Not thread-safe: for the self-test's single thread."""
    global _use_user_models
    saved, _use_user_models = _use_user_models, False
    try:
        yield
    finally:
        _use_user_models = saved


def user_models_dir() -> Path:
    """Per-user folder for weights the user trains (e.g. ``~/.local/share/inpaint-studio/models``); not created."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"


def models_dirs() -> list[Path]:
    """Folders searched for ``<network>.<tag>.safetensors``, in priority order: the override
    (``INPAINT_STUDIO_MODELS`` / ``--models-dir``) then the per-user folder; without an override, the per-user
    folder then the shipped one. Only existing folders are listed."""
    found = resolve_dir("models")
    override = os.environ.get(_ENV["models"])
    overridden = bool(override) and found is not None and found == Path(override)
    dirs = [found] if found is not None else []
    user = user_models_dir()
    if _use_user_models and user.is_dir() and user not in dirs:
        dirs.insert(len(dirs) if overridden else 0, user)
    return dirs


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file: the same resolved path (symlinks followed; either may not
    exist yet), or the same file on disk (hard links, a case-insensitive file system). Never raises: a path
    that cannot be examined is compared as an absolute path."""
    a, b = Path(a), Path(b)
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))


def not_a_folder(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be read as a folder, in the words every command uses ("no such folder", "is a file,
    not a folder"); None when it is a folder."""
    p = Path(path)
    if p.is_dir():
        return None
    return "is a file, not a folder" if p.exists() else "no such folder"
