"""The ARPAbet inventory: features, IPA, distances and plain-English differences."""

import pytest

from engine.errors import FormatError
from engine.phonetics.inventory import (
    PHONES,
    describe_difference,
    feature_distance,
    get_phone,
    is_vowel,
    phone_class,
    strip_stress,
    to_ipa,
)

ARPABET_39 = (  # noqa: SIM905 (one readable line per row)
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG "
    "OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()


def test_inventory_is_exactly_the_39_arpabet_phones():
    assert sorted(PHONES) == sorted(ARPABET_39)
    assert sum(p.vowel for p in PHONES.values()) == 15


@pytest.mark.parametrize(
    "symbol, voiced, place, manner",
    [
        ("DH", True, "dental", "fricative"),
        ("TH", False, "dental", "fricative"),
        ("S", False, "alveolar", "fricative"),
        ("Z", True, "alveolar", "fricative"),
        ("CH", False, "postalveolar", "affricate"),
        ("NG", True, "velar", "nasal"),
        ("K", False, "velar", "stop"),
        ("V", True, "labiodental", "fricative"),
        ("HH", False, "glottal", "fricative"),
        ("Y", True, "palatal", "glide"),
        ("L", True, "alveolar", "liquid"),
    ],
)
def test_consonant_features(symbol, voiced, place, manner):
    phone = get_phone(symbol)
    assert (phone.vowel, phone.voiced, phone.place, phone.manner) == (False, voiced, place, manner)


@pytest.mark.parametrize(
    "symbol, height, backness, rounded, tense, diphthong",
    [
        ("IY", "high", "front", False, True, False),
        ("IH", "high", "front", False, False, False),
        ("UW", "high", "back", True, True, False),
        ("AE", "low", "front", False, False, False),
        ("EY", "mid", "front", False, True, True),
        ("OY", "mid", "back", True, True, True),
    ],
)
def test_vowel_features(symbol, height, backness, rounded, tense, diphthong):
    p = get_phone(symbol)
    assert (p.vowel, p.height, p.backness, p.rounded, p.tense, p.diphthong) == (
        True,
        height,
        backness,
        rounded,
        tense,
        diphthong,
    )


def test_stress_digits_and_case_are_accepted():
    assert strip_stress("AH0") == "AH"
    assert strip_stress(" iy1 ") == "IY"
    assert get_phone("ER2") is PHONES["ER"]
    assert is_vowel("AH0") and not is_vowel("T")


def test_unknown_phone_lists_valid_symbols():
    with pytest.raises(FormatError) as info:
        get_phone("XX")
    assert "'XX'" in str(info.value) and "ZH" in str(info.value) and "AA" in str(info.value)
    with pytest.raises(ValueError):
        get_phone("R*")


def test_phone_class():
    assert [phone_class(s) for s in ("AA", "P", "F", "JH", "M", "R", "W")] == [
        "vowel",
        "stop",
        "fricative",
        "affricate",
        "nasal",
        "liquid",
        "glide",
    ]


def test_ipa_strings():
    assert to_ipa(["DH", "IH1", "S"]) == "ðɪs"
    assert to_ipa(["TH", "IH1", "NG", "K"]) == "θɪŋk"
    assert to_ipa(["AH0", "B", "AW1", "T"]) == "əbaʊt"  # unstressed AH is schwa
    assert to_ipa(["B", "ER1", "D"]) == "bɝd"
    assert to_ipa(["CH", "EH", "R"]) == "tʃɛɹ"


def test_feature_distance_properties():
    assert feature_distance("S1", "S") == 0.0
    for a in ARPABET_39:
        for b in ARPABET_39:
            d = feature_distance(a, b)
            assert 0.0 <= d <= 1.0
            assert d == feature_distance(b, a)
            assert (d == 0.0) == (a == b)
    # voicing pairs are closer than unrelated consonants; vowel/consonant is maximal
    assert feature_distance("S", "Z") < feature_distance("S", "M")
    assert feature_distance("IY", "IH") < feature_distance("IY", "AA")
    assert feature_distance("T", "AA") == 1.0
    assert feature_distance("W", "UW") < feature_distance("W", "AA")


def test_describe_difference_voicing_place_manner():
    assert describe_difference("Z", "S").startswith("/Z/ is voiced, /S/ is not")
    assert describe_difference("S", "Z").startswith("/S/ is voiceless, /Z/ is voiced")
    th_t = describe_difference("TH", "T")
    assert "between the teeth" in th_t and "fricative" in th_t and "stop" in th_t
    assert "voiced" not in th_t  # both voiceless
    r_l = describe_difference("R", "L")
    assert "/L/" in r_l and "sides" in r_l


def test_describe_difference_vowels():
    assert "long and tense" in describe_difference("IY", "IH")
    uw_iy = describe_difference("UW", "IY")
    assert "back" in uw_iy and "rounded" in uw_iy
    assert "glides" in describe_difference("EY", "EH")
    vowel_vs_stop = describe_difference("AH", "T")
    assert "vowel" in vowel_vs_stop and "consonant" in vowel_vs_stop


def test_brief_difference_drops_explanations():
    assert describe_difference("Z", "S", brief=True) == "/Z/ is voiced, /S/ is not"
    assert describe_difference("TH", "T", brief=True).endswith("/TH/ is a fricative, /T/ is a stop")
    assert "(" not in describe_difference("V", "W", brief=True)


def test_example_words_contain_their_phone():
    from engine.phonetics.lexicon import Lexicon

    lexicon = Lexicon.default()
    for symbol, phone in PHONES.items():
        assert symbol in lexicon.lookup(phone.example).phones, (symbol, phone.example)
