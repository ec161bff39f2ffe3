"""Is a word mispronounced? A logistic combination of the word's acoustic evidence.

No single measure separates well on this acoustic model (each alone reaches
an area under the ROC curve of 0.65-0.80 on the calibration data), so the
decision combines them: the worst and the mean fit of the word's phones in
native standard deviations, the word's length, and, when an error form won
the probe alignment, its class, its gain over the dictionary form, the fit of
the expected phone where the error is, and whether the free phone loop agrees.
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

ERROR_CLASSES = ("consonant", "vowel", "deletion", "insertion")
FEATURES = (
    "z_min", "z_mean", "log_frames", "has_error_form", "gain", "z_at_error", "fit_at_error", "loop_agrees",
    *(f"is_{c}" for c in ERROR_CLASSES),
    *(f"gain_x_{c}" for c in ERROR_CLASSES),
    *(f"z_at_error_x_{c}" for c in ERROR_CLASSES),
)  # fmt: skip
_FALLBACK_STATS = (-15.0, 15.0)
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


def usable_variant(word: WordEvidence) -> Variant | None:
    """The error form the probe chose, if it edits the same dictionary form the canonical pass chose."""
    v = word.variant
    return v if v is not None and v.base == word.canonical else None


def features(
    word: WordEvidence,
    loop: Sequence[Segment],
    stats: Mapping[str, Sequence[float]],
) -> tuple[float, ...]:
    """The word's evidence as the numbers ``FEATURES`` names."""
    from engine.analyzers.sphinx.scoring import expected_fit, loop_support

    z = [z_score(p.phone, p.gop, stats) for p in word.phones] or [0.0]
    frames = [max(1, p.end - p.start) for p in word.phones] or [1]
    base = [min(z), sum(a * f for a, f in zip(z, frames)) / sum(frames), math.log1p(sum(frames))]
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
        + onehot
        + [o * gain for o in onehot]
        + [o * z_at for o in onehot]
    )
