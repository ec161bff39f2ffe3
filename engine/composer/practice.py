"""Practice words and minimal pairs: real, common words found in the lexicon.

The candidates are the words of ``resources/phonetics/common_words.txt`` (the
20,000 most probable words of pocketsphinx's bundled US-English language model
that cmudict lists, most frequent first; see ``build_common_words.py`` there),
so suggestions are everyday words, never the dictionary's rare entries. Each
word takes its main (first) dictionary pronunciation. Every search is ordered
by frequency rank with ties broken alphabetically: same input, same words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import SayWellError
from engine.phonetics.inventory import strip_stress

Phones = tuple[str, ...]

#: Where a phone sits in a word; "any" matches every position.
POSITIONS = ("initial", "medial", "final", "any")
_MAX_PRACTICE_PHONES = 6  # longer words are harder to practise with
_KEEP = 200  # results kept per search (a tutor asking for "more words" pages through them)


@dataclass(frozen=True, slots=True)
class PracticeWord:
    """A common word and its main pronunciation (ARPAbet, no stress)."""

    word: str
    phones: Phones
    rank: int  # 0 = most frequent

    def display(self) -> str:
        """``"THIS" (/DH IH S/)``: the form the feedback text uses."""
        return f'"{self.word.upper()}" (/{" ".join(self.phones)}/)'


@dataclass(frozen=True)
class MinimalPair:
    """Two common words that differ in one phone: ``first`` has the target sound."""

    first: PracticeWord
    second: PracticeWord
    position: str  # where the two words differ: initial, medial or final

    def display(self) -> str:
        return f"{self.first.display()} vs. {self.second.display()}"


def position_of(index: int, length: int) -> str:
    """ "initial", "final" or "medial" for phone ``index`` of a word of ``length`` phones."""
    if index == 0:
        return "initial"
    return "final" if index == length - 1 else "medial"


def read_word_list(path: Path) -> list[tuple[str, Phones]]:
    """(word, main pronunciation) of a frequency list, most frequent first.

    One ``word PH ON ES`` line per word, as ``build_common_words.py`` writes it.

    Raises:
        SayWellError: the bundled list is missing, unreadable or has a line without phones.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SayWellError(f"Cannot read the common-word list {path}: {err}") from err
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or line.startswith("#"):
            continue
        if len(parts) < 2:
            raise SayWellError(f"{path}, line {number}: expected 'word PH ON ES', got {line!r}.")
        entries.append((parts[0].lower(), tuple(parts[1:])))
    return entries


