"""The one feedback schema, its JSON form and the paper's text format.

Every part of SayWell speaks this schema: analyzers produce an ``Assessment``,
the chat pane and waveform render it, training builds its targets with
``format_feedback_lines`` and evaluation/inference parse model text with
``parse_feedback_lines``, so prompt and parser cannot drift apart.

Two outside formats are supported:

* the L2-Arctic-plus feedback dict: ``{word: [{"issue": ..., "suggestion": ...}]}``
  (``FeedbackDict``), empty when nothing is wrong;
* the paper's model output: one line per mispronounced word,
  ``word: <word> issue: <explanation> suggestion: <suggestion>``, or ``No Problem``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

from engine.errors import FormatError

SCHEMA_VERSION = 1
NO_PROBLEM = "No Problem"

FeedbackDict = dict[str, list[dict[str, str]]]


class Verdict(str, Enum):
    """How a word came out, for shading and for the word-level metrics."""

    GOOD = "good"
    NEEDS_WORK = "needs_work"
    WRONG = "wrong"


class PhoneKind(str, Enum):
    CORRECT = "correct"
    SUBSTITUTION = "substitution"
    DELETION = "deletion"
    INSERTION = "insertion"
    UNCLEAR = "unclear"  # something is off but we cannot name what was heard


@dataclass(frozen=True)
class PhoneResult:
    """One phone of a word: what the sentence expects and what was heard.

    ``expected`` is None for an inserted phone; ``heard`` is None for a deleted
    or unclear one. Phones are ARPAbet without stress digits. ``score`` is 0-100.
    """

    expected: str | None
    heard: str | None
    kind: PhoneKind
    start_s: float = 0.0
    end_s: float = 0.0
    score: float = 100.0

    @property
    def is_error(self) -> bool:
        return self.kind is not PhoneKind.CORRECT


@dataclass(frozen=True)
class Issue:
    """One problem in a word: what went wrong and what to do about it."""

    explanation: str
    suggestion: str
    phone_index: int | None = None  # index into WordResult.phones, when known


@dataclass(frozen=True)
class WordResult:
    """A word of the reference sentence with its timing, score and problems.

    ``index`` is the word's position in the sentence (0-based, over the
    normalised words), ``text`` its normalised, lower-case form.
    """

    index: int
    text: str
    start_s: float = 0.0
    end_s: float = 0.0
    score: float = 100.0
    verdict: Verdict = Verdict.GOOD
    phones: tuple[PhoneResult, ...] = ()
    issues: tuple[Issue, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when the word counts as mispronounced (it carries feedback)."""
        return bool(self.issues)


