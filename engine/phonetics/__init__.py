"""Phonetics: the ARPAbet phone inventory, the CMU lexicon, text normalisation, G2P fallback.

``inventory`` holds the 39 phones with articulatory features and IPA; import
from the submodules (``from engine.phonetics.inventory import get_phone``).
"""

from engine.phonetics.inventory import (
    PHONES,
    Phone,
    UnknownPhoneError,
    describe_difference,
    feature_distance,
    get_phone,
    is_vowel,
    phone_class,
    strip_stress,
    to_ipa,
)

__all__ = [
    "PHONES",
    "Phone",
    "UnknownPhoneError",
    "describe_difference",
    "feature_distance",
    "get_phone",
    "is_vowel",
    "phone_class",
    "strip_stress",
    "to_ipa",
]
