"""The prompts shared by ALM inference and training: one module, so they cannot drift apart.

Three ways to ask an audio-language model about one take of one sentence:

* ``PromptStyle.TUNED``: the instruction our adapters are trained on (audio + sentence in,
  the paper's ``word: … issue: … suggestion: …`` lines or ``No Problem`` out);
* ``PromptStyle.ONE_SHOT``: the paper-style prompt for an untuned base (the "existing ALM"
  baseline): the same instruction plus one worked text example;
* ``PromptStyle.GROUNDED``: the tuned instruction plus the CPU analyzer's phone-level
  evidence (aligned phones, scores, suspected substitutions), our answer to the paper's
  50% precision.

A prompt is a list of chat turns; the user turn holds ``AUDIO_MARKER`` where the model
family splices in the audio (Qwen2-Audio's audio tokens, or the whisper-llm projector's
embeddings). The answer a model is trained to give is exactly
``engine.feedback.format_feedback_lines(...)``: use ``answer_text``.

Changing any text here changes what a trained adapter expects: bump ``PROMPT_VERSION``;
adapter manifests record it and the loader refuses a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from engine.feedback import (
    Assessment,
    FeedbackItem,
    PhoneKind,
    PhoneResult,
    WordResult,
    feedback_dict_to_lines,
    format_feedback_lines,
    normalise_word,
)

PROMPT_VERSION = 1

#: Where the audio goes in a user turn; each model family replaces it with its own form.
AUDIO_MARKER = "<|saywell_audio|>"

SYSTEM_PROMPT = "You are a helpful assistant."

TUTOR_SYSTEM_PROMPT = (
    "You are SayWell, a patient English pronunciation tutor. The learner read a sentence "
    "aloud and you assessed the recording. Answer follow-up questions about that take in a "
    "few short sentences: name sounds in ARPAbet, say how to place the tongue, lips and "
    "voice, and give a short practice word or phrase when it helps."
)

_INSTRUCTION = (
    'The audio is an English learner reading this sentence aloud: "{sentence}"\n'
    "Find the words the learner mispronounced. For each mispronounced word write one line:\n"
    "word: <the word> issue: <what was wrong, naming the phonemes in ARPAbet> "
    "suggestion: <how to say it correctly>\n"
    "If every word was pronounced well, answer exactly: No Problem"
)

_ONE_SHOT_EXAMPLE = (
    "Here is an example.\n"
    'Sentence: "I think this is the right path."\n'
    "Answer:\n"
    "word: think issue: The first sound TH was pronounced as S. suggestion: Put the tip of "
    "your tongue lightly between your teeth and blow air out to make the TH sound.\n"
    "word: right issue: The first sound R was pronounced as L. suggestion: Curl the tip of "
    "your tongue back without touching the roof of your mouth to make the R sound.\n"
    "Now answer for the audio in the same format, with no other text."
)

_GROUNDING_INTRO = (
    "A phone aligner listened to the same audio. Its evidence, one line per word "
    "(expected phones; X>Y means X expected but Y heard, X>- means X missing, +Y means Y "
    "added, X>? means X unclear; score 0-100). It can be wrong: trust the audio when they "
    "disagree."
)

#: Words shown in the grounded evidence, at most (keeps the prompt inside the context budget).
MAX_EVIDENCE_WORDS = 40


class PromptStyle(str, Enum):
    """Which instruction to give the model (see the module docstring)."""

    TUNED = "tuned"
    ONE_SHOT = "one_shot"
    GROUNDED = "grounded"


@dataclass(frozen=True)
class ChatTurn:
    """One message of a conversation. ``role`` is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True)
class Prompt:
    """A conversation to send to a model; the first user turn carries ``AUDIO_MARKER``."""

    turns: tuple[ChatTurn, ...]
    style: PromptStyle = PromptStyle.TUNED
    version: int = PROMPT_VERSION

    def then(self, *turns: ChatTurn) -> Prompt:
        """This prompt with more turns appended."""
        return Prompt(self.turns + tuple(turns), self.style, self.version)

    def as_messages(self) -> list[dict[str, str]]:
        """The ``[{"role", "content"}]`` form chat templates take."""
        return [{"role": t.role, "content": t.content} for t in self.turns]


def sentence_words(text: str) -> list[str]:
    """The sentence's words in ``normalise_word`` form (whitespace tokens, empties dropped)."""
    return [w for w in (normalise_word(t) for t in str(text).split()) if w]


def instruction(sentence: str) -> str:
    """The tuned instruction for ``sentence`` (without the audio marker)."""
    return _INSTRUCTION.format(sentence=" ".join(str(sentence).split()))