@dataclass(frozen=True)
class Assessment:
    """Everything SayWell says about one take of one sentence."""

    text: str
    words: tuple[WordResult, ...]
    score: float = 100.0
    engine: str = ""
    heard: str = ""  # free phone-loop transcript: "what I heard"
    duration_s: float = 0.0
    notes: tuple[str, ...] = ()  # warnings and fallbacks shown to the learner
    extra_words: tuple[str, ...] = ()  # words an analyzer named that are not in the sentence
    schema_version: int = SCHEMA_VERSION

    @property
    def flagged_words(self) -> tuple[WordResult, ...]:
        return tuple(w for w in self.words if w.flagged)

    def with_notes(self, *notes: str) -> Assessment:
        return replace(self, notes=self.notes + tuple(notes))

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        if not isinstance(data, Mapping):
            raise FormatError("An assessment must be a JSON object.")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise FormatError(
                f"Assessment schema version {version!r} is not supported; "
                f"this SayWell reads version {SCHEMA_VERSION}."
            )
        try:
            words = tuple(_word_from_dict(w) for w in data["words"])
            return cls(
                text=str(data["text"]),
                words=words,
                score=float(data.get("score", 100.0)),
                engine=str(data.get("engine", "")),
                heard=str(data.get("heard", "")),
                duration_s=float(data.get("duration_s", 0.0)),
                notes=tuple(data.get("notes", ())),
                extra_words=tuple(data.get("extra_words", ())),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(f"Malformed assessment JSON: {err!r}") from err

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise FormatError(f"Not valid JSON: {err}") from err
        return cls.from_dict(data)

    # -- L2-Arctic-plus ----------------------------------------------------
    def to_feedback_dict(self) -> FeedbackDict:
        """The L2-Arctic-plus ``mis_exp_sug`` form (empty when nothing is flagged)."""
        return feedback_dict_from_items(self.feedback_items())

    def feedback_items(self) -> tuple[FeedbackItem, ...]:
        return tuple(
            FeedbackItem(w.text, issue.explanation, issue.suggestion)
            for w in self.words
            for issue in w.issues
        )

    def to_feedback_lines(self) -> str:
        """The paper's output text for this assessment."""
        return format_feedback_lines(self.feedback_items())


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _word_from_dict(data: Mapping[str, Any]) -> WordResult:
    return WordResult(
        index=int(data["index"]),
        text=str(data["text"]),
        start_s=float(data.get("start_s", 0.0)),
        end_s=float(data.get("end_s", 0.0)),
        score=float(data.get("score", 100.0)),
        verdict=Verdict(data.get("verdict", Verdict.GOOD.value)),
        phones=tuple(
            PhoneResult(
                expected=p.get("expected"),
                heard=p.get("heard"),
                kind=PhoneKind(p["kind"]),
                start_s=float(p.get("start_s", 0.0)),
                end_s=float(p.get("end_s", 0.0)),
                score=float(p.get("score", 100.0)),
            )
            for p in data.get("phones", ())
        ),
        issues=tuple(
            Issue(
                explanation=str(i["explanation"]),
                suggestion=str(i["suggestion"]),
                phone_index=i.get("phone_index"),
            )
            for i in data.get("issues", ())
        ),
    )


# -- the paper's text format ---------------------------------------------------


@dataclass(frozen=True)
class FeedbackItem:
    """One ``word: … issue: … suggestion: …`` line."""

    word: str
    issue: str
    suggestion: str


@dataclass(frozen=True)
class ParsedFeedback:
    """Result of parsing model text: the items, plus what could not be read.

    ``no_problem`` is True when the text says ``No Problem`` and names no word.
    ``unparsed`` holds the non-empty lines that matched neither form; a caller
    decides whether that is a failure (``ok`` is False when nothing was understood).
    """

    items: tuple[FeedbackItem, ...] = ()
    no_problem: bool = False
    unparsed: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return bool(self.items) or self.no_problem


_LINE_RE = re.compile(
    r"""^\s*(?:[-*•]\s*|\d+[.)]\s*)?            # optional bullet or numbering
        \**word\**\s*:\s*(?P<word>.*?)\s*       # word: <word>
        (?:[,;]\s*)?\**issue\**\s*:\s*(?P<issue>.*?)\s*
        (?:(?:[,;]\s*)?\**suggestion\**\s*:\s*(?P<suggestion>.*))?$""",
    re.IGNORECASE | re.VERBOSE,
)
_NO_PROBLEM_RE = re.compile(r"^\W*no\s+problems?\W*$", re.IGNORECASE)
_WORD_STRIP = " \t\"'`*.,;:!?()[]{}“”‘’"


def normalise_word(word: str) -> str:
    """The key form of a word: lower case, surrounding quotes and punctuation removed."""
    return word.strip(_WORD_STRIP).lower()


def format_feedback_lines(items: Iterable[FeedbackItem]) -> str:
    """Write items as the paper's lines, or ``No Problem`` when there are none."""
    lines = [
        f"word: {_one_line(i.word)} issue: {_one_line(i.issue)} suggestion: {_one_line(i.suggestion)}"
        for i in items
    ]
    return "\n".join(lines) if lines else NO_PROBLEM


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def parse_feedback_lines(text: str) -> ParsedFeedback:
    """Parse model or gold text in the paper's format; never raises.

    Accepts bullets, numbering, markdown bold, a missing ``suggestion:`` part
    (the suggestion is then empty) and stray chatter (kept in ``unparsed``).
    """
    items: list[FeedbackItem] = []
    unparsed: list[str] = []
    no_problem = False
    for raw in str(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _LINE_RE.match(line)
        if match:
            word = normalise_word(match["word"])
            if word:
                items.append(
                    FeedbackItem(word, match["issue"].strip(), (match["suggestion"] or "").strip())
                )
                continue
        if _NO_PROBLEM_RE.match(line):
            no_problem = True
            continue
        unparsed.append(line)
    return ParsedFeedback(tuple(items), no_problem and not items, tuple(unparsed))


# -- L2-Arctic-plus feedback dicts ---------------------------------------------


def feedback_dict_from_items(items: Iterable[FeedbackItem]) -> FeedbackDict:
    """Group items by word, keeping their order: the ``mis_exp_sug`` form."""
    result: FeedbackDict = {}
    for item in items:
        result.setdefault(normalise_word(item.word), []).append(
            {"issue": item.issue, "suggestion": item.suggestion}
        )
    return result


def items_from_feedback_dict(feedback: Mapping[str, Any], sentence_words: Iterable[str] = ()) -> tuple[FeedbackItem, ...]:
    """Flatten a feedback dict into items, ordered by the words' first position in the sentence.

    Words not in ``sentence_words`` keep their dict order after the others.

    Raises:
        FormatError: ``feedback`` is not a dict of lists of {"issue", "suggestion"}.
    """
    if not isinstance(feedback, Mapping):
        raise FormatError('Feedback must be a JSON object: {"word": [{"issue": ..., "suggestion": ...}]}.')
    position: dict[str, int] = {}
    for i, word in enumerate(normalise_word(w) for w in sentence_words):
        position.setdefault(word, i)
    keys = sorted(feedback, key=lambda k: position.get(normalise_word(k), len(position)))
    items: list[FeedbackItem] = []
    for key in keys:
        entries = feedback[key]
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            raise FormatError(f"Feedback for {key!r} must be a list of {{issue, suggestion}} objects.")
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise FormatError(f"Feedback for {key!r} must be a list of {{issue, suggestion}} objects.")
            items.append(
                FeedbackItem(normalise_word(key), str(entry.get("issue", "")), str(entry.get("suggestion", "")))
            )
    return tuple(items)


def feedback_dict_to_lines(feedback: Mapping[str, Any], sentence_words: Iterable[str] = ()) -> str:
    """The paper's target text for a gold ``mis_exp_sug`` dict."""
    return format_feedback_lines(items_from_feedback_dict(feedback, sentence_words))


def assessment_from_items(
    words: Iterable[str],
    items: Iterable[FeedbackItem],
    *,
    text: str = "",
    engine: str = "",
    timings: Mapping[int, WordResult] | None = None,
) -> Assessment:
    """Attach feedback items to the sentence's words.

    The paper's format names words, not positions, so all items for a word go
    to one occurrence: the first one ``timings`` marks as not good, else the
    first. Items naming a word not in the sentence are dropped and listed in
    ``extra_words``.
    ``timings`` (by word index) supplies start/end, phones and scores, e.g.
    from the CPU alignment, so the waveform can shade model output.
    """
    words = [normalise_word(w) for w in words]
    by_index: dict[int, list[Issue]] = {}
    extra: list[str] = []
    for item in items:
        word = normalise_word(item.word)
        candidates = [i for i, w in enumerate(words) if w == word]
        if not candidates:
            extra.append(word)
            continue
        suspect = [i for i in candidates if i in (timings or {}) and timings[i].verdict is not Verdict.GOOD]
        target = (suspect or candidates)[0]
        by_index.setdefault(target, []).append(Issue(item.issue, item.suggestion))
    results = []
    for i, word in enumerate(words):
        base = (timings or {}).get(i) or WordResult(index=i, text=word)
        issues = tuple(by_index.get(i, ()))
        verdict = base.verdict
        if issues and verdict is Verdict.GOOD:
            verdict = Verdict.WRONG
        if not issues:
            verdict = Verdict.GOOD if verdict is Verdict.WRONG else verdict
        results.append(replace(base, index=i, text=word, issues=issues, verdict=verdict))
    flagged = sum(1 for r in results if r.issues)
    score = 100.0 * (1 - flagged / len(results)) if results else 100.0
    return Assessment(
        text=text or " ".join(words),
        words=tuple(results),
        score=round(score, 1),
        engine=engine,
        extra_words=tuple(extra),
    )
