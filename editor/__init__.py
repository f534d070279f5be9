"""Inpaint Studio: remove objects from full-resolution photos.

Packages: ``core`` (I/O, masks; no Qt, no torch), ``pipeline`` (low-res inpainting + HD strategies,
contextual residual aggregation; no Qt), ``methods`` (registry of classical and network methods),
``networks`` (torch modules from the papers), ``training`` (never imported by the app),
``evaluation`` (metrics, numpy only), ``ui`` (the only package importing PySide6).
"""

__version__ = "0.1.0"
