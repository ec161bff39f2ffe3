"""The 39 ARPAbet phones of US English with their articulatory features and IPA.

Every other part of SayWell names sounds in ARPAbet (as the CMU dictionary and
L2-ARCTIC do); this module says what each sound *is*: how it is made, how it is
written in IPA, a common word that has it, and how far apart two sounds are.
Stress digits ("AH0", "IY1") are accepted everywhere and ignored, except in
``to_ipa`` where unstressed AH/ER are written as schwa (ə, ɚ).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import FormatError

#: Places of articulation from the lips backwards; the order gives place distance.
PLACES = (
    "bilabial",
    "labial-velar",
    "labiodental",
    "dental",
    "alveolar",
    "postalveolar",
    "palatal",
    "velar",
    "glottal",
)
MANNERS = ("stop", "fricative", "affricate", "nasal", "liquid", "glide")
HEIGHTS = ("high", "mid", "low")
BACKNESS = ("front", "central", "back")

_STRESS_RE = re.compile(r"[012]$")


class UnknownPhoneError(FormatError, ValueError):
    """A symbol is not one of the 39 ARPAbet phones."""


@dataclass(frozen=True)
class Phone:
    """One ARPAbet phone. Consonant fields are None for vowels and the reverse."""

    symbol: str
    ipa: str
    example: str  # a common word with this sound, e.g. "think" for TH
    vowel: bool
    # consonants
    voiced: bool = True
    place: str | None = None
    manner: str | None = None
    # vowels (for diphthongs: the starting position)
    height: str | None = None
    backness: str | None = None
    rounded: bool = False
    tense: bool = False  # tense/long vs lax/short
    diphthong: bool = False
    offglide: str | None = None  # where a diphthong ends: "IH" (front) or "UH" (back)
    rhotic: bool = False  # R, ER: r-coloured

    @property
    def phone_class(self) -> str:
        """ "vowel" or the consonant's manner ("stop", "fricative", ...)."""
        return "vowel" if self.vowel else str(self.manner)

    @property
    def description(self) -> str:
        """Plain phonetic name, e.g. "voiced dental fricative" or "short high front vowel"."""
        if not self.vowel:
            voicing = "voiced" if self.voiced else "voiceless"
            return f"{voicing} {self.place} {self.manner}"
        length = "long" if self.tense else "short"
        parts = [length, self.height, self.backness, "rounded" if self.rounded else "unrounded"]
        kind = "diphthong" if self.diphthong else "vowel"
        if self.rhotic:
            kind = "r-coloured vowel"
        return " ".join(parts + [kind])


def _c(
    symbol: str, ipa: str, example: str, voiced: bool, place: str, manner: str, **kw: bool
) -> Phone:
    return Phone(symbol, ipa, example, False, voiced=voiced, place=place, manner=manner, **kw)


def _v(symbol: str, ipa: str, example: str, height: str, backness: str, **kw: bool | str) -> Phone:
    return Phone(symbol, ipa, example, True, height=height, backness=backness, **kw)


