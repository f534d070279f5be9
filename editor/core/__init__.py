"""Headless core: the Document, image/mask file I/O (Pillow) and hole-mask operations (OpenCV).

No Qt and no torch here. Import the submodules directly: ``editor.core.document``,
``editor.core.imageio``, ``editor.core.masks``, ``editor.core.errors``, ``editor.core.progress``.
"""
