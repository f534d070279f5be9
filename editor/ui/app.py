"""Entry point of the desktop editor (``inpaint-studio`` with no arguments, or ``inpaint-studio open PHOTO``)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["run_editor", "create_application"]


def create_application(argv: list[str] | None = None):
    """The QApplication (created once), with the app's names, icon and dark theme."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from editor.ui.settings import APPLICATION, ORGANISATION
    from editor.ui.style import apply_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Inpaint Studio")
    app.setDesktopFileName("inpaint-studio")
    try:
        from editor.paths import resource
        for name in ("inpaint-studio.png", "inpaint-studio.svg"):
            candidate = resource(name)
            if candidate.is_file():
                app.setWindowIcon(QIcon(str(candidate)))
                break
    except FileNotFoundError:
        pass
    apply_theme(app)
    return app


def run_editor(photo: str | Path | None = None, mask: str | Path | None = None, invert_mask: bool = False) -> int:
    """Open the editor window (optionally with ``photo`` and its hole mask, PNG white = hole; black with
    ``invert_mask``) and run the Qt event loop until the window closes. Returns the process exit code."""
    app = create_application()
    from editor.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if photo is not None:
        window.open_file(Path(photo), Path(mask) if mask is not None else None, background=True,
                         invert_mask=invert_mask)
    code = app.exec()
    window.shutdown()
    window.deleteLater()
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_editor(*sys.argv[1:3]))
