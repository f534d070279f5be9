"""Evaluation: in-hole metrics (numpy/OpenCV only) and the public evaluation over a folder of photos.

``editor.evaluation.metrics`` — :func:`psnr`, :func:`ssim`, :func:`l1` on uint8 images with an optional hole mask.
``editor.evaluation.evaluate`` — :func:`evaluate` runs registry methods through the pipeline on seeded or
given hole masks (the ``inpaint-studio evaluate`` command). No torch, no Qt at import time.
"""

from editor.evaluation.evaluate import Evaluation, Score, evaluate, format_table
from editor.evaluation.metrics import l1, psnr, ssim, ssim_map

__all__ = ["psnr", "ssim", "ssim_map", "l1", "evaluate", "Evaluation", "Score", "format_table"]
