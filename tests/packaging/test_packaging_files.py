"""The PyInstaller spec (run against stand-ins of PyInstaller's build classes, for each OS), the launcher,
the .desktop file and its installer, and the bundled resources. Fast: nothing is built here
(test_bundle_build.py builds the real bundle when INPAINT_STUDIO_BUILD_BUNDLE=1)."""

from __future__ import annotations

import ast
import configparser
import os
import pkgutil
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import editor

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "inpaint-studio.spec"
RES = REPO / "resources"


class _Recorder:
    """Stands in for one of PyInstaller's spec classes (Analysis, PYZ, EXE, COLLECT, BUNDLE): records its arguments."""

    made: list[tuple[str, "_Recorder"]] = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        # what later steps of a spec read from an Analysis
        self.datas = [(dest, src, "DATA") for src, dest in kwargs.get("datas", [])] + [
            (f"torch/{name}", "/x", "DATA") for name in ("bin/torch_shm_manager", "bin/test_api", "test/atest",
                                                         "include/ATen/ATen.h", "nn/modules/conv.py")]
        self.binaries = [("torch/lib/libjitbackend_test.so", "/x", "BINARY"), ("torch/lib/libc10.so", "/x", "BINARY")]
        self.pure, self.scripts = [], []
        _Recorder.made.append((type(self).__name__, self))


