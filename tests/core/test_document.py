"""Document: validation, defaults, copy."""

from pathlib import Path

import numpy as np
import pytest

from editor.core.document import Document


def test_defaults_and_size():
    doc = Document(image=np.zeros((3, 5, 3), np.uint8))
    assert doc.width == 5 and doc.height == 3 and doc.size == (5, 3)
    assert doc.hole_mask.dtype == bool and doc.hole_mask.shape == (3, 5) and not doc.hole_mask.any()
    assert doc.alpha is None and doc.exif is None and doc.source_mode == "RGB"


def test_path_and_dpi_are_normalised():
    doc = Document(image=np.zeros((2, 2, 3), np.uint8), path="a/b.jpg", dpi=(300, 72))
    assert doc.path == Path("a/b.jpg")
    assert doc.dpi == (300.0, 72.0) and isinstance(doc.dpi[0], float)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"image": np.zeros((2, 2), np.uint8)},
        {"image": np.zeros((2, 2, 3), np.float32)},
        {"image": np.zeros((2, 2, 4), np.uint8)},
        {"image": np.zeros((2, 2, 3), np.uint8), "hole_mask": np.zeros((2, 3), bool)},
        {"image": np.zeros((2, 2, 3), np.uint8), "hole_mask": np.zeros((2, 2), np.uint8)},
        {"image": np.zeros((2, 2, 3), np.uint8), "alpha": np.zeros((2, 2), bool)},
    ],
)
def test_bad_arrays_rejected(kwargs):
    with pytest.raises(ValueError):
        Document(**kwargs)


def test_copy_is_independent():
    doc = Document(
        image=np.zeros((2, 2, 3), np.uint8), alpha=np.full((2, 2), 255, np.uint8), exif=b"x", icc=b"y"
    )
    dup = doc.copy()
    dup.image[0, 0] = 7
    dup.hole_mask[0, 0] = True
    dup.alpha[0, 0] = 1
    assert doc.image[0, 0, 0] == 0 and not doc.hole_mask[0, 0] and doc.alpha[0, 0] == 255
    assert dup.exif == b"x" and dup.icc == b"y"
