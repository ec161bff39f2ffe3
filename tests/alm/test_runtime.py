"""Real tiny runtimes: training encodings, batching, streaming, cancel, time limit, garbage fallback."""

from __future__ import annotations

import pytest

from engine.analyzers.alm.analyzer import AlmAnalyzer
from engine.analyzers.alm.chat import AlmTutor
from engine.analyzers.alm.families.base import IGNORE_INDEX, StopReason
from engine.analyzers.alm.loader import load_runtime
from engine.analyzers.base import Cancelled
from engine.prompts import tuned_prompt
from tests.alm.conftest import SENTENCE, FakeCpuAnalyzer, hand_assessment, make_clip

pytestmark = pytest.mark.slow
ANSWER = "word: think issue: TH was pronounced as S. suggestion: Put your tongue between your teeth."


@pytest.fixture(scope="module", params=["qwen2-audio", "whisper-llm"])
def runtime(request: pytest.FixtureRequest, adapters: dict):
    return load_runtime(adapters[request.param]["config"]).runtime


def test_training_labels_cover_exactly_the_answer_and_its_end_of_turn(runtime):
    batch = runtime.encode(tuned_prompt(SENTENCE), make_clip().samples, answer=ANSWER)
    labels = batch["labels"][0]
    answer_positions = labels != IGNORE_INDEX
    first = int(answer_positions.nonzero()[0])
    assert bool(answer_positions[first:].all())  # the answer is the tail, nothing masked inside it
    assert batch["input_ids"][0, first:].tolist() == labels[first:].tolist()
    decoded = runtime.tokenizer.decode(labels[first:].tolist())
    assert decoded.startswith(ANSWER) and "<|im_end|>" in decoded
    prompt_only = runtime.encode(tuned_prompt(SENTENCE), make_clip().samples)
    assert prompt_only["input_ids"].shape[1] == first and "labels" not in prompt_only


def test_collate_pads_examples_of_different_lengths(runtime):
    short = runtime.encode(tuned_prompt("Hi"), make_clip(1.0).samples, answer="No Problem")
    long = runtime.encode(tuned_prompt(SENTENCE), make_clip(2.0).samples, answer=ANSWER)
    batch = runtime.collate([short, long])
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape
    assert batch["input_ids"].shape[0] == 2
    assert int(batch["attention_mask"][0].sum()) == short["input_ids"].shape[1]
    assert int((batch["labels"][0] != IGNORE_INDEX).sum()) == int((short["labels"] != IGNORE_INDEX).sum())
    loss = runtime.model(**batch).loss
    assert loss.isfinite()


def test_streamed_pieces_make_up_the_answer(runtime, clip):
    tutor = AlmTutor(runtime, max_new_tokens=12, context_budget_tokens=2048)
    tutor.begin(hand_assessment(), clip)
    pieces: list[str] = []
    answer = tutor.ask("How do I say TH?", on_token=pieces.append)
    assert pieces and "".join(pieces).strip() == answer.strip()


def test_cancel_stops_generation_early(runtime, clip):
    calls = {"n": 0}

    def cancel_on_third_check() -> bool:
        calls["n"] += 1
        return calls["n"] >= 3

    generation = runtime.generate(tuned_prompt(SENTENCE), clip.samples, max_new_tokens=40, time_limit_s=60,
                                  should_cancel=cancel_on_third_check)
    assert generation.stop_reason is StopReason.CANCELLED and generation.new_tokens < 40
    tutor = AlmTutor(runtime, max_new_tokens=40)
    tutor.begin(hand_assessment(), clip)
    with pytest.raises(Cancelled):
        tutor.ask("Why?", should_cancel=lambda: True)


def test_time_limit_stops_generation(runtime, clip):
    generation = runtime.generate(tuned_prompt(SENTENCE), clip.samples, max_new_tokens=50, time_limit_s=1e-6)
    assert generation.stop_reason is StopReason.TIME and generation.new_tokens < 50


def test_random_model_output_falls_back_to_the_cpu_result(runtime, clip):
    analyzer = AlmAnalyzer(runtime, cpu_analyzer=FakeCpuAnalyzer(), max_new_tokens=16)
    result = analyzer.analyze(clip, SENTENCE)
    assert result.engine == "sphinx" and result.words == hand_assessment().words
    assert any("could not be read" in note for note in result.notes)
    assert analyzer.last_raw_output  # the model did produce text; it just was not feedback


def test_give_up_stops_an_off_format_answer_after_64_tokens(runtime, clip):
    seen: list[str] = []

    def give_up(text: str) -> bool:
        seen.append(text)
        return True

    generation = runtime.generate(tuned_prompt(SENTENCE), clip.samples, max_new_tokens=200, time_limit_s=60,
                                  give_up=give_up)
    # the seeded random models do not end their turn within 64 tokens
    assert generation.stop_reason is StopReason.OFF_FORMAT and generation.new_tokens == 64
    assert len(seen) == 1 and seen[0].strip() == generation.text
