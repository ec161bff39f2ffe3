"""Decisions from evidence: which phones are wrong, how sure we are, and a 0-100 score.

Every threshold comes from ``resources/calibration/sphinx.json``, set on native
speech (see ``bench/calibrate_sphinx.py``): a native reader is rarely flagged.

Whether a word is flagged at all is the ``detector``'s call (a calibrated
combination of all the evidence). What we then *say* is weighed per error
class, because this acoustic model separates some confusions well
(consonant-class swaps such as R/L) and others badly (DH/D, vowel swaps):

* a **named error** (substitution, deletion, insertion) needs the error form to
  beat the dictionary form by a class-specific margin (``gain``, smaller when
  the free phone loop agrees) *and* the expected sound to fit badly where it
  should be (``gop`` under a class limit);
* otherwise the phone is **unclear**: we say something is off there rather
  than inventing what was heard.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.analyzers.sphinx.aligner import Segment
from engine.analyzers.sphinx.detector import Combiner, features, usable_variant, z_score
from engine.analyzers.sphinx.evidence import PhoneEvidence, WordEvidence
from engine.analyzers.sphinx.variants import Variant
from engine.errors import AnalyzerError
from engine.feedback import PhoneKind, PhoneResult, Verdict
from engine.paths import resource
from engine.phonetics.inventory import VOWELS, is_vowel

FRAME_S = 0.01
#: Frames of slack around a span when looking for the free loop's phones there.
LOOP_SLACK = 2
ERROR_CLASSES = ("consonant", "vowel", "deletion", "insertion")


@dataclass(frozen=True)
class Calibration:
    """Thresholds (pocketsphinx log-likelihood units) and the score mapping."""

    min_gain: dict[str, float]  # error class -> smallest gain of the error form
    min_gain_supported: dict[str, float]  # the same when the free phone loop agrees
    max_gop: dict[str, float]  # error class -> the expected phone must fit worse than this
    unclear_gop: dict[str, float]  # "vowel"/"consonant" -> a phone this bad is unclear
    phone_stats: dict[str, list[float]] = field(
        default_factory=dict
    )  # phone -> native [median, sd] gop
    duration_stats: dict[str, list[float]] = field(
        default_factory=dict
    )  # phone -> native [median, sd] of log frames
    error_log_odds: dict[str, float] = field(default_factory=dict)  # detector.error_key -> log odds
    combiner: dict[str, Any] | None = None  # detector weights; None: flag by the class rules alone
    how: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calibration:
        path = Path(path) if path else resource("calibration", "sphinx.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as err:
            raise AnalyzerError(
                f"The sphinx calibration {path} is missing or malformed: {err}"
            ) from err

    @classmethod
    def default(cls) -> Calibration:
        return _default_calibration()

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)


@lru_cache(maxsize=1)
def _default_calibration() -> Calibration:
    return Calibration.load()


@dataclass(frozen=True)
class WordDecision:
    phones: tuple[PhoneResult, ...]
    canonical: tuple[str, ...]
    score: float
    verdict: Verdict


def accepts(word: WordEvidence, loop: Sequence[Segment], cal: Calibration) -> bool:
    """True when the word's error form wins by the calibrated margin (smaller if the loop agrees)."""
    variant = word.variant
    if variant is None or variant.base != word.canonical:
        return False
    cls = variant.error_class
    needed = cal.min_gain_supported[cls] if loop_support(word, loop) else cal.min_gain[cls]
    return word.gain >= needed and expected_fit(word, variant) <= cal.max_gop[cls]


def expected_fit(word: WordEvidence, variant: Variant) -> float:
    """How well the canonical alignment fits where the error is (worst of the phones involved)."""
    near = [variant.index - 1, variant.index] if variant.kind == "insertion" else [variant.index]
    gops = [word.phones[i].gop for i in near if 0 <= i < len(word.phones)]
    return min(gops) if gops else 0.0


def loop_support(word: WordEvidence, loop: Sequence[Segment]) -> bool:
    """Does the free phone loop, unconstrained by the sentence, agree with the error form?

    Substitution: the loop heard the substitute (and not the expected phone) where
    the probe alignment put it. Deletion: the loop has no expected phone there.
    Insertion: the loop heard the inserted phone (any vowel for a schwa) there.
    """
    variant = word.variant
    if variant is None:
        return False
    at = min(variant.index, len(word.variant_phones) - 1)
    span = word.variant_phones[at] if word.variant_phones else None
    if span is None:
        return False
    near = {
        s.name for s in loop if s.start < span.end + LOOP_SLACK and s.end > span.start - LOOP_SLACK
    }
    if variant.kind == "substitution":
        return variant.heard in near and variant.expected not in near
    if variant.kind == "deletion":
        return variant.expected not in near
    return variant.heard in near or (variant.heard == "AH" and bool(near & VOWELS))


def unclear_phones(word: WordEvidence, cal: Calibration) -> set[int]:
    """Indices of canonical phones that fit too badly to be right."""
    return {
        i
        for i, p in enumerate(word.phones)
        if p.gop < cal.unclear_gop["vowel" if is_vowel(p.phone) else "consonant"]
    }


