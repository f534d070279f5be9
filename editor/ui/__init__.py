"""The desktop editor (the only package that imports PySide6). Entry point: :func:`editor.ui.app.run_editor`.

Importing this package first guards against a PySide6 bug: with PySide6 6.12.0 on Python 3.11, every call
of a Qt method returning ``void`` hands back ``None`` without taking a reference, so ``None``'s reference
count drops by one per call (measured: ``QWidget.setMinimumWidth`` x100 -> -100; ``processEvents`` too).
After a few thousand calls -- a minute of painting -- CPython aborts with "none_dealloc: deallocating None".
Python >= 3.12 makes ``None`` immortal, which hides the bug; on older Pythons we give ``None`` an
effectively infinite reference count once, at import, which is what 3.12 does.
"""

from __future__ import annotations

import sys

__all__ = ["pin_none_refcount"]


def pin_none_refcount() -> bool:
    """Make ``None`` effectively immortal on Python < 3.12 (a no-op, returning False, on newer Pythons)."""
    if sys.version_info >= (3, 12):
        return False
    import ctypes
    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of every PyObject
    if refcnt.value < (1 << 40):
        refcnt.value += 1 << 40
    return True


pin_none_refcount()