_ALL = (
    # vowels: IPA is the General American value; height/backness of a diphthong = its start
    _v("AA", "ɑ", "father", "low", "back", tense=True),
    _v("AE", "æ", "cat", "low", "front"),
    _v("AH", "ʌ", "cup", "mid", "central"),
    _v("AO", "ɔ", "thought", "mid", "back", rounded=True, tense=True),
    _v("AW", "aʊ", "now", "low", "central", tense=True, diphthong=True, offglide="UH"),
    _v("AY", "aɪ", "my", "low", "central", tense=True, diphthong=True, offglide="IH"),
    _v("EH", "ɛ", "bed", "mid", "front"),
    _v("ER", "ɝ", "bird", "mid", "central", tense=True, rhotic=True),
    _v("EY", "eɪ", "day", "mid", "front", tense=True, diphthong=True, offglide="IH"),
    _v("IH", "ɪ", "sit", "high", "front"),
    _v("IY", "i", "see", "high", "front", tense=True),
    _v("OW", "oʊ", "go", "mid", "back", rounded=True, tense=True, diphthong=True, offglide="UH"),
    _v("OY", "ɔɪ", "boy", "mid", "back", rounded=True, tense=True, diphthong=True, offglide="IH"),
    _v("UH", "ʊ", "book", "high", "back", rounded=True),
    _v("UW", "u", "food", "high", "back", rounded=True, tense=True),
    # consonants
    _c("B", "b", "bat", True, "bilabial", "stop"),
    _c("CH", "tʃ", "chair", False, "postalveolar", "affricate"),
    _c("D", "d", "dog", True, "alveolar", "stop"),
    _c("DH", "ð", "this", True, "dental", "fricative"),
    _c("F", "f", "fish", False, "labiodental", "fricative"),
    _c("G", "ɡ", "go", True, "velar", "stop"),
    _c("HH", "h", "hat", False, "glottal", "fricative"),
    _c("JH", "dʒ", "judge", True, "postalveolar", "affricate"),
    _c("K", "k", "cat", False, "velar", "stop"),
    _c("L", "l", "leg", True, "alveolar", "liquid"),
    _c("M", "m", "man", True, "bilabial", "nasal"),
    _c("N", "n", "no", True, "alveolar", "nasal"),
    _c("NG", "ŋ", "sing", True, "velar", "nasal"),
    _c("P", "p", "pen", False, "bilabial", "stop"),
    _c("R", "ɹ", "red", True, "postalveolar", "liquid", rhotic=True),
    _c("S", "s", "sun", False, "alveolar", "fricative"),
    _c("SH", "ʃ", "she", False, "postalveolar", "fricative"),
    _c("T", "t", "top", False, "alveolar", "stop"),
    _c("TH", "θ", "think", False, "dental", "fricative"),
    _c("V", "v", "van", True, "labiodental", "fricative"),
    _c("W", "w", "we", True, "labial-velar", "glide", rounded=True),
    _c("Y", "j", "yes", True, "palatal", "glide"),
    _c("Z", "z", "zoo", True, "alveolar", "fricative"),
    _c("ZH", "ʒ", "measure", True, "postalveolar", "fricative"),
)

#: The 39 phones by ARPAbet symbol (no stress digits).
PHONES: dict[str, Phone] = {p.symbol: p for p in _ALL}
VOWELS = frozenset(s for s, p in PHONES.items() if p.vowel)
CONSONANTS = frozenset(s for s, p in PHONES.items() if not p.vowel)
#: Reduced (unstressed) IPA forms.
_UNSTRESSED_IPA = {"AH": "ə", "ER": "ɚ"}


def strip_stress(symbol: str) -> str:
    """ "AH0" -> "AH"; upper-cases and trims; does not check the symbol."""
    return _STRESS_RE.sub("", symbol.strip().upper())


def get_phone(symbol: str) -> Phone:
    """The phone for an ARPAbet symbol, with or without a stress digit.

    Raises:
        UnknownPhoneError: not one of the 39 phones (the message lists them).
    """
    phone = PHONES.get(strip_stress(str(symbol)))
    if phone is None:
        raise UnknownPhoneError(
            f"Unknown ARPAbet phone {symbol!r}; valid phones (optionally with stress 0/1/2): "
            + " ".join(sorted(PHONES))
        )
    return phone


def is_phone(symbol: str) -> bool:
    """True when ``symbol`` (stress digits allowed) is one of the 39 phones."""
    return strip_stress(str(symbol)) in PHONES


def is_vowel(symbol: str) -> bool:
    """True for the 15 vowels (AA ... UW), stress digits allowed."""
    return get_phone(symbol).vowel


def phone_class(symbol: str) -> str:
    """ "vowel", "stop", "fricative", "affricate", "nasal", "liquid" or "glide"."""
    return get_phone(symbol).phone_class


def ipa(symbol: str) -> str:
    """IPA for one phone; unstressed AH0/ER0 give ə/ɚ."""
    base = strip_stress(symbol)
    if symbol.strip().endswith("0") and base in _UNSTRESSED_IPA:
        return _UNSTRESSED_IPA[base]
    return get_phone(symbol).ipa


def to_ipa(phones: Sequence[str]) -> str:
    """IPA for a phone sequence, e.g. ["DH", "IH1", "S"] -> "ðɪs" (no slashes, no stress marks)."""
    return "".join(ipa(p) for p in phones)


