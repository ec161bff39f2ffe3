"""pocketsphinx passes: forced alignment (with competing pronunciations) and a free phone loop.

Each sentence word ``w`` is known twice: as ``w__c`` with only its dictionary
pronunciations (the canonical pass, the null hypothesis) and as ``w`` with its
error variants as ``w(N)`` alternates (the probe pass, which picks per word
whichever form the audio fits best). A pass is two steps: a word-level
alignment picks the forms and the word boundaries, then a phone-level
alignment of those forms measures every phone.

Two decoders (pocketsphinx's bundled US-English model in both):

* ``main`` runs the alignments. It scores every senone in every frame
  (``compallsen``), so each frame's scores are relative to the best senone of
  the whole model: the scores of different passes are comparable and a
  phone's score is a goodness of pronunciation (how much worse it fits than
  the best free choice). ``topn=1`` (one Gaussian per codebook) wins back most
  of what that costs (on a dev_synth subset the evidence's ROC areas drop
  0.01-0.03, against 0.05-0.08 gained over partial scoring). Wide beams: the
  alignment must not fail on accented speech.
* ``loop`` (default settings, ``topn=1``) runs the free phone loop ("what I
  heard"): it is shown and is one feature among many, not a score.

An ``Aligner`` runs in the analyzer's process; ``helper`` runs a second one in
another process, so that the canonical passes and the loop run beside the
probe passes.

Neither loads pocketsphinx's copy of the CMU dictionary (0.2 s each): ``main``
is given each sentence's words from ``engine.phonetics.lexicon``.

Not done, though it would save 0.08-0.1 s a take: running the word-level
passes on a cheap decoder (no ``compallsen``) and handing their alignment to
``main`` (``set_alignment(al)``) gives the same forms (238 of 240 dev_synth
passes, the others near ties), but pocketsphinx 5.1.1 retains a passed
alignment once more than it releases (``ps_set_alignment``): ~15 kB leaked a
take.

Scores are pocketsphinx log-likelihoods (log base 1.0001, scaled as the
decoder reports them); frames are 10 ms."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.errors import AnalyzerError

FRAME_S = 0.01
ALIGN_CONFIG = {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80, "compallsen": True, "topn": 1}
CANON_SUFFIX = "__c"
_LOG_BASE = math.log(1.0001)
_FILLERS = frozenset(("<sil>", "<s>", "</s>", "SIL", "[NOISE]"))


@dataclass(frozen=True)
class Segment:
    """A word or phone with its frame span [start, end) and acoustic score."""

    name: str
    start: int
    end: int
    score: float

    @property
    def frames(self) -> int:
        return max(1, self.end - self.start)


@dataclass(frozen=True)
class AlignedWord:
    """A word of the phone-level alignment: the form chosen and its phones."""

    segment: Segment
    phones: tuple[Segment, ...]


@dataclass(frozen=True)
class Passes:
    """One sentence aligned (``Aligner.passes``): word pass, phone pass and free phone loop."""

    words: tuple[Segment, ...]
    aligned: tuple[AlignedWord, ...]
    loop: tuple[Segment, ...]


def alternate_index(name: str) -> int:
    """'the(2)' -> 1, 'the' -> 0 (0-based position among a word's pronunciations)."""
    return int(name[name.find("(") + 1 : -1]) - 1 if name.endswith(")") else 0


def _decoder(**beams: float):
    """A decoder with no language model and an empty dictionary: loading pocketsphinx's CMU
    dictionary would take 0.2 s, and only a sentence's words (``Aligner.add_words``) are needed.
    """
    import pocketsphinx

    return pocketsphinx.Decoder(bestpath=False, lm=None, dict=None, loglevel="FATAL", **beams)


def loop_decoder():
    """A decoder with the free phone loop as its ``phone_loop`` search."""
    decoder = _decoder(topn=1)
    decoder.add_allphone_file("phone_loop", None)
    return decoder


def run_loop(decoder, pcm: bytes) -> tuple[Segment, ...]:
    """Free phone recognition (no word or phone constraints), silences included."""
    decoder.activate_search("phone_loop")
    _run(decoder, pcm)
    return tuple(
        Segment(s.word, s.start_frame, s.end_frame + 1, _raw(s.ascore)) for s in decoder.seg()
    )


class Aligner:
    """Owns the two decoders. Not thread-safe: one analyzer, one thread."""

    def __init__(self) -> None:
        try:
            self.main = _decoder(**ALIGN_CONFIG)
            self.loop = loop_decoder()
        except RuntimeError as err:
            raise AnalyzerError(f"Could not load pocketsphinx's US-English model: {err}") from err
        self._added: set[str] = set()

    # -- dictionary ------------------------------------------------------------
    def add_words(self, names_and_phones: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Add pronunciations (``w``, ``w(N)``, ``w__c``...) to the dictionary, once per name
        (``w`` before ``w(N)``)."""
        new = [(n, " ".join(p)) for n, p in names_and_phones if n not in self._added]
        for i, (name, phones) in enumerate(new):
            self.main.add_word(name, phones, update=i == len(new) - 1)
            self._added.add(name)

    # -- passes ----------------------------------------------------------------
    def word_pass(self, words: Sequence[str], pcm: bytes) -> tuple[Segment, ...]:
        """Word-level forced alignment of ``words`` (dictionary names); non-filler words in order.

        Raises:
            AnalyzerError: the decoder found no path through the sentence.
        """
        try:
            self.main.set_align_text(" ".join(words))
            _run(self.main, pcm)
            found = self.main.seg()  # None when no path reached the end of the sentence
            segs = tuple(
                Segment(s.word, s.start_frame, s.end_frame + 1, _raw(s.ascore))
                for s in found or ()
                if s.word not in _FILLERS
            )
        except RuntimeError as err:
            raise AnalyzerError(
                f"Alignment failed ({err}); check that the recording reads the sentence."
            ) from err
        if len(segs) != len(words):
            raise AnalyzerError(
                f"Alignment found {len(segs)} of the sentence's {len(words)} words; "
                "check that the recording reads the sentence."
            )
        return segs

    def phone_pass(self, pcm: bytes) -> tuple[AlignedWord, ...]:
        """Second step after ``word_pass``: phones of the forms it chose, and their scores."""
        try:
            self.main.set_alignment()
            _run(self.main, pcm)
            alignment = self.main.get_alignment()
        except RuntimeError as err:
            raise AnalyzerError(f"Phone alignment failed: {err}") from err
        words = []
        for w in alignment:
            if w.name in _FILLERS:
                continue
            phones = tuple(
                Segment(p.name, p.start, p.start + p.duration, float(p.score)) for p in w
            )
            words.append(
                AlignedWord(Segment(w.name, w.start, w.start + w.duration, float(w.score)), phones)
            )
        return tuple(words)

    def passes(self, words: Sequence[str], pcm: bytes) -> Passes:
        """``word_pass``, ``phone_pass`` and ``phone_loop`` of one take (what the helper runs)."""
        found = self.word_pass(words, pcm)
        return Passes(found, self.phone_pass(pcm), self.phone_loop(pcm))

    def phone_loop(self, pcm: bytes) -> tuple[Segment, ...]:
        """Free phone recognition (no word or phone constraints), silences included."""
        try:
            return run_loop(self.loop, pcm)
        except RuntimeError as err:
            raise AnalyzerError(f"Phone recognition failed: {err}") from err


def _run(decoder, pcm: bytes) -> None:
    # A decoder's feature extraction carries state from one utterance into the next (the
    # first frames of a take align differently after another take), so the same take could
    # be scored differently depending on what came before. Resetting it (0.1 ms) makes
    # every pass of every take start from the same state: the same take, the same result.
    decoder.reinit_feat()
    decoder.start_utt()
    try:
        decoder.process_raw(pcm, full_utt=True)
    finally:  # a decoder left inside an utterance refuses every later pass
        decoder.end_utt()


def _raw(probability: float) -> float:
    """pocketsphinx's Python segments report exp(score); undo it (0 -> very bad)."""
    return math.log(probability) / _LOG_BASE if probability > 0 else -1e9
