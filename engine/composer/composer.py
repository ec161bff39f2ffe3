"""The deterministic feedback composer: phone errors -> issue + suggestion text.

The wording follows L2-Arctic-plus (``"DH" was replaced with "D", indicating a
substitution error`` / ``Practice the distinction between /DH/ and /D/ with
minimal pairs like "THEY" (/DH EY/) vs. "DAY" (/D EY/)``), so the same text
serves as training targets, and adds what a learner needs to act on it: how
the two sounds differ in articulation, where to put tongue and lips for the
target sound (``resources/phonetics/articulation.json``) and practice words
that really contain the sound (common words from the lexicon). Phones are
ARPAbet; IPA is added where the sound is named in the advice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.composer.annotation import (
    AnnotatedWord,
    PhoneError,
    error_from_phone_result,
    errors_from_phone_results,
    parse_annotation,
)
from engine.composer.practice import (
    MinimalPair,
    PracticeIndex,
    PracticeWord,
    position_of,
    read_word_list,
)
from engine.errors import FormatError, SayWellError
from engine.feedback import FeedbackDict, Issue, PhoneKind, PhoneResult
from engine.paths import resource
from engine.phonetics.inventory import PHONES, describe_difference, get_phone, strip_stress

Phones = tuple[str, ...]
_WHERE = {"initial": "at the start of", "final": "at the end of", "medial": "in the middle of"}


@dataclass(frozen=True)
class Articulation:
    """How to make one phone: placement tip and its common spellings."""

    tip: str  # one or two sentences, for the tutor
    short: str  # a few words, for feedback lines ("put your tongue tip between your teeth, with voice")
    spellings: tuple[str, ...]


def load_articulation(path: Any = None) -> dict[str, Articulation]:
    """Read ``resources/phonetics/articulation.json`` (one entry per phone).

    Raises:
        SayWellError: the file is missing, unreadable or lacks a phone.
    """
    path = path or resource("phonetics", "articulation.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        table = {
            k: Articulation(v["tip"], v["short"], tuple(v["spellings"]))
            for k, v in data.items()
            if k in PHONES
        }
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SayWellError(f"Cannot read the articulation data {path}: {err!r}") from err
    missing = sorted(set(PHONES) - set(table))
    if missing:
        raise SayWellError(f"The articulation data {path} lacks the phones {' '.join(missing)}.")
    return table


class Composer:
    """Turns phone errors into ``Issue`` text; loads its data once.

    ``detail=False`` gives the bare L2-Arctic-plus style (kind of error, the two
    phones, minimal pairs or practice words); ``detail=True`` (the default)
    also says how the sounds differ and how to place tongue and lips.
    """

    def __init__(
        self,
        practice: PracticeIndex,
        articulation: Mapping[str, Articulation],
        *,
        detail: bool = True,
    ) -> None:
        self.practice = practice
        self.articulation = dict(articulation)
        self.detail = detail

    @classmethod
    def default(cls) -> Composer:
        """The shared composer over the bundled data and ``Lexicon.default()`` (built once)."""
        return _default_composer()

    @classmethod
    def from_resources(cls, *, detail: bool = True) -> Composer:
        """A composer over ``resources/phonetics`` (common words with their cmudict phones)."""
        words = read_word_list(resource("phonetics", "common_words.txt"))
        return cls(PracticeIndex(words), load_articulation(), detail=detail)

    def with_detail(self, detail: bool) -> Composer:
        """The same data with the other wording (shares the loaded index)."""
        return Composer(self.practice, self.articulation, detail=detail)

    # -- public API ------------------------------------------------------------
    def issue_for(
        self,
        word: str,
        phone: PhoneResult,
        word_phones: Sequence[str],
        *,
        position: int | None = None,
    ) -> Issue:
        """The issue for one erroneous phone of ``word``.

        ``word_phones`` are the word's canonical phones; ``position`` is the
        error's index among them (for an insertion: the canonical phone it comes
        before). When omitted, the first occurrence of the expected phone is used.

        Raises:
            FormatError: ``phone`` is correct or names no phone to talk about.
        """
        canonical = tuple(strip_stress(p) for p in word_phones)
        if position is None:
            position = (
                canonical.index(strip_stress(phone.expected))
                if (phone.expected and strip_stress(phone.expected) in canonical)
                else len(canonical)
            )
        error = error_from_phone_result(phone, position)
        if error is None:
            raise FormatError(f"No error to explain in {phone!r} of {word!r}.")
        return self.explain(word, error, canonical)

    def issues_for_word(self, word: str, phones: Sequence[PhoneResult]) -> tuple[Issue, ...]:
        """One issue per error phone of ``word``, ``phone_index`` = index into ``phones``."""
        canonical, errors = errors_from_phone_results(phones)
        return tuple(
            Issue(issue.explanation, issue.suggestion, phone_index=i)
            for i, issue in ((i, self.explain(word, e, canonical)) for i, e in errors)
        )

    def feedback_from_annotation(
        self, annotation_info: Mapping[str, Sequence[str]]
    ) -> FeedbackDict:
        """L2-ARCTIC ``annotation_info`` -> L2-Arctic-plus feedback dict (``mis_exp_sug`` form).

        Raises:
            FormatError: the annotation does not follow the documented form.
        """
        return {
            entry.word: [{"issue": i.explanation, "suggestion": i.suggestion} for i in issues]
            for entry, issues in (
                (w, self.issues_for_annotated(w)) for w in parse_annotation(annotation_info)
            )
            if issues
        }

    def feedback_from_record(self, record: Mapping[str, Any]) -> FeedbackDict:
        """Feedback for one L2-Arctic-plus record (uses its ``annotation_info``).

        Raises:
            FormatError: the record has no ``annotation_info`` object.
        """
        if not isinstance(record, Mapping) or not isinstance(
            record.get("annotation_info"), Mapping
        ):
            raise FormatError(
                'A record must be a JSON object with "text" and an "annotation_info" object.'
            )
        return self.feedback_from_annotation(record["annotation_info"])

    def issues_for_annotated(self, word: AnnotatedWord) -> tuple[Issue, ...]:
        return tuple(
            Issue(i.explanation, i.suggestion, phone_index=e.index)
            for e, i in ((e, self.explain(word.word, e, word.canonical)) for e in word.errors)
        )

    def tip(self, phone: str) -> str:
        """How to place tongue and lips for ``phone``."""
        return self.articulation[get_phone(phone).symbol].tip

    def minimal_pair(self, target: str, other: str, position: str = "any") -> MinimalPair | None:
        pairs = self.practice.minimal_pairs(target, other, position=position, limit=1)
        return pairs[0] if pairs else None

    # -- composing -----------------------------------------------------------
    def explain(self, word: str, error: PhoneError, canonical: Phones) -> Issue:
        """The issue text for one error of ``word`` (canonical phones ``canonical``)."""
        compose = {
            PhoneKind.SUBSTITUTION: self._substitution,
            PhoneKind.DELETION: self._deletion,
            PhoneKind.INSERTION: self._insertion,
            PhoneKind.UNCLEAR: self._unclear,
        }[error.kind]
        explanation, suggestion = compose(word, error, canonical)
        return Issue(explanation, suggestion)

    def _substitution(self, word: str, e: PhoneError, canonical: Phones) -> tuple[str, str]:
        a, b = str(e.expected), str(e.heard)
        where = position_of(e.index, len(canonical))
        heard = f'an accented "{b}"' if e.accented else f'"{b}"'
        explanation = f'"{a}" was replaced with {heard}, indicating a substitution error'
        pair = self.minimal_pair(a, b, where)
        if pair is not None:
            suggestion = (
                f"Practice the distinction between {self._name(a)} and {self._name(b)} "
                f"with minimal pairs like {pair.display()}"
            )
        else:
            suggestion = (
                f"Practice the distinction between {self._name(a)} as in {self._example(a, where, word)} "
                f"and {self._name(b)} as in {self._example(b, where, word)}"
            )
        if self.detail:
            suggestion += f": {describe_difference(a, b, brief=True)}"
        return explanation, suggestion

    def _deletion(self, word: str, e: PhoneError, canonical: Phones) -> tuple[str, str]:
        a = str(e.expected)
        where = position_of(e.index, len(canonical))
        context = _neighbours(canonical, e.index, e.index + 1)
        words = self._practice(a, word, 2, position=where, context=context)
        explanation = f'"{a}" was deleted, indicating a deletion error'
        suggestion = (
            f'Ensure the /{a}/ sound is pronounced {_WHERE[where]} "{word.upper()}" '
            f"(/{' '.join(canonical)}/){_practice_clause(words)}"
        )
        if self.detail:
            suggestion += f". {self._tip_sentence(a)}"
        return explanation, suggestion

    def _insertion(self, word: str, e: PhoneError, canonical: Phones) -> tuple[str, str]:
        b = str(e.heard)
        before, after = _neighbours(canonical, e.index, e.index)
        if before and after:
            place = f"between /{before}/ and /{after}/"
        else:
            place = f"after /{before}/ at the end" if before else f"before /{after}/ at the start"
        explanation = f'An extra "{b}" was added, indicating an addition error'
        suggestion = f'Avoid adding /{b}/ {place}; practice saying "{word.upper()}" as /{" ".join(canonical)}/'
        if self.detail:
            suggestion += f": {_transition(b, before, after)}"
            if before and after:
                cluster = self._practice(after, word, 2, context=(before, ""))
                if cluster:
                    suggestion += f", as in {_join(cluster)}"
        return explanation, suggestion

    def _unclear(self, word: str, e: PhoneError, canonical: Phones) -> tuple[str, str]:
        a = str(e.expected)
        where = position_of(e.index, len(canonical))
        if e.accented:
            explanation = (
                f'"{a}" was pronounced with a foreign accent, indicating a substitution error'
            )
            lead = f"Practice the English /{a}/ sound"
        else:
            explanation = (
                f'"{a}" was replaced with an unclear sound, indicating a substitution error'
            )
            lead = f"Focus on a clear /{a}/ sound"
        context = (_neighbours(canonical, e.index, e.index + 1)[0], "")
        words = self._practice(a, word, 2, position=where, context=context)
        suggestion = lead + (f" with words like {_join(words)}" if words else "")
        if self.detail:
            suggestion += f". {self._tip_sentence(a)}"
        return explanation, suggestion

    def _example(self, phone: str, where: str, word: str) -> str:
        found = self._practice(phone, word, 1, position=where)
        return found[0].display() if found else f'"{get_phone(phone).example.upper()}"'

    def _practice(self, phone: str, word: str, limit: int, **where: Any) -> list[PracticeWord]:
        """Practice words for ``phone``, never the learner's word or a form of it."""
        found = self.practice.practice_words(phone, exclude=[word], limit=limit + 8, **where)
        return [w for w in found if not _related(w.word, word)][:limit]

    def _name(self, phone: str) -> str:
        """``/DH/``, with its IPA in the detailed wording: ``/DH/ (ð)``."""
        return f"/{phone}/ ({get_phone(phone).ipa})" if self.detail else f"/{phone}/"

    def _tip_sentence(self, phone: str) -> str:
        p = get_phone(phone)
        return f"For /{p.symbol}/ ({p.ipa}), {self.articulation[p.symbol].short}"


