"""Fallback pronunciations for words the CMU dictionary lacks (marked guessed).

Why home-made: the neural G2P packages (g2p_en and kin) need torch-free
weights or NLTK data downloaded at run time, which SayWell must never do, and
the CPU path may not import torch. Unknown words in a read-aloud sentence are
mostly inflections or compounds of known words, so we first build the guess
from dictionary pieces ("promoter's" = promoter + Z, "snowboarding" =
snow + board + ing) and only then fall back to English letter-to-sound rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.phonetics.lexicon import Lexicon, Phones

_VOICELESS = frozenset(["P", "T", "K", "F", "TH", "S", "SH", "CH", "HH"])
_SIBILANTS = frozenset(["S", "Z", "SH", "ZH", "CH", "JH"])

#: Suffix -> phones appended to the stem's pronunciation (None: depends on the stem's end).
_SUFFIXES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("'s", None),
    ("s'", None),
    ("es", None),
    ("s", None),
    ("ed", None),
    ("ing", ("IH", "NG")),
    ("ers", ("ER", "Z")),
    ("er", ("ER",)),
    ("est", ("AH", "S", "T")),
    ("ly", ("L", "IY")),
    ("ness", ("N", "AH", "S")),
    ("ful", ("F", "AH", "L")),
    ("less", ("L", "AH", "S")),
    ("ment", ("M", "AH", "N", "T")),
    ("able", ("AH", "B", "AH", "L")),
    ("y", ("IY",)),
)

#: Letter groups -> phones, longest first. Context rules are in ``_letters``.
_GRAPHEMES: dict[str, tuple[str, ...]] = {
    "tch": ("CH",),
    "sch": ("S", "K"),
    "igh": ("AY",),
    "ough": ("AH", "F"),
    "augh": ("AO",),
    "tion": ("SH", "AH", "N"),
    "sion": ("ZH", "AH", "N"),
    "ture": ("CH", "ER"),
    "ch": ("CH",),
    "sh": ("SH",),
    "th": ("TH",),
    "ph": ("F",),
    "wh": ("W",),
    "ck": ("K",),
    "ng": ("NG",),
    "qu": ("K", "W"),
    "kn": ("N",),
    "wr": ("R",),
    "gh": ("G",),
    "ee": ("IY",),
    "ea": ("IY",),
    "oo": ("UW",),
    "ou": ("AW",),
    "ow": ("OW",),
    "oi": ("OY",),
    "oy": ("OY",),
    "ai": ("EY",),
    "ay": ("EY",),
    "au": ("AO",),
    "aw": ("AO",),
    "ei": ("EY",),
    "ey": ("IY",),
    "ie": ("IY",),
    "oa": ("OW",),
    "ue": ("UW",),
    "ew": ("UW",),
    "ar": ("AA", "R"),
    "er": ("ER",),
    "ir": ("ER",),
    "ur": ("ER",),
    "or": ("AO", "R"),
    "a": ("AE",),
    "b": ("B",),
    "c": ("K",),
    "d": ("D",),
    "e": ("EH",),
    "f": ("F",),
    "g": ("G",),
    "h": ("HH",),
    "i": ("IH",),
    "j": ("JH",),
    "k": ("K",),
    "l": ("L",),
    "m": ("M",),
    "n": ("N",),
    "o": ("AA",),
    "p": ("P",),
    "q": ("K",),
    "r": ("R",),
    "s": ("S",),
    "t": ("T",),
    "u": ("AH",),
    "v": ("V",),
    "w": ("W",),
    "x": ("K", "S"),
    "y": ("Y",),
    "z": ("Z",),
}
_LONG_VOWELS = {"a": ("EY",), "e": ("IY",), "i": ("AY",), "o": ("OW",), "u": ("UW",), "y": ("AY",)}
_VOWEL_LETTERS = frozenset("aeiouy")
_MIN_PIECE = 3  # shortest dictionary piece used in a compound (avoids "a" + "bcd" splits)


def guess_phones(word: str, lexicon: Lexicon) -> Phones:
    """A plausible pronunciation of ``word``: from dictionary pieces, else letter rules."""
    word = word.lower().strip("'")
    letters_only = "".join(c for c in word if c.isalpha() or c == "'")
    return (
        _from_apostrophe(letters_only, lexicon)
        or _from_suffix(letters_only, lexicon)
        or _from_compound(letters_only, lexicon)
        or letters_to_phones(letters_only.replace("'", ""))
    )


def _known(word: str, lexicon: Lexicon) -> Phones | None:
    variants = lexicon.variants(word) or lexicon.variants("'" + word)
    return variants[0] if variants else None


def _from_apostrophe(word: str, lexicon: Lexicon) -> Phones | None:
    return _known(word, lexicon) if "'" not in word else _known(word.replace("'", ""), lexicon)


def _plural_or_past(stem: Phones, suffix: str) -> Phones:
    last = stem[-1]
    if suffix == "ed":
        return stem + (
            ("IH", "D") if last in ("T", "D") else ("T",) if last in _VOICELESS else ("D",)
        )
    if last in _SIBILANTS:
        return stem + ("IH", "Z")
    return stem + (("S",) if last in _VOICELESS else ("Z",))


def _stems(stem: str) -> tuple[str, ...]:
    """Spellings the stem may have had before the suffix: "hop(p)ing", "mak(e)ing", "carr(y)ies"."""
    forms = [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        forms.append(stem[:-1])
    if stem.endswith("i"):
        forms.append(stem[:-1] + "y")
    return tuple(forms)


def _from_suffix(word: str, lexicon: Lexicon) -> Phones | None:
    for suffix, phones in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < 2:
            continue
        for stem in _stems(word[: -len(suffix)]):
            stem_phones = _known(stem, lexicon) or _from_compound(stem, lexicon)
            if stem_phones:
                return stem_phones + phones if phones else _plural_or_past(stem_phones, suffix)
    return None


def _from_compound(word: str, lexicon: Lexicon) -> Phones | None:
    """Split into two dictionary words, the most balanced split first."""
    cuts = sorted(
        range(_MIN_PIECE, len(word) - _MIN_PIECE + 1), key=lambda i: abs(len(word) / 2 - i)
    )
    for cut in cuts:
        head, tail = _known(word[:cut], lexicon), _known(word[cut:], lexicon)
        if head and tail:
            return head + tail
    return None


def letters_to_phones(word: str) -> Phones:
    """English letter-to-sound rules (rough, for words no dictionary piece explains)."""
    phones: list[str] = []
    i = 0
    while i < len(word):
        step, sounds = _letters(word, i)
        phones.extend(sounds)
        i += step
    return tuple(phones) or ("AH",)


def _letters(word: str, i: int) -> tuple[int, tuple[str, ...]]:
    rest, nxt = word[i:], word[i + 1 : i + 2]
    if rest == "e" and i > 1:  # silent final e
        return 1, ()
    if rest[0] in "cg" and nxt and nxt in "eiy":  # soft c and g
        return 1, ("S",) if rest[0] == "c" else ("JH",)
    if rest[0] == "y" and i > 0:  # y after the first letter is a vowel
        return 1, ("IY",) if i == len(word) - 1 else ("IH",)
    if (
        rest[0] in _LONG_VOWELS
        and len(rest) == 3
        and rest[2] == "e"
        and rest[1] not in _VOWEL_LETTERS
    ):
        return 1, _LONG_VOWELS[rest[0]]  # vowel-consonant-e: "make", "bike"
    for size in (4, 3, 2, 1):
        piece = rest[:size]
        if len(piece) == size and piece in _GRAPHEMES:
            return size, _GRAPHEMES[piece]
    return 1, ()  # a letter with no rule (should not happen for a-z)