#: Phone score = SCORE_AT_MEDIAN + SCORE_PER_SD * z (clipped to 0-100), z = the phone's fit in
#: native standard deviations from the native median for that phone: a typical native phone
#: scores ~90, one 5 sd worse ~60, 15 sd worse 0 (chosen so few native phones reach 100).
SCORE_AT_MEDIAN = 90.0
SCORE_PER_SD = 6.0
_FALLBACK_STATS = (-15.0, 15.0)


def phone_score(phone: str, gop: float, cal: Calibration) -> float:
    """0-100 from a phone's per-frame fit, relative to native speakers' fit for that phone."""
    median, sd = cal.phone_stats.get(phone, _FALLBACK_STATS)
    z = (gop - median) / max(sd, 1.0)
    return round(min(100.0, max(0.0, SCORE_AT_MEDIAN + SCORE_PER_SD * z)), 1)


def decide(word: WordEvidence, loop: Sequence[Segment], cal: Calibration) -> WordDecision:
    """Phone results, score and verdict of one word (``loop``: the sentence's free phone loop)."""
    if not is_flagged(word, loop, cal):
        phones = tuple(_phone(p, PhoneKind.CORRECT, cal) for p in word.phones)
        verdict = Verdict.GOOD
    elif accepts(word, loop, cal):
        assert word.variant is not None
        phones = _with_error(word, word.variant, cal)
        verdict = Verdict.WRONG
    else:
        unclear = _unclear_at(word, cal)
        phones = tuple(
            _phone(p, PhoneKind.UNCLEAR if i in unclear else PhoneKind.CORRECT, cal)
            for i, p in enumerate(word.phones)
        )
        verdict = Verdict.NEEDS_WORK
    return WordDecision(phones, word.canonical, _word_score(word, cal), verdict)


def is_flagged(word: WordEvidence, loop: Sequence[Segment], cal: Calibration) -> bool:
    """The detector's verdict; without a combiner, the class rules (named error or unclear phone)."""
    if cal.combiner is None:
        return accepts(word, loop, cal) or bool(unclear_phones(word, cal))
    found = features(word, loop, cal.phone_stats, cal.duration_stats, cal.error_log_odds)
    return _combiner(cal).flags(found)


def _combiner(cal: Calibration) -> Combiner:
    return Combiner.from_dict(cal.combiner or {})


def _unclear_at(word: WordEvidence, cal: Calibration) -> set[int]:
    """Where to point when the word is flagged but no error is named: the error form's place,
    else the phones that fit too badly, else the worst phone relative to native speech."""
    if not word.phones:
        return set()
    v = usable_variant(word)
    if v is not None:
        return {min(v.index, len(word.phones) - 1)}
    bad = unclear_phones(word, cal)
    if bad:
        return bad
    zs = [z_score(p.phone, p.gop, cal.phone_stats) for p in word.phones]
    return {zs.index(min(zs))}


def _phone(
    p: PhoneEvidence, kind: PhoneKind, cal: Calibration, heard: str | None = None
) -> PhoneResult:
    heard = heard if heard is not None or kind is not PhoneKind.CORRECT else p.phone
    return PhoneResult(
        expected=p.phone,
        heard=heard,
        kind=kind,
        start_s=p.start * FRAME_S,
        end_s=p.end * FRAME_S,
        score=phone_score(p.phone, p.gop, cal),
    )


def _with_error(word: WordEvidence, variant: Variant, cal: Calibration) -> tuple[PhoneResult, ...]:
    """Canonical phones timed by the probe alignment, with the accepted edit applied."""
    timed = word.variant_phones
    out: list[PhoneResult] = []
    v = 0  # index into the variant's phones
    for i, expected in enumerate(variant.base):
        if variant.kind == "insertion" and i == variant.index:
            out.append(_inserted(timed[v], cal))
            v += 1
        if variant.kind == "deletion" and i == variant.index:
            at = timed[v].start if v < len(timed) else (timed[-1].end if timed else 0)
            out.append(
                PhoneResult(expected, None, PhoneKind.DELETION, at * FRAME_S, at * FRAME_S, 0.0)
            )
            continue
        p = timed[v]
        if variant.kind == "substitution" and i == variant.index:
            out.append(
                _phone(
                    PhoneEvidence(expected, p.start, p.end, word.phones[i].gop),
                    PhoneKind.SUBSTITUTION,
                    cal,
                    heard=variant.heard,
                )
            )
        else:
            out.append(
                _phone(PhoneEvidence(expected, p.start, p.end, p.gop), PhoneKind.CORRECT, cal)
            )
        v += 1
    if variant.kind == "insertion" and variant.index == len(variant.base):
        out.append(_inserted(timed[v], cal))
    return tuple(out)


def _inserted(p: PhoneEvidence, cal: Calibration) -> PhoneResult:
    return PhoneResult(None, p.phone, PhoneKind.INSERTION, p.start * FRAME_S, p.end * FRAME_S, 0.0)


def _word_score(word: WordEvidence, cal: Calibration) -> float:
    """How close the word's sounds are to native speech: frame-weighted mean of its phone scores.

    Not capped by the verdict: on the speechocean762 sample, capping flagged
    words lowered the correlation with human word accuracy (0.34 -> 0.26).
    """
    frames = sum(max(1, p.end - p.start) for p in word.phones) or 1
    total = sum(phone_score(p.phone, p.gop, cal) * max(1, p.end - p.start) for p in word.phones)
    return round(total / frames, 1)
