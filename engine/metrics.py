"""The L2-Arctic-plus paper's metrics: word-level detection and feedback text quality.

Definitions follow the paper (Liu et al., EACL 2026 Findings) and its public
evaluation script, ``eval/eval.py`` of github.com/zoeyada/ALMs4Learning (read at
commit 77f7a63), so our figures are comparable with the paper's table:

* Detection is counted over word TYPES per utterance, as the script does with
  the keys of the feedback dicts: ``gold`` = keys of ``mis_exp_sug``,
  ``predicted`` = keys of ``speculative_mispronunciations``,
  TP = |gold & predicted|, FP = |predicted - gold|, FN = |gold - predicted|,
  summed over utterances (micro average). A word said twice in a sentence
  counts once, and a predicted word that is not in the sentence is a false
  positive as well as an extra word.
* Extra Words Ratio, two denominators (both reported, say which you quote):
  ``ewr``        = extra words / predicted words: the paper's definition, "the
                   share of predicted words that are not in the sentence";
  ``ewr_script`` = extra words / sentence word types: what the public script
                   computes (``total_extra / total_words`` where ``total_words``
                   sums ``len(set(text.lower().split()))``).
* Feedback text per utterance: the items ``"word:issue suggestion"`` joined with
  spaces, ``"no problem"`` when there are none. The script collects the items
  in a set (so its order is random and exact duplicates collapse); we order them
  by the word's position in the sentence and drop exact duplicates.
* BLEU-2: ``nltk`` ``sentence_bleu([ref.split()], pred.split(), weights=(0.5, 0.5))``,
  no smoothing, whitespace tokens, case kept (the script does not lower-case).
* ROUGE-L: F-measure of ``rouge_score`` ``RougeScorer(["rougeL"], use_stemmer=True)``
  (its tokenizer lower-cases and drops punctuation).
* BLEU-2 and ROUGE-L are averaged over utterances. All values are fractions 0-1;
  the paper reports them x100 (``MetricReport.as_percent``).

Small deviations from the script, all making it fairer to analyzers and none
changing figures on L2-Arctic-plus data (lower-case keys; texts without
punctuation, digits or hyphens, bar one "'em" in the 187-record train sample): words are
compared in ``engine.feedback.normalise_word`` form (lower case, surrounding
quotes/punctuation stripped) on both sides, where the script lower-cases only
predicted keys and keeps punctuation glued to sentence tokens; and the
sentence's words also include its spoken form (``sentence_words``), so an
analyzer naming "nineteen" for "1904" is not counted as an extra word.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from engine.feedback import Assessment, FeedbackDict, items_from_feedback_dict, normalise_word

#: Feedback text of an utterance with nothing flagged (the script's spelling).
NO_PROBLEM_TEXT = "no problem"
#: BLEU-2 weights: unigram and bigram precision, geometric mean.
BLEU2_WEIGHTS = (0.5, 0.5)

#: Metric names in table order, with the header shown for each.
TABLE_COLUMNS = (
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("ewr", "EWR"),
    ("ewr_script", "EWR (script)"),
    ("bleu2", "BLEU-2"),
    ("rouge_l", "ROUGE-L"),
)


# -- text metrics -------------------------------------------------------------


def bleu2(pred: str, ref: str) -> float:
    """Sentence BLEU-2 of ``pred`` against one reference, whitespace tokens, no smoothing.

    Returns 0.0 when either side is empty or no unigram matches; when unigrams
    match but no bigram does, nltk returns a vanishing value (about 1e-154), kept
    as is so averages equal the public script's.
    """
    from nltk.translate.bleu_score import sentence_bleu

    pred_tokens, ref_tokens = pred.split(), ref.split()
    if not pred_tokens or not ref_tokens:
        return 0.0
    with warnings.catch_warnings():
        # nltk warns (and returns 0) when an n-gram order has no match: expected here.
        warnings.simplefilter("ignore")
        return float(sentence_bleu([ref_tokens], pred_tokens, weights=BLEU2_WEIGHTS))


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(pred: str, ref: str) -> float:
    """ROUGE-L F-measure of ``pred`` against ``ref`` (rouge-score, Porter stemming)."""
    return float(_rouge_scorer().score(ref, pred)["rougeL"].fmeasure)


def feedback_text(feedback: Mapping[str, Any] | None, sentence_words: Iterable[str] = ()) -> str:
    """One utterance's feedback as the string BLEU/ROUGE compare.

    Items ``"word:issue suggestion"`` ordered by the word's first position in
    ``sentence_words`` (words not in the sentence last, in dict order), exact
    duplicates dropped, joined with single spaces; ``"no problem"`` when empty.

    Raises:
        FormatError: ``feedback`` is not an L2-Arctic-plus feedback dict.
    """
    items = items_from_feedback_dict(feedback or {}, sentence_words)
    texts = list(dict.fromkeys(f"{i.word}:{i.issue} {i.suggestion}" for i in items))
    return " ".join(texts) if texts else NO_PROBLEM_TEXT


def prediction_dict(assessment: Assessment) -> FeedbackDict:
    """An assessment as the ``speculative_mispronunciations`` dict that evaluation scores.

    ``Assessment.to_feedback_dict`` keeps only words of the sentence; a model's
    words outside the sentence (``extra_words``) are added with an empty item
    list, so they count as predicted and extra (EWR, false positives) but add
    no feedback text, as an empty list does in the public script.
    """
    result = assessment.to_feedback_dict()
    for word in assessment.extra_words:
        result.setdefault(normalise_word(word), [])
    return result


# -- word-level detection -----------------------------------------------------


def sentence_words(text: str) -> tuple[str, ...]:
    """The sentence's words as metrics see them, in order, each once.

    The whitespace tokens in ``normalise_word`` form (the script's view), then
    any further word of ``engine.phonetics.text.normalize_sentence`` (the form
    analyzers name words in: "1904" -> "nineteen oh four", "well-known" ->
    "well known"), so an analyzer's spelled-out word is not counted as extra.
    On L2-Arctic-plus texts (no digits, no hyphens) both views agree.
    """
    from engine.errors import TextError
    from engine.phonetics.text import normalize_sentence

    words = [w for w in (normalise_word(t) for t in text.split()) if w]
    try:
        words += normalize_sentence(text)
    except TextError:  # nothing speakable: the whitespace view is all there is
        pass
    return tuple(dict.fromkeys(words))


def sentence_word_types(text: str) -> frozenset[str]:
    """The distinct words of a sentence (see ``sentence_words``)."""
    return frozenset(sentence_words(text))


def _keys(feedback: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset(w for w in (normalise_word(k) for k in (feedback or {})) if w)


@dataclass(frozen=True)
class DetectionCounts:
    """Word-type counts of one utterance, or summed over many (``+``)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    predicted_words: int = 0  # distinct predicted words, extra ones included
    extra_words: int = 0  # distinct predicted words not in the sentence
    sentence_words: int = 0  # distinct words of the sentence
    gold_words: int = 0  # distinct words with gold feedback
    tn: int = 0  # sentence words neither gold nor predicted (the script's accuracy)

    def __add__(self, other: DetectionCounts) -> DetectionCounts:
        return DetectionCounts(*(a + b for a, b in zip(_fields(self), _fields(other))))

    @classmethod
    def of(
        cls, text: str, gold: Mapping[str, Any] | None, pred: Mapping[str, Any] | None
    ) -> DetectionCounts:
        """Count one utterance: ``gold`` and ``pred`` are feedback dicts (only keys matter)."""
        words, gold_keys, pred_keys = sentence_word_types(text), _keys(gold), _keys(pred)
        return cls(
            tp=len(gold_keys & pred_keys),
            fp=len(pred_keys - gold_keys),
            fn=len(gold_keys - pred_keys),
            tn=len(words - gold_keys - pred_keys),
            predicted_words=len(pred_keys),
            extra_words=len(pred_keys - words),
            sentence_words=len(words),
            gold_words=len(gold_keys),
        )


def _fields(counts: DetectionCounts) -> tuple[int, ...]:
    return tuple(asdict(counts).values())


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


# -- per utterance and aggregate -----------------------------------------------


@dataclass(frozen=True)
class UtteranceScores:
    """Scores of one utterance, and the two texts BLEU/ROUGE compared."""

    counts: DetectionCounts
    bleu2: float
    rouge_l: float
    pred_text: str
    gold_text: str


def score_utterance(
    text: str, gold: FeedbackDict | None, pred: FeedbackDict | None
) -> UtteranceScores:
    """Score one utterance's predicted feedback dict against the gold one."""
    order = sentence_words(text)
    gold_text = feedback_text(gold, order)
    pred_text = feedback_text(pred, order)
    return UtteranceScores(
        counts=DetectionCounts.of(text, gold, pred),
        bleu2=bleu2(pred_text, gold_text),
        rouge_l=rouge_l(pred_text, gold_text),
        pred_text=pred_text,
        gold_text=gold_text,
    )


@dataclass(frozen=True)
class MetricReport:
    """Corpus-level figures, all fractions 0-1 (x100 with ``as_percent``)."""

    precision: float
    recall: float
    f1: float
    ewr: float  # extra / predicted words (the paper's definition)
    ewr_script: float  # extra / sentence word types (the public script)
    bleu2: float
    rouge_l: float
    n: int
    counts: DetectionCounts = field(default_factory=DetectionCounts)

    def as_percent(self) -> dict[str, float]:
        """The metrics x100, as the paper prints them (rounded to 0.1)."""
        return {name: round(100.0 * getattr(self, name), 1) for name, _ in TABLE_COLUMNS}

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name, _ in TABLE_COLUMNS}
        return {**data, "n": self.n, "counts": asdict(self.counts)}

    @staticmethod
    def markdown_header(label: str = "system") -> str:
        """The header and separator lines of a Markdown table of ``markdown_row``s."""
        names = [label, "n", *(h for _, h in TABLE_COLUMNS)]
        return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)

    def markdown_row(self, label: str = "") -> str:
        """One Markdown table row, metrics x100 with one decimal, like the paper's table."""
        values = [f"{v:.1f}" for v in self.as_percent().values()]
        return "| " + " | ".join([label, str(self.n), *values]) + " |"


def aggregate(scores: Sequence[UtteranceScores]) -> MetricReport:
    """Micro-average detection over all utterances; average BLEU-2/ROUGE-L per utterance."""
    total = DetectionCounts()
    for s in scores:
        total = total + s.counts
    precision = _ratio(total.tp, total.tp + total.fp)
    recall = _ratio(total.tp, total.tp + total.fn)
    n = len(scores)
    return MetricReport(
        precision=precision,
        recall=recall,
        f1=_ratio(2 * precision * recall, precision + recall),
        ewr=_ratio(total.extra_words, total.predicted_words),
        ewr_script=_ratio(total.extra_words, total.sentence_words),
        bleu2=_ratio(sum(s.bleu2 for s in scores), n),
        rouge_l=_ratio(sum(s.rouge_l for s in scores), n),
        n=n,
        counts=total,
    )
