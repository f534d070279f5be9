"""editor.paths.resolve_dir for each install layout, posed with tmp_path folders (no real install needed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from editor import paths
from editor.paths import APP_NAME, resolve_dir


def _mk(*dirs: Path) -> None:
    for d in dirs:
        d.mkdir(parents=True)


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """Four unrelated roots: a frozen bundle, a source checkout, a wheel prefix, an override folder."""
    roots = {k: tmp_path / k for k in ("bundle", "checkout", "prefix", "override")}
    for root in roots.values():
        root.mkdir()
    _mk(roots["checkout"] / "editor")
    return roots


def _resolve(name: str, layout: dict[str, Path], *, environ=None, frozen: bool = False) -> Path | None:
    return resolve_dir(name, environ={} if environ is None else environ,
                       frozen_root=str(layout["bundle"]) if frozen else "",
                       package_dir=layout["checkout"] / "editor", prefix=str(layout["prefix"]))


@pytest.mark.parametrize("name", ["resources", "models"])
def test_frozen_bundle_root_wins_over_checkout_and_prefix(layout, name):
    _mk(layout["bundle"] / name, layout["checkout"] / name, layout["prefix"] / "share" / APP_NAME / name)
    assert _resolve(name, layout, frozen=True) == layout["bundle"] / name


@pytest.mark.parametrize("name", ["resources", "models"])
def test_editable_checkout_uses_folder_next_to_package(layout, name):
    _mk(layout["checkout"] / name, layout["prefix"] / "share" / APP_NAME / name)
    assert _resolve(name, layout) == layout["checkout"] / name


@pytest.mark.parametrize("name", ["resources", "models"])
def test_wheel_install_uses_prefix_share(layout, name):
    # A wheel installs editor/ into site-packages (no resources/ beside it) and data files under the prefix.
    _mk(layout["prefix"] / "share" / APP_NAME / name)
    assert _resolve(name, layout) == layout["prefix"] / "share" / APP_NAME / name


def test_frozen_without_the_folder_falls_back_to_later_candidates(layout):
    # a bundle built without models/ still finds a user-set or prefix folder rather than crashing
    _mk(layout["prefix"] / "share" / APP_NAME / "models")
    assert _resolve("models", layout, frozen=True) == layout["prefix"] / "share" / APP_NAME / "models"


@pytest.mark.parametrize("name,var", [("resources", "INPAINT_STUDIO_RESOURCES"), ("models", "INPAINT_STUDIO_MODELS")])
def test_environment_override_wins(layout, name, var):
    _mk(layout["override"] / name, layout["bundle"] / name, layout["checkout"] / name)
    env = {var: str(layout["override"] / name)}
    assert _resolve(name, layout, environ=env, frozen=True) == layout["override"] / name
    # the other folder's variable does not leak across
    other = "models" if name == "resources" else "resources"
    _mk(layout["checkout"] / other)
    assert _resolve(other, layout, environ=env, frozen=False) == layout["checkout"] / other


def test_override_pointing_nowhere_is_ignored(layout):
    _mk(layout["checkout"] / "models")
    env = {"INPAINT_STUDIO_MODELS": str(layout["override"] / "missing")}
    assert _resolve("models", layout, environ=env) == layout["checkout"] / "models"


@pytest.mark.parametrize("name", ["resources", "models"])
def test_nothing_found_is_none(layout, name):
    # folders of the wrong name or files of the right name do not count
    _mk(layout["checkout"] / "other", layout["prefix"] / "share" / APP_NAME / "other")
    (layout["bundle"] / name).write_text("not a folder")
    assert _resolve(name, layout, frozen=True) is None


def test_resources_dir_raises_and_models_dirs_empty_when_nothing_found(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "resolve_dir", lambda name, **kw: None)
    monkeypatch.setattr(paths, "user_models_dir", lambda: tmp_path / "no-user-models")
    with pytest.raises(FileNotFoundError, match="INPAINT_STUDIO_RESOURCES"):
        paths.resources_dir()
    assert paths.models_dirs() == []


def test_user_models_dir_is_searched_before_shipped_but_after_an_override(monkeypatch, tmp_path):
    """Weights a user installed in the per-user folder (as the README says) win over the shipped ones; an
    explicit --models-dir / INPAINT_STUDIO_MODELS wins over both (and replaces the shipped folder)."""
    shipped, user, override = tmp_path / "shipped", tmp_path / "user", tmp_path / "override"
    _mk(shipped, user, override)
    monkeypatch.setattr(paths, "user_models_dir", lambda: user)
    monkeypatch.delenv("INPAINT_STUDIO_MODELS", raising=False)
    monkeypatch.setattr(paths, "resolve_dir", lambda name, **kw: shipped)
    assert paths.models_dirs() == [user, shipped]
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", str(override))
    monkeypatch.setattr(paths, "resolve_dir", lambda name, **kw: override)
    assert paths.models_dirs() == [override, user]


def test_frozen_default_reads_sys_meipass(monkeypatch, tmp_path):
    """Without keyword arguments the frozen root comes from sys._MEIPASS (what PyInstaller sets)."""
    _mk(tmp_path / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delenv("INPAINT_STUDIO_RESOURCES", raising=False)
    assert paths.resolve_dir("resources") == tmp_path / "resources"


def test_this_checkout_ships_resources():
    """The real source tree resolves to its own resources/ with the files the app and self-test need."""
    res = resolve_dir("resources", environ={}, frozen_root="")
    assert res is not None
    for f in ("sample.jpg", "sample-mask.png", "inpaint-studio.png", "inpaint-studio.desktop"):
        assert (res / f).is_file(), f


def test_same_file_sees_one_file_under_several_names(tmp_path, monkeypatch):
    """``same_file`` guards "would overwrite the input" (CLI), "replace the open photo?" (editor) and a resume
    from the run's own checkpoint (train): a file reached by another spelling, a symlink or a hard link is the
    same file; a file that does not exist yet is the same as its own path only."""
    from editor.paths import same_file

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"x")
    other = tmp_path / "other.jpg"
    other.write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.jpg"
    link.symlink_to(photo)
    hard = tmp_path / "hard.jpg"
    os.link(photo, hard)
    monkeypatch.chdir(tmp_path)
    assert same_file(photo, Path("sub/../photo.jpg"))
    assert same_file("photo.jpg", photo)
    assert same_file(link, photo)
    assert same_file(hard, photo)
    assert not same_file(other, photo)
    assert same_file(tmp_path / "new.png", Path("new.png"))
    assert not same_file(tmp_path / "new.png", photo)
