"""Acoustic evidence per word: which form the audio fits best, by how much, and phone goodness.

``collect`` runs the decoder passes and returns plain numbers; ``scoring``
turns them into decisions with calibrated thresholds. Keeping the two apart
lets calibration (``bench/calibrate_sphinx.py``) replay the decisions cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.analyzers.sphinx.aligner import (
    CANON_SUFFIX,
    AlignedWord,
    Aligner,
    Passes,
    Segment,
    alternate_index,
)
from engine.analyzers.sphinx.helper import AlignerHelper, default_helper
from engine.analyzers.sphinx.variants import Variant, word_variants
from engine.phonetics.lexicon import Lexicon

#: Error forms are generated from this many dictionary forms of each word.
MAX_BASE_FORMS = 2
#: Steps report progress through this: (fraction 0-1, step name).
Step = Callable[[float, str], None]


@dataclass(frozen=True)
class PhoneEvidence:
    """One aligned phone: timing (frames) and goodness (log-likelihood per frame, <= 0)."""

    phone: str
    start: int
    end: int
    gop: float  # per-frame score relative to the best senone of each frame (0: nothing fits better)


@dataclass(frozen=True)
class WordEvidence:
    """Everything measured about one word of the sentence.

    ``phones`` come from the canonical alignment (the dictionary form that fits
    best); ``variant_phones`` from the probe alignment, where the word could
    also take one of its error forms (``variant``, None when a dictionary form won).
    """

    word: str
    guessed: bool
    canonical: tuple[str, ...]
    phones: tuple[PhoneEvidence, ...]
    variant: Variant | None
    variant_phones: tuple[PhoneEvidence, ...]
    gain: float  # probe minus canonical score of the word (phone-level passes)

    @property
    def start(self) -> int:
        return self.phones[0].start if self.phones else 0

    @property
    def end(self) -> int:
        return self.phones[-1].end if self.phones else 0


@dataclass(frozen=True)
class SentenceEvidence:
    words: tuple[WordEvidence, ...]
    loop: tuple[Segment, ...]  # the free phone loop, silences included
    frames: int


class EvidenceCollector:
    """Prepares dictionaries for a sentence and runs the passes (``aligner``).

    The canonical passes and the free phone loop run in ``helper``'s process (by default one
    is started with the collector, unless ``SAYWELL_SPHINX_HELPER=0``) while the probe passes
    run here; without a helper, or when it fails, everything runs here.
    """

    def __init__(
        self,
        aligner: Aligner | None = None,
        lexicon: Lexicon | None = None,
        helper: AlignerHelper | None = None,
    ):
        self.aligner = aligner or Aligner()
        self.lexicon = lexicon or Lexicon.default()
        self.helper = helper if helper is not None else default_helper()
        self._variants: dict[str, dict[str, Variant]] = {}  # word -> alternate name -> variant
        self._canonical: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # word -> its w__c forms

    def close(self) -> None:
        """Stop the helper process, if any (collecting still works, in this process)."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None

    def prepare(self, words: Sequence[str]) -> dict[str, bool]:
        """Make sure every word, its canonical twin and its error variants are known.

        Returns word -> whether its pronunciation is guessed (not in the dictionary).
        """
        guessed: dict[str, bool] = {}
        for word in dict.fromkeys(words):
            pron = self.lexicon.lookup(word)
            guessed[word] = pron.guessed
            if word not in self._variants:
                self._variants[word] = self._add_forms(word, pron.phones)
        return guessed

    def _add_forms(self, word: str, base: tuple[str, ...]) -> dict[str, Variant]:
        known = self.lexicon.variants(word) or (base,)  # a guessed word: its guess
        forms = [(word + _alt(i), v) for i, v in enumerate(known)]
        self._canonical[word] = [(word + CANON_SUFFIX + _alt(i), v) for i, v in enumerate(known)]
        errors: dict[tuple[str, ...], Variant] = {}  # from the first forms ("the": DH AH, DH IY)
        for form in known[:MAX_BASE_FORMS]:
            for e in word_variants(word, form, frozenset(known)):
                errors.setdefault(e.phones, e)
        first_free = len(known) + 2  # after the dictionary forms word(2), word(3)...
        named = {f"{word}({first_free + i})": v for i, v in enumerate(errors.values())}
        self.aligner.add_words(
            [*forms, *self._canonical[word], *((n, v.phones) for n, v in named.items())]
        )
        return named

    def collect(self, words: Sequence[str], pcm: bytes, step: Step) -> SentenceEvidence:
        """Run the passes over 16-bit PCM and measure every word."""
        guessed = self.prepare(words)
        a = self.aligner
        step(0.1, "aligning the sentence")
        canonical = self._start_canonical(words, pcm)  # in the helper, beside the probe passes
        a.word_pass(words, pcm)
        step(0.35, "testing likely mistakes")
        probe = a.phone_pass(pcm)
        step(0.65, "listening freely")
        found = canonical()
        canon_words, canon, loop = found.words, found.aligned, found.loop
        results = []
        for i, word in enumerate(words):
            known = self.lexicon.variants(word) or (self.lexicon.lookup(word).phones,)
            results.append(
                WordEvidence(
                    word=word,
                    guessed=guessed[word],
                    canonical=known[min(alternate_index(canon_words[i].name), len(known) - 1)],
                    phones=_phones(canon[i]),
                    variant=self._variants[word].get(probe[i].segment.name),
                    variant_phones=_phones(probe[i]),
                    gain=probe[i].segment.score - canon[i].segment.score,
                )
            )
        frames = max([s.end for s in loop] + [w.end for w in results] + [1])
        return SentenceEvidence(tuple(results), loop, frames)

    def _start_canonical(self, words: Sequence[str], pcm: bytes) -> Callable[[], Passes]:
        """Start the canonical passes and the loop (``Aligner.passes``) in the helper if there is
        one; call what this returns for them (run here when there is no helper or it failed)."""
        names = [w + CANON_SUFFIX for w in words]
        forms = [f for w in dict.fromkeys(words) for f in self._canonical[w]]
        helper = self.helper
        if helper is None or not helper.submit(forms, names, pcm):
            return lambda: self.aligner.passes(names, pcm)

        def result() -> Passes:
            found = helper.result()
            return found if found is not None else self.aligner.passes(names, pcm)

        return result


def _phones(word: AlignedWord) -> tuple[PhoneEvidence, ...]:
    return tuple(PhoneEvidence(p.name, p.start, p.end, p.score / p.frames) for p in word.phones)


def _alt(i: int) -> str:
    return f"({i + 1})" if i else ""