# -- distances and differences -------------------------------------------------

# Manner pairs that learners (and acoustic models) confuse readily count half.
_CLOSE_MANNERS = {
    frozenset(("stop", "affricate")),
    frozenset(("fricative", "affricate")),
    frozenset(("liquid", "glide")),
}
# Vowel-like consonants and their vowel twins: nearer than any other cross-class pair.
_VOWEL_TWINS = {frozenset(("W", "UW")), frozenset(("Y", "IY")), frozenset(("R", "ER"))}


def _scaled_gap(scale: Sequence[str], a: str | None, b: str | None) -> float:
    """Distance of two values along an ordered scale, 0..1."""
    return abs(scale.index(str(a)) - scale.index(str(b))) / (len(scale) - 1)


def _consonant_distance(a: Phone, b: Phone) -> float:
    manner = 0.0
    if a.manner != b.manner:
        manner = 0.2 if frozenset((a.manner, b.manner)) in _CLOSE_MANNERS else 0.4
    place = 0.35 * min(1.0, 3 * _scaled_gap(PLACES, a.place, b.place))
    return 0.2 * (a.voiced != b.voiced) + place + manner + 0.1 * (a.rhotic != b.rhotic)


def _vowel_distance(a: Phone, b: Phone) -> float:
    return (
        0.35 * _scaled_gap(HEIGHTS, a.height, b.height)
        + 0.3 * _scaled_gap(BACKNESS, a.backness, b.backness)
        + 0.15 * (a.rounded != b.rounded)
        + 0.1 * (a.tense != b.tense)
        + 0.1 * (a.diphthong != b.diphthong)
        + 0.2 * (a.diphthong and b.diphthong and a.offglide != b.offglide)
        + 0.15 * (a.rhotic != b.rhotic)
    )


def feature_distance(a: str, b: str) -> float:
    """How different two phones are, from 0 (same) to 1 (very different).

    A weighted count of differing articulatory features: voicing, place and
    manner for consonants; height, backness, rounding, length, glide and
    r-colouring for vowels. A vowel and a consonant are 1 apart, except the
    vowel-like pairs W/UW, Y/IY, R/ER (0.7). Used to rank substitution candidates.
    """
    pa, pb = get_phone(a), get_phone(b)
    if pa is pb:
        return 0.0
    if pa.vowel != pb.vowel:
        return 0.7 if frozenset((pa.symbol, pb.symbol)) in _VOWEL_TWINS else 1.0
    raw = _vowel_distance(pa, pb) if pa.vowel else _consonant_distance(pa, pb)
    return round(min(1.0, raw), 3)


_PLACE_WORDS = {
    "bilabial": "with both lips",
    "labial-velar": "with rounded lips and the back of the tongue raised",
    "labiodental": "with the upper teeth on the lower lip",
    "dental": "with the tongue tip between the teeth",
    "alveolar": "with the tongue tip on the ridge behind the upper teeth",
    "postalveolar": "with the tongue pulled back behind the ridge behind the upper teeth",
    "palatal": "with the middle of the tongue raised to the roof of the mouth",
    "velar": "with the back of the tongue against the soft palate",
    "glottal": "in the throat, with the mouth open",
}
_MANNER_WORDS = {
    "stop": "a stop (the air is blocked, then released)",
    "fricative": "a fricative (a steady hiss of air through a narrow gap)",
    "affricate": "an affricate (a stop released into a hiss)",
    "nasal": "a nasal (the air goes out through the nose)",
    "liquid": "a liquid (the air flows smoothly around the tongue)",
    "glide": "a glide (a quick, vowel-like movement)",
}
_HEIGHT_WORDS = {
    "high": "the tongue high",
    "mid": "the tongue half-way",
    "low": "the jaw open and the tongue low",
}
_BACK_WORDS = {"front": "at the front", "central": "in the middle", "back": "at the back"}


def _sym(p: Phone) -> str:
    return f"/{p.symbol}/"


