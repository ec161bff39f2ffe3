"""Feedback composer: phone-level errors -> explanation and actionable suggestion.

``Composer.default()`` is the shared instance; ``Composer.default().feedback_from_record(record)``
turns an L2-ARCTIC annotated record into L2-Arctic-plus feedback.
"""

from engine.composer.annotation import AnnotatedWord, PhoneError, parse_annotation
from engine.composer.composer import Articulation, Composer, load_articulation
from engine.composer.practice import MinimalPair, PracticeIndex, PracticeWord

__all__ = [
    "AnnotatedWord",
    "Articulation",
    "Composer",
    "MinimalPair",
    "PhoneError",
    "PracticeIndex",
    "PracticeWord",
    "load_articulation",
    "parse_annotation",
]
