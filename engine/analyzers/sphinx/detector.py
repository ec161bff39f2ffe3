"""Is a word mispronounced? A logistic combination of the word's acoustic evidence.

No single measure separates well on this acoustic model (each alone reaches
an area under the ROC curve of 0.65-0.80 on the calibration data), so the
decision combines them: the worst and the mean fit of the word's phones in
native standard deviations, the word's length, and, when an error form won
the probe alignment, its class, its gain over the dictionary form, the fit of
the expected phone where the error is, whether the free phone loop agrees, and
how telling that kind of error form is (``error_key``: a calibrated table of log
odds; the probe picks DH>D or IH>IY on native-like words almost never, Z>S often);
also phone durations against native ones and the final consonant's fit and length.
The weights are fit by ``bench/calibrate_sphinx.py`` (native-like words against
gold-error words of the calibration speakers) and the threshold is set so that
only a small, stated share of native words is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.analyzers.sphinx.aligner import Segment
from engine.analyzers.sphinx.evidence import WordEvidence
from engine.analyzers.sphinx.variants import Variant
from engine.phonetics.inventory import is_vowel

ERROR_CLASSES = ("consonant", "vowel", "deletion", "insertion")
FEATURES = (
    "z_min", "z_mean", "log_frames",
    "z_min_vowel", "z_min_consonant", "z_second", "n_bad", "dur_z_min", "dur_z_max",
    "vowel_dur_z", "final_z", "final_short",
    "has_error_form", "gain", "z_at_error", "fit_at_error", "loop_agrees", "error_log_odds",
    *(f"is_{c}" for c in ERROR_CLASSES),
    *(f"gain_x_{c}" for c in ERROR_CLASSES),
    *(f"z_at_error_x_{c}" for c in ERROR_CLASSES),
)  # fmt: skip
_FALLBACK_STATS = (-15.0, 15.0)
_FALLBACK_DURATION = (2.0, 0.6)  # log(frames): ~7 frames, loosely
#: A phone fitting this many native sds below the native median counts as bad.
BAD_Z = -2.0
#: A 3-state phone model cannot be shorter than 3 frames: a final consonant squeezed
#: to that minimum is often not there at all.
MIN_FRAMES = 3
GAIN_SCALE = 300.0  # log-likelihood units; tanh squashes rare huge gains
FIT_SCALE = 50.0


@dataclass(frozen=True)
class Combiner:
    """Standardise features, weigh them, compare with a threshold (all from calibration)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]  # one per feature, then the bias
    threshold: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[float] | float]) -> Combiner:
        return cls(
            tuple(data["mean"]),
            tuple(data["scale"]),
            tuple(data["weights"]),
            float(data["threshold"]),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "threshold": self.threshold,
        }

    def logit(self, features: Sequence[float]) -> float:
        z = ((f - m) / s for f, m, s in zip(features, self.mean, self.scale))
        return sum(w * x for w, x in zip(self.weights, z)) + self.weights[-1]

    def flags(self, features: Sequence[float]) -> bool:
        return self.logit(features) > self.threshold


def z_score(phone: str, gop: float, stats: Mapping[str, Sequence[float]]) -> float:
    """A phone's fit in native standard deviations from the native median for that phone."""
    median, sd = stats.get(phone, _FALLBACK_STATS)
    return (gop - median) / max(float(sd), 1.0)


def duration_z(phone: str, frames: int, durations: Mapping[str, Sequence[float]]) -> float:
    """A phone's log-duration in native standard deviations from the native median for that phone."""
    median, sd = durations.get(phone, _FALLBACK_DURATION)
    return (math.log(max(1, frames)) - median) / max(float(sd), 0.1)


