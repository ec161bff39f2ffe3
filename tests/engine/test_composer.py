"""The feedback composer: error kinds, practice words from the lexicon, annotations, determinism."""

import json
from pathlib import Path

import pytest

from engine.composer import Composer, parse_annotation
from engine.composer.practice import PracticeIndex
from engine.errors import FormatError
from engine.feedback import Issue, PhoneKind, PhoneResult
from engine.phonetics.lexicon import Lexicon

RECORDS = json.loads((Path(__file__).parent.parent / "data" / "composer_records.json").read_text())
QUOTED = r'"([A-Z\']+)" \(/([A-Z ]+)/\)'


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer.default()


def _quoted_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    import re

    return [(w.lower(), tuple(p.split())) for w, p in re.findall(QUOTED, text)]


def _assert_real_pronunciations(
    text: str, learner_word: str = ""
) -> list[tuple[str, tuple[str, ...]]]:
    """Every quoted practice word is a dictionary word shown with a real pronunciation."""
    found = [(w, p) for w, p in _quoted_words(text) if w != learner_word]
    lexicon = Lexicon.default()
    for word, phones in found:
        assert phones in lexicon.variants(word), (word, phones)
    return found


def _sub(expected, heard, kind=PhoneKind.SUBSTITUTION):
    return PhoneResult(expected=expected, heard=heard, kind=kind)


def test_substitution_names_both_phones_and_gives_a_true_minimal_pair(composer):
    issue = composer.issue_for("this", _sub("DH", "D"), ["DH", "IH", "S"])
    assert issue.explanation == '"DH" was replaced with "D", indicating a substitution error'
    assert "/DH/ (ð) and /D/ (d)" in issue.suggestion  # ARPAbet with IPA
    (_, p1), (_, p2), *_ = _assert_real_pronunciations(issue.suggestion)
    assert "DH" in p1 and "D" in p2 and len(p1) == len(p2)
    assert sum(a != b for a, b in zip(p1, p2)) == 1  # differ in exactly one phone
    assert "between the teeth" in issue.suggestion  # how the two sounds differ / tongue placement


def test_voicing_substitution_says_what_differs(composer):
    issue = composer.issue_for("eyes", _sub("Z", "S"), ["AY", "Z"])
    assert "/Z/ is voiced, /S/ is not" in issue.suggestion


def test_deletion_gives_practice_words_that_contain_the_phone(composer):
    issue = composer.issue_for("must", _sub("T", None, PhoneKind.DELETION), ["M", "AH", "S", "T"])
    assert issue.explanation == '"T" was deleted, indicating a deletion error'
    assert 'at the end of "MUST"' in issue.suggestion
    words = _assert_real_pronunciations(issue.suggestion)
    practice = [phones for word, phones in words if word != "must"]
    assert practice and all(phones[-1] == "T" for phones in practice)  # final /T/, as in "must"


def test_insertion_names_the_added_sound_and_its_neighbours(composer):
    phones = [
        PhoneResult("IH", "IH", PhoneKind.CORRECT),
        PhoneResult("K", "K", PhoneKind.CORRECT),
        PhoneResult("S", "S", PhoneKind.CORRECT),
        PhoneResult(None, "AH", PhoneKind.INSERTION),
        PhoneResult("K", "K", PhoneKind.CORRECT),
        PhoneResult("Y", "Y", PhoneKind.CORRECT),
        PhoneResult("UW", "UW", PhoneKind.CORRECT),
        PhoneResult("Z", "Z", PhoneKind.CORRECT),
    ]
    (issue,) = composer.issues_for_word("excuse", phones)
    assert issue.phone_index == 3
    assert '"AH" was added' in issue.explanation and "addition error" in issue.explanation
    assert "between /S/ and /K/" in issue.suggestion
    assert "/IH K S K Y UW Z/" in issue.suggestion


