"""Practice sentence sets: JSON files in ``resources/sentences`` loaded into frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import FormatError
from engine.paths import resource

#: Id of the set that holds the learner's own sentences (never stored on disk).
CUSTOM_SET_ID = "custom"


@dataclass(frozen=True)
class SentenceSet:
    """A titled list of sentences aimed at one known learner difficulty."""

    id: str
    title: str
    description: str
    sentences: tuple[str, ...]
    target_phones: tuple[str, ...] = ()


def load_sentence_set(path: Path) -> SentenceSet:
    """Read one set file.

    Raises:
        FormatError: the file is not JSON with ``title``, ``description`` and a non-empty
            ``sentences`` list of strings.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormatError(f"Cannot read the sentence set {Path(path).name}: {err}") from err
    sentences = data.get("sentences") if isinstance(data, dict) else None
    if not isinstance(sentences, list) or not sentences or not all(
        isinstance(s, str) and s.strip() for s in sentences
    ):
        raise FormatError(
            f"{Path(path).name}: expected a JSON object with 'title', 'description' and a "
            "non-empty 'sentences' list of strings."
        )
    return SentenceSet(
        id=str(data.get("id") or Path(path).stem),
        title=str(data.get("title") or Path(path).stem),
        description=str(data.get("description", "")),
        sentences=tuple(s.strip() for s in sentences),
        target_phones=tuple(str(p) for p in data.get("target_phones", ())),
    )


def load_sentence_sets(folder: Path | None = None) -> tuple[SentenceSet, ...]:
    """All sets in ``folder`` (default: the bundled ones), sorted by title.

    Raises:
        FormatError: a set file is malformed (named in the message).
    """
    folder = Path(folder) if folder is not None else resource("sentences")
    sets = [load_sentence_set(p) for p in sorted(folder.glob("*.json"))]
    return tuple(sorted(sets, key=lambda s: s.title.lower()))


def custom_set(sentences: tuple[str, ...] = ()) -> SentenceSet:
    """The learner's own sentences, typed in the practice panel."""
    return SentenceSet(
        id=CUSTOM_SET_ID,
        title="Your own sentences",
        description="Type any sentence and read it aloud.",
        sentences=sentences,
    )
