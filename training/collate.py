"""Examples -> model batches, through the model family's own encoder.

The prompt is ``engine.prompts.tuned_prompt`` (the one inference uses) and the
answer is the example's target, already written by ``engine.prompts`` /
``engine.feedback`` (``answer_from_feedback_dict`` or the composer): there is
no second copy of the format here. The family's ``encode`` appends the answer
with its end-of-turn tokens and sets ``labels`` on those tokens only, every
prompt and audio position being ignored by the loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.audio import load_audio
from engine.prompts import AUDIO_MARKER, SYSTEM_PROMPT, ChatTurn, Prompt, PromptStyle, tuned_prompt
from training.data import TrainingExample

#: Stage-1 (projector pretraining) instruction: the audio's words, nothing else. Training-only:
#: the shipped model is never asked this.
TRANSCRIBE_INSTRUCTION = "Transcribe the audio exactly, with no other text."


@dataclass(frozen=True)
class AsrExample:
    """A stage-1 clip: audio and its transcript."""

    audio_path: Path
    text: str


def transcription_prompt() -> Prompt:
    """The stage-1 prompt: the audio and the transcription instruction."""
    user = f"{AUDIO_MARKER}\n{TRANSCRIBE_INSTRUCTION}"
    return Prompt((ChatTurn("system", SYSTEM_PROMPT), ChatTurn("user", user)), PromptStyle.TUNED)


def prompt_and_answer(example: TrainingExample | AsrExample) -> tuple[Prompt, str]:
    """What the model sees and what it must answer, for either stage."""
    if isinstance(example, AsrExample):
        return transcription_prompt(), " ".join(example.text.split())
    return tuned_prompt(example.text), example.target


class Collator:
    """Turns a list of examples into one padded training batch with answer-only labels.

    ``runtime`` is an ``engine.analyzers.alm`` family runtime (``encode``, ``collate``).
    Audio is cut to ``max_audio_s``; ``load`` is swappable for tests. With ``cache``,
    each example is encoded once and kept in memory (small datasets: it saves the audio
    loading and feature extraction of every later epoch).
    """

    def __init__(
        self,
        runtime: Any,
        *,
        max_audio_s: float = 30.0,
        load: Callable[[Path], np.ndarray] | None = None,
        cache: bool = False,
    ) -> None:
        self.runtime = runtime
        self.max_audio_s = max_audio_s
        self.load = load or self._load
        self._cache: dict[tuple[str, str], dict[str, Any]] | None = {} if cache else None

    def _load(self, path: Path) -> np.ndarray:
        clip = load_audio(path, max_duration_s=max(self.max_audio_s, 60.0))
        return clip.samples[: int(self.max_audio_s * clip.sample_rate_hz)]

    def encode(self, example: TrainingExample | AsrExample) -> dict[str, Any]:
        key = (str(example.audio_path), example.text)
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        prompt, answer = prompt_and_answer(example)
        encoded = self.runtime.encode(prompt, self.load(example.audio_path), answer)
        if self._cache is not None:
            self._cache[key] = encoded
        return encoded

    def __call__(self, examples: Sequence[TrainingExample | AsrExample]) -> dict[str, Any]:
        return self.runtime.collate([self.encode(e) for e in examples])


def answer_token_count(batch: dict[str, Any]) -> int:
    """How many tokens the loss is computed on (for throughput figures)."""
    from engine.analyzers.alm.families.base import IGNORE_INDEX

    return int((batch["labels"] != IGNORE_INDEX).sum())
