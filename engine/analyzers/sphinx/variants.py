"""Competing pronunciations: the likely learner errors of a word, as phone edits.

Each ``Variant`` is the word's dictionary pronunciation with one edit: a phone
substituted by a sound learners (and L2-ARCTIC annotators) often put in its
place, a consonant deleted, or a vowel or consonant inserted (epenthesis).
The aligner lets the acoustic model choose between the dictionary forms and
these; the scorer accepts a variant only when it wins by a calibrated margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.phonetics.inventory import is_vowel

#: Substitutions tried for each expected phone: common L2 confusions (R/L, DH/D/Z,
#: TH/T/S/F, V/W/B/F, Z/S, IH/IY, AE/EH, UH/UW, ...) and the most frequent swaps
#: in the L2-Arctic-plus training annotations (Z->S, DH->D, IH->IY, ER->AH, ...).
SUBSTITUTES: dict[str, tuple[str, ...]] = {
    "R": ("L", "W"),
    "L": ("R", "W"),
    "W": ("V", "L"),
    "Y": ("JH",),
    "DH": ("D", "Z", "L"),
    "TH": ("T", "S", "F"),
    "Z": ("S",),
    "S": ("Z", "SH"),
    "SH": ("S",),
    "ZH": ("JH", "Z"),
    "V": ("F", "W", "B"),
    "F": ("P",),
    "P": ("B", "F"),
    "B": ("P", "V"),
    "T": ("D",),
    "D": ("T",),
    "K": ("G",),
    "G": ("K",),
    "N": ("NG", "L"),
    "NG": ("N",),
    "M": ("N",),
    "JH": ("ZH", "CH", "Y"),
    "CH": ("SH", "JH"),
    "HH": (),
    "IH": ("IY", "EH"),
    "IY": ("IH",),
    "EH": ("AE", "IH", "EY"),
    "AE": ("EH", "AA"),
    "EY": ("EH",),
    "AH": ("AA", "AO", "IH"),
    "AA": ("AO", "AH"),
    "AO": ("AA", "OW"),
    "OW": ("AO",),
    "UH": ("UW",),
    "UW": ("UH",),
    "ER": ("AH", "EH", "UH"),
    "AY": ("AA",),
    "AW": ("AA",),
    "OY": ("AO",),
}
#: Vowels inserted to break clusters or after a final consonant (epenthesis).
EPENTHETIC = ("AH",)
#: Consonants learners commonly add: "sing" -> "sing-g", an intrusive R after a vowel.
INTRUSIVE_AFTER = {"NG": "G", "AA": "R", "AO": "R", "AH": "R", "ER": "R"}


@dataclass(frozen=True)
class Variant:
    """A pronunciation of ``word`` differing from ``base`` by one edit.

    ``kind`` is "substitution", "deletion" or "insertion"; ``index`` is the
    position in ``base`` (for an insertion: the position the new phone takes).
    """

    word: str
    base: tuple[str, ...]
    phones: tuple[str, ...]
    kind: str
    index: int
    expected: str | None  # the base phone affected (None for an insertion)
    heard: str | None  # the phone put in its place (None for a deletion)

    @property
    def error_class(self) -> str:
        """The calibration class: evidence is weighed differently per class."""
        if self.kind != "substitution":
            return self.kind
        assert self.expected is not None
        return "vowel" if is_vowel(self.expected) else "consonant"


def word_variants(
    word: str, base: tuple[str, ...], known: frozenset[tuple[str, ...]]
) -> tuple[Variant, ...]:
    """All one-edit error variants of ``base``, skipping ones that are dictionary forms (``known``)."""
    found: dict[tuple[str, ...], Variant] = {}
    for variant in (*_substitutions(word, base), *_deletions(word, base), *_insertions(word, base)):
        if variant.phones and variant.phones not in known:
            found.setdefault(variant.phones, variant)
    return tuple(found.values())


def _substitutions(word: str, base: tuple[str, ...]) -> list[Variant]:
    return [
        Variant(word, base, base[:i] + (q,) + base[i + 1 :], "substitution", i, p, q)
        for i, p in enumerate(base)
        for q in SUBSTITUTES.get(p, ())
    ]


def _deletions(word: str, base: tuple[str, ...]) -> list[Variant]:
    """Consonant deletions (final consonants, post-vocalic R, cluster members) and schwa loss."""
    if len(base) < 2:
        return []
    return [
        Variant(word, base, base[:i] + base[i + 1 :], "deletion", i, p, None)
        for i, p in enumerate(base)
        if not is_vowel(p) or (p == "AH" and 0 < i < len(base) - 1)
    ]


def _insertions(word: str, base: tuple[str, ...]) -> list[Variant]:
    """Epenthetic vowels in consonant clusters and after a final consonant; intrusive consonants."""
    out: list[Variant] = []
    for i in range(1, len(base) + 1):
        prev, nxt = base[i - 1], base[i] if i < len(base) else None
        if not is_vowel(prev) and (nxt is None or not is_vowel(nxt)):
            out += [_insert(word, base, i, v) for v in EPENTHETIC]
        intrusive = INTRUSIVE_AFTER.get(prev)
        if intrusive and nxt != intrusive and (nxt is None or prev == "NG"):
            out.append(_insert(word, base, i, intrusive))
    if len(base) > 1 and base[0] == "S" and not is_vowel(base[1]):
        out.append(_insert(word, base, 0, "IH"))  # "school" -> "ischool"
    return out


def _insert(word: str, base: tuple[str, ...], i: int, phone: str) -> Variant:
    return Variant(word, base, base[:i] + (phone,) + base[i:], "insertion", i, None, phone)