class PracticeIndex:
    """Finds practice words and minimal pairs among common words.

    ``entries`` are (word, main pronunciation) pairs, most frequent first; a
    repeated word keeps its first entry.
    """

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        self._words: list[PracticeWord] = []
        self._by_phones: dict[Phones, PracticeWord] = {}
        self._rank: dict[str, int] = {}
        self._with_phone: dict[str, list[PracticeWord]] = {}  # phone -> words with it, by rank
        self._cache: dict[tuple, list] = {}  # searches are pure: remember their ranked results
        for word, phones in entries:
            if not phones or word in self._rank:
                continue
            entry = PracticeWord(word, tuple(phones), len(self._words))
            self._words.append(entry)
            self._rank[word] = entry.rank
            self._by_phones.setdefault(entry.phones, entry)  # most frequent homophone wins
            for phone in dict.fromkeys(entry.phones):
                self._with_phone.setdefault(phone, []).append(entry)

    @classmethod
    def from_words(
        cls, words: Iterable[str], pronounce: Callable[[str], Sequence[Sequence[str]]]
    ) -> PracticeIndex:
        """Index ``words`` (most frequent first) with their first pronunciation from
        ``pronounce`` (e.g. ``Lexicon.variants``); words it does not know are skipped."""
        return cls((w, v[0]) for w in words for v in (pronounce(w),) if v)

    def __len__(self) -> int:
        return len(self._words)

    def rank(self, word: str) -> int | None:
        """Frequency rank of ``word`` (0 = most common), None when not a common word."""
        return self._rank.get(word.lower())

    def word(self, word: str) -> PracticeWord | None:
        rank = self.rank(word)
        return None if rank is None else self._words[rank]

    def practice_words(
        self,
        phone: str,
        *,
        position: str = "any",
        context: Sequence[str] = (),
        exclude: Iterable[str] = (),
        limit: int = 3,
    ) -> list[PracticeWord]:
        """Common short words containing ``phone``, best first.

        ``position`` prefers words with the phone there; ``context`` (the phones
        just before and after it, "" for none) prefers words sharing that cluster,
        e.g. ("S", "") for a final /T/ after /S/ finds "just", "first".
        """
        skip = {w.lower() for w in exclude}
        ranked = self._ranked_words(strip_stress(phone), position, tuple(context))
        return [entry for entry in ranked if entry.word not in skip][:limit]

    def _ranked_words(
        self, phone: str, position: str, context: tuple[str, ...]
    ) -> list[PracticeWord]:
        key = ("words", phone, position, context)
        if key not in self._cache:
            scored = [
                (best, entry.rank, entry)
                for entry in self._with_phone.get(phone, ())
                if len(entry.phones) <= _MAX_PRACTICE_PHONES and len(entry.word) >= 2
                for best in (_best_occurrence(entry.phones, phone, position, context),)
                if best is not None
            ]
            scored.sort(key=lambda t: (t[0], t[1]))
            self._cache[key] = [entry for _, _, entry in scored[:_KEEP]]
        return self._cache[key]

    def minimal_pairs(
        self, target: str, other: str, *, position: str = "any", limit: int = 1
    ) -> list[MinimalPair]:
        """Pairs of common words that differ only in ``target`` vs ``other``, best first.

        Ranked by the rarer word's frequency rank, tripled when the pair differs
        elsewhere than ``position``, so "think"/"sink" beats "ether"/"esther".
        """
        target, other = strip_stress(target), strip_stress(other)
        key = ("pairs", target, other, position)
        if key not in self._cache:
            self._cache[key] = self._search_pairs(target, other, position)
        return self._cache[key][:limit]

    def _search_pairs(self, target: str, other: str, position: str) -> list[MinimalPair]:
        found: dict[tuple[str, str], tuple[int, MinimalPair]] = {}
        for entry in self._with_phone.get(target, ()):
            for i, p in enumerate(entry.phones):
                if p != target:
                    continue
                twin = self._by_phones.get(entry.phones[:i] + (other,) + entry.phones[i + 1 :])
                if twin is None or twin.word == entry.word or (entry.word, twin.word) in found:
                    continue
                where = position_of(i, len(entry.phones))
                cost = max(entry.rank, twin.rank) * (1 if position in ("any", where) else 3)
                cost += 50 * max(0, len(entry.phones) - 4)  # short words are easier to hear
                found[(entry.word, twin.word)] = (cost, MinimalPair(entry, twin, where))
        best = sorted(found.values(), key=lambda t: (t[0], t[1].first.word))
        return [pair for _, pair in best[:_KEEP]]


def _best_occurrence(
    phones: Phones, phone: str, position: str, context: Sequence[str]
) -> int | None:
    """0 (position and context match) .. 3 (phone present elsewhere); None when absent."""
    best = None
    for i, p in enumerate(phones):
        if p != phone:
            continue
        score = 0 if position in ("any", position_of(i, len(phones))) else 2
        if context and not _context_matches(phones, i, context):
            score += 1
        best = score if best is None else min(best, score)
    return best


def _context_matches(phones: Phones, i: int, context: Sequence[str]) -> bool:
    before, after = (list(context) + ["", ""])[:2]
    ok_before = not before or (i > 0 and phones[i - 1] == before)
    ok_after = not after or (i + 1 < len(phones) and phones[i + 1] == after)
    return ok_before and ok_after
