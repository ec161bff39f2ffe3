"""pocketsphinx passes: forced alignment (with competing pronunciations) and a free phone loop.

Each sentence word ``w`` is known twice: as ``w__c`` with only its dictionary
pronunciations (the canonical pass, the null hypothesis) and as ``w`` with its
error variants as ``w(N)`` alternates (the probe pass, which picks per word
whichever form the audio fits best). A pass is two steps: a word-level
alignment picks the forms and the word boundaries, then a phone-level
alignment of those forms measures every phone.

Two decoders share the work (pocketsphinx's bundled US-English model in both):

* ``search`` (default settings, ``topn=1``) holds the sentence's words and
  runs the word-level alignments, with wide beams so that accented speech
  still aligns. It only scores the senones its search reaches, which is what
  makes it cheap.
  It also runs the free phone loop ("what I heard") when the loop's helper
  process (``loop_helper``, which runs it beside the other passes) is off or
  has failed.
* ``scorer`` scores every senone in every frame (``compallsen``) and runs the
  phone-level alignments, given the word alignment ``search`` found. Each
  frame's scores are then relative to the best senone of the whole model, so
  the scores of different passes are comparable and a phone's score is a
  goodness of pronunciation (how much worse it fits than the best free
  choice). ``topn=1`` (one Gaussian per codebook) wins back most of what
  scoring every senone costs (on a dev_synth subset the evidence's ROC areas
  drop 0.01-0.03, against 0.05-0.08 gained over partial scoring).

Neither loads pocketsphinx's copy of the CMU dictionary (0.2 s each): the
search is given each sentence's words from ``engine.phonetics.lexicon``, and
the scorer needs none.

Viterbi's choice of path does not depend on the per-frame normalisation, so
the word alignments are those the all-senone decoder would find (the same
forms in 238 of 240 dev_synth passes; the two others were near ties) at a
third of the cost.

Scores are pocketsphinx log-likelihoods (log base 1.0001, scaled as the
decoder reports them); frames are 10 ms."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from engine.analyzers.sphinx.loop_helper import LoopHelper, helper_enabled
from engine.errors import AnalyzerError

FRAME_S = 0.01
#: Wide beams: alignment must not fail on accented speech (the phone loop keeps the defaults).
WIDE_BEAMS = {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80}
SCORER_CONFIG = {**WIDE_BEAMS, "compallsen": True, "topn": 1}
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


def alternate_index(name: str) -> int:
    """'the(2)' -> 1, 'the' -> 0 (0-based position among a word's pronunciations)."""
    return int(name[name.find("(") + 1 : -1]) - 1 if name.endswith(")") else 0


def _decoder(**beams: float):
    """A decoder with no language model and an empty dictionary: loading pocketsphinx's CMU
    dictionary would take 0.2 s, and only a sentence's words (``Aligner.add_words``) are needed."""
    import pocketsphinx

    return pocketsphinx.Decoder(bestpath=False, lm=None, dict=None, loglevel="FATAL", **beams)


def loop_decoder():
    """A decoder with the free phone loop as its ``phone_loop`` search (default beams, ``topn=1``:
    the loop is shown and is one feature among many, not a score, so it gets the cheap setting)."""
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

    def __init__(self, helper: LoopHelper | None = None) -> None:
        """``helper``: runs the phone loop in another process; by default one is started on the
        first take unless ``SAYWELL_SPHINX_HELPER=0``."""
        try:
            self.scorer = _decoder(**SCORER_CONFIG)
            self.search = loop_decoder()
        except RuntimeError as err:
            raise AnalyzerError(f"Could not load pocketsphinx's US-English model: {err}") from err
        # A search reads its beams from the config when it is created: the phone loop above
        # keeps the default ones, every word alignment set up from now on gets the wide ones.
        for key, value in WIDE_BEAMS.items():
            self.search.config[key] = value
        self._added: set[str] = set()
        self.helper = helper if helper is not None else LoopHelper() if helper_enabled() else None

    def close(self) -> None:
        """Stop the phone loop's helper process (if any); the aligner still works without it."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None

    # -- dictionary ------------------------------------------------------------
    def add_words(self, names_and_phones: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Add pronunciations (``w``, ``w(N)``, ``w__c``...) to the dictionary, once per name
        (``w`` before ``w(N)``). The scorer needs none: it is given the search's alignment."""
        new = [(n, " ".join(p)) for n, p in names_and_phones if n not in self._added]
        for i, (name, phones) in enumerate(new):
            self.search.add_word(name, phones, update=i == len(new) - 1)
            self._added.add(name)

    # -- passes ----------------------------------------------------------------
    def word_pass(self, words: Sequence[str], pcm: bytes) -> tuple[Segment, ...]:
        """Word-level forced alignment of ``words`` (dictionary names); non-filler words in order.

        Raises:
            AnalyzerError: the decoder found no path through the sentence.
        """
        try:
            self.search.set_align_text(" ".join(words))
            _run(self.search, pcm)
            found = self.search.seg()  # None when no path reached the end of the sentence
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
        """Second step after ``word_pass``: phones of the forms it chose, scored against every senone."""
        try:
            self.search.set_alignment()  # the word pass's segmentation, expanded into phones
            self.scorer.set_alignment(self.search.get_alignment())
            _run(self.scorer, pcm)
            alignment = self.scorer.get_alignment()
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

    def phone_loop(self, pcm: bytes) -> tuple[Segment, ...]:
        """Free phone recognition (no word or phone constraints), silences included."""
        try:
            return run_loop(self.search, pcm)
        except RuntimeError as err:
            raise AnalyzerError(f"Phone recognition failed: {err}") from err

    def start_phone_loop(self, pcm: bytes) -> Callable[[], tuple[Segment, ...]]:
        """Start ``phone_loop`` in the helper process; call what this returns for its result.

        Without a helper (or when it fails) the loop runs in this process when its result
        is asked for: the same transcript, later."""
        helper = self.helper
        if helper is None or not helper.submit(pcm):
            return lambda: self.phone_loop(pcm)

        def result() -> tuple[Segment, ...]:
            found = helper.result(len(pcm) / 32000)
            if found is None:
                return self.phone_loop(pcm)
            return tuple(Segment(*s) for s in found)

        return result


def _run(decoder, pcm: bytes) -> None:
    # A decoder's feature extraction carries state from one utterance into the next (the
    # first frames of a take align differently after another take), so the same take could
    # be scored differently depending on what came before. Resetting it (0.1 ms) makes
    # every pass of every take start from the same state: the same take, the same result.
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _raw(probability: float) -> float:
    """pocketsphinx's Python segments report exp(score); undo it (0 -> very bad)."""
    return math.log(probability) / _LOG_BASE if probability > 0 else -1e9