def _run_spec(monkeypatch, tmp_path, platform: str) -> dict[str, list[_Recorder]]:
    """Execute the spec as PyInstaller would, on ``platform``, with the build classes stubbed out."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")

    def collect_submodules(package, filter=lambda name: True):  # noqa: A002 - PyInstaller's keyword
        mod = __import__(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(mod.__path__, package + ".")]
        return [n for n in names if filter(n)]

    hooks.collect_submodules = collect_submodules
    hooks.collect_dynamic_libs = lambda package: [("/site-packages/patchmatch/libpatchmatch.so", package)]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    dist, work = tmp_path / "dist", tmp_path / "build"
    (dist / "inpaint-studio").mkdir(parents=True)
    _Recorder.made = []
    ns = {"__file__": str(SPEC), "SPECPATH": str(SPEC.parent), "DISTPATH": str(dist), "workpath": str(work)}
    for cls in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        ns[cls] = type(cls, (_Recorder,), {})
    real_platform = sys.platform
    sys.platform = platform  # only while the spec runs
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), ns)
    finally:
        sys.platform = real_platform
    made: dict[str, list[_Recorder]] = {}
    for kind, obj in _Recorder.made:
        made.setdefault(kind, []).append(obj)
    made["_dist"] = dist
    made["_work"] = work
    return made


def test_spec_parses_as_python():
    ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def test_spec_on_linux_collects_resources_models_and_every_app_module(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "linux")
    (analysis,) = made["Analysis"]
    kw = analysis.kwargs
    assert Path(analysis.args[0][0]) == REPO / "packaging" / "launcher.py"
    datas = {(Path(src), dest) for src, dest in kw["datas"]}
    assert (RES, "resources") in datas  # the whole resources/ folder at the bundle root
    shipped = sorted((REPO / "models").glob("*.safetensors"))
    assert all((p, "models") for p in shipped) and {(p, "models") for p in shipped} <= datas
    hidden = set(kw["hiddenimports"])
    assert {"editor.methods.classical", "editor.selftest", "editor.cli", "patchmatch"} <= hidden
    for optional in ("editor.methods.network", "editor.ui.app"):
        if (REPO / (optional.replace(".", "/") + ".py")).is_file():
            assert optional in hidden
    assert not any(h.startswith("editor.training") for h in hidden)
    assert ("/site-packages/patchmatch/libpatchmatch.so", "patchmatch") in kw["binaries"]
    excludes = set(kw["excludes"])
    assert {"editor.training", "tkinter", "matplotlib", "IPython", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore",
            "PySide6.QtQml", "PySide6.QtMultimedia", "torch.utils.tensorboard"} <= excludes
    # lean: torch's C++ test libraries, test programs and headers are dropped; what `import torch` needs stays
    assert [b[0] for b in analysis.binaries] == ["torch/lib/libc10.so"]
    torch_datas = [d[0] for d in analysis.datas if d[0].startswith("torch/")]
    assert torch_datas == ["torch/bin/torch_shm_manager", "torch/nn/modules/conv.py"]
    (exe,) = made["EXE"]
    assert exe.kwargs["name"] == "inpaint-studio" and exe.kwargs["console"] is True
    (coll,) = made["COLLECT"]
    assert coll.kwargs["name"] == "inpaint-studio"
    assert "BUNDLE" not in made
    assert (made["_dist"] / "inpaint-studio" / "install-desktop-entry.sh").is_file()


def test_spec_on_windows_has_icon_version_info_and_a_console_twin(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "win32")
    gui, cli = made["EXE"]
    assert (gui.kwargs["name"], gui.kwargs["console"]) == ("inpaint-studio", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("inpaint-studio-cli", True)
    assert Path(gui.kwargs["icon"]) == RES / "inpaint-studio.ico"
    version_file = Path(gui.kwargs["version"])
    text = version_file.read_text(encoding="utf-8")
    assert f"StringStruct('ProductVersion', '{editor.__version__}')" in text
    assert "BUNDLE" not in made
    # the file is the Python expression PyInstaller's versioninfo evaluates (its module needs pefile, Windows)
    tree = ast.parse(text, mode="eval")
    ffi = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "FixedFileInfo")
    filevers = ast.literal_eval(next(k.value for k in ffi.keywords if k.arg == "filevers"))
    assert len(filevers) == 4 and ".".join(map(str, filevers)).startswith(editor.__version__)


def test_spec_on_macos_makes_an_app_bundle_with_icns_and_plist(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "darwin")
    (app,) = made["BUNDLE"]
    assert app.kwargs["name"] == "Inpaint Studio.app"
    assert Path(app.kwargs["icon"]) == RES / "inpaint-studio.icns"
    plist = app.kwargs["info_plist"]
    assert plist["CFBundleShortVersionString"] == editor.__version__
    assert plist["NSHighResolutionCapable"] is True
    assert "public.jpeg" in plist["CFBundleDocumentTypes"][0]["LSItemContentTypes"]
    (exe,) = made["EXE"]
    assert exe.kwargs["version"] is None


def test_launcher_enters_like_the_console_script():
    """The bundle's entry is the console script's: ``editor.__main__.run`` (the CLI's main, Ctrl+C while loading
    handled)."""
    tree = ast.parse((REPO / "packaging" / "launcher.py").read_text(encoding="utf-8"))
    imports = [(n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert ("editor.__main__", ["run"]) in imports
    assert "sys.exit(run())" in ast.unparse(tree)
    assert 'inpaint-studio = "editor.__main__:run"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def _desktop() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(RES / "inpaint-studio.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_has_the_required_keys_and_its_icon_exists():
    entry = _desktop()
    for key in ("Type", "Name", "Exec", "Icon", "Categories"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    # menu launch opens the empty editor (`inpaint-studio open` needs a PHOTO, so no %f field code yet)
    assert entry["Exec"] == "inpaint-studio open %f"  # a file manager's "Open with" passes the photo
    # TryExec is a program to look for, not a command line: with arguments, menus hid the entry
    assert entry["TryExec"] == entry["Exec"].split()[0]
    assert "image/jpeg" in entry["MimeType"].split(";")
    assert entry["Categories"].endswith(";") and "Graphics" in entry["Categories"].split(";")
    icon = entry["Icon"]
    assert "/" not in icon and not icon.endswith(".png")  # a theme icon name, installed by the script below
    sizes = sorted(RES.glob(f"icons/{icon}-*.png"))
    assert sizes and (RES / f"{icon}.png").is_file()
    for png in sizes:
        n = int(png.stem.rsplit("-", 1)[1])
        assert Image.open(png).size == (n, n)


def test_app_icon_formats_for_each_os():
    ico = Image.open(RES / "inpaint-studio.ico")
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = Image.open(RES / "inpaint-studio.icns")
    assert icns.format == "ICNS" and icns.size[0] >= 512


def test_bundled_sample_photo_and_mask_match():
    photo = Image.open(RES / "sample.jpg")
    mask = Image.open(RES / "sample-mask.png")
    assert photo.size == mask.size and photo.mode == "RGB"
    assert 0.01 < float((np.asarray(mask) >= 128).mean()) < 0.2
    assert (RES / "sample.jpg").stat().st_size < 200_000  # small: it ships in every bundle


@pytest.mark.skipif(os.name == "nt" or shutil.which("sh") is None, reason="POSIX shell script")
def test_install_desktop_entry_points_exec_at_the_bundle(tmp_path):
    bundle = tmp_path / "bundle dir" / "inpaint-studio"
    (bundle / "_internal").mkdir(parents=True)
    shutil.copytree(RES, bundle / "_internal" / "resources")
    shutil.copy2(REPO / "packaging" / "install-desktop-entry.sh", bundle)
    data = tmp_path / "data"
    env = dict(os.environ, XDG_DATA_HOME=str(data), PATH="/usr/bin:/bin")
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], env=env, check=True, capture_output=True)
    text = (data / "applications" / "inpaint-studio.desktop").read_text()
    assert f'Exec="{bundle}/inpaint-studio" open %f\n' in text
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "inpaint-studio.png").is_file()
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh"), "--remove"], env=env, check=True,
                   capture_output=True)
    assert not (data / "applications" / "inpaint-studio.desktop").exists()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_passes_freedesktop_validation():
    proc = subprocess.run(["desktop-file-validate", str(RES / "inpaint-studio.desktop")], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
