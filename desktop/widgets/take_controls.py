"""The controls around the waveform: the record bar above it, the listen bar below it."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.audio_io import InputDevice
from desktop.widgets import theme
from desktop.widgets.level_meter import LevelMeter
from desktop.widgets.record_button import RecordButton
from engine.feedback import Verdict
from engine.paths import resource


def icon(name: str) -> QIcon:
    """One of the bundled SVG icons (``resources/icons/<name>.svg``)."""
    return QIcon(str(resource("icons", f"{name}.svg")))


class RecordBar(QWidget):
    """Record button, input level and time, microphone picker, open-file button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_button = RecordButton()
        self.level_meter = LevelMeter()
        self.elapsed = QLabel("Ready")
        self.elapsed.setObjectName("muted")
        self.device_combo = QComboBox()
        self.device_combo.setAccessibleName("Microphone")
        self.device_combo.setMinimumWidth(150)
        self.device_combo.setMaximumWidth(240)
        self.open_button = QPushButton(icon("open"), "Open audio file…")
        self.open_button.setToolTip("Or drop a wav, flac or ogg file on the window")
        meter = QVBoxLayout()
        meter.addStretch(1)
        meter.addWidget(self.level_meter)
        meter.addWidget(self.elapsed)
        meter.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.record_button)
        row.addLayout(meter, 1)
        row.addWidget(self.device_combo)
        row.addWidget(self.open_button)

    def set_devices(self, devices: list[InputDevice], current: int, error: str = "") -> None:
        """Fill the picker (-1 = the default microphone); with ``error``, disable it and say why."""
        combo = self.device_combo
        combo.blockSignals(True)
        combo.clear()
        if error:
            combo.addItem("No microphone", -1)
            combo.setToolTip(error)
        else:
            combo.addItem("Default microphone", -1)
            for device in devices:
                if device.index is not None:
                    combo.addItem(device.name, device.index)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.setToolTip("Microphone to record with")
        combo.setEnabled(not error)
        combo.blockSignals(False)


class ListenBar(QWidget):
    """Replay the take or a word, playback speed, reference voice; busy bar and cancel."""

    def __init__(self, speeds: tuple[float, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_take_button = QPushButton(icon("play"), "Take")
        self.play_take_button.setToolTip("Replay the whole take (R)")
        self.play_word_button = QPushButton(icon("play"), "Word")
        self.play_word_button.setToolTip("Play the selected word (click a word in the waveform)")
        self.speed = QComboBox()
        for s in speeds:
            self.speed.addItem(f"{s:g}×" if s != 1 else "Normal speed", s)
        self.speed.setToolTip("Playback speed (slowed without changing the pitch)")
        self.reference_button = QPushButton(icon("speaker"), "Reference")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(140)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the analysis or the answer (Esc)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.play_take_button, self.play_word_button, self.speed, self.reference_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.busy_bar)
        row.addWidget(self.cancel_button)

    def selected_speed(self) -> float:
        return float(self.speed.currentData())

    def set_progress(self, fraction: float | None) -> None:
        """None: indeterminate (busy, no progress known); else 0-1."""
        if fraction is None:
            self.busy_bar.setRange(0, 0)
            return
        self.busy_bar.setRange(0, 100)
        self.busy_bar.setValue(round(100 * max(0.0, min(1.0, fraction))))


def verdict_legend() -> QLabel:
    """good / needs work / wrong swatches and how to use the waveform."""
    items = "".join(
        f"<span style='color:{theme.verdict_hex(v)}'>■</span> {theme.VERDICT_LABEL[v]}&nbsp;&nbsp;&nbsp;"
        for v in Verdict)
    label = QLabel(f"{items}<span style='color:{theme.MUTED}'>Click a word to hear it · "
                   "wheel to zoom, drag to pan · phones appear when zoomed in</span>")
    label.setObjectName("muted")
    return label
