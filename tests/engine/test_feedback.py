"""The feedback schema: JSON round trip, the paper's text format, L2-Arctic-plus dicts."""

from __future__ import annotations

import json

import pytest

from engine.errors import FormatError
from engine.feedback import (
    NO_PROBLEM,
    SCHEMA_VERSION,
    Assessment,
    FeedbackItem,
    Issue,
    PhoneKind,
    PhoneResult,
    Verdict,
    WordResult,
    assessment_from_items,
    feedback_dict_from_items,
    feedback_dict_to_lines,
    format_feedback_lines,
    items_from_feedback_dict,
    parse_feedback_lines,
)

GOLD = {
    "judge": [
        {"issue": '"AH" was replaced with "UH", indicating a substitution error', "suggestion": 'Practice "DONE" vs "DUN"'},
        {"issue": '"JH" was replaced with "CH", indicating a substitution error', "suggestion": 'Say "JAR" vs "CHAR"'},
    ],
    "the": [{"issue": '"DH" was replaced with "D"', "suggestion": "Tongue between the teeth"}],
}
SENTENCE = "Who the devil gave it to you to be judge and jury".lower().split()


def _assessment() -> Assessment:
    phones = (
        PhoneResult("DH", "D", PhoneKind.SUBSTITUTION, 0.10, 0.15, 22.0),
        PhoneResult("AH", "AH", PhoneKind.CORRECT, 0.15, 0.20, 90.0),
        PhoneResult(None, "AH", PhoneKind.INSERTION, 0.20, 0.22, 10.0),
        PhoneResult("R", None, PhoneKind.DELETION, 0.22, 0.22, 0.0),
        PhoneResult("L", None, PhoneKind.UNCLEAR, 0.22, 0.3, 40.0),
    )
    words = (
        WordResult(0, "the", 0.1, 0.3, 45.0, Verdict.WRONG, phones, (Issue("DH became D", "Bite the tongue", 0),)),
        WordResult(1, "cat", 0.3, 0.6, 95.0, Verdict.GOOD),
    )
    return Assessment("The cat", words, 70.0, "sphinx", "DH AH K AE T", 0.7, ("quiet",), ("dog",))


def test_json_round_trip_preserves_everything():
    original = _assessment()
    again = Assessment.from_json(original.to_json())
    assert again == original
    assert json.loads(original.to_json())["schema_version"] == SCHEMA_VERSION


def test_json_rejects_other_versions_and_garbage():
    data = _assessment().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(FormatError, match="version"):
        Assessment.from_dict(data)
    with pytest.raises(FormatError, match="Not valid JSON"):
        Assessment.from_json("{nope")
    with pytest.raises(FormatError, match="Malformed"):
        Assessment.from_dict({"schema_version": SCHEMA_VERSION, "text": "x"})


def test_lines_round_trip_through_parser():
    items = items_from_feedback_dict(GOLD, SENTENCE)
    assert [i.word for i in items] == ["the", "judge", "judge"]  # sentence order
    text = format_feedback_lines(items)
    assert text.splitlines()[0].startswith("word: the issue: ")
    parsed = parse_feedback_lines(text)
    assert parsed.items == items and parsed.ok and parsed.unparsed == ()
    assert feedback_dict_from_items(parsed.items) == {"the": GOLD["the"], "judge": GOLD["judge"]}


def test_no_problem_both_ways():
    assert format_feedback_lines([]) == NO_PROBLEM
    assert feedback_dict_to_lines({}, SENTENCE) == NO_PROBLEM
    parsed = parse_feedback_lines("No Problem.")
    assert parsed.no_problem and parsed.ok and parsed.items == ()


def test_parser_tolerates_bullets_bold_partial_lines_and_chatter():
    text = (
        "Sure! Here is the feedback:\n"
        "1. **Word**: \"Judge\" issue: JH became CH suggestion: voice it\n"
        "- word: the, issue: DH became D\n"
        "word:  issue: nothing named\n"
    )
    parsed = parse_feedback_lines(text)
    assert [(i.word, i.suggestion) for i in parsed.items] == [("judge", "voice it"), ("the", "")]
    assert parsed.unparsed == ("Sure! Here is the feedback:", "word:  issue: nothing named")


def test_parser_on_garbage_is_not_ok():
    parsed = parse_feedback_lines("lorem ipsum\n\n@@@")
    assert not parsed.ok and len(parsed.unparsed) == 2


def test_multiline_fields_are_flattened_when_written():
    text = format_feedback_lines([FeedbackItem("the", "a\nb", "c  d")])
    assert text == "word: the issue: a b suggestion: c d"


def test_items_from_feedback_dict_rejects_bad_shapes():
    with pytest.raises(FormatError):
        items_from_feedback_dict(["not", "a", "dict"])
    with pytest.raises(FormatError):
        items_from_feedback_dict({"the": "oops"})


def test_assessment_from_items_maps_words_and_counts_extras():
    items = [FeedbackItem("judge", "x", "y"), FeedbackItem("Zebra", "x", "y"), FeedbackItem("to", "a", "b")]
    timings = {7: WordResult(7, "to", 1.0, 1.2, 30.0, Verdict.NEEDS_WORK)}
    result = assessment_from_items(SENTENCE, items, engine="alm", timings=timings)
    assert [w.index for w in result.flagged_words] == [7, 9]  # "to" at 7 is the suspect one, not 5
    assert result.words[7].start_s == 1.0 and result.words[7].verdict is Verdict.NEEDS_WORK
    assert result.words[9].verdict is Verdict.WRONG
    assert result.extra_words == ("zebra",)
    assert result.score == pytest.approx(100 * (1 - 2 / len(SENTENCE)), abs=0.1)
    assert result.to_feedback_dict() == {"to": [{"issue": "a", "suggestion": "b"}], "judge": [{"issue": "x", "suggestion": "y"}]}
