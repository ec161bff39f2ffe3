"""One practice session: the current take, its assessment, the selected word, the chat.

Sends work to the engine worker and turns its results into state the widgets draw.
Every error goes to the ``Notifier``; nothing here touches a widget.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.audio_io import AudioDeviceError, Speaker
from desktop.chat_messages import ChatMessage, Role, messages_for
from desktop.history import HistoryError, HistoryStore
from desktop.notifications import Notifier
from desktop.timestretch import time_stretch
from desktop.view_models.chat import ChatViewModel
from desktop.workers.engine_worker import AnalysisResult, EngineClient, Failure
from engine.audio import AudioClip, load_audio
from engine.errors import SayWellError
from engine.feedback import Assessment
from engine.pitch import pitch_contour

PLAY_SPEEDS = (1.0, 0.75, 0.5)
#: Silence added around a word played alone (seconds), so its edges are audible.
WORD_MARGIN_S = 0.05


class SessionViewModel(QObject):
    takeChanged = Signal(object)  # AudioClip | None
    assessmentChanged = Signal(object)  # Assessment | None
    selectedWordChanged = Signal(int)  # -1 = none
    busyChanged = Signal(bool)
    progressChanged = Signal(float, str)
    attemptSaved = Signal()
    analysisDone = Signal(object)  # Assessment (also after a failure: see analysisFailed)
    analysisFailed = Signal(str)
    pitchReady = Signal(object)  # PitchContour of the current take
    _pitchComputed = Signal(object, object)  # (clip, contour), from the pitch thread

    def __init__(self, engine: EngineClient, chat: ChatViewModel, notifier: Notifier,
                 speaker: Speaker, history: HistoryStore | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine, self.chat, self.notifier = engine, chat, notifier
        self.speaker, self.history = speaker, history
        self.learner = ""
        self.clip: AudioClip | None = None
        self.assessment: Assessment | None = None
        self.selected_word = -1
        self._analysis_job = 0
        self._answers: dict[int, int] = {}  # question job id -> its answer's message index
        engine.analysisFinished.connect(self._on_result)
        engine.failed.connect(self._on_failure)
        engine.answerToken.connect(self._on_token)
        engine.answerFinished.connect(self._on_answer)
        engine.busyChanged.connect(self.busyChanged)
        engine.progress.connect(self.progressChanged)
        self._pitchComputed.connect(self._on_pitch)

    # -- takes ---------------------------------------------------------------
    def open_file(self, path: str | Path, text: str) -> None:
        try:
            clip = load_audio(path)
        except SayWellError as err:
            self.notifier.error(str(err))
            return
        for warning in clip.warnings:
            self.notifier.warning(warning)
        self.submit(clip, text)

    def submit(self, clip: AudioClip, text: str) -> None:
        """Show ``clip`` and send it for analysis against ``text``."""
        if not text.strip():
            self.notifier.error("There is no sentence to compare with: pick one or type your own.")
            return
        self.clip, self.assessment = clip, None
        self.takeChanged.emit(clip)
        self.assessmentChanged.emit(None)
        self.select_word(-1)
        self._analysis_job = self.engine.analyze(clip, text)
        self._start_pitch(clip)

    def _start_pitch(self, clip: AudioClip) -> None:
        """The pitch contour takes ~0.5 s for a 20 s take: compute it off the GUI thread."""
        def work() -> None:
            self._pitchComputed.emit(clip, pitch_contour(clip.samples, clip.sample_rate_hz))

        threading.Thread(target=work, daemon=True, name="saywell-pitch").start()

    def _on_pitch(self, clip: AudioClip, contour) -> None:
        if clip is self.clip:  # not a take the learner has since replaced
            self.pitchReady.emit(contour)

    def cancel(self) -> None:
        self.engine.cancel()

    def _on_result(self, result: AnalysisResult) -> None:
        if result.job_id != self._analysis_job:
            return  # a result for a take the learner has since replaced
        self.assessment = result.assessment
        self.assessmentChanged.emit(result.assessment)
        self._answers.clear()  # answers still coming belong to the previous take's chat
        self.chat.reset(messages_for(result.assessment))
        self._save(result)
        self.analysisDone.emit(result.assessment)

    def _save(self, result: AnalysisResult) -> None:
        if self.history is None:
            return
        try:
            self.history.add(result.assessment, result.clip, learner=self.learner)
        except (HistoryError, OSError) as err:
            self.notifier.error(f"This attempt was not saved to the history: {err}")
            return
        self.attemptSaved.emit()

    def _on_failure(self, failure: Failure) -> None:
        if failure.cancelled:
            self.notifier.info("Cancelled.")
        elif failure.stage == "load":
            self.notifier.error(f"The engine could not be started: {failure.message}")
        else:
            self.notifier.error(failure.message)
        if failure.stage == "analyze":
            self.analysisFailed.emit(failure.message)
        index = self._answers.pop(failure.job_id, None) if failure.stage == "ask" else None
        if index is not None:
            self.chat.finish(index, "(no answer: " + failure.message + ")")

    # -- selection and playback --------------------------------------------------
    def select_word(self, index: int) -> None:
        if index != self.selected_word:
            self.selected_word = index
            self.selectedWordChanged.emit(index)

    def play_take(self, speed: float = 1.0) -> None:
        if self.clip is None:
            self.notifier.info("Nothing to play yet: record or open a take first.")
            return
        self._play(self.clip.samples, speed)

    def play_word(self, index: int, speed: float = 1.0) -> None:
        """Play one word of the take (with a small margin), and select it."""
        word = self._word(index)
        if word is None or self.clip is None or word.end_s <= word.start_s:
            self.notifier.info("That word has no timing in this take, so it cannot be played alone.")
            return
        self.select_word(index)
        self._play(self.clip.slice_s(word.start_s - WORD_MARGIN_S, word.end_s + WORD_MARGIN_S), speed)

    def _word(self, index: int):
        if self.assessment is None:
            return None
        return next((w for w in self.assessment.words if w.index == index), None)

    def _play(self, samples: np.ndarray, speed: float) -> None:
        rate = self.clip.sample_rate_hz if self.clip else 16_000
        self.play_samples(samples, rate, speed)

    def play_samples(self, samples: np.ndarray, rate_hz: int, speed: float = 1.0) -> None:
        try:
            self.speaker.play(time_stretch(samples, speed, rate_hz), rate_hz)
        except AudioDeviceError as err:
            self.notifier.error(str(err))

    # -- follow-up questions -----------------------------------------------------
    def ask(self, question: str) -> None:
        question = question.strip()
        if not question:
            return
        if self.assessment is None:
            self.notifier.info("Record or open a take first, then ask about it.")
            return
        self.chat.add(ChatMessage(Role.LEARNER, "You", (question,)))
        index = self.chat.add(ChatMessage(Role.TUTOR, "Tutor", ("",), streaming=True))
        self._answers[self.engine.ask(self._with_context(question))] = index

    def _with_context(self, question: str) -> str:
        """Name the selected word, so "how do I say it?" is about the word the learner picked."""
        word = self._word(self.selected_word)
        if word is None or word.text in question.lower():
            return question
        return f"{question} (about “{word.text}”)"

    def _on_token(self, job_id: int, token: str) -> None:
        index = self._answers.get(job_id)
        if index is not None:  # None: a question about a take the chat no longer shows
            self.chat.append_text(index, token)

    def _on_answer(self, job_id: int, answer: str) -> None:
        index = self._answers.pop(job_id, None)
        if index is not None:
            self.chat.finish(index, answer)