def test_unclear_and_accented_phones(composer):
    unclear = composer.issue_for("cried", _sub("R", None, PhoneKind.UNCLEAR), ["K", "R", "AY", "D"])
    assert "unclear" in unclear.explanation and '"R"' in unclear.explanation
    assert all("R" in phones for _, phones in _assert_real_pronunciations(unclear.suggestion))
    accent = composer.issue_for("red", _sub("R", "R*"), ["R", "EH", "D"])
    assert "foreign accent" in accent.explanation
    assert "For /R/ (ɹ), curl your tongue tip back" in accent.suggestion  # placement tip


def test_issues_for_word_sets_phone_index_per_error(composer):
    phones = [
        PhoneResult("K", "G", PhoneKind.SUBSTITUTION),
        PhoneResult("L", "L", PhoneKind.CORRECT),
        PhoneResult("OW", "OW", PhoneKind.CORRECT),
        PhoneResult("S", None, PhoneKind.DELETION),
    ]
    issues = composer.issues_for_word("close", phones)
    assert [i.phone_index for i in issues] == [0, 3]
    assert all(isinstance(i, Issue) for i in issues)
    assert '"K" was replaced with "G"' in issues[0].explanation
    assert '"S" was deleted' in issues[1].explanation


def test_correct_phone_is_not_an_issue(composer):
    with pytest.raises(FormatError):
        composer.issue_for("cat", PhoneResult("K", "K", PhoneKind.CORRECT), ["K", "AE", "T"])


def test_feedback_from_real_annotations(composer):
    for record in RECORDS:
        feedback = composer.feedback_from_record(record)
        words = parse_annotation(record["annotation_info"])
        expected = {w.word: len(w.errors) for w in words if w.errors}
        assert {k: len(v) for k, v in feedback.items()} == expected
        assert set(feedback) == set(record["mis_exp_sug"])  # same words as the gold feedback
        for items in feedback.values():
            for item in items:
                assert item["issue"] and item["suggestion"]
                _assert_real_pronunciations(item["suggestion"])
    first = composer.feedback_from_annotation(RECORDS[0]["annotation_info"])
    assert (
        first["were"][0]["issue"] == '"ER" was replaced with "EH", indicating a substitution error'
    )
    assert '"R" was added' in first["were"][1]["issue"]
    assert "unclear" in first["hardly"][0]["issue"]


def test_annotation_parsing_places_errors():
    (word,) = parse_annotation(
        {"handkerchief": ["HH", "AE", "NG", "sil, D, a", "K", "ER", "CH, SH, s"]}
    )
    assert word.canonical == ("HH", "AE", "NG", "K", "ER", "CH")
    insertion, substitution = word.errors
    assert (insertion.kind, insertion.heard, insertion.index) == (PhoneKind.INSERTION, "D", 3)
    assert (substitution.kind, substitution.expected, substitution.heard, substitution.index) == (
        PhoneKind.SUBSTITUTION,
        "CH",
        "SH",
        5,
    )
    (accented,) = parse_annotation({"heavy": ["HH", "EH", "V, B*, s", "IY"]})
    assert accented.errors[0].accented and accented.errors[0].heard == "B"


@pytest.mark.parametrize(
    "bad",
    [
        ["DH", "IH", "XX"],
        ["DH, D"],
        ["DH, D, q"],
        "DH IH S",
    ],
)
def test_bad_annotations_raise_clear_errors(composer, bad):
    with pytest.raises(FormatError) as info:
        composer.feedback_from_annotation({"this": bad})
    assert "this" in str(info.value) and "CANON, PERCEIVED, TYPE" in str(info.value)


def test_record_without_annotation_is_rejected(composer):
    with pytest.raises(FormatError, match="annotation_info"):
        composer.feedback_from_record({"text": "hello"})


def test_deterministic_across_instances(composer):
    fresh = Composer.from_resources()
    for record in RECORDS:
        assert fresh.feedback_from_record(record) == composer.feedback_from_record(record)


