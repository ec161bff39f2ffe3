"""Text normalisation: the words a reader says, as feedback-dict keys."""

from __future__ import annotations

import pytest

from engine.errors import TextError
from engine.phonetics.text import normalize_sentence


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ("hello", "world")),
        ("Don't stop at 10 o'clock.", ("don't", "stop", "at", "ten", "o'clock")),
        ("God bless 'em, I hope I'll go", ("god", "bless", "em", "i", "hope", "i'll", "go")),
        ("The promoter’s eyes", ("the", "promoter's", "eyes")),
        ("a well-known fact", ("a", "well", "known", "fact")),
        ("In 1999", ("in", "nineteen", "ninety", "nine")),
        ("the 21st time", ("the", "twenty", "first", "time")),
        ("pi is 3.14", ("pi", "is", "three", "point", "one", "four")),
        ("1,000,000 people", ("one", "million", "people")),
        ("$5.50", ("five", "dollars", "and", "fifty", "cents")),
        ("50% & more", ("fifty", "percent", "and", "more")),
        ("at 10:05", ("at", "ten", "oh", "five")),
        ("the 1990s", ("the", "nineteen", "nineties")),
        ("Café naïve", ("cafe", "naive")),
        ("Straße GROẞ", ("strasse", "gross")),
        ("Æsop's Cœur Ærø", ("aesop's", "coeur", "aero")),
        ("Łódź Đorđe Søren", ("lodz", "dorde", "soren")),
        ("Þór and Ðæ", ("thor", "and", "dae")),
        ("  multiple   spaces\tand\nlines ", ("multiple", "spaces", "and", "lines")),
    ],
)
def test_normalize_sentence(text: str, words: tuple[str, ...]) -> None:
    assert normalize_sentence(text) == words


@pytest.mark.parametrize("text", ["", "   ", "...", "?! -- ;", "()"])
def test_no_speakable_word_is_a_text_error(text: str) -> None:
    with pytest.raises(TextError, match="no words to read aloud"):
        normalize_sentence(text)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("hello 你好", "CJK script"),
        ("привет world", "Cyrillic script"),
        ("καλημέρα", "Greek script"),
    ],
)
def test_non_latin_script_is_named(text: str, script: str) -> None:
    with pytest.raises(TextError, match=f"written in {script}, not in English letters"):
        normalize_sentence(text)


def test_latin_letter_outside_a_z_is_named() -> None:
    with pytest.raises(TextError, match="letters outside a-z"):
        normalize_sentence("the ʃ sound")


def test_non_string_is_a_text_error() -> None:
    with pytest.raises(TextError, match="must be text"):
        normalize_sentence(None)  # type: ignore[arg-type]


def test_train_sample_keys_match() -> None:
    # Keys of real L2-Arctic-plus annotation_info for these sentences (copied from the train sample).
    assert normalize_sentence(
        "That's where they cut off the Scottish Chiefs and killed all hands"
    ) == (
        "that's",
        "where",
        "they",
        "cut",
        "off",
        "the",
        "scottish",
        "chiefs",
        "and",
        "killed",
        "all",
        "hands",
    )
