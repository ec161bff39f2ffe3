"""The CMU lexicon and the G2P fallback for unknown words."""

from __future__ import annotations

import pytest

from engine.phonetics.g2p import guess_phones, letters_to_phones
from engine.phonetics.inventory import PHONES
from engine.phonetics.lexicon import Lexicon, Pronunciation, parse_dict


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.default()


def test_default_is_cached_and_large(lexicon: Lexicon) -> None:
    assert Lexicon.default() is lexicon
    assert len(lexicon) > 100_000


def test_lookup_known_word_without_stress(lexicon: Lexicon) -> None:
    assert lexicon.lookup("Regret") == Pronunciation(
        "regret", ("R", "AH", "G", "R", "EH", "T"), False
    )


def test_variants_in_dictionary_order(lexicon: Lexicon) -> None:
    assert lexicon.variants("don't") == (("D", "OW", "N", "T"), ("D", "OW", "N"))
    assert lexicon.variants("the")[0] == ("DH", "AH")
    assert lexicon.variants("zzqxv") == ()


def test_mapping_protocol(lexicon: Lexicon) -> None:
    assert "o'clock" in lexicon and "ZZQXV" not in lexicon and 3 not in lexicon
    assert set(lexicon["read"]) == {("R", "EH", "D"), ("R", "IY", "D")}
    with pytest.raises(KeyError):
        lexicon["zzqxv"]
    assert "hello" in set(iter(lexicon))


def test_every_phone_is_in_the_inventory(lexicon: Lexicon) -> None:
    sample = [w for i, w in enumerate(lexicon) if i % 500 == 0]
    for word in sample:
        for variant in lexicon.variants(word):
            assert set(variant) <= set(PHONES), word


def test_words_by_phones_finds_homophones(lexicon: Lexicon) -> None:
    assert {"red", "read"} <= set(lexicon.words_by_phones(("R", "EH", "D")))


def test_unknown_word_from_known_pieces_is_guessed(lexicon: Lexicon) -> None:
    assert lexicon.lookup("promoter's") == Pronunciation(
        "promoter's", lexicon.variants("promoter")[0] + ("Z",), guessed=True
    )
    snowboarding = lexicon.lookup("snowboarding")
    assert snowboarding.guessed
    assert snowboarding.phones[-2:] == ("IH", "NG") and snowboarding.phones[:3] == ("S", "N", "OW")


def test_plural_and_past_agree_in_voicing(lexicon: Lexicon) -> None:
    assert guess_phones("zorbs", Lexicon({"zorb": ["Z AO R B"]})) == ("Z", "AO", "R", "B", "Z")
    assert guess_phones("zorked", Lexicon({"zork": ["Z AO R K"]}))[-1] == "T"
    assert guess_phones("zorted", Lexicon({"zort": ["Z AO R T"]}))[-2:] == ("IH", "D")


def test_letter_rules_give_plausible_phones() -> None:
    assert letters_to_phones("blick") == ("B", "L", "IH", "K")
    assert letters_to_phones("shate") == ("SH", "EY", "T")
    assert letters_to_phones("cimbo")[0] == "S"
    phones = letters_to_phones("xqzwv")
    assert phones and set(phones) <= set(PHONES)


def test_leading_apostrophe_form_is_found(lexicon: Lexicon) -> None:
    # "'em" in the text is normalised to "em"; both spellings must have a pronunciation.
    assert not lexicon.lookup("em").guessed


def test_parse_dict_reads_variants_and_comments() -> None:
    lex = Lexicon(parse_dict("Tomato T AH0 M EY1 T OW2\ntomato(2) T AH0 M AA1 T OW2 # british\n"))
    assert lex.variants("TOMATO") == (
        ("T", "AH", "M", "EY", "T", "OW"),
        ("T", "AH", "M", "AA", "T", "OW"),
    )
