"""``AlmAnalyzer``: the audio-language model as an ``Analyzer``, grounded by the CPU analyzer.

One take goes: CPU analysis (phone evidence, word timings, and the fallback) -> prompt
(tuned, one-shot or grounded, from ``engine.prompts``) -> greedy generation with limits on
new tokens and time -> ``parse_feedback_lines`` -> ``assessment_from_items`` with the CPU
alignment's timings, so the waveform can shade the model's words. Words the model names
that are not in the sentence are dropped and counted (``extra_words``). When the answer
cannot be read, or the model fails, the learner gets the CPU result with a visible note:
never a crash, never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.analyzers.base import Analyzer, Cancelled, ProgressCallback
from engine.audio import AudioClip
from engine.errors import AnalyzerError, SayWellError
from engine.feedback import (
    Assessment,
    ParsedFeedback,
    WordResult,
    assessment_from_items,
    parse_feedback_lines,
)
from engine.prompts import Prompt, PromptStyle, build_prompt

#: How much of an unreadable answer the fallback note quotes.
PREVIEW_CHARS = 80


class _Unusable(Exception):
    """The model's answer cannot be used; the message says why (shown in the fallback note)."""


class AlmAnalyzer:
    """Assess a take with an audio-language model.

    ``runtime`` is a loaded ``families.base.AlmRuntime`` (anything with its ``generate``).
    ``cpu_analyzer`` supplies grounding evidence, word timings and the fallback; without
    one, the grounded style is unavailable and an unreadable answer is an ``AnalyzerError``.
    """

    def __init__(self, runtime: Any, *, cpu_analyzer: Analyzer | None = None,
                 style: PromptStyle | str = PromptStyle.TUNED, max_new_tokens: int = 512,
                 time_limit_s: float = 120.0, label: str = "", notes: tuple[str, ...] = ()) -> None:
        self.runtime = runtime
        self.cpu_analyzer = cpu_analyzer
        self.style = PromptStyle(style)
        self.max_new_tokens = max_new_tokens
        self.time_limit_s = time_limit_s
        self.name = f"alm:{label}" if label else "alm"
        self.load_notes = notes  # e.g. "running on the CPU: slow", shown with every result
        self.last_raw_output = ""  # the model's text for the last take (evaluation, debugging)

    def analyze(self, clip: AudioClip, text: str, *, progress: ProgressCallback | None = None,
                should_cancel: Callable[[], bool] | None = None) -> Assessment:
        """See ``Analyzer.analyze``. Falls back to the CPU result, with a note, on unreadable output."""
        report = progress or (lambda _fraction, _message: None)
        cpu = self._cpu_assessment(clip, text, report, should_cancel)
        words = [w.text for w in cpu.words] if cpu is not None else _sentence_words(text)
        report(0.4, "Listening with the audio-language model")
        try:
            generation, parsed = self._ask_model(clip, text, cpu, should_cancel)
        except _Unusable as why:
            return self._fallback(cpu, str(why))
        result = self._assessment(text, words, parsed, cpu, clip)
        report(1.0, "Done")
        return result.with_notes(*self._notes(parsed, result, generation, clip))

    def _ask_model(self, clip: AudioClip, text: str, cpu: Assessment | None,
                   should_cancel: Callable[[], bool] | None) -> tuple[Any, ParsedFeedback]:
        """Generate and parse; raise ``_Unusable`` (why) when the answer cannot be used."""
        prompt = self._prompt(text, cpu)
        try:
            generation = self.runtime.generate(
                prompt, clip.samples, max_new_tokens=self.max_new_tokens, time_limit_s=self.time_limit_s,
                should_cancel=should_cancel, give_up=off_format)
        except (Cancelled, SayWellError):
            raise
        except Exception as err:  # CUDA out of memory, a driver error: the take still gets a result
            raise _Unusable(f"The audio-language model failed ({type(err).__name__}: {err})") from err
        if generation.stop_reason.value == "cancelled":
            raise Cancelled("Analysis cancelled.")
        self.last_raw_output = generation.text
        parsed = parse_feedback_lines(generation.text)
        if not parsed.ok:
            preview = " ".join(generation.text.split())[:PREVIEW_CHARS] or "(empty)"
            raise _Unusable(f"The audio-language model's answer could not be read ({preview!r})")
        return generation, parsed

    # -- steps --------------------------------------------------------------------------
    def _cpu_assessment(self, clip: AudioClip, text: str, report: ProgressCallback,
                        should_cancel: Callable[[], bool] | None) -> Assessment | None:
        if self.cpu_analyzer is None:
            return None
        report(0.0, "Aligning phones on the CPU")
        return self.cpu_analyzer.analyze(clip, text, should_cancel=should_cancel)

    def _prompt(self, text: str, cpu: Assessment | None) -> Prompt:
        style = self.style
        if style is PromptStyle.GROUNDED and cpu is None:
            raise AnalyzerError("The grounded prompt needs the CPU analyzer's evidence; none is configured.")
        return build_prompt(style, text, cpu)

    def _assessment(self, text: str, words: list[str], parsed: ParsedFeedback, cpu: Assessment | None,
                    clip: AudioClip) -> Assessment:
        timings: dict[int, WordResult] | None = {w.index: w for w in cpu.words} if cpu else None
        items = tuple(dict.fromkeys(parsed.items))  # a looping model repeats lines: keep each once
        result = assessment_from_items(words, items, text=text, engine=self.name, timings=timings)
        return replace(result, heard=cpu.heard if cpu else "", duration_s=clip.duration_s,
                       notes=self.load_notes)

    def _notes(self, parsed: ParsedFeedback, result: Assessment, generation: Any, clip: AudioClip) -> list[str]:
        notes = []
        if result.extra_words:
            shown = ", ".join(dict.fromkeys(result.extra_words))
            notes.append(f"The model named {len(result.extra_words)} word(s) that are not in the sentence "
                         f"({shown}); they were ignored.")
        if parsed.unparsed:
            notes.append(f"{len(parsed.unparsed)} line(s) of the model's answer were not feedback and were ignored.")
        heard_s = getattr(self.runtime, "max_audio_s", None)
        if heard_s is not None and clip.duration_s > heard_s + 0.05:
            notes.append(f"The model heard only the first {heard_s:.0f} s of this {clip.duration_s:.0f} s "
                         "recording; words after that were judged from the text alone.")
        if generation.stop_reason.value == "time":
            notes.append(f"The model hit the {self.time_limit_s:.0f} s time limit; its feedback may be incomplete.")
        elif generation.stop_reason.value == "max_tokens":
            notes.append(f"The model's answer reached {self.max_new_tokens} tokens and was cut; "
                         "its feedback may be incomplete.")
        return notes

    def _fallback(self, cpu: Assessment | None, why: str) -> Assessment:
        if cpu is None:
            raise AnalyzerError(f"{why}, and no CPU analyzer is configured to fall back on.")
        return cpu.with_notes(*self.load_notes, f"{why}; showing the CPU analyzer's result instead.")


def off_format(text: str) -> bool:
    """True when an answer already 64+ tokens long has no feedback line and is not starting one:
    generation stops there and the take falls back to the CPU result at once, instead of
    after ``max_new_tokens`` of rambling."""
    return not parse_feedback_lines(text).ok and "word:" not in text.lower()


def _sentence_words(text: str) -> list[str]:
    """The sentence's spoken words, as the CPU analyzer names them (TextError when none)."""
    from engine.phonetics.text import normalize_sentence

    return list(normalize_sentence(text))