def _consonant_differences(a: Phone, b: Phone) -> list[str]:
    out = []
    if a.voiced != b.voiced:
        if a.voiced:
            out.append(f"{_sym(a)} is voiced, {_sym(b)} is not: feel your throat buzz on {_sym(a)}")
        else:
            out.append(f"{_sym(a)} is voiceless, {_sym(b)} is voiced: no throat buzz on {_sym(a)}")
    if {a.symbol, b.symbol} == {"R", "L"}:
        out.append(
            "for /L/ the tongue tip touches the ridge behind the upper teeth and air flows "
            "around its sides; for /R/ the tongue tip touches nothing and curls slightly back"
        )
    elif a.place != b.place:
        out.append(
            f"{_sym(a)} is made {_PLACE_WORDS[str(a.place)]}, {_sym(b)} {_PLACE_WORDS[str(b.place)]}"
        )
    if a.manner != b.manner:
        out.append(
            f"{_sym(a)} is {_MANNER_WORDS[str(a.manner)]}, {_sym(b)} is {_MANNER_WORDS[str(b.manner)]}"
        )
    return out


def _vowel_differences(a: Phone, b: Phone) -> list[str]:
    out = []
    if a.height != b.height:
        out.append(
            f"{_sym(a)} is said with {_HEIGHT_WORDS[str(a.height)]}, "
            f"{_sym(b)} with {_HEIGHT_WORDS[str(b.height)]}"
        )
    if a.backness != b.backness:
        out.append(
            f"{_sym(a)} is made {_BACK_WORDS[str(a.backness)]} of the mouth, "
            f"{_sym(b)} {_BACK_WORDS[str(b.backness)]}"
        )
    if a.rounded != b.rounded:
        lips = ("rounded", "relaxed, unrounded") if a.rounded else ("relaxed, unrounded", "rounded")
        out.append(f"{_sym(a)} has {lips[0]} lips, {_sym(b)} {lips[1]} lips")
    if a.tense != b.tense:
        out.append(
            f"{_sym(a)} is {'long and tense' if a.tense else 'short and relaxed'}, "
            f"{_sym(b)} is {'long and tense' if b.tense else 'short and relaxed'}"
        )
    if a.diphthong != b.diphthong:
        moving, still = (a, b) if a.diphthong else (b, a)
        out.append(
            f"{_sym(moving)} glides from one vowel position to another, {_sym(still)} holds still"
        )
    elif a.offglide != b.offglide:
        ends = {
            "IH": "ends with the tongue high at the front",
            "UH": "ends with rounded lips, tongue high at the back",
        }
        out.append(f"{_sym(a)} {ends[str(a.offglide)]}, {_sym(b)} {ends[str(b.offglide)]}")
    if a.rhotic != b.rhotic:
        out.append(
            f"{_sym(a if a.rhotic else b)} is r-coloured (tongue bunched or curled back), "
            f"{_sym(b if a.rhotic else a)} is not"
        )
    return out


def describe_difference(a: str, b: str, *, brief: bool = False) -> str:
    """How target ``a`` differs from ``b`` in articulation, in plain English.

    E.g. ``describe_difference("Z", "S")`` -> "/Z/ is voiced, /S/ is not: feel
    your throat buzz on /Z/". Clauses are joined with "; ". ``brief=True``
    keeps the first two clauses without their explanations in parentheses or
    after a colon ("/TH/ is a fricative, /T/ is a stop").
    """
    pa, pb = get_phone(a), get_phone(b)
    if pa is pb:
        return f"{_sym(pa)} and {_sym(pb)} are the same sound"
    if pa.vowel != pb.vowel:
        kinds = ["a vowel" if p.vowel else f"a consonant ({p.description})" for p in (pa, pb)]
        parts = [f"{_sym(pa)} is {kinds[0]}, {_sym(pb)} is {kinds[1]}"]
    else:
        parts = _vowel_differences(pa, pb) if pa.vowel else _consonant_differences(pa, pb)
    if not parts:
        return f"{_sym(pa)} and {_sym(pb)} differ only slightly"
    if brief:
        parts = [_BRIEF_RE.sub("", part).split(": ")[0] for part in parts[:2]]
    return "; ".join(parts)


_BRIEF_RE = re.compile(r" \([^)]*\)")
