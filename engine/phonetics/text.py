"""Text normalisation: a reference sentence in, the words a reader says out.

The word forms are the keys of the L2-Arctic-plus feedback dicts: lower case,
punctuation stripped, apostrophes kept inside words ("don't", "o'clock") and
dropped at the edges ("'em" -> "em"), hyphenated words split. Numbers become
words the way an American reader says them: "1999" -> "nineteen ninety-nine"
(a year), "3rd" -> "third", "3.5" -> "three point five", "$5" -> "five
dollars", "50%" -> "fifty percent", "10:30" -> "ten thirty". Accents are
dropped ("café" -> "cafe") and Latin letters outside a-z are spelled out
("Straße" -> "strasse", "Ærø" -> "aero", "Þór" -> "thor"); words in other
scripts are rejected with a message naming the script.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

from engine.errors import TextError

#: Symbols read aloud as words.
SPOKEN_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "@": "at", "=": "equals", "#": "number"}
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
#: Latin letters with no decomposition into a base letter plus accents, spelled the way
#: English text usually writes them ("Straße" -> "strasse", "Ærø" -> "aero", "Łódź" -> "lodz").
_LATIN_LETTERS = str.maketrans(
    {
        "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
        "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ŋ": "ng", "Ŋ": "NG", "ĸ": "k",
    }
)  # fmt: skip
_DASHES = re.compile(r"[\u2010-\u2015\u2212_/]")

_TOKEN_RE = re.compile(
    r"""(?P<money>[$£€]\d[\d,]*(?:\.\d+)?)
      | (?P<time>\d{1,2}:\d{2})
      | (?P<ordinal>\d+(?:st|nd|rd|th)\b)
      | (?P<decade>\d{2,4}'?s\b)
      | (?P<number>\d[\d,]*(?:\.\d+)?)
      | (?P<word>[A-Za-z]+(?:'[A-Za-z]+)*)
      | (?P<symbol>[&%+@=#])
      | (?P<foreign>[^\W\d_]+)""",
    re.VERBOSE,
)


def normalize_sentence(text: str) -> tuple[str, ...]:
    """The sentence's spoken words, lower case, in reading order.

    Raises:
        TextError: ``text`` is not a string or has no speakable word (empty,
            only punctuation or unknown symbols).
    """
    if not isinstance(text, str):
        raise TextError(f"The sentence must be text, got {type(text).__name__}.")
    cleaned = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_LATIN_LETTERS)
    cleaned = _fold_accents(cleaned)
    cleaned = _DASHES.sub(" ", cleaned).replace("-", " ")
    words: list[str] = []
    for match in _TOKEN_RE.finditer(cleaned):
        words.extend(_spoken(match.lastgroup or "", match.group()))
    if not words:
        shown = text.strip()[:60] or "(empty)"
        raise TextError(
            f"The sentence {shown!r} has no words to read aloud. "
            "Type the sentence as plain English words (numbers and & % $ are fine)."
        )
    return tuple(words)


def _fold_accents(text: str) -> str:
    """ "café" -> "cafe": drop combining marks so accented Latin letters read as plain ones."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _script(token: str) -> str:
    """A readable name for the writing system of ``token``'s first letter ("Cyrillic", "CJK")."""
    name = unicodedata.name(token[0], "")
    first = name.split(" ")[0] if name else ""
    if not first or first == "LATIN":
        return "letters outside a-z"
    return f"{first if first == 'CJK' else first.capitalize()} script"


def _spoken(kind: str, token: str) -> list[str]:
    if kind == "foreign":
        raise TextError(
            f"{token!r} is written in {_script(token)}, not in English letters; SayWell reads "
            "English sentences written with the letters a-z (accents are dropped), digits and "
            "& % $ symbols."
        )
    if kind == "word":
        word = token.lower().strip("'")
        return [word] if word else []
    if kind == "symbol":
        return [SPOKEN_SYMBOLS[token]]
    if kind == "money":
        return _money(token)
    if kind == "time":
        return _time(token)
    if kind == "ordinal":
        return _split(num2words(int(token[:-2]), to="ordinal"))
    if kind == "decade":
        return _decade(token.rstrip("s").rstrip("'"))
    return _number(token.replace(",", ""))


def _split(spoken: str) -> list[str]:
    """num2words output ("twenty-one, and ...") -> plain words."""
    return [w for w in re.split(r"[\s,\-]+", spoken.lower()) if w]


def _number(digits: str) -> list[str]:
    if "." in digits:
        return _split(num2words(float(digits))) if digits.replace(".", "").isdigit() else []
    value = int(digits)
    if len(digits) == 4 and 1100 <= value <= 2099:  # read as a year: "nineteen ninety-nine"
        return _split(num2words(value, to="year"))
    return _split(num2words(value))


def _decade(digits: str) -> list[str]:
    """ "1990s" -> "nineteen nineties", "80s" -> "eighties"."""
    words = _number(digits)
    last = words[-1]
    plural = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return words[:-1] + [plural]


def _money(token: str) -> list[str]:
    unit, units, sub, subs = _CURRENCIES[token[0]]
    whole, _, frac = token[1:].replace(",", "").partition(".")
    words = _split(num2words(int(whole))) + [unit if int(whole) == 1 else units]
    if frac and int(frac[:2].ljust(2, "0")):
        cents = int(frac[:2].ljust(2, "0"))
        words += ["and"] + _split(num2words(cents)) + [sub if cents == 1 else subs]
    return words


def _time(token: str) -> list[str]:
    hours, minutes = (int(p) for p in token.split(":"))
    words = _split(num2words(hours))
    if minutes == 0:
        return words + ["o'clock"]
    if minutes < 10:
        return words + ["oh"] + _split(num2words(minutes))
    return words + _split(num2words(minutes))
