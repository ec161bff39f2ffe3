"""The pronunciation lexicon: the CMU dictionary that pocketsphinx ships.

Words are lower case; pronunciations are ARPAbet without stress digits (the
pocketsphinx copy has none). ``word(2)``, ``word(3)`` lines are variants of
``word``, kept in dictionary order (the first is the most common one).
Words the dictionary lacks get a rule-based guess from ``engine.phonetics.g2p``,
marked ``guessed=True`` so the feedback can say so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.errors import SayWellError

Phones = tuple[str, ...]


@dataclass(frozen=True)
class Pronunciation:
    """How a word is expected to sound: ARPAbet phones without stress digits."""

    word: str
    phones: Phones
    guessed: bool = False  # True when no dictionary entry exists and G2P made it up


def default_dict_path() -> Path:
    """The CMU dictionary bundled with pocketsphinx's US-English model."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


def parse_dict(text: str) -> dict[str, list[str]]:
    """Parse CMU-dictionary text (``word PH ON ES`` per line) into word -> raw phone strings.

    Phone strings are split only when a word is looked up: loading stays ~0.15 s.
    """
    entries: dict[str, list[str]] = {}
    for line in text.lower().splitlines():
        head, _, phones = line.partition(" ")
        if not phones or head.startswith(";;;"):
            continue
        if head[-1] == ")":  # "word(2)": a variant of "word"
            head = head[: head.find("(")]
        known = entries.get(head)
        if known is None:
            entries[head] = [phones]
        else:
            known.append(phones)
    return entries


def _split_phones(raw: str) -> Phones:
    """ "R AH0 G R EH1 T # comment" -> ("R", "AH", "G", "R", "EH", "T")."""
    return tuple(p.rstrip("012").upper() for p in raw.split("#", 1)[0].split())


class Lexicon(Mapping[str, tuple[Phones, ...]]):
    """Word -> pronunciation variants. Read-only; a ``Mapping`` over lower-case words."""

    def __init__(self, entries: Mapping[str, list[str]]):
        self._raw = dict(entries)  # word -> raw phone strings, split on first lookup
        self._entries: dict[str, tuple[Phones, ...]] = {}
        self._by_phones: dict[Phones, tuple[str, ...]] | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        """Load a CMU-format dictionary file.

        Raises:
            SayWellError: the file is missing or unreadable.
        """
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise SayWellError(f"Cannot read the pronunciation dictionary {path}: {err}") from err
        return cls(parse_dict(text))

    @classmethod
    def default(cls) -> Lexicon:
        """The shared lexicon from pocketsphinx's CMU dictionary (loaded once, ~0.15 s)."""
        return _default_lexicon()

    # -- Mapping -------------------------------------------------------------
    def __getitem__(self, word: str) -> tuple[Phones, ...]:
        variants = self.variants(word)
        if not variants:
            raise KeyError(word)
        return variants

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    # -- lookups -------------------------------------------------------------
    def variants(self, word: str) -> tuple[Phones, ...]:
        """All dictionary pronunciations of ``word`` (most common first); () when unknown."""
        word = word.lower()
        variants = self._entries.get(word)
        if variants is None:
            unique: dict[Phones, None] = {}
            for raw in self._raw.get(word, ()):
                unique.setdefault(_split_phones(raw), None)
            variants = self._entries[word] = tuple(v for v in unique if v)
        return variants

    def lookup(self, word: str) -> Pronunciation:
        """The main pronunciation of ``word``, guessed by G2P when the dictionary lacks it."""
        word = word.lower()
        variants = self.variants(word)
        if variants:
            return Pronunciation(word, variants[0], guessed=False)
        from engine.phonetics.g2p import guess_phones

        return Pronunciation(word, guess_phones(word, self), guessed=True)

    def pronunciations(self, word: str) -> tuple[Pronunciation, ...]:
        """Every variant as a ``Pronunciation``; one guessed one when the word is unknown."""
        word = word.lower()
        variants = self.variants(word)
        if not variants:
            return (self.lookup(word),)
        return tuple(Pronunciation(word, v) for v in variants)

    def words_by_phones(self, phones: Phones) -> tuple[str, ...]:
        """Dictionary words with exactly these phones (for minimal pairs); built on first use."""
        if self._by_phones is None:
            index: dict[Phones, list[str]] = {}
            for word in self._raw:
                for v in self.variants(word):
                    index.setdefault(v, []).append(word)
            self._by_phones = {k: tuple(v) for k, v in index.items()}
        return self._by_phones.get(tuple(phones), ())


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    return Lexicon.from_file(default_dict_path())
