"""The reference pronunciation: offline TTS in a background thread, cached per sentence."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from desktop.tts import TtsError, TtsStatus, synthesize


class ReferenceVoice(QObject):
    """``speak(text)`` emits ``ready(samples, rate_hz)`` or ``failed(message)`` (queued)."""

    ready = Signal(object, int)
    failed = Signal(str)

    def __init__(self, status: TtsStatus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self._cache: dict[str, tuple[object, int]] = {}

    def speak(self, text: str) -> None:
        if text in self._cache:
            self.ready.emit(*self._cache[text])
            return
        threading.Thread(target=self._synthesize, args=(text,), daemon=True,
                         name="saywell-tts").start()

    def _synthesize(self, text: str) -> None:
        try:
            samples, rate = synthesize(self.status, text)
        except TtsError as err:
            self.failed.emit(str(err))
            return
        self._cache[text] = (samples, rate)
        self.ready.emit(samples, rate)
