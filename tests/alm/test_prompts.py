"""The shared prompt module: the three styles, grounding evidence, answer text, chat opening."""

from __future__ import annotations

import pytest

from engine.feedback import FeedbackItem, format_feedback_lines, parse_feedback_lines
from engine.prompts import (
    AUDIO_MARKER,
    PROMPT_VERSION,
    PromptStyle,
    answer_from_feedback_dict,
    answer_text,
    build_prompt,
    evidence_text,
    tutor_prompt,
)
from tests.alm.conftest import hand_assessment

SENTENCE = "I think this is right"


def test_each_style_has_one_audio_marker_in_the_user_turn_and_the_sentence():
    for style in PromptStyle:
        prompt = build_prompt(style, SENTENCE, hand_assessment())
        user = [t for t in prompt.turns if t.role == "user"]
        assert len(user) == 1 and user[0].content.count(AUDIO_MARKER) == 1
        assert f'"{SENTENCE}"' in user[0].content
        assert prompt.style is style and prompt.version == PROMPT_VERSION


def test_one_shot_adds_an_example_in_the_answer_format_and_tuned_does_not():
    one_shot = build_prompt("one_shot", SENTENCE).turns[-1].content
    tuned = build_prompt("tuned", SENTENCE).turns[-1].content
    example = one_shot[len(tuned):]
    assert one_shot.startswith(tuned)
    assert len(parse_feedback_lines(example).items) == 2


def test_grounded_prompt_lists_every_word_with_its_phone_evidence():
    text = build_prompt(PromptStyle.GROUNDED, SENTENCE, hand_assessment()).turns[-1].content
    assert "2. think (score 41): TH>S IH NG K" in text
    assert "4. is (score 70): IH Z>-" in text
    assert "1. i (score 95): AY" in text


def test_grounded_prompt_without_evidence_is_refused():
    with pytest.raises(ValueError, match="evidence"):
        build_prompt(PromptStyle.GROUNDED, SENTENCE)


def test_evidence_is_capped_and_says_how_many_words_are_hidden():
    text = evidence_text(hand_assessment(), max_words=2)
    assert text.count("\n") == 2 and text.endswith("(3 more words not shown)")


def test_answer_text_is_exactly_the_feedback_format_and_parses_back():
    items = [FeedbackItem("think", "TH was said as S.", "Tongue between the teeth.")]
    assert answer_text(items) == format_feedback_lines(items)
    assert parse_feedback_lines(answer_text(items)).items == tuple(items)
    assert answer_text([]) == "No Problem"


def test_answer_from_gold_dict_orders_items_by_sentence_position():
    gold = {"right": [{"issue": "R as L", "suggestion": "curl"}], "think": [{"issue": "TH as S", "suggestion": "bite"}]}
    lines = answer_from_feedback_dict(gold, SENTENCE).splitlines()
    assert [line.split()[1] for line in lines] == ["think", "right"]


def test_tutor_prompt_carries_the_feedback_and_summarises_dropped_questions():
    prompt = tutor_prompt(SENTENCE, "No Problem", ["Why is TH hard?", "And R?"])
    roles = [t.role for t in prompt.turns]
    assert roles == ["system", "user", "assistant"]
    assert prompt.turns[2].content == "No Problem"
    assert "Why is TH hard?; And R?" in prompt.turns[0].content
    assert "Earlier" not in tutor_prompt(SENTENCE, "No Problem").turns[0].content
