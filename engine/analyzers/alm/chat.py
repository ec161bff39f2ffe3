"""``AlmTutor``: follow-up questions about one take, answered by the audio-language model.

The conversation always opens with the take's audio, the analysis question and the
feedback the learner was shown (``engine.prompts.tutor_prompt``); earlier questions and
answers follow, then the new question. Tokens stream to a callback as they are generated;
a cancel check stops generation (the unfinished turn is not kept).

Context policy: prompt + audio + history must leave ``max_new_tokens`` free inside
``context_budget_tokens``. When it does not, the oldest question/answer pairs are dropped,
one at a time, and their questions are listed in one sentence of the system turn so the
model knows what was already covered. The audio, the feedback and the newest question
are never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.analyzers.base import Cancelled, TokenCallback
from engine.audio import SAMPLE_RATE_HZ, AudioClip
from engine.errors import AnalyzerError, TextError
from engine.feedback import Assessment
from engine.prompts import ChatTurn, Prompt, tutor_prompt

NO_ANSWER = "(The model gave no answer; try asking in other words.)"


class AlmTutor:
    """Implements ``engine.analyzers.base.Tutor`` over a loaded ALM runtime."""

    def __init__(self, runtime: Any, *, max_new_tokens: int = 256, time_limit_s: float = 60.0,
                 context_budget_tokens: int = 2048, label: str = "") -> None:
        if context_budget_tokens <= max_new_tokens:
            raise AnalyzerError(f"context_budget_tokens ({context_budget_tokens}) must exceed "
                                f"max_new_tokens ({max_new_tokens}).")
        self.runtime = runtime
        self.max_new_tokens = max_new_tokens
        self.time_limit_s = time_limit_s
        self.context_budget_tokens = context_budget_tokens
        self.name = f"alm:{label}" if label else "alm"
        self._assessment: Assessment | None = None
        self._audio = np.zeros(0, dtype=np.float32)
        self._turns: list[tuple[str, str]] = []
        self._dropped: list[str] = []

    def begin(self, assessment: Assessment, clip: AudioClip | None = None) -> None:
        """Start a conversation about this take (the previous one is forgotten).

        Without ``clip`` the model still sees the feedback text, with one second of silence
        as audio (the prompt format needs audio).
        """
        self._assessment = assessment
        self._audio = clip.samples if clip is not None else np.zeros(SAMPLE_RATE_HZ, dtype=np.float32)
        self._turns, self._dropped = [], []

    @property
    def history(self) -> tuple[tuple[str, str], ...]:
        """The (question, answer) pairs still in context, oldest first."""
        return tuple(self._turns)

    @property
    def dropped_questions(self) -> tuple[str, ...]:
        """Questions whose turns were dropped to respect the context budget."""
        return tuple(self._dropped)

    def ask(self, question: str, *, on_token: TokenCallback | None = None,
            should_cancel: Callable[[], bool] | None = None) -> str:
        """Answer ``question`` (see ``Tutor.ask``)."""
        if self._assessment is None:
            raise AnalyzerError("No take to talk about yet: analyse a recording first.")
        question = " ".join(str(question).split())
        if not question:
            raise TextError("The question is empty: type a question about your recording.")
        prompt = self._fitted_prompt(question)
        generation = self.runtime.generate(
            prompt, self._audio, max_new_tokens=self.max_new_tokens, time_limit_s=self.time_limit_s,
            on_token=on_token, should_cancel=should_cancel)
        if generation.stop_reason.value == "cancelled":
            raise Cancelled("The answer was cancelled.")
        answer = generation.text.strip() or NO_ANSWER
        self._turns.append((question, answer))
        return answer

    def prompt_for(self, question: str) -> Prompt:
        """The full conversation sent to the model for ``question`` (no budget applied)."""
        assert self._assessment is not None
        base = tutor_prompt(self._assessment.text, self._assessment.to_feedback_lines(), self._dropped)
        turns = [t for q, a in self._turns for t in (ChatTurn("user", q), ChatTurn("assistant", a))]
        return base.then(*turns, ChatTurn("user", question))

    def _fitted_prompt(self, question: str) -> Prompt:
        limit = self.context_budget_tokens - self.max_new_tokens
        while True:
            prompt = self.prompt_for(question)
            if not self._turns or self.runtime.count_tokens(prompt, self._audio) <= limit:
                return prompt
            oldest_question, _answer = self._turns.pop(0)
            self._dropped.append(oldest_question)
