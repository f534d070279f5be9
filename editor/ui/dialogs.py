"""Small dialogs: Help → Keyboard shortcuts (generated from the window's actions) and About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

__all__ = ["ShortcutsDialog", "shortcut_rows", "GESTURES", "SHORTCUT_NAME"]

#: Action property holding the name to list for an action whose text changes (undo: "Undo Brush stroke").
SHORTCUT_NAME = "shortcut_name"

#: Mouse and held-key gestures that are not actions (and so cannot be generated from them).
GESTURES = [
    ("Canvas", "Pan", "Space + drag, or middle-drag"),
    ("Canvas", "Zoom around the cursor", "Mouse wheel"),
    ("Canvas", "Erase with the brush", "Right-drag"),
    ("Canvas", "Subtract a rectangle / lasso", "Alt + drag (or right-drag)"),
    ("Canvas", "Show the original while held", "\\ (backslash)"),
    ("Canvas", "Move the before | after split", "Drag the split line"),
]


def shortcut_rows(menus: list[tuple[str, list[QAction]]]) -> list[tuple[str, str, str]]:
    """(group, action, shortcuts) for every action with a shortcut, in menu order, then the gestures."""
    rows = []
    for group, actions in menus:
        for action in actions:
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
            if keys:
                name = action.property(SHORTCUT_NAME) or action.text().replace("&", "").rstrip(".…")
                rows.append((group, name, ",  ".join(keys)))
    return rows + GESTURES


class ShortcutsDialog(QDialog):
    def __init__(self, menus: list[tuple[str, list[QAction]]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 620)
        rows = shortcut_rows(menus)
        table = QTableWidget(len(rows), 3, self)
        table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
                table.setItem(r, c, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
