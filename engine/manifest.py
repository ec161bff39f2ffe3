"""L2-Arctic-plus manifests: a JSON list of records, read into frozen ``ManifestRecord``s.

A record has ``audio_path`` (relative to the manifest's folder), ``text``, and
optionally ``annotation_info`` (word -> canonical phones, errors as
"CANON, PERCEIVED, TYPE"), ``mis_exp_sug`` (the gold feedback dict) and
``regeneration``; any other field is kept and written back unchanged.

The public L2-Arctic-plus files name audio as in the authors' checkout, e.g.
``./data/L2-Arctic-plus/l2arctic_release_v5.0/EBVS/wav/arctic_a0500.wav``. Pass
``audio_root`` (the folder of your L2-ARCTIC copy) to find them wherever the
release lives: see ``resolve_audio_path``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import FormatError
from engine.feedback import FeedbackDict, items_from_feedback_dict

#: The fields SayWell reads; every other field of a record is kept as is.
KNOWN_FIELDS = ("audio_path", "text", "annotation_info", "mis_exp_sug", "regeneration")
#: Field the predictions are written to (the public evaluation script's name).
PREDICTION_FIELD = "speculative_mispronunciations"
#: Trailing parts of an L2-ARCTIC release path kept under ``audio_root`` when
#: nothing longer matches: SPEAKER/wav/FILE.wav.
L2ARCTIC_TAIL_PARTS = 3


@dataclass(frozen=True)
class ManifestRecord:
    """One record of a manifest. ``fields`` is the record as read (for writing back)."""

    index: int
    text: str
    audio_path: Path | None  # resolved; None only when audio was not required
    annotation_info: Mapping[str, Sequence[str]] | None = None
    mis_exp_sug: FeedbackDict | None = None
    regeneration: Any = None
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def gold(self) -> FeedbackDict:
        """The gold feedback dict (empty when the record has none)."""
        return self.mis_exp_sug or {}


@dataclass(frozen=True)
class MissingAudioReport:
    """Which records point at audio files that do not exist."""

    total: int
    missing: tuple[ManifestRecord, ...]

    @property
    def count(self) -> int:
        return len(self.missing)

    def message(self, max_examples: int = 3) -> str:
        """One line for the user: how many are missing, with a few paths."""
        if not self.missing:
            return f"All {self.total} audio files found."
        examples = ", ".join(str(r.audio_path) for r in self.missing[:max_examples])
        more = ", ..." if self.count > max_examples else ""
        return f"{self.count} of {self.total} audio files are missing, e.g. {examples}{more}"


def resolve_audio_path(audio_path: str, manifest_dir: Path, audio_root: Path | None = None) -> Path:
    """Where a record's audio is.

    Without ``audio_root``: ``audio_path`` relative to the manifest's folder
    (absolute paths are kept). With it: the longest trailing part of
    ``audio_path`` that exists under ``audio_root``, else its last three parts
    (``SPEAKER/wav/FILE.wav``, the L2-ARCTIC release layout) under ``audio_root``.
    So ``audio_root`` may be the release folder or any folder above whose layout
    matches the end of the manifest's paths.
    """
    path = Path(audio_path)
    if audio_root is None:
        return path if path.is_absolute() else manifest_dir / path
    parts = [p for p in path.parts if p not in (".", "..", path.anchor)]
    for start in range(len(parts)):
        candidate = audio_root.joinpath(*parts[start:])
        if candidate.is_file():
            return candidate
    return audio_root.joinpath(*parts[-L2ARCTIC_TAIL_PARTS:])


def load_manifest(
    path: str | Path,
    *,
    audio_root: str | Path | None = None,
    require_audio: bool = True,
) -> tuple[ManifestRecord, ...]:
    """Read and validate a manifest.

    Raises:
        FormatError: the file is missing, not JSON, not a list of records, or a
            record has a missing or ill-typed field (the message names the
            record's index and the field).
    """
    path = Path(path)
    data = read_json(path, "Manifest")
    if not isinstance(data, list):
        raise FormatError(
            f"{path.name}: a manifest is a JSON list of records, got {type(data).__name__}."
        )
    root = Path(audio_root) if audio_root is not None else None
    return tuple(
        parse_record(
            item, i, manifest_dir=path.parent, audio_root=root, require_audio=require_audio
        )
        for i, item in enumerate(data)
    )


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file, turning every failure into a FormatError naming the file."""
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as err:
        raise FormatError(f"{what} not found: {path}") from err
    except IsADirectoryError as err:
        raise FormatError(f"{what} {path} is a folder; expected a JSON file.") from err
    except UnicodeDecodeError as err:
        raise FormatError(f"{path.name} is not UTF-8 text; expected a JSON file.") from err
    except json.JSONDecodeError as err:
        raise FormatError(
            f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})."
        ) from err


