"""The take's waveform with word segments shaded by verdict, phone labels on zoom,
and the pitch contour underneath. Click a word to select (and play) it; wheel to zoom,
drag to pan."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.widgets import theme
from engine.feedback import PhoneResult, Verdict, WordResult
from engine.pitch import PitchContour

#: Phone labels appear when the visible span is shorter than this (seconds).
PHONE_ZOOM_S = 2.5
SHADE_ALPHA = 60
MIN_HEIGHT_PX = 220
SELECTED_ALPHA = 140
#: Word edges: a thin white line, so neighbouring words of the same colour stay apart.
_EDGE_PEN = pg.mkPen(QColor(255, 255, 255, 230), width=2)


class WaveformView(QWidget):
    """Draws what it is given: ``set_take``, ``set_words``, ``set_pitch``, ``set_selected``."""

    wordClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=theme.SURFACE, foreground=theme.MUTED)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(4, 4, 8, 4)
        self.graphics.ci.setSpacing(2)
        self.wave_plot = self.graphics.addPlot(row=0, col=0)
        self.pitch_plot = self.graphics.addPlot(row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 4)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self._setup_plots()
        self.graphics.setMinimumHeight(MIN_HEIGHT_PX)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setAccessibleName("Waveform of the take")
        self._phone_font = QFont(self.font())
        self._phone_font.setPointSize(8)
        self.duration_s = 0.0
        self.words: tuple[WordResult, ...] = ()
        self.selected = -1
        self.regions: dict[int, pg.LinearRegionItem] = {}
        self.word_labels: dict[int, pg.TextItem] = {}
        self.phone_labels: list[pg.TextItem] = []
        self._wave_curve = self.wave_plot.plot(pen=pg.mkPen(theme.WAVE, width=1))
        self._pitch_curve = self.pitch_plot.plot(pen=pg.mkPen(theme.PITCH, width=2), connect="finite")
        self.wave_plot.sigXRangeChanged.connect(self._update_phone_labels)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)

    def _setup_plots(self) -> None:
        for plot in (self.wave_plot, self.pitch_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.08)
            plot.setMenuEnabled(False)
        self.wave_plot.setYRange(-1.15, 1.15, padding=0)
        self.wave_plot.getAxis("left").setStyle(showValues=False, tickLength=0)
        self.wave_plot.getAxis("left").setTicks([[]])
        self.wave_plot.getAxis("left").setWidth(52)
        self.wave_plot.getAxis("bottom").setStyle(showValues=False)
        self.wave_plot.setLabel("left", "take")
        self.pitch_plot.setXLink(self.wave_plot)
        self.pitch_plot.setLabel("left", "pitch", units="Hz")
        self.pitch_plot.getAxis("left").setWidth(52)
        self.pitch_plot.setLabel("bottom", "time", units="s")
        self.pitch_plot.setYRange(60, 300, padding=0)
        self.pitch_plot.setMaximumHeight(130)
        self.pitch_plot.getAxis("left").setTicks([[(100, "100"), (200, "200"), (300, "300")]])

    # -- what to draw --------------------------------------------------------------
    def set_take(self, samples: np.ndarray | None, sample_rate_hz: int = 16_000) -> None:
        """Show a new take (or none); clears the words and the pitch."""
        self.set_words(())
        self.set_pitch(None)
        if samples is None or len(samples) == 0:
            self._wave_curve.setData([], [])
            self.duration_s = 0.0
            return
        peak = max(float(np.max(np.abs(samples))), 1e-6)
        times = np.arange(len(samples)) / sample_rate_hz
        self._wave_curve.setData(times, samples / peak)
        self._wave_curve.setDownsampling(auto=True, method="peak")
        self._wave_curve.setClipToView(True)
        self.duration_s = len(samples) / sample_rate_hz
        self.wave_plot.setLimits(xMin=0, xMax=self.duration_s, minXRange=0.1)
        self.wave_plot.setXRange(0, self.duration_s, padding=0.01)

    def has_pitch(self) -> bool:
        return self._pitch_curve.xData is not None and len(self._pitch_curve.xData) > 0

    def set_pitch(self, contour: PitchContour | None) -> None:
        if contour is None or not len(contour.times_s):
            self._pitch_curve.setData([], [])
            return
        self._pitch_curve.setData(contour.times_s, contour.f0_hz)
        voiced = contour.f0_hz[np.isfinite(contour.f0_hz)]
        if voiced.size:
            low, high = float(np.min(voiced)), float(np.max(voiced))
            self.pitch_plot.setYRange(max(50.0, low - 20), high + 20, padding=0)
            self.pitch_plot.getAxis("left").setTicks(None)

    def set_words(self, words: tuple[WordResult, ...]) -> None:
        """Shade each timed word by its verdict and label it; phones are labelled on zoom."""
        for item in [*self.regions.values(), *self.word_labels.values(), *self.phone_labels]:
            self.wave_plot.removeItem(item)
        self.regions, self.word_labels, self.phone_labels = {}, {}, []
        self.words = tuple(w for w in words if w.end_s > w.start_s)
        for word in self.words:
            self._add_word(word)
        self.selected = -1
        self._update_phone_labels()

    def _add_word(self, word: WordResult) -> None:
        region = pg.LinearRegionItem((word.start_s, word.end_s), movable=False,
                                     brush=self._brush(word.verdict, SHADE_ALPHA), pen=_EDGE_PEN)
        region.setZValue(-10)
        region.setToolTip(f"{word.text}: {word.score:.0f}/100 ({theme.VERDICT_LABEL[word.verdict]})")
        self.wave_plot.addItem(region)
        self.regions[word.index] = region
        label = pg.TextItem(word.text, color=theme.VERDICT_INK[word.verdict], anchor=(0.5, 0.0))
        font = QFont(self.font())
        font.setPointSize(10)
        font.setBold(word.verdict is not Verdict.GOOD)
        label.setFont(font)
        label.setPos((word.start_s + word.end_s) / 2, 1.12)
        self.wave_plot.addItem(label)
        self.word_labels[word.index] = label
        for phone in word.phones:
            self._add_phone(phone)

    def _add_phone(self, phone: PhoneResult) -> None:
        if phone.end_s <= phone.start_s:
            return
        text = phone.expected or f"+{phone.heard}"
        if phone.is_error and phone.heard and phone.expected:
            text = f"{phone.expected}→{phone.heard}"
        colour = theme.VERDICT_INK[Verdict.WRONG] if phone.is_error else theme.MUTED
        label = pg.TextItem(text, color=colour, anchor=(0.5, 1.0))
        label.setFont(self._phone_font)
        row = len(self.phone_labels) % 2  # two staggered rows, so short neighbours never overlap
        label.setPos((phone.start_s + phone.end_s) / 2, -1.12 + 0.16 * row)
        label.setVisible(False)
        self.wave_plot.addItem(label)
        self.phone_labels.append(label)

    @staticmethod
    def _brush(verdict: Verdict, alpha: int):
        return pg.mkBrush(*theme.VERDICT_RGB[verdict], alpha)

    def set_selected(self, index: int) -> None:
        """Highlight one word (-1: none) and bring it into view."""
        if self.selected in self.regions:
            old = self._word(self.selected)
            self.regions[self.selected].setBrush(self._brush(old.verdict, SHADE_ALPHA))
            self.regions[self.selected].setZValue(-10)
            _set_edges(self.regions[self.selected], _EDGE_PEN)
        self.selected = index
        if index in self.regions:
            word = self._word(index)
            self.regions[index].setBrush(self._brush(word.verdict, SELECTED_ALPHA))
            self.regions[index].setZValue(-5)  # its accent edges above the neighbours' white ones
            _set_edges(self.regions[index], pg.mkPen(theme.ACCENT, width=2))
            self._ensure_visible(word)
        for region in self.regions.values():
            region.update()

    def _ensure_visible(self, word: WordResult) -> None:
        low, high = self.wave_plot.viewRange()[0]
        if word.start_s < low or word.end_s > high:
            span = high - low
            centre = (word.start_s + word.end_s) / 2
            self.wave_plot.setXRange(centre - span / 2, centre + span / 2, padding=0)

    def _word(self, index: int) -> WordResult:
        return next(w for w in self.words if w.index == index)

    # -- queries and interaction ---------------------------------------------------
    def word_at(self, time_s: float) -> int:
        """Index of the word under ``time_s``, or -1."""
        return next((w.index for w in self.words if w.start_s <= time_s < w.end_s), -1)

    def region_color(self, index: int) -> QColor:
        """The shading colour of word ``index`` (for tests and accessibility checks)."""
        return self.regions[index].brush.color()

    def phone_labels_visible(self) -> bool:
        return any(label.isVisible() for label in self.phone_labels)

    def zoom_to(self, start_s: float, end_s: float) -> None:
        self.wave_plot.setXRange(start_s, end_s, padding=0)

    def scene_pos_of(self, time_s: float) -> QPointF:
        """Where ``time_s`` (mid-height) is in the view's scene: lets tests click a word."""
        return self.wave_plot.vb.mapViewToScene(QPointF(time_s, 0.0))

    def _update_phone_labels(self, *_args) -> None:
        low, high = self.wave_plot.viewRange()[0]
        show = (high - low) < PHONE_ZOOM_S
        for label in self.phone_labels:
            label.setVisible(show)

    def _on_click(self, event) -> None:
        if not self.wave_plot.sceneBoundingRect().contains(event.scenePos()):
            return
        x = self.wave_plot.vb.mapSceneToView(event.scenePos()).x()
        index = self.word_at(x)
        if index >= 0:
            self.wordClicked.emit(index)


def _set_edges(region: pg.LinearRegionItem, pen) -> None:
    for line in region.lines:
        line.setPen(pen)
