"""The big record/stop button."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QPushButton, QWidget


class RecordButton(QPushButton):
    """A checkable button: checked while recording. Emits ``clicked``; the owner decides."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("record")
        self.setCheckable(True)
        self.setMinimumSize(QSize(150, 52))
        self.set_recording(False)

    def set_recording(self, recording: bool) -> None:
        self.setChecked(recording)
        self.setText("■  Stop" if recording else "●  Record")
        self.setToolTip("Stop recording (Space)" if recording else "Record yourself reading the sentence (Space)")
        self.setAccessibleName(self.toolTip())

    def nextCheckState(self) -> None:
        pass
