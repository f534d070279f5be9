"""The editor's look: a dark Fusion palette (like Krita / Photoshop), one stylesheet, qtawesome icons."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["apply_theme", "icon", "fit_to_screen", "ACCENT", "TEXT", "BACKGROUND"]

BACKGROUND = "#1b1d21"   # canvas surround
WINDOW = "#25272c"       # panels
BASE = "#1f2125"         # inputs
RAISED = "#2f3238"       # buttons
BORDER = "#3a3d44"
TEXT = "#d9dce1"
MUTED = "#8b9099"
DISABLED_TEXT = "#5d626b"   # text, icons and handles of disabled controls
DISABLED_BASE = "#222428"   # a disabled field's background: between the panel and an enabled field
DISABLED_BORDER = "#2c2e34"
ACCENT = "#4c8dff"
ACCENT_HOVER = "#6aa1ff"

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QMainWindow::separator {{ background: {BACKGROUND}; width: 3px; height: 3px; }}
QToolTip {{ color: {TEXT}; background: {RAISED}; border: 1px solid {BORDER}; padding: 4px 6px; }}
QMenuBar {{ background: {WINDOW}; border-bottom: 1px solid {BACKGROUND}; }}
QMenuBar::item {{ padding: 4px 10px; background: transparent; }}
QMenuBar::item:selected {{ background: {RAISED}; border-radius: 4px; }}
QMenu {{ background: {WINDOW}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 5px 28px 5px 24px; border-radius: 4px; }}
QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu::item:disabled {{ color: {MUTED}; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 6px; }}
QToolBar {{ background: {WINDOW}; border: none; spacing: 2px; padding: 3px; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; height: 1px; margin: 4px 5px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 5px; padding: 4px; color: {TEXT}; }}
QToolButton:hover {{ background: {RAISED}; border-color: {BORDER}; }}
QToolButton:checked {{ background: #34405a; border-color: {ACCENT}; }}
QToolButton:pressed {{ background: {BORDER}; }}
QDockWidget {{ color: {MUTED}; font-weight: 600; titlebar-close-icon: none; }}
QDockWidget::title {{ background: {WINDOW}; padding: 5px 10px; text-transform: uppercase; }}
QDockWidget > QWidget {{ background: {WINDOW}; }}
QGroupBox {{ border: none; margin-top: 18px; font-weight: 600; color: {MUTED}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 2px; padding: 0; }}
QLabel {{ color: {TEXT}; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="hint"] {{ color: {MUTED}; font-size: 11px; }}
QPushButton {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 6px;
              padding: 6px 12px; }}
QPushButton:hover {{ background: #373b42; }}
QPushButton:pressed {{ background: {BORDER}; }}
QPushButton:disabled {{ color: {DISABLED_TEXT}; background: #2a2c31; border-color: #2f3238; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600;
                               padding: 8px 14px; }}
QPushButton[role="primary"]:hover {{ background: {ACCENT_HOVER}; }}
QPushButton[role="primary"]:disabled {{ background: #2f3a52; color: #8b98b3; border-color: #2f3a52; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{ background: {BASE}; color: {TEXT}; border: 1px solid {BORDER};
              border-radius: 5px; padding: 3px 8px; min-height: 18px; }}
QSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::up-button, QDoubleSpinBox::down-button {{
              width: 14px; border: none; background: transparent; }}
QComboBox:hover, QSpinBox:hover {{ border-color: #4b4f58; }}
QComboBox:focus, QSpinBox:focus, QLineEdit:focus {{ border-color: {ACCENT}; }}
QComboBox:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QLineEdit:disabled, QAbstractSpinBox:disabled {{
              color: {DISABLED_TEXT}; background: {DISABLED_BASE}; border-color: {DISABLED_BORDER}; }}
QLabel:disabled {{ color: {DISABLED_TEXT}; }}
QComboBox QAbstractItemView {{ background: {WINDOW}; border: 1px solid {BORDER};
              selection-background-color: {ACCENT}; }}
QComboBox::drop-down {{ border: none; width: 18px; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #e8eaee; width: 14px; height: 14px; margin: -5px 0; border-radius: 7px; }}
QSlider::groove:horizontal:disabled {{ background: {DISABLED_BORDER}; }}
QSlider::sub-page:horizontal:disabled {{ background: #34405a; }}
QSlider::handle:horizontal:disabled {{ background: {DISABLED_TEXT}; }}
QCheckBox:disabled, QRadioButton:disabled {{ color: {DISABLED_TEXT}; }}
QProgressBar {{ background: {BASE}; border: 1px solid {BORDER}; border-radius: 5px; height: 8px; text-align: center;
               color: {TEXT}; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QStatusBar {{ background: {WINDOW}; color: {MUTED}; border-top: 1px solid {BACKGROUND}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 8px; }}
QStatusBar::item {{ border: none; }}
QScrollBar:horizontal, QScrollBar:vertical {{ background: {BACKGROUND}; border: none; margin: 0; }}
QScrollBar:horizontal {{ height: 11px; }}
QScrollBar:vertical {{ width: 11px; }}
QScrollBar::handle {{ background: #3d4048; border-radius: 4px; min-height: 24px; min-width: 24px; margin: 2px; }}
QScrollBar::handle:hover {{ background: #50545d; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QListView, QTreeView, QTableView, QListWidget, QTableWidget, QUndoView {{ background: {BASE}; color: {TEXT};
              border: 1px solid {BORDER}; border-radius: 5px; alternate-background-color: #23252a; }}
QListView::item, QListWidget::item {{ padding: 4px 6px; }}
QListView::item:selected, QListWidget::item:selected {{ background: #34405a; color: white; }}
QHeaderView::section {{ background: {WINDOW}; color: {MUTED}; border: none; border-bottom: 1px solid {BORDER};
              padding: 5px; font-weight: 600; }}
QTabBar::tab {{ background: {WINDOW}; color: {MUTED}; padding: 6px 14px; border: none; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, dark palette and the stylesheet (idempotent)."""
    app.setStyle("Fusion")
    pal = QPalette()
    colors = {
        QPalette.ColorRole.Window: WINDOW, QPalette.ColorRole.WindowText: TEXT, QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: "#23252a", QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT, QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT, QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT, QPalette.ColorRole.PlaceholderText: MUTED,
        QPalette.ColorRole.Mid: BORDER, QPalette.ColorRole.Dark: BACKGROUND, QPalette.ColorRole.Shadow: "#000000",
    }
    for role, value in colors.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)


def icon(name: str, color: str = TEXT) -> QIcon:
    """A qtawesome icon (``mdi6.*`` names) in the theme's colours (accent when checked/active)."""
    import qtawesome as qta
    return qta.icon(name, color=color, color_active="#ffffff", color_on="#ffffff", color_disabled=DISABLED_TEXT)


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize ``widget`` to ``width`` x ``height`` px, or to 90 % of its screen's available area where that is
    smaller (a 1280 x 720 or 1366 x 768 laptop screen)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        avail = screen.availableGeometry()
        width, height = min(width, int(avail.width() * 0.9)), min(height, int(avail.height() * 0.9))
    widget.resize(width, height)
