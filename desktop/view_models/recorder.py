"""Recording state: start/stop, the live input level, the elapsed time and the take."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.audio_io import RECORD_RATE_HZ, SILENT_DBFS, AudioDeviceError, Microphone
from desktop.notifications import Notifier
from engine.audio import clip_from_array
from engine.errors import AudioError

POLL_MS = 33


class RecorderViewModel(QObject):
    """Drives a ``Microphone``; emits the level while recording and the clip when done."""

    recordingChanged = Signal(bool)
    levelChanged = Signal(float)  # dBFS
    elapsedChanged = Signal(float)  # seconds
    takeRecorded = Signal(object)  # AudioClip

    def __init__(self, microphone: Microphone, notifier: Notifier, *, max_take_s: float = 20.0,
                 device: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.microphone = microphone
        self.notifier = notifier
        self.max_take_s = max_take_s
        self.device = device
        self._started = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def recording(self) -> bool:
        return self._timer.isActive()

    def toggle(self) -> None:
        self.stop() if self.recording else self.start()

    def start(self) -> None:
        if self.recording:
            return
        try:
            self.microphone.start(self.device)
        except AudioDeviceError as err:
            self.notifier.error(str(err))
            return
        self._started = time.monotonic()
        self._timer.start()
        self.recordingChanged.emit(True)

    def stop(self) -> None:
        if not self.recording:
            return
        self._timer.stop()
        samples = self.microphone.stop()
        self.recordingChanged.emit(False)
        self.levelChanged.emit(SILENT_DBFS)
        try:
            clip = clip_from_array(samples, RECORD_RATE_HZ, source="The recording",
                                   max_duration_s=self.max_take_s + 1.0)
        except AudioError as err:
            self.notifier.error(str(err))
            return
        for warning in clip.warnings:
            self.notifier.warning(warning)
        self.takeRecorded.emit(clip)

    def abort(self) -> None:
        """Stop recording and drop the take (the window is closing)."""
        if self.recording:
            self._timer.stop()
            self.microphone.stop()
            self.recordingChanged.emit(False)

    def _poll(self) -> None:
        elapsed = time.monotonic() - self._started
        self.levelChanged.emit(self.microphone.level_dbfs())
        self.elapsedChanged.emit(elapsed)
        if elapsed >= self.max_take_s:
            self.notifier.info(f"Stopped at the maximum take length ({self.max_take_s:.0f} s).")
            self.stop()