def tuned_prompt(sentence: str) -> Prompt:
    """The prompt our adapters are trained on."""
    return _single_turn(f"{AUDIO_MARKER}\n{instruction(sentence)}", PromptStyle.TUNED)


def one_shot_prompt(sentence: str) -> Prompt:
    """The paper-style prompt for an untuned base model: instruction plus one text example."""
    user = f"{AUDIO_MARKER}\n{instruction(sentence)}\n\n{_ONE_SHOT_EXAMPLE}"
    return _single_turn(user, PromptStyle.ONE_SHOT)


def grounded_prompt(sentence: str, evidence: Assessment) -> Prompt:
    """The tuned instruction plus the CPU analyzer's phone-level evidence for this take."""
    user = f"{AUDIO_MARKER}\n{instruction(sentence)}\n\n{_GROUNDING_INTRO}\n{evidence_text(evidence)}"
    return _single_turn(user, PromptStyle.GROUNDED)


def build_prompt(style: PromptStyle | str, sentence: str, evidence: Assessment | None = None) -> Prompt:
    """The prompt of ``style`` for ``sentence``; GROUNDED needs the CPU ``evidence``.

    Raises:
        ValueError: unknown style, or GROUNDED without evidence.
    """
    style = PromptStyle(style)
    if style is PromptStyle.ONE_SHOT:
        return one_shot_prompt(sentence)
    if style is PromptStyle.GROUNDED:
        if evidence is None:
            raise ValueError("The grounded prompt needs the CPU analyzer's assessment as evidence.")
        return grounded_prompt(sentence, evidence)
    return tuned_prompt(sentence)


def _single_turn(user: str, style: PromptStyle) -> Prompt:
    return Prompt((ChatTurn("system", SYSTEM_PROMPT), ChatTurn("user", user)), style)


# -- grounding evidence -----------------------------------------------------------


def evidence_text(assessment: Assessment, max_words: int = MAX_EVIDENCE_WORDS) -> str:
    """One line per word: ``3. think (score 41): TH>S IH NG K``."""
    lines = [_word_evidence(w) for w in assessment.words[:max_words]]
    if len(assessment.words) > max_words:
        lines.append(f"({len(assessment.words) - max_words} more words not shown)")
    return "\n".join(lines)


def _word_evidence(word: WordResult) -> str:
    phones = " ".join(_phone_evidence(p) for p in word.phones) or "(no alignment)"
    return f"{word.index + 1}. {word.text} (score {word.score:.0f}): {phones}"


def _phone_evidence(phone: PhoneResult) -> str:
    expected, heard = phone.expected or "", phone.heard or ""
    if phone.kind is PhoneKind.CORRECT:
        return expected
    if phone.kind is PhoneKind.SUBSTITUTION:
        return f"{expected}>{heard or '?'}"
    if phone.kind is PhoneKind.DELETION:
        return f"{expected}>-"
    if phone.kind is PhoneKind.INSERTION:
        return f"+{heard or '?'}"
    return f"{expected}>?"


# -- answers (training targets) ----------------------------------------------------


def answer_text(items: Iterable[FeedbackItem]) -> str:
    """The exact text a model should answer: the paper's lines, or ``No Problem``."""
    return format_feedback_lines(items)


def answer_from_feedback_dict(feedback: Mapping[str, Any], sentence: str) -> str:
    """Target text for a gold L2-Arctic-plus ``mis_exp_sug`` dict, items in sentence order."""
    return feedback_dict_to_lines(feedback, sentence_words(sentence))


# -- follow-up chat ------------------------------------------------------------------


def tutor_prompt(sentence: str, feedback_answer: str, dropped_questions: Iterable[str] = ()) -> Prompt:
    """Opening of a follow-up chat: the audio, the tuned question and the feedback given.

    ``feedback_answer`` is what the learner was shown (``Assessment.to_feedback_lines()``),
    so the model's later answers stay consistent with it. ``dropped_questions`` are earlier
    questions whose turns no longer fit the context: they are summarised in the system
    turn (roles keep alternating, which some chat templates require).
    """
    system = TUTOR_SYSTEM_PROMPT + summary_note(dropped_questions)
    return Prompt(
        (
            ChatTurn("system", system),
            ChatTurn("user", f"{AUDIO_MARKER}\n{instruction(sentence)}"),
            ChatTurn("assistant", feedback_answer),
        ),
        PromptStyle.TUNED,
    )


def summary_note(dropped_questions: Iterable[str]) -> str:
    """The sentence that stands for turns dropped from a chat ("" when none were)."""
    asked = [" ".join(q.split())[:80] for q in dropped_questions]
    if not asked:
        return ""
    return " Earlier questions from the learner, already answered: " + "; ".join(asked) + "."