def _neighbours(canonical: Phones, before_end: int, after_start: int) -> tuple[str, str]:
    """The phones just before index ``before_end`` and at ``after_start`` ("" at the edges)."""
    before = canonical[before_end - 1] if before_end > 0 else ""
    after = canonical[after_start] if after_start < len(canonical) else ""
    return before, after


def _related(a: str, b: str) -> bool:
    """True for forms of one word ("wounds"/"wounded", "other"/"another"): poor practice words."""
    short, long = sorted((a.lower(), b.lower()), key=len)
    prefix = len(os.path.commonprefix([short, long]))
    return prefix >= 5 or (len(short) >= 4 and short in long)


def _transition(added: str, before: str, after: str) -> str:
    """How to join the neighbours without the added sound."""
    if before and after:
        return f"go straight from /{before}/ to /{after}/ with nothing in between"
    if before:
        extra = "a vowel" if get_phone(added).vowel else f"a /{added}/"
        return f"end cleanly on /{before}/, without releasing {extra} after it"
    return f"start directly with /{after}/"


def _join(words: Sequence[PracticeWord]) -> str:
    return " and ".join(w.display() for w in words)


def _practice_clause(words: Sequence[PracticeWord]) -> str:
    return f", practicing with words like {_join(words)}" if words else ""


@lru_cache(maxsize=1)
def _default_composer() -> Composer:
    return Composer.from_resources()