def parse_record(
    item: Any,
    index: int,
    *,
    manifest_dir: Path = Path("."),
    audio_root: Path | None = None,
    require_audio: bool = True,
) -> ManifestRecord:
    """Validate one record (``index`` is its position, for messages)."""
    where = f"record {index}"
    if not isinstance(item, Mapping):
        raise FormatError(f"{where}: expected a JSON object, got {type(item).__name__}.")
    text = _string_field(item, "text", where, required=True)
    audio = _string_field(item, "audio_path", where, required=require_audio)
    return ManifestRecord(
        index=index,
        text=text,
        audio_path=resolve_audio_path(audio, manifest_dir, audio_root) if audio else None,
        annotation_info=_annotation_field(item, where),
        mis_exp_sug=_feedback_field(item, "mis_exp_sug", where),
        regeneration=item.get("regeneration"),
        fields=dict(item),
    )


def _string_field(item: Mapping[str, Any], name: str, where: str, *, required: bool) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        got = "missing" if name not in item else f"{type(value).__name__} {value!r:.40}"
        raise FormatError(f"{where}: field {name!r} must be a non-empty string ({got}).")
    return value


def _annotation_field(item: Mapping[str, Any], where: str) -> dict[str, list[str]] | None:
    value = item.get("annotation_info")
    if value is None:
        return None
    ok = isinstance(value, Mapping) and all(
        isinstance(phones, list) and all(isinstance(p, str) for p in phones)
        for phones in value.values()
    )
    if not ok:
        raise FormatError(
            f"{where}: field 'annotation_info' must map each word to a list of phone strings "
            '(e.g. {"red": ["R, W, s", "EH", "D"]}).'
        )
    return {str(k): list(v) for k, v in value.items()}


def _feedback_field(item: Mapping[str, Any], name: str, where: str) -> FeedbackDict | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        items_from_feedback_dict(value)  # validates the shape
    except FormatError as err:
        raise FormatError(f"{where}: field {name!r}: {err}") from err
    return {
        str(k): [dict(e) for e in (v if isinstance(v, list) else [v])] for k, v in value.items()
    }


def missing_audio(records: Sequence[ManifestRecord]) -> MissingAudioReport:
    """The records whose audio file does not exist (records without audio are skipped)."""
    with_audio = [r for r in records if r.audio_path is not None]
    missing = tuple(r for r in with_audio if not r.audio_path.is_file())
    return MissingAudioReport(total=len(with_audio), missing=missing)


def write_predictions(
    path: str | Path,
    records: Sequence[ManifestRecord],
    predictions: Sequence[FeedbackDict | None],
    *,
    errors: Mapping[int, str] | None = None,
) -> Path:
    """Write the records with their predictions, atomically (temp file, then rename).

    Each record is written as read, plus ``speculative_mispronunciations`` (the
    predicted feedback dict; ``null`` where the analysis failed) and, for failed
    records, ``saywell_error`` (keyed by position in ``records``).
    """
    if len(predictions) != len(records):
        raise ValueError(f"{len(predictions)} predictions for {len(records)} records")
    errors = errors or {}
    out = []
    for i, (record, prediction) in enumerate(zip(records, predictions)):
        data = {**record.fields, PREDICTION_FIELD: prediction}
        if i in errors:
            data["saywell_error"] = errors[i]
        out.append(data)
    return write_json_atomic(path, out)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write JSON to ``path`` via a temp file in the same folder: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
