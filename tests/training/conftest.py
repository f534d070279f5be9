"""Tiny synthetic photo and template folders for training tests."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    photos, templates = root / "photos", root / "templates"
    photos.mkdir()
    templates.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:160]
    for i in range(3):
        base = np.stack([np.sin(xx / (7 + i)), np.cos(yy / (5 + i)), np.sin((xx + yy) / 11)], -1)
        img = ((base + 1) * 100 + rng.integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8)
        Image.fromarray(img).save(photos / f"p{i}.png")
    t = np.zeros((64, 64), np.uint8)
    t[16:48, 20:40] = 255
    Image.fromarray(t).save(templates / "t0.png")
    return photos, templates
