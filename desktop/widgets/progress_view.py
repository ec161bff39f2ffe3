"""Progress: score over time, the most frequent phone errors, CSV export and delete."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.widgets import theme

#: The error chart keeps room for this many bars, so one error is not one giant block.
MIN_BAR_SLOTS = 6


class ProgressView(QWidget):
    exportRequested = Signal()
    deleteRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("sectionTitle")
        self.score_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.score_plot.setTitle("Score per attempt", color=theme.TEXT)
        self.score_plot.setYRange(0, 100)
        self.score_plot.setMouseEnabled(y=False)
        self.score_plot.showGrid(y=True, alpha=0.2)
        self.error_plot = pg.PlotWidget()
        self.error_plot.setTitle("Most frequent sound errors", color=theme.TEXT)
        self.error_plot.setMouseEnabled(x=False, y=False)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save every attempt as a spreadsheet for your teacher")
        self.export_button.clicked.connect(self.exportRequested)
        self.delete_button = QPushButton("Delete my data…")
        self.delete_button.setToolTip("Delete every attempt and every recording kept on this computer (asks first)")
        self.delete_button.clicked.connect(self.deleteRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        plots = QHBoxLayout()
        plots.addWidget(self.score_plot, 3)
        plots.addWidget(self.error_plot, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(buttons)
        layout.addLayout(plots, 1)

    def show_progress(self, times: list[datetime], scores: list[float],
                      errors: list[tuple[str, int]]) -> None:
        """Draw the score series and the error counts (both may be empty)."""
        self.score_plot.clear()
        self.error_plot.clear()
        if scores:
            x = np.array([t.timestamp() for t in times])
            self.score_plot.plot(x, scores, pen=pg.mkPen(theme.ACCENT, width=2), symbol="o",
                                 symbolSize=7, symbolBrush=theme.ACCENT)
            self.summary.setText(f"{len(scores)} attempts · average {np.mean(scores):.0f}/100 · "
                                 f"last {scores[-1]:.0f}/100")
        else:
            self.summary.setText("No attempts yet: your progress appears here.")
        if errors:
            labels = [label for label, _ in errors]
            counts = [count for _, count in errors]
            bars = pg.BarGraphItem(x=np.arange(len(counts)), height=counts, width=0.6,
                                   brush=theme.verdict_hex(theme.Verdict.WRONG), pen=None)
            self.error_plot.addItem(bars)
            self.error_plot.getAxis("bottom").setTicks([list(enumerate(labels))])
            self.error_plot.setXRange(-0.5, max(len(counts), MIN_BAR_SLOTS) - 0.5, padding=0)
            self.error_plot.setYRange(0, max(counts) * 1.1, padding=0)
        self.export_button.setEnabled(bool(scores))
        self.delete_button.setEnabled(bool(scores))
