"""What the chat pane says about a take: plain dataclasses built from an ``Assessment``.

No Qt here: the chat widget renders these, tests read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.errors import SayWellError
from engine.feedback import Assessment, Verdict, WordResult


class Role(str, Enum):
    TUTOR = "tutor"
    LEARNER = "learner"
    NOTE = "note"


@dataclass(frozen=True)
class ChatMessage:
    """One bubble. ``word_index`` links it to a word of the take (clickable both ways)."""

    role: Role
    title: str
    lines: tuple[str, ...] = ()
    word_index: int | None = None
    score: float | None = None
    streaming: bool = False
    verdict: Verdict | None = None  # for a word's message: colours its badge like its shading


def score_phrase(score: float) -> str:
    if score >= 90:
        return "Excellent!"
    if score >= 75:
        return "Good, a few sounds to polish."
    if score >= 50:
        return "Getting there: let's work on the words below."
    return "Let's work on this one together."


def messages_for(assessment: Assessment) -> list[ChatMessage]:
    """The overall score, any notes, then one message per flagged word."""
    flagged = assessment.flagged_words
    summary = (f"{len(flagged)} of {len(assessment.words)} words need work."
               if flagged else "Every word sounded right. Try the next sentence!")
    messages = [ChatMessage(Role.TUTOR, f"Score {assessment.score:.0f}/100 · {score_phrase(assessment.score)}",
                            (summary,), score=assessment.score)]
    messages += [ChatMessage(Role.NOTE, "Note", (note,)) for note in assessment.notes]
    if assessment.extra_words:
        messages.append(ChatMessage(Role.NOTE, "Note", (
            "Ignored feedback about words that are not in the sentence: "
            + ", ".join(assessment.extra_words),)))
    messages += [word_message(w) for w in flagged]
    return messages


def word_message(word: WordResult) -> ChatMessage:
    """What went wrong in ``word``, how to fix it, with IPA of what was expected and heard."""
    lines: list[str] = []
    expected, heard = _ipa(word, "expected"), _ipa(word, "heard")
    if expected:
        said = f" · heard /{heard}/" if heard and heard != expected else ""
        lines.append(f"Say /{expected}/{said}")
    for issue in word.issues:
        lines.append(f"What happened: {_sentence(issue.explanation)}")
        if issue.suggestion:
            lines.append(f"How to fix it: {_sentence(issue.suggestion)}")
    practice = practice_words(word)
    if practice:
        lines.append("Practise with: " + ", ".join(practice))
    return ChatMessage(Role.TUTOR, f"“{word.text}”", tuple(lines), word_index=word.index, score=word.score,
                       verdict=word.verdict)


def _sentence(text: str) -> str:
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text if not text or text[-1] in ".!?" else text + "."


def _ipa(word: WordResult, side: str) -> str:
    """IPA of the word's expected (or heard) phones; "" when unknown."""
    from engine.phonetics.inventory import UnknownPhoneError, to_ipa

    phones = [getattr(p, side) for p in word.phones if getattr(p, side)]
    try:
        return to_ipa(phones) if phones else ""
    except UnknownPhoneError:
        return ""


def practice_words(word: WordResult, limit: int = 4) -> list[str]:
    """Common words with the sounds this word got wrong, in the same position; [] if none."""
    from engine.composer.composer import Composer
    from engine.composer.practice import position_of

    expected = [p.expected for p in word.phones if p.expected]
    targets = [(k, p.expected) for k, p in enumerate(p for p in word.phones if p.expected)
               if p.is_error]
    try:
        index = Composer.default().practice
        found: list[str] = []
        for k, phone in targets:
            found += [w.word for w in index.practice_words(
                phone, position=position_of(k, len(expected)), exclude=[word.text, *found], limit=limit)]
    except (SayWellError, OSError, ValueError):  # practice words are a help, never a failure
        return []
    return found[:limit]
