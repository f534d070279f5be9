"""Shared fixtures: where ../shared/data is, and headless Qt for GUI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("INPAINT_STUDIO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (photos/, hifill-samples/, mask-templates/); the test is skipped when it is absent."""
    if not (SHARED_DATA / "hifill-samples").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set INPAINT_STUDIO_SHARED_DATA)")
    return SHARED_DATA
