"""Evaluation driver: any backend over any L2-Arctic-plus-format manifest, scored the paper's way.

A backend turns (audio, sentence) into a predicted feedback dict; this module
runs it over the items in a fixed order, scores every prediction with
``engine.metrics`` (the one implementation of the paper's metrics), adds
BERTScore when a local scoring model is given, and breaks the figures down
per speaker, per first language and per gold error type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.audio import AudioClip, load_audio
from engine.errors import SayWellError
from engine.feedback import (
    Assessment,
    FeedbackDict,
    feedback_dict_from_items,
    parse_feedback_lines,
)
from engine.metrics import MetricReport, UtteranceScores, aggregate, score_utterance
from training.speakers import l1_of, speaker_of

#: Gold error types of ``annotation_info`` ("CANON, PERCEIVED, TYPE") by their letter.
ERROR_TYPES = {"s": "substitution", "d": "deletion", "a": "insertion"}


@dataclass(frozen=True)
class EvalItem:
    """One utterance to evaluate. ``key`` (the manifest's audio path) fixes the order."""

    key: str
    audio_path: Path
    text: str
    gold: FeedbackDict
    annotation_info: Mapping[str, Any] = field(default_factory=dict)
    speaker: str = "unknown"
    l1: str = "unknown"


@dataclass(frozen=True)
class Prediction:
    """What a backend said about one item. ``error`` is set when it failed on it."""

    feedback: FeedbackDict
    raw_text: str = ""
    notes: tuple[str, ...] = ()
    error: str = ""
    seconds: float = 0.0


class Backend(Protocol):
    """Something that predicts the feedback dict of a take."""

    name: str

    def predict(self, clip: AudioClip, text: str) -> Prediction:
        """Predict; raise SayWellError for a failure on this item."""
        ...


def prediction_from_text(raw_text: str) -> Prediction:
    """Parse model text in the paper's format with the engine's parser.

    Words not in the sentence are kept: they are what the extra-word ratio counts.
    """
    parsed = parse_feedback_lines(raw_text)
    notes = () if parsed.ok else ("output not in the expected format: scored as No Problem",)
    return Prediction(feedback_dict_from_items(parsed.items), raw_text=raw_text, notes=notes)


def prediction_from_assessment(assessment: Assessment) -> Prediction:
    """An analyzer's assessment as a prediction; words it named outside the sentence are kept."""
    feedback = assessment.to_feedback_dict()
    for word in assessment.extra_words:
        feedback.setdefault(word, []).append({"issue": "", "suggestion": ""})
    return Prediction(feedback, raw_text=assessment.to_feedback_lines(), notes=assessment.notes)


class AnalyzerBackend:
    """Any engine ``Analyzer`` (the CPU analyzer, the ALM analyzer) as a backend."""

    def __init__(self, analyzer: Any, name: str | None = None) -> None:
        self.analyzer = analyzer
        self.name = name or analyzer.name

    def predict(self, clip: AudioClip, text: str) -> Prediction:
        return prediction_from_assessment(self.analyzer.analyze(clip, text))


# -- items -------------------------------------------------------------------


def item_from_record(key: str, audio_path: Path, record: Mapping[str, Any]) -> EvalItem:
    """An item from one L2-Arctic-plus record (``text``, ``mis_exp_sug``, ``annotation_info``)."""
    speaker = speaker_of(key)
    return EvalItem(
        key=key,
        audio_path=audio_path,
        text=str(record["text"]),
        gold=dict(record.get("mis_exp_sug") or {}),
        annotation_info=dict(record.get("annotation_info") or {}),
        speaker=speaker,
        l1=l1_of(speaker),
    )


def ordered(items: Iterable[EvalItem]) -> list[EvalItem]:
    """Deterministic order: by manifest audio path, then sentence."""
    return sorted(items, key=lambda i: (i.key, i.text))


def load_items(
    manifest: str | Path, *, audio_root: str | Path | None = None, allow_missing: bool = False
) -> tuple[list[EvalItem], list[str]]:
    """The manifest's items in the fixed order, and notes about what was skipped.

    Raises:
        FormatError: the manifest is malformed (``engine.manifest`` names the record and field).
        AudioError: audio is missing and ``allow_missing`` is False (counts and examples given).
    """
    from engine.errors import AudioError
    from engine.manifest import load_manifest, missing_audio

    records = load_manifest(manifest, audio_root=audio_root)
    report = missing_audio(records)
    notes = []
    if report.count:
        if not allow_missing:
            raise AudioError(report.message() + " Pass --audio-root (your L2-ARCTIC folder) or --allow-missing-audio.")
        notes.append(report.message() + ": skipped.")
    skipped = {r.index for r in report.missing}
    items = [
        item_from_record(str(r.fields.get("audio_path", r.audio_path)), Path(r.audio_path), r.fields)
        for r in records
        if r.index not in skipped
    ]
    return ordered(items), notes


def run_with_progress(backend: Backend, items: Sequence[EvalItem]) -> list[ScoredItem]:
    """``run_backend`` with a progress bar showing the running word-level F1."""
    from tqdm import tqdm

    bar = tqdm(total=len(items), desc=f"evaluate {backend.name}", unit="utt", dynamic_ncols=True)
    counts = [0, 0, 0]

    def tick(_index: int, item: ScoredItem) -> None:
        c = item.scores.counts
        counts[0] += c.tp
        counts[1] += c.fp
        counts[2] += c.fn
        denominator = 2 * counts[0] + counts[1] + counts[2]
        bar.set_postfix(f1=f"{2 * counts[0] / denominator:.3f}" if denominator else "-")
        bar.update(1)

    try:
        return run_backend(backend, items, on_item=tick)
    finally:
        bar.close()


def score_bertscore(scored: Sequence[ScoredItem], model_dir: str | Path, layer: int | None = None) -> float:
    """Mean BERTScore F1 of the predicted against the gold feedback texts."""
    from training.bertscore import bert_score

    scores = bert_score([s.scores.pred_text for s in scored], [s.scores.gold_text for s in scored], model_dir,
                        layer=layer)
    return scores.mean_f1


# -- running -----------------------------------------------------------------


@dataclass(frozen=True)
class ScoredItem:
    item: EvalItem
    prediction: Prediction
    scores: UtteranceScores


@dataclass(frozen=True)
class ErrorTypeRow:
    """Gold words carrying an error of one type, and how many a backend flagged (recall)."""

    error_type: str
    gold_words: int
    flagged: int

    @property
    def recall(self) -> float:
        return self.flagged / self.gold_words if self.gold_words else 0.0


@dataclass(frozen=True)
class EvalResult:
    backend: str
    manifest: str
    items: tuple[ScoredItem, ...]
    overall: MetricReport
    by_speaker: dict[str, MetricReport]
    by_l1: dict[str, MetricReport]
    by_error_type: tuple[ErrorTypeRow, ...]
    bertscore_f1: float | None = None
    failures: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


def run_backend(
    backend: Backend,
    items: Sequence[EvalItem],
    *,
    on_item: Callable[[int, ScoredItem], None] | None = None,
    load: Callable[[Path], AudioClip] = load_audio,
) -> list[ScoredItem]:
    """Predict and score every item in the given order.

    A failure on one item (unreadable audio, analyzer error) is recorded on its
    prediction and scored as an empty prediction: it is reported, never hidden.
    """
    scored = []
    for index, item in enumerate(items):
        started = time.perf_counter()
        try:
            prediction = backend.predict(load(item.audio_path), item.text)
        except (SayWellError, RuntimeError) as err:  # RuntimeError: torch's (CUDA out of memory, ...)
            prediction = Prediction({}, error=f"{type(err).__name__}: {err}")
        elapsed = time.perf_counter() - started
        prediction = Prediction(prediction.feedback, prediction.raw_text, prediction.notes, prediction.error, elapsed)
        result = ScoredItem(item, prediction, score_utterance(item.text, item.gold, prediction.feedback))
        scored.append(result)
        if on_item:
            on_item(index, result)
    return scored


def summarise(
    backend: str,
    manifest: str,
    scored: Sequence[ScoredItem],
    *,
    bertscore_f1: float | None = None,
    seconds: float = 0.0,
    notes: Sequence[str] = (),
) -> EvalResult:
    """Aggregate the scored items overall and per speaker, L1 and error type."""
    return EvalResult(
        backend=backend,
        manifest=manifest,
        items=tuple(scored),
        overall=aggregate([s.scores for s in scored]),
        by_speaker=_grouped(scored, lambda s: s.item.speaker),
        by_l1=_grouped(scored, lambda s: s.item.l1),
        by_error_type=error_type_breakdown(scored),
        bertscore_f1=bertscore_f1,
        failures=sum(1 for s in scored if s.prediction.error),
        seconds=seconds,
        notes=tuple(notes),
    )


def _grouped(scored: Sequence[ScoredItem], key: Callable[[ScoredItem], str]) -> dict[str, MetricReport]:
    groups: dict[str, list[UtteranceScores]] = {}
    for s in scored:
        groups.setdefault(key(s), []).append(s.scores)
    return {name: aggregate(groups[name]) for name in sorted(groups)}


def gold_error_types(annotation_info: Mapping[str, Any]) -> dict[str, set[str]]:
    """Word -> the error types (substitution, deletion, insertion) its annotation marks."""
    from engine.feedback import normalise_word

    types: dict[str, set[str]] = {}
    for word, phones in annotation_info.items():
        for phone in phones if isinstance(phones, list) else ():
            parts = [p.strip() for p in str(phone).split(",")]
            if len(parts) == 3 and parts[2].lower() in ERROR_TYPES:
                types.setdefault(normalise_word(word), set()).add(ERROR_TYPES[parts[2].lower()])
    return types


def error_type_breakdown(scored: Sequence[ScoredItem]) -> tuple[ErrorTypeRow, ...]:
    """Per gold error type: words annotated with it and how many the backend flagged."""
    from engine.feedback import normalise_word

    gold = dict.fromkeys(ERROR_TYPES.values(), 0)
    hits = dict.fromkeys(ERROR_TYPES.values(), 0)
    for s in scored:
        predicted = {normalise_word(w) for w in s.prediction.feedback}
        for word, types in gold_error_types(s.item.annotation_info).items():
            for error_type in types:
                gold[error_type] += 1
                hits[error_type] += word in predicted
    return tuple(ErrorTypeRow(t, gold[t], hits[t]) for t in ERROR_TYPES.values())
