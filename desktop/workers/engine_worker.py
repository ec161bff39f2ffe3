"""The one engine worker thread. It owns the analyzer and the tutor; nothing else touches them.

Requests go in, and results come out, as frozen dataclasses over queued signals, so
the GUI thread never blocks and the worker never touches a widget. ``cancel()`` sets a
thread-safe mark on the jobs in flight (running or still queued), which the analyzer and
the tutor poll through ``should_cancel``; a job cancelled before it starts ends at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop.engine_setup import Engine, EngineSpec, build_engine
from engine.analyzers.base import Cancelled, EngineChoice
from engine.audio import AudioClip
from engine.errors import SayWellError
from engine.feedback import Assessment

log = logging.getLogger(__name__)

#: Builds the engine on the worker thread: ``builder(spec, progress=callback) -> Engine``.
EngineBuilder = Callable[..., Engine]


class CancelBook:
    """Job ids the user cancelled; shared by the GUI thread (writes) and the worker (reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()
        self._everything = False  # shutting down: every job is cancelled

    def cancel(self, job_ids) -> None:
        with self._lock:
            self._ids.update(job_ids)

    def cancel_all(self) -> None:
        with self._lock:
            self._everything = True

    def is_cancelled(self, job_id: int) -> bool:
        with self._lock:
            return self._everything or job_id in self._ids

    def forget(self, job_id: int) -> None:
        with self._lock:
            self._ids.discard(job_id)


@dataclass(frozen=True)
class AnalysisRequest:
    job_id: int
    clip: AudioClip
    text: str


@dataclass(frozen=True)
class AnalysisResult:
    job_id: int
    clip: AudioClip
    assessment: Assessment
    elapsed_s: float


@dataclass(frozen=True)
class Failure:
    """A job that did not finish: ``stage`` is "load", "analyze" or "ask"."""

    job_id: int
    stage: str
    message: str
    cancelled: bool = False


class EngineWorker(QObject):
    """Lives on the worker thread; every slot runs there."""

    engineReady = Signal(object)  # EngineChoice
    analysisFinished = Signal(object)  # AnalysisResult
    answerToken = Signal(int, str)  # job id, next piece of the answer
    answerFinished = Signal(int, str)  # job id, whole answer
    failed = Signal(object)  # Failure
    progress = Signal(float, str)
    jobDone = Signal(int)

    def __init__(self, cancels: CancelBook, builder: EngineBuilder = build_engine) -> None:
        super().__init__()
        self._cancels = cancels
        self._job = 0
        self._builder = builder
        self._engine: Engine | None = None

    def _should_cancel(self) -> bool:
        return self._cancels.is_cancelled(self._job)

    @Slot(int, object)
    def load(self, job_id: int, spec: EngineSpec) -> None:
        self._run(job_id, "load", lambda: self._load(spec))

    def _load(self, spec: EngineSpec) -> None:
        self._engine = None
        self._engine = self._builder(spec, progress=self.progress.emit, should_cancel=self._should_cancel)
        self.engineReady.emit(self._engine.choice)

    @Slot(object)
    def analyze(self, request: AnalysisRequest) -> None:
        self._run(request.job_id, "analyze", lambda: self._analyze(request))

    def _analyze(self, request: AnalysisRequest) -> None:
        engine = self._require_engine()
        start = time.perf_counter()
        assessment = engine.analyzer.analyze(
            request.clip, request.text, progress=self.progress.emit, should_cancel=self._should_cancel
        )
        engine.tutor.begin(assessment, request.clip)
        self.analysisFinished.emit(
            AnalysisResult(request.job_id, request.clip, assessment, time.perf_counter() - start)
        )

    @Slot(int, str)
    def ask(self, job_id: int, question: str) -> None:
        self._run(job_id, "ask", lambda: self._ask(job_id, question))

    def _ask(self, job_id: int, question: str) -> None:
        tutor = self._require_engine().tutor
        answer = tutor.ask(question, on_token=lambda piece: self.answerToken.emit(job_id, piece),
                           should_cancel=self._should_cancel)
        self.answerFinished.emit(job_id, answer)

    def _require_engine(self) -> Engine:
        if self._engine is None:
            raise SayWellError("No engine is loaded: see the message about the engine above.")
        return self._engine

    def _run(self, job_id: int, stage: str, job) -> None:
        """Run one job; every outcome ends in exactly one result or one Failure, then jobDone."""
        self._job = job_id
        try:
            if self._should_cancel():
                raise Cancelled()
            job()
        except Cancelled:
            self.failed.emit(Failure(job_id, stage, "Cancelled.", cancelled=True))
        except SayWellError as err:
            self.failed.emit(Failure(job_id, stage, str(err)))
        except Exception as err:  # a bug, not bad input: say it plainly and log the traceback
            log.exception("engine %s job failed", stage)
            self.failed.emit(Failure(job_id, stage, f"Unexpected engine error ({type(err).__name__}: {err})."))
        finally:
            self._cancels.forget(job_id)
            self.jobDone.emit(job_id)


class EngineClient(QObject):
    """The GUI thread's handle on the worker: starts the thread, sends jobs, tracks busy state."""

    engineReady = Signal(object)
    analysisFinished = Signal(object)
    answerToken = Signal(int, str)
    answerFinished = Signal(int, str)
    failed = Signal(object)
    progress = Signal(float, str)
    busyChanged = Signal(bool)

    _loadRequested = Signal(int, object)
    _analyzeRequested = Signal(object)
    _askRequested = Signal(int, str)

    def __init__(self, builder: EngineBuilder = build_engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = count(1)
        self._pending: set[int] = set()
        self._loads: set[int] = set()
        self._cancels = CancelBook()
        self.choice: EngineChoice | None = None
        self._thread = QThread()
        self._thread.setObjectName("saywell-engine")
        self._worker = EngineWorker(self._cancels, builder)
        self._worker.moveToThread(self._thread)
        self._connect()
        self._thread.start()

    def _connect(self) -> None:
        w = self._worker
        self._loadRequested.connect(w.load)
        self._analyzeRequested.connect(w.analyze)
        self._askRequested.connect(w.ask)
        w.engineReady.connect(self._on_engine_ready)
        w.analysisFinished.connect(self.analysisFinished)
        w.answerToken.connect(self.answerToken)
        w.answerFinished.connect(self.answerFinished)
        w.failed.connect(self.failed)
        w.progress.connect(self.progress)
        w.jobDone.connect(self._on_job_done)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def load(self, spec: EngineSpec) -> int:
        job = self._submit(lambda job: self._loadRequested.emit(job, spec))
        self._loads.add(job)
        return job

    def analyze(self, clip: AudioClip, text: str) -> int:
        return self._submit(lambda job: self._analyzeRequested.emit(AnalysisRequest(job, clip, text)))

    def ask(self, question: str) -> int:
        return self._submit(lambda job: self._askRequested.emit(job, question))

    def cancel(self) -> None:
        """Stop the analyses and answers in flight (running or queued); each ends with a
        cancelled Failure. Engine loading is not cancelled: the app would have no engine."""
        self._cancels.cancel(tuple(self._pending - self._loads))

    def shutdown(self) -> None:
        self._cancels.cancel_all()
        self._thread.quit()
        self._thread.wait(10_000)

    def _submit(self, send) -> int:
        job = next(self._ids)
        was_busy = self.busy
        self._pending.add(job)
        send(job)
        if not was_busy:
            self.busyChanged.emit(True)
        return job

    def _on_engine_ready(self, choice: EngineChoice) -> None:
        self.choice = choice
        self.engineReady.emit(choice)

    def _on_job_done(self, job: int) -> None:
        self._pending.discard(job)
        self._loads.discard(job)
        if not self._pending:
            self.busyChanged.emit(False)
