"""The analyzer seam: the CPU analyzer and the ALM analyzer both implement ``Analyzer``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from engine.audio import AudioClip
from engine.feedback import Assessment

#: Progress callback: (fraction done 0-1, short description of the step).
ProgressCallback = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised inside an analyzer when the caller's cancel check says stop."""


@dataclass(frozen=True)
class EngineChoice:
    """Which engine the app runs and why, said once, in one place, to the user."""

    name: str  # "sphinx" or "alm"
    reason: str  # e.g. "CPU engine: no GPU found"


@runtime_checkable
class Analyzer(Protocol):
    """Assess a take of a read-aloud sentence.

    Implementations are not thread-safe: one worker thread owns one analyzer.
    """

    #: Short engine name shown in the status bar and stored in ``Assessment.engine``.
    name: str

    def analyze(
        self,
        clip: AudioClip,
        text: str,
        *,
        progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Assessment:
        """Return the assessment of ``clip`` read as ``text``.

        Raises:
            TextError: the sentence has no speakable words.
            AnalyzerError: the analysis failed.
            Cancelled: ``should_cancel()`` returned True.
        """
        ...


#: Streaming callback: receives each new piece of text as it is generated.
TokenCallback = Callable[[str], None]


@runtime_checkable
class Tutor(Protocol):
    """Answers follow-up questions about one take, keeping the conversation's context.

    The rule-based tutor (``engine.tutor``) works over the phonetics data; the ALM
    tutor (``engine.analyzers.alm``) keeps the audio and earlier turns in context.
    """

    name: str

    def begin(self, assessment: Assessment, clip: AudioClip | None = None) -> None:
        """Start a new conversation about this take (drops the previous one)."""
        ...

    def ask(
        self,
        question: str,
        *,
        on_token: TokenCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> str:
        """Answer ``question``; stream pieces to ``on_token``; return the whole answer.

        Raises:
            Cancelled: ``should_cancel()`` returned True.
        """
        ...
