"""The embedded CPU analyzer: pocketsphinx forced alignment, goodness of pronunciation, error probes.

Pipeline for one take (``SphinxAnalyzer.analyze``):

1. normalise the sentence into words (``engine.phonetics.text``), look up
   their pronunciations (CMU dictionary, G2P guess for unknown words);
2. force-align the dictionary forms: word and phone timings, and each phone's
   per-frame fit (goodness of pronunciation);
3. re-align with every word's likely error forms competing (substitutions,
   deletions, epenthetic vowels; ``variants``) and keep the forms that win;
4. a free phone loop gives "what I heard";
5. calibrated decisions per phone class (``scoring``), 0-100 scores, and the
   composer's explanation and suggestion for each error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.analyzers.base import Cancelled, ProgressCallback
from engine.analyzers.sphinx.aligner import Segment
from engine.analyzers.sphinx.evidence import EvidenceCollector, SentenceEvidence, WordEvidence
from engine.analyzers.sphinx.scoring import FRAME_S, Calibration, WordDecision, decide
from engine.audio import AudioClip
from engine.feedback import Assessment, Issue, PhoneKind, WordResult
from engine.phonetics.text import normalize_sentence

ENGINE_NAME = "sphinx"


class SphinxAnalyzer:
    """Pronunciation assessment with pocketsphinx's US-English model (CPU, offline).

    Loading takes ~0.5 s and starts a helper process that runs half the passes beside the
    other half (``helper``; ``close`` ends it, as does exiting). One analyzer per thread.
    """

    name = ENGINE_NAME

    def __init__(self, calibration: Calibration | None = None, composer: object | None = None):
        self.calibration = calibration or Calibration.default()
        self.collector = EvidenceCollector()
        self._composer = composer

    def close(self) -> None:
        """Stop the analyzer's helper process (also done at exit); analysing still works."""
        self.collector.close()

    @property
    def composer(self):
        if self._composer is None:
            from engine.composer import Composer

            self._composer = Composer.default()
        return self._composer

    def analyze(
        self,
        clip: AudioClip,
        text: str,
        *,
        progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Assessment:
        """Assess ``clip`` read as ``text``. See ``engine.analyzers.base.Analyzer``."""

        def step(fraction: float, what: str) -> None:
            if should_cancel is not None and should_cancel():
                raise Cancelled()
            if progress is not None:
                progress(fraction, what)

        words = normalize_sentence(text)
        step(0.0, "reading the sentence")
        evidence = self.collector.collect(words, clip.to_pcm16(), step)
        step(0.9, "writing feedback")
        results = tuple(
            self._word_result(i, w, evidence.loop) for i, w in enumerate(evidence.words)
        )
        assessment = Assessment(
            text=text,
            words=results,
            score=_sentence_score(results),
            engine=ENGINE_NAME,
            heard=heard_text(evidence),
            duration_s=clip.duration_s,
            notes=tuple(clip.warnings) + _guess_notes(evidence.words),
        )
        step(1.0, "done")
        return _clamped(assessment, clip.duration_s)

    def _word_result(self, index: int, word: WordEvidence, loop: Sequence[Segment]) -> WordResult:
        decision: WordDecision = decide(word, loop, self.calibration)
        issues: tuple[Issue, ...] = ()
        if any(p.kind is not PhoneKind.CORRECT for p in decision.phones):
            issues = tuple(self.composer.issues_for_word(word.word, decision.phones))
        return WordResult(
            index=index,
            text=word.word,
            start_s=word.start * FRAME_S,
            end_s=word.end * FRAME_S,
            score=decision.score,
            verdict=decision.verdict,
            phones=decision.phones,
            issues=issues,
        )


def heard_text(evidence: SentenceEvidence) -> str:
    """The free phone loop as ARPAbet, silences dropped: "DH AH R IH G R EH T ..."."""
    return " ".join(s.name for s in evidence.loop if s.name not in ("SIL", "+NSN+", "+SPN+"))


def _sentence_score(words: Sequence[WordResult]) -> float:
    return round(sum(w.score for w in words) / len(words), 1) if words else 0.0


def _guess_notes(words: Sequence[WordEvidence]) -> tuple[str, ...]:
    guessed = sorted({w.word for w in words if w.guessed})
    if not guessed:
        return ()
    listed = ", ".join(f'"{w}"' for w in guessed)
    return (f"Not in the dictionary, pronunciation guessed from spelling: {listed}.",)


def _clamped(assessment: Assessment, duration_s: float) -> Assessment:
    """Keep every time inside the clip (frame rounding can overshoot by 10 ms)."""
    from dataclasses import replace

    def c(t: float) -> float:
        return round(min(max(t, 0.0), duration_s), 3)

    words = tuple(
        replace(
            w,
            start_s=c(w.start_s),
            end_s=c(w.end_s),
            phones=tuple(replace(p, start_s=c(p.start_s), end_s=c(p.end_s)) for p in w.phones),
        )
        for w in assessment.words
    )
    return replace(assessment, words=words)
