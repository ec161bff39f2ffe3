"""AlmAnalyzer with a scripted runtime: parsing well-formed, partial and garbage answers, the fallback."""

from __future__ import annotations

import pytest

from engine.analyzers.alm.analyzer import AlmAnalyzer
from engine.analyzers.alm.families.base import StopReason
from engine.analyzers.base import Analyzer, Cancelled
from engine.errors import AnalyzerError
from engine.feedback import Verdict
from engine.prompts import AUDIO_MARKER, PromptStyle
from tests.alm.conftest import FakeCpuAnalyzer, ScriptedRuntime, hand_assessment

SENTENCE = "I think this is right"
GOOD = ("word: think issue: TH was pronounced as S. suggestion: Put your tongue between your teeth.\n"
        "word: right issue: R was pronounced as L. suggestion: Curl your tongue back.")


def analyzer(*answers: object, style: PromptStyle = PromptStyle.TUNED, cpu: bool = True) -> AlmAnalyzer:
    return AlmAnalyzer(ScriptedRuntime(*answers), cpu_analyzer=FakeCpuAnalyzer() if cpu else None,
                       style=style, label="tiny")


def test_it_is_an_analyzer():
    assert isinstance(analyzer(GOOD), Analyzer)


def test_well_formed_answer_flags_words_with_the_cpu_timings(clip):
    result = analyzer(GOOD).analyze(clip, SENTENCE)
    flagged = {w.text: w for w in result.flagged_words}
    assert set(flagged) == {"think", "right"}
    assert flagged["think"].issues[0].explanation == "TH was pronounced as S."
    cpu = {w.index: w for w in hand_assessment().words}
    assert (flagged["right"].start_s, flagged["right"].end_s) == (cpu[4].start_s, cpu[4].end_s)
    assert flagged["think"].phones == cpu[1].phones  # the waveform can shade the phone
    assert flagged["right"].verdict is Verdict.WRONG
    assert result.engine == "alm:tiny" and result.notes == () and result.extra_words == ()
    assert result.duration_s == pytest.approx(clip.duration_s)
    assert result.score == 60.0  # 2 of 5 words flagged


def test_cpu_flags_the_model_does_not_confirm_are_cleared(clip):
    result = analyzer("No Problem").analyze(clip, SENTENCE)
    assert result.flagged_words == ()
    assert all(w.verdict is not Verdict.WRONG for w in result.words)  # CPU's WRONG "think" cleared
    assert result.score == 100.0


def test_words_not_in_the_sentence_are_dropped_counted_and_noted(clip):
    answer = GOOD + "\nword: banana issue: made up. suggestion: none."
    result = analyzer(answer).analyze(clip, SENTENCE)
    assert result.extra_words == ("banana",)
    assert {w.text for w in result.flagged_words} == {"think", "right"}
    assert any("banana" in note and "not in the sentence" in note for note in result.notes)


def test_partial_answer_keeps_what_parses_and_notes_the_rest(clip):
    answer = "Sure! Here is my analysis.\nword: think issue: TH as S. suggestion: bite\nword: rig"
    result = analyzer(answer).analyze(clip, SENTENCE)
    assert [w.text for w in result.flagged_words] == ["think"]
    assert any("2 line(s)" in note for note in result.notes)


@pytest.mark.parametrize("garbage", ["", "lorem ipsum dolor", "\x00\x01 ??", "word:"])
def test_garbage_falls_back_to_the_cpu_result_with_a_visible_note(clip, garbage):
    result = analyzer(garbage).analyze(clip, SENTENCE)
    cpu = hand_assessment()
    assert result.words == cpu.words and result.engine == "sphinx"
    assert any("could not be read" in n and "CPU analyzer's result" in n for n in result.notes)


def test_a_model_failure_falls_back_too(clip):
    result = analyzer(RuntimeError("CUDA out of memory")).analyze(clip, SENTENCE)
    assert result.engine == "sphinx"
    assert any("RuntimeError: CUDA out of memory" in n for n in result.notes)


def test_without_cpu_analyzer_garbage_is_an_analyzer_error_not_a_silent_pass(clip):
    with pytest.raises(AnalyzerError, match="no CPU analyzer"):
        analyzer("lorem ipsum", cpu=False).analyze(clip, SENTENCE)
    result = analyzer(GOOD, cpu=False).analyze(clip, SENTENCE)
    assert [w.text for w in result.words] == ["i", "think", "this", "is", "right"]
    assert {w.text for w in result.flagged_words} == {"think", "right"}


def test_cut_answers_are_noted(clip):
    result = analyzer((GOOD, StopReason.TIME)).analyze(clip, SENTENCE)
    assert any("time limit" in n for n in result.notes)
    result = analyzer((GOOD, StopReason.MAX_TOKENS)).analyze(clip, SENTENCE)
    assert any("was cut" in n for n in result.notes)


def test_cancel_raises_cancelled(clip):
    with pytest.raises(Cancelled):
        analyzer(GOOD).analyze(clip, SENTENCE, should_cancel=lambda: True)


def test_grounded_style_sends_the_cpu_evidence_and_tuned_does_not(clip):
    grounded = analyzer(GOOD, style=PromptStyle.GROUNDED)
    grounded.analyze(clip, SENTENCE)
    user = grounded.runtime.prompts[0].turns[-1].content
    assert AUDIO_MARKER in user and "TH>S" in user
    tuned = analyzer(GOOD)
    tuned.analyze(clip, SENTENCE)
    assert "TH>S" not in tuned.runtime.prompts[0].turns[-1].content
    with pytest.raises(AnalyzerError, match="grounded"):
        analyzer(GOOD, style=PromptStyle.GROUNDED, cpu=False).analyze(clip, SENTENCE)


def test_progress_is_reported_in_order(clip):
    steps: list[tuple[float, str]] = []
    analyzer(GOOD).analyze(clip, SENTENCE, progress=lambda f, m: steps.append((f, m)))
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_audio_longer_than_the_model_hears_is_noted(clip):
    alm = analyzer(GOOD)
    alm.runtime.max_audio_s = 1.0
    result = alm.analyze(clip, SENTENCE)  # a 2 s clip
    assert any("heard only the first 1 s of this 2 s recording" in n for n in result.notes)
    assert not any("heard only" in n for n in analyzer(GOOD).analyze(clip, SENTENCE).notes)


def test_off_format_gives_up_only_on_answers_that_are_not_feedback():
    from engine.analyzers.alm.analyzer import off_format

    assert off_format("Sure, I would be happy to help you with the pronunciation of this sentence")
    assert not off_format("word: think issue: TH as S. suggestion: bite")
    assert not off_format("Here you go:\nword: thi")  # a line is on its way
    assert not off_format("No Problem")


def test_repeated_lines_from_a_looping_model_count_once(clip):
    line = GOOD.splitlines()[0]
    result = analyzer("\n".join([line] * 5)).analyze(clip, SENTENCE)
    assert [len(w.issues) for w in result.flagged_words] == [1]