def error_key(variant: Variant) -> str:
    """The error form's kind and phones ("substitution:DH>D", "deletion:T>None:final"): the key of
    the calibration's table of how much more often each kind of error form wins on words with a
    real error than on native-like words (some separate well, e.g. IH>IY, R>L; others not, Z>S)."""
    final = variant.kind == "deletion" and variant.index == len(variant.base) - 1
    return f"{variant.kind}:{variant.expected}>{variant.heard}" + (":final" if final else "")


def usable_variant(word: WordEvidence) -> Variant | None:
    """The error form the probe chose, if it edits the same dictionary form the canonical pass chose."""
    v = word.variant
    return v if v is not None and v.base == word.canonical else None


def features(
    word: WordEvidence,
    loop: Sequence[Segment],
    stats: Mapping[str, Sequence[float]],
    durations: Mapping[str, Sequence[float]] | None = None,
    error_odds: Mapping[str, float] | None = None,
) -> tuple[float, ...]:
    """The word's evidence as the numbers ``FEATURES`` names.

    ``stats``: per phone, native [median, sd] of the fit; ``durations``: the same for log
    frames; ``error_odds``: ``error_key`` -> log odds (0 for kinds not in the table).
    """
    from engine.analyzers.sphinx.scoring import expected_fit, loop_support

    base = _fit_features(word, stats) + _timing_features(word, stats, durations or {})
    v = usable_variant(word)
    if v is None:
        return tuple(base + [0.0] * (len(FEATURES) - len(base)))
    at = word.phones[min(v.index, len(word.phones) - 1)]
    gain = math.tanh(word.gain / GAIN_SCALE)
    z_at = z_score(at.phone, at.gop, stats)
    onehot = [float(v.error_class == c) for c in ERROR_CLASSES]
    return tuple(
        base
        + [1.0, gain, z_at, expected_fit(word, v) / FIT_SCALE, float(loop_support(word, loop))]
        + [(error_odds or {}).get(error_key(v), 0.0)]
        + onehot
        + [o * gain for o in onehot]
        + [o * z_at for o in onehot]
    )


def _fit_features(word: WordEvidence, stats: Mapping[str, Sequence[float]]) -> list[float]:
    """Worst, mean (frame-weighted), worst vowel, worst consonant, second worst fit; bad phones."""
    z = [z_score(p.phone, p.gop, stats) for p in word.phones] or [0.0]
    frames = [max(1, p.end - p.start) for p in word.phones] or [1]
    vowels = [a for a, p in zip(z, word.phones) if is_vowel(p.phone)] or [0.0]
    consonants = [a for a, p in zip(z, word.phones) if not is_vowel(p.phone)] or [0.0]
    ranked = sorted(z)
    return [
        ranked[0],
        sum(a * f for a, f in zip(z, frames)) / sum(frames),
        math.log1p(sum(frames)),
        min(vowels),
        min(consonants),
        ranked[1] if len(ranked) > 1 else ranked[0],
        float(sum(a < BAD_Z for a in z)),
    ]


def _timing_features(
    word: WordEvidence,
    stats: Mapping[str, Sequence[float]],
    durations: Mapping[str, Sequence[float]],
) -> list[float]:
    """Durations against native ones (vowel length errors, squeezed or dropped phones) and the
    final consonant's fit and length (word-final T/D deletions)."""
    if not word.phones:
        return [0.0] * 5
    dz = [duration_z(p.phone, p.end - p.start, durations) for p in word.phones]
    fit = [z_score(p.phone, p.gop, stats) for p in word.phones]
    vowels = [i for i, p in enumerate(word.phones) if is_vowel(p.phone)]
    worst_vowel = min(vowels, key=lambda i: fit[i]) if vowels else None
    last = word.phones[-1]
    final_consonant = not is_vowel(last.phone) and len(word.phones) > 1
    return [
        min(dz),
        max(dz),
        dz[worst_vowel] if worst_vowel is not None else 0.0,
        fit[-1] if final_consonant else 0.0,
        float(final_consonant and last.end - last.start <= MIN_FRAMES),
    ]
