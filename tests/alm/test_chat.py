"""AlmTutor with a scripted runtime: multi-turn context, the context budget, streaming, cancel."""

from __future__ import annotations

import pytest

from engine.analyzers.alm.chat import NO_ANSWER, AlmTutor
from engine.analyzers.base import Cancelled, Tutor
from engine.errors import AnalyzerError, TextError
from engine.prompts import AUDIO_MARKER
from tests.alm.conftest import ScriptedRuntime, hand_assessment


def tutor(*answers: str, budget: int = 2048, max_new: int = 64) -> AlmTutor:
    return AlmTutor(ScriptedRuntime(*answers), context_budget_tokens=budget, max_new_tokens=max_new)


def test_it_is_a_tutor():
    assert isinstance(tutor(), Tutor)


def test_the_audio_feedback_and_earlier_turns_stay_in_context(clip):
    chat = tutor("Put your tongue between your teeth.", "Yes, like in 'thin'.")
    chat.begin(hand_assessment().with_notes(), clip)
    chat.ask("How do I say TH?")
    chat.ask("Is it the same in 'think'?")
    prompt = chat.runtime.prompts[-1]
    contents = [t.content for t in prompt.turns]
    assert [t.role for t in prompt.turns] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert AUDIO_MARKER in contents[1] and "I think this is right" in contents[1]
    assert contents[2] == hand_assessment().to_feedback_lines()
    assert contents[3:] == ["How do I say TH?", "Put your tongue between your teeth.", "Is it the same in 'think'?"]
    assert chat.history == (("How do I say TH?", "Put your tongue between your teeth."),
                            ("Is it the same in 'think'?", "Yes, like in 'thin'."))


def test_begin_starts_a_new_conversation(clip):
    chat = tutor("one", "two")
    chat.begin(hand_assessment(), clip)
    chat.ask("first?")
    chat.begin(hand_assessment(), clip)
    chat.ask("second?")
    assert [t.content for t in chat.runtime.prompts[-1].turns][3:] == ["second?"]


def test_oldest_turns_are_dropped_and_summarised_when_over_budget(clip):
    long_answer = " ".join(["word"] * 40)
    chat = tutor(long_answer, long_answer, long_answer, "short", budget=200, max_new=64)
    chat.begin(hand_assessment(), clip)
    for i in range(4):
        chat.ask(f"question {i}?")
    assert chat.dropped_questions[0] == "question 0?"
    last = chat.runtime.prompts[-1]
    assert chat.runtime.count_tokens(last, clip.samples) <= 200 - 64
    assert "question 0?" in last.turns[0].content  # summary in the system turn
    assert last.turns[-1].content == "question 3?" and AUDIO_MARKER in last.turns[1].content
    assert [t.role for t in last.turns[3:]] == ["user", "assistant"] * ((len(last.turns) - 4) // 2) + ["user"]


def test_tokens_stream_to_the_callback(clip):
    pieces: list[str] = []
    chat = tutor("Curl your tongue back.")
    chat.begin(hand_assessment(), clip)
    answer = chat.ask("And R?", on_token=pieces.append)
    assert len(pieces) == 4 and "".join(pieces).strip() == answer


def test_cancel_raises_and_forgets_the_unfinished_turn(clip):
    chat = tutor("never finished")
    chat.begin(hand_assessment(), clip)
    with pytest.raises(Cancelled):
        chat.ask("Why?", should_cancel=lambda: True)
    assert chat.history == ()


def test_bad_use_is_explained(clip):
    chat = tutor("")
    with pytest.raises(AnalyzerError, match="analyse a recording first"):
        chat.ask("Why?")
    chat.begin(hand_assessment())  # no clip: silence stands in
    with pytest.raises(TextError, match="empty"):
        chat.ask("   ")
    assert chat.ask("Why?") == NO_ANSWER
    with pytest.raises(AnalyzerError, match="must exceed"):
        AlmTutor(ScriptedRuntime(), context_budget_tokens=100, max_new_tokens=100)
