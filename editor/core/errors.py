"""Errors a user can cause and fix: the CLI prints them as one line (``error: ...``), the editor as a message."""


class InpaintError(Exception):
    """Base class for user-facing errors (bad input file, mask mismatch, unwritable output, ...).

    The message is one line, in words a photographer understands, naming the file when there is one. How to
    fix it depends on where the user is, so the advice is kept apart: ``hint`` for the command line (``str(exc)``
    is ``"message; hint"``), ``gui_hint`` for the editor (see ``editor.ui.worker.friendly_error``); either may
    be None.
    """

    def __init__(self, message: str = "", hint: str | None = None, gui_hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.gui_hint = gui_hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def gui_text(self) -> str:
        """The message with the editor's advice instead of the command line's."""
        return f"{self.message}; {self.gui_hint}" if self.gui_hint else self.message


class ImageReadError(InpaintError):
    """A photo or mask file is missing, empty, truncated, not an image, or too large to decode."""


class TooLargeError(ImageReadError):
    """A photo with more pixels than the decompression-bomb limit: ``pixels`` and ``limit`` (width × height);
    opening it anyway needs a higher ``max_pixels``."""

    def __init__(self, message: str, pixels: int, limit: int, **hints) -> None:
        super().__init__(message, **hints)
        self.pixels = pixels
        self.limit = limit


class MaskError(InpaintError):
    """A hole mask does not fit its photo (size mismatch) or is unusable (covers the whole photo)."""


class MaskSizeError(MaskError):
    """A mask whose size differs from its photo's: ``mask_size`` and ``photo_size`` are (width, height), px."""

    def __init__(self, message: str, mask_size: tuple[int, int], photo_size: tuple[int, int], **hints) -> None:
        super().__init__(message, **hints)
        self.mask_size = mask_size
        self.photo_size = photo_size

    @property
    def turned(self) -> bool:
        """The mask is the photo's size turned by 90° (drawn, likely, before the photo's EXIF orientation)."""
        (mw, mh), (pw, ph) = self.mask_size, self.photo_size
        return (mw, mh) == (ph, pw) and mw != mh


class OutputError(InpaintError):
    """An output file cannot be written (unwritable folder, would overwrite the input, exists without --force)."""


class MethodUnavailableError(InpaintError):
    """The requested inpainting method cannot run here (missing weights, missing library, bad device)."""


class Cancelled(Exception):
    """Raised inside the pipeline when its cancel flag is set; callers leave the document unchanged."""
