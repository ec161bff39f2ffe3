"""Annotation-only L2-ARCTIC utterances -> training examples with composer-written targets.

L2-ARCTIC v5.0 annotates 150 utterances per speaker with TextGrids
(``<SPEAKER>/annotation/<utt>.TextGrid``, tiers ``words`` and ``phones``; an error
phone is labelled ``CANON,PERCEIVED,TYPE``). The public L2-Arctic-plus train file
covers only part of them; the rest have no written feedback, so their target is
written by the engine's composer from the annotation: the same deterministic
text the app shows, in the same paper format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from engine.errors import FormatError
from engine.prompts import answer_from_feedback_dict
from training.data import ANNOTATION, TrainingExample
from training.speakers import SPEAKER_L1, TEST_SPEAKERS

#: Labels of silence or noise intervals, not phones or words.
SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "<unk>"})
_STRESS_RE = re.compile(r"(?<=[A-Za-z])[0-2]\b")


def normalise_phone_label(label: str) -> str:
    """An L2-ARCTIC phone label in the L2-Arctic-plus ``annotation_info`` form.

    ``AH0`` -> ``AH``; ``Z,S,s`` -> ``Z, S, s``; ``sil,AH0,a`` -> ``sil, AH, a``;
    ``R,R*,s`` keeps its distortion mark.
    """
    parts = [_STRESS_RE.sub("", p.strip()) for p in label.split(",")]
    if len(parts) == 3:
        canon, perceived, kind = parts
        return ", ".join((_phone_case(canon), _phone_case(perceived), kind.lower()))
    return _phone_case(parts[0])


def _phone_case(phone: str) -> str:
    return phone.lower() if phone.lower() in ("sil", "err") else phone.upper()


def read_textgrid_annotation(path: str | Path) -> tuple[list[str], dict[str, list[str]]]:
    """The words of an annotated utterance and its ``annotation_info`` (word -> phone labels).

    Phones are assigned to the word whose interval holds their midpoint; an
    inserted phone between words goes to the word before it. A word said twice
    keeps the occurrence with errors (the dict form has one entry per word).

    Raises:
        FormatError: not a TextGrid with ``words`` and ``phones`` tiers.
    """
    words, phones = _tiers(Path(path))
    if not words:
        raise FormatError(f"{path}: the words tier has no words.")
    per_word: list[list[str]] = [[] for _ in words]
    for start, end, label in phones:
        middle = (start + end) / 2
        index = next((i for i, (s, e, _) in enumerate(words) if s <= middle < e), None)
        if index is None:
            index = max((i for i, (s, _, _) in enumerate(words) if s <= middle), default=0)
        per_word[index].append(normalise_phone_label(label))
    info: dict[str, list[str]] = {}
    for (_, _, word), labels in zip(words, per_word):
        key = word.lower()
        if key not in info or (_has_error(labels) and not _has_error(info[key])):
            info[key] = labels
    return [w for _, _, w in words], info


def _has_error(labels: Iterable[str]) -> bool:
    return any("," in label for label in labels)


def _tiers(path: Path) -> tuple[list[tuple[float, float, str]], list[tuple[float, float, str]]]:
    from praatio import textgrid

    try:
        grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    except Exception as err:  # praatio raises several unrelated types for bad files
        raise FormatError(f"{path} is not a readable TextGrid: {err}") from err
    names = {name.lower(): name for name in grid.tierNames}
    if "words" not in names or "phones" not in names:
        raise FormatError(f"{path}: expected tiers 'words' and 'phones', found {', '.join(grid.tierNames)}.")

    def entries(tier: str) -> list[tuple[float, float, str]]:
        return [
            (float(e.start), float(e.end), e.label.strip())
            for e in grid.getTier(names[tier]).entries
            if e.label.strip().lower() not in SILENCE_LABELS
        ]

    return entries("words"), entries("phones")


def composed_target(annotation_info: dict[str, list[str]], text: str) -> str:
    """The target text the engine's composer writes for an annotation (paper format).

    The brief (L2-Arctic-plus) wording, so composed targets read like the gold
    ones they are mixed with; the app's detailed wording adds IPA and tips.
    """
    from engine.composer import Composer

    feedback = Composer.default().with_detail(False).feedback_from_annotation(annotation_info)
    return answer_from_feedback_dict(feedback, text)


def annotation_examples(
    release_root: str | Path,
    *,
    exclude_keys: Iterable[str] = (),
    speakers: Iterable[str] | None = None,
) -> list[TrainingExample]:
    """Examples for every annotated utterance of the training speakers not in ``exclude_keys``.

    Test speakers are never read. ``exclude_keys`` (``SPEAKER/utt``) are utterances
    that already have written feedback. Audio that is missing is left to the
    caller's audio check, so it is reported with everything else.
    """
    root = Path(release_root)
    if not root.is_dir():
        raise FormatError(f"L2-ARCTIC release folder not found: {root}")
    excluded = set(exclude_keys)
    wanted = sorted(set(speakers or SPEAKER_L1) - TEST_SPEAKERS)
    examples = []
    for speaker in wanted:
        for grid in sorted((root / speaker / "annotation").glob("*.TextGrid")):
            key = f"{speaker}/{grid.stem}"
            if key in excluded:
                continue
            words, info = read_textgrid_annotation(grid)
            text = _transcript(root / speaker / "transcript" / f"{grid.stem}.txt") or " ".join(words)
            examples.append(
                TrainingExample(
                    key=key,
                    audio_path=root / speaker / "wav" / f"{grid.stem}.wav",
                    text=text,
                    target=composed_target(info, text),
                    speaker=speaker,
                    origin=ANNOTATION,
                )
            )
    return examples


def _transcript(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split()) if path.is_file() else ""
