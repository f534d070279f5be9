"""The full-resolution inpainting pipeline (DESIGN.md): prepare → low-res inpaint → HD strategy → composite.

No Qt and no torch here. ``InpaintPipeline(method, hd="cra").run(image, hole)`` is the one entry point;
the HD strategies live in :mod:`editor.pipeline.hd`, CRA's residual aggregation in
:mod:`editor.pipeline.residual`, the seam feather in :mod:`editor.pipeline.composite`.
"""

from editor.pipeline.pipeline import (DEFAULT_DETAIL, DEFAULT_DILATE, DEFAULT_LOWRES_SIZE, HD_STRATEGIES, STAGES,
                                      InpaintPipeline, LowResInput, PipelineResult, prepare)

__all__ = ["InpaintPipeline", "PipelineResult", "LowResInput", "prepare", "HD_STRATEGIES", "DEFAULT_DILATE",
           "DEFAULT_DETAIL", "DEFAULT_LOWRES_SIZE", "STAGES"]
