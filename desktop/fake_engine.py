"""A fake analyzer and tutor: instant, deterministic, no model. For tests and ``--fake-engine``.

The fake flags every word that contains an "r" as an R->L substitution, so the
screens can be developed and tested without the real engine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from engine.analyzers.base import Cancelled, ProgressCallback, TokenCallback
from engine.audio import AudioClip
from engine.errors import AnalyzerError, TextError
from engine.feedback import Assessment, Issue, PhoneKind, PhoneResult, Verdict, WordResult

FAKE_REASON = "Fake engine (developer mode): the feedback is made up"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


class FakeAnalyzer:
    """Implements ``engine.analyzers.base.Analyzer``. ``fail`` makes ``analyze`` raise it."""

    name = "fake"

    def __init__(self, *, fail: Exception | None = None, delay_s: float = 0.0) -> None:
        self.fail = fail
        self.delay_s = delay_s
        self.calls = 0

    def analyze(self, clip: AudioClip, text: str, *, progress: ProgressCallback | None = None,
                should_cancel: Callable[[], bool] | None = None) -> Assessment:
        self.calls += 1
        words = _words(text)
        if not words:
            raise TextError("The sentence has no words to read: type a sentence in English.")
        deadline = time.monotonic() + self.delay_s
        while time.monotonic() < deadline:
            if should_cancel and should_cancel():
                raise Cancelled()
            time.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        if progress:
            progress(1.0, "done")
        step_s = clip.duration_s / len(words)
        results = tuple(_word(i, w, i * step_s, (i + 1) * step_s) for i, w in enumerate(words))
        flagged = sum(1 for r in results if r.flagged)
        return Assessment(text=text, words=results, score=round(100.0 * (1 - flagged / len(words)), 1),
                          engine=self.name, duration_s=clip.duration_s)


def _word(index: int, text: str, start_s: float, end_s: float) -> WordResult:
    letters = [c.upper() for c in text if c.isalpha()] or ["AH"]
    span = (end_s - start_s) / len(letters)
    phones = tuple(
        PhoneResult(p, "L" if p == "R" else p,
                    PhoneKind.SUBSTITUTION if p == "R" else PhoneKind.CORRECT,
                    start_s + k * span, start_s + (k + 1) * span, 30.0 if p == "R" else 95.0)
        for k, p in enumerate(letters)
    )
    if "r" not in text:
        return WordResult(index, text, start_s, end_s, 95.0, Verdict.GOOD, phones)
    issue = Issue('"R" was replaced with "L", a substitution error',
                  'Curl the tongue back without touching the roof of the mouth: "right" vs "light".',
                  phone_index=letters.index("R"))
    return WordResult(index, text, start_s, end_s, 40.0, Verdict.WRONG, phones, (issue,))


class FakeTutor:
    """Implements ``engine.analyzers.base.Tutor``: a canned answer streamed word by word."""

    name = "fake tutor"

    def __init__(self) -> None:
        self.assessment: Assessment | None = None

    def begin(self, assessment: Assessment, clip: AudioClip | None = None) -> None:
        self.assessment = assessment

    def ask(self, question: str, *, on_token: TokenCallback | None = None,
            should_cancel: Callable[[], bool] | None = None) -> str:
        if self.assessment is None:
            raise AnalyzerError("Record or open a take first, then ask about it.")
        flagged = ", ".join(w.text for w in self.assessment.flagged_words) or "nothing"
        answer = f"You asked: {question.strip()} In this take I flagged: {flagged}."
        pieces = answer.split(" ")
        for k, piece in enumerate(pieces):
            if should_cancel and should_cancel():
                raise Cancelled()
            if on_token:
                on_token(piece + (" " if k < len(pieces) - 1 else ""))
        return answer