def test_brief_wording_drops_the_articulation_detail(composer):
    brief = composer.with_detail(False).issue_for("this", _sub("DH", "D"), ["DH", "IH", "S"])
    full = composer.issue_for("this", _sub("DH", "D"), ["DH", "IH", "S"])
    assert brief.explanation == full.explanation
    assert brief.suggestion.startswith("Practice the distinction between /DH/ and /D/ with minimal")
    pair = brief.suggestion.split("like ", 1)[1]
    assert full.suggestion.endswith("/D/ is a stop") and pair in full.suggestion


def test_practice_index_prefers_common_words():
    index = PracticeIndex.from_words(
        ["zebra", "the", "this", "dis", "day", "they"], Lexicon.default().variants
    )
    (pair,) = index.minimal_pairs("DH", "D")
    assert (pair.first.word, pair.second.word) == ("this", "dis")  # ranks 2/3 beat "they"/"day" 5/4
    assert [w.word for w in index.practice_words("Z")] == ["zebra"]


def test_every_phone_gets_feedback_for_each_error_kind(composer):
    """No phone lacks articulation data or practice words; substitutions use the nearest phone."""
    from engine.phonetics.inventory import PHONES, feature_distance

    for symbol in PHONES:
        nearest = min(
            (p for p in PHONES if p != symbol), key=lambda p: (feature_distance(symbol, p), p)
        )
        word = ("AH", symbol, "AH")  # a neutral frame
        for kind, heard in (
            (PhoneKind.SUBSTITUTION, nearest),
            (PhoneKind.DELETION, None),
            (PhoneKind.UNCLEAR, None),
        ):
            issue = composer.issue_for("frame", PhoneResult(symbol, heard, kind), word, position=1)
            assert f'"{symbol}"' in issue.explanation and f"/{symbol}/" in issue.suggestion
            assert _assert_real_pronunciations(issue.suggestion, learner_word="frame")


def test_bundled_common_words_match_the_lexicon():
    """The shipped list stays in step with the dictionary: each line is a word's main variant."""
    from engine.composer.practice import read_word_list
    from engine.paths import resource

    entries = read_word_list(resource("phonetics", "common_words.txt"))
    lexicon = Lexicon.default()
    assert len(entries) == 20000 and entries[0] == ("the", ("DH", "AH"))
    assert all(lexicon.variants(word)[0] == phones for word, phones in entries)


def test_practice_words_are_never_names_brands_or_slang():
    """The LM's unigrams hold "obama", "reddit", "lol"...: the shipped list must not."""
    from engine.composer.practice import read_word_list
    from engine.paths import resource

    words = {w for w, _ in read_word_list(resource("phonetics", "common_words.txt"))}
    not_practice = {"obama", "york", "washington", "iraq", "reddit", "facebook", "xbox", "lol"}
    assert not words & (not_practice | {"que", "para", "monday", "david"})
    assert {"rice", "lice", "think", "sink", "very", "berry"} <= words


def test_practice_words_are_not_forms_of_the_learners_word(composer):
    feedback = composer.feedback_from_annotation(
        {"wounded": ["W", "UW", "N, sil, d", "D", "IH", "D"]}
    )
    words = [w for w, _ in _quoted_words(feedback["wounded"][0]["suggestion"]) if w != "wounded"]
    assert words and not any(w.startswith("wound") for w in words)


def test_insertion_says_how_to_join_the_neighbours(composer):
    feedback = composer.feedback_from_annotation(
        {
            "sleep": ["sil, AH, a", "S", "L", "IY", "P"],
            "oozing": ["UW", "Z", "IH", "NG", "sil, G, a"],
        }
    )
    assert feedback["sleep"][0]["suggestion"].endswith("start directly with /S/")
    assert "end cleanly on /NG/, without releasing a /G/" in feedback["oozing"][0]["suggestion"]
