"""Input level meter: a horizontal bar from -60 dBFS to 0 dBFS."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DBFS = -60.0


class LevelMeter(QWidget):
    """Draws the level it is given; green, amber near -12 dBFS, red near clipping."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level_dbfs = FLOOR_DBFS
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Microphone input level")
        self.setAccessibleName("Input level")

    def sizeHint(self) -> QSize:
        return QSize(160, 12)

    @property
    def level_dbfs(self) -> float:
        return self._level_dbfs

    @property
    def fraction(self) -> float:
        """How full the bar is, 0-1."""
        return min(1.0, max(0.0, (self._level_dbfs - FLOOR_DBFS) / -FLOOR_DBFS))

    def set_level(self, level_dbfs: float) -> None:
        self._level_dbfs = float(level_dbfs)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QColor("#d9dee5"))
        painter.setBrush(QColor("#eef0f3"))
        painter.drawRoundedRect(rect, 4, 4)
        if self.fraction > 0:
            colour = "#2ea064" if self._level_dbfs < -12 else "#e8a020" if self._level_dbfs < -3 else "#d64545"
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(rect.x(), rect.y(), rect.width() * self.fraction, rect.height()), 4, 4)
        painter.end()
