"""Errors a user can cause and fix: the CLI prints them as one line (``error: ...``), the editor as a message."""


class InpaintError(Exception):
    """Base class for user-facing errors (bad input file, mask mismatch, unwritable output, ...).

    The message is one line, in words a photographer understands, naming the file when there is one.
    """


class ImageReadError(InpaintError):
    """A photo or mask file is missing, empty, truncated, not an image, or too large to decode."""


class MaskError(InpaintError):
    """A hole mask does not fit its photo (size mismatch) or is unusable (covers the whole photo)."""


class OutputError(InpaintError):
    """An output file cannot be written (unwritable folder, would overwrite the input, exists without --force)."""


class MethodUnavailableError(InpaintError):
    """The requested inpainting method cannot run here (missing weights, missing library, bad device)."""


class Cancelled(Exception):
    """Raised inside the pipeline when its cancel flag is set; callers leave the document unchanged."""
