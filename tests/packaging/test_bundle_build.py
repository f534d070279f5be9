"""Build the real PyInstaller bundle and run its --self-test (slow: several CPU-minutes on 2 cores).

Skipped unless ``INPAINT_STUDIO_BUILD_BUNDLE=1`` (too slow for every CI run on this 2-core machine);
``packaging/build_and_selftest.sh`` does the same by hand and also times the cold start. With
``INPAINT_STUDIO_BUNDLE_DIR=dist/inpaint-studio`` as well, an existing bundle is checked instead of building.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dist" / "inpaint-studio"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("INPAINT_STUDIO_BUILD_BUNDLE") != "1",
                       reason="builds the PyInstaller bundle (minutes); set INPAINT_STUDIO_BUILD_BUNDLE=1"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="build.sh is the Linux/macOS build"),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    existing = os.environ.get("INPAINT_STUDIO_BUNDLE_DIR")
    if existing:
        return Path(existing).resolve()
    subprocess.run(["bash", str(REPO / "packaging" / "build.sh")], cwd=REPO, check=True, timeout=3600)
    return BUNDLE


@pytest.mark.timeout(3600)
def test_bundle_self_test_passes_without_display_or_source_tree(bundle, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH")
           and not k.startswith("INPAINT_STUDIO_")}
    proc = subprocess.run([str(bundle / "inpaint-studio"), "--self-test"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header = proc.stdout.splitlines()[0]
    # resources (and models, when shipped) come from inside the bundle, not from this checkout
    assert "(bundle;" in header and f"resources: {bundle}/_internal/resources" in header, header
    assert "ok    telea" in proc.stdout


@pytest.mark.timeout(600)
def test_bundle_is_lean(bundle):
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= 900 * 2**20, f"bundle is {size / 2**20:.0f} MB"
    internal = bundle / "_internal"
    assert (internal / "resources" / "sample.jpg").is_file()
    assert not (internal / "editor" / "training").exists()
    assert not list(internal.rglob("libQt6WebEngineCore*")) and not list(internal.rglob("libQt6Qml.so*"))
    assert (bundle / "install-desktop-entry.sh").is_file()
