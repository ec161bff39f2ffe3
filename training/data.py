"""Training data: L2-Arctic-plus records and annotation-only L2-ARCTIC utterances -> examples.

Two origins of examples:

* ``gold``: records of an L2-Arctic-plus JSON (read with ``engine.manifest``); the
  target is their ``mis_exp_sug`` written as the paper's lines (``engine.prompts``);
* ``annotation``: L2-ARCTIC utterances with phone annotations (TextGrids) but no
  written feedback; the target is written by the engine's composer from the
  annotation (see ``training.annotations``).

Every example knows its speaker; test speakers never reach training
(``check_no_test_speakers`` fails loudly), and missing or unreadable audio is
reported with counts and examples, and skipped only when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import AudioError
from engine.manifest import load_manifest
from engine.prompts import answer_from_feedback_dict
from training.speakers import TEST_SPEAKERS, check_no_test_speakers, l1_of, speaker_of

GOLD = "gold"
ANNOTATION = "annotation"


@dataclass(frozen=True)
class TrainingExample:
    """One (audio, sentence) -> target-text pair. ``key`` is speaker/utterance, unique per recording."""

    key: str
    audio_path: Path
    text: str
    target: str
    speaker: str
    origin: str = GOLD

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "audio_path": str(self.audio_path)}


def utterance_key(audio_path: str | Path) -> str:
    """``SPEAKER/utterance`` for a release path or a flattened rendering (``ABA_arctic_a0022``)."""
    speaker = speaker_of(audio_path)
    stem = Path(str(audio_path)).stem
    prefix = f"{speaker}_"
    if stem.upper().startswith(prefix):
        stem = stem[len(prefix):]
    return f"{speaker}/{stem}"


def gold_examples(manifest: str | Path, audio_root: str | Path | None = None) -> list[TrainingExample]:
    """Examples from an L2-Arctic-plus JSON; targets in the paper's format, items in sentence order."""
    examples = []
    for record in load_manifest(manifest, audio_root=audio_root or None):
        raw_path = str(record.fields.get("audio_path", record.audio_path))
        examples.append(
            TrainingExample(
                key=utterance_key(raw_path),
                audio_path=Path(record.audio_path),
                text=record.text,
                target=answer_from_feedback_dict(record.gold, record.text),
                speaker=speaker_of(raw_path),
                origin=GOLD,
            )
        )
    return examples


# -- audio check ---------------------------------------------------------------


@dataclass(frozen=True)
class AudioCheck:
    """Examples whose audio is missing or cannot be read, out of ``total``."""

    total: int
    missing: tuple[Path, ...] = ()
    unreadable: tuple[tuple[Path, str], ...] = ()

    @property
    def bad_count(self) -> int:
        return len(self.missing) + len(self.unreadable)

    def message(self, max_examples: int = 3) -> str:
        """Counts and a few example paths, for the user."""
        if not self.bad_count:
            return f"All {self.total} audio files found and readable."
        parts = []
        if self.missing:
            shown = ", ".join(str(p) for p in self.missing[:max_examples])
            parts.append(f"{len(self.missing)} missing (e.g. {shown})")
        if self.unreadable:
            shown = "; ".join(f"{p}: {why}" for p, why in self.unreadable[:max_examples])
            parts.append(f"{len(self.unreadable)} unreadable (e.g. {shown})")
        return f"{self.bad_count} of {self.total} audio files are unusable: " + "; ".join(parts) + "."


def check_audio(paths: Iterable[Path]) -> AudioCheck:
    """Find missing files and files libsndfile cannot read (header check only: fast)."""
    import soundfile as sf

    paths = list(paths)
    missing, unreadable = [], []
    for path in paths:
        if not path.is_file():
            missing.append(path)
            continue
        try:
            info = sf.info(str(path))
            if info.frames <= 0:
                unreadable.append((path, "no audio samples"))
        except (sf.LibsndfileError, RuntimeError, ValueError) as err:
            unreadable.append((path, str(err).splitlines()[0] if str(err) else type(err).__name__))
    return AudioCheck(len(paths), tuple(missing), tuple(unreadable))


class MissingAudioError(AudioError):
    """Training audio is missing or unreadable and skipping was not asked for."""


def usable(examples: Sequence[TrainingExample], *, allow_missing: bool) -> tuple[list[TrainingExample], AudioCheck]:
    """The examples whose audio is usable, with the report.

    Raises:
        MissingAudioError: some audio is unusable and ``allow_missing`` is False.
    """
    report = check_audio(e.audio_path for e in examples)
    if report.bad_count and not allow_missing:
        raise MissingAudioError(
            report.message()
            + " Fix data.audio_root (the folder of your L2-ARCTIC copy) or pass "
            "--data.allow_missing_audio true to train without them."
        )
    bad = set(report.missing) | {p for p, _ in report.unreadable}
    return [e for e in examples if e.audio_path not in bad], report


# -- the dataset ----------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """The training and dev examples of a run, and what was left out and why."""

    train: tuple[TrainingExample, ...]
    dev: tuple[TrainingExample, ...] = ()
    audio: AudioCheck = field(default_factory=lambda: AudioCheck(0))
    excluded_origins: dict[str, int] = field(default_factory=dict)

    def card(self) -> dict[str, Any]:
        """The data card: counts per origin, speaker and L1, and what was dropped."""
        return {
            "train_examples": len(self.train),
            "dev_examples": len(self.dev),
            "by_origin": _count(e.origin for e in self.train),
            "by_speaker": _count(e.speaker for e in self.train),
            "by_l1": _count(l1_of(e.speaker) for e in self.train),
            "dev_speakers": sorted({e.speaker for e in self.dev}),
            "no_problem_targets": sum(1 for e in self.train if e.target == "No Problem"),
            "audio_unusable": self.audio.bad_count,
            "excluded_origins": dict(self.excluded_origins),
            "test_speakers_excluded": sorted(TEST_SPEAKERS),
        }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def assemble(
    examples: Sequence[TrainingExample],
    *,
    origins: Sequence[str] = (GOLD, ANNOTATION),
    dev_speakers: Sequence[str] = (),
    allow_missing_audio: bool = False,
) -> Dataset:
    """Filter by origin, check audio, split off dev speakers, and guard the test speakers.

    Raises:
        SpeakerLeakError: a test speaker is among the examples (train or dev).
        MissingAudioError: unusable audio and ``allow_missing_audio`` is False.
    """
    check_no_test_speakers((e.speaker for e in examples), "the training data")
    excluded = _count(e.origin for e in examples if e.origin not in origins)
    kept = [e for e in examples if e.origin in origins]
    unique: dict[str, TrainingExample] = {}
    for example in kept:  # one example per recording: the first wins (gold records come first)
        unique.setdefault(example.key, example)
    kept = list(unique.values())
    kept, report = usable(kept, allow_missing=allow_missing_audio)
    held_out = {s.upper() for s in dev_speakers}
    train = tuple(e for e in kept if e.speaker not in held_out)
    dev = tuple(e for e in kept if e.speaker in held_out)
    check_no_test_speakers((e.speaker for e in train), "the training split")
    return Dataset(train, dev, report, excluded)


def build_dataset(config) -> Dataset:
    """The dataset a config describes: gold records, plus annotation-only utterances if configured."""
    from training.annotations import annotation_examples

    data = config.data
    if data.prepared_dir:
        return prepared_dataset(Path(data.prepared_dir), allow_missing_audio=data.allow_missing_audio)
    examples = gold_examples(data.train_manifest, data.audio_root or None) if data.train_manifest else []
    if data.annotation_root and ANNOTATION in config.origins:
        examples += annotation_examples(data.annotation_root, exclude_keys={e.key for e in examples})
    dev = [s.strip() for s in data.dev_speakers.split(",") if s.strip()]
    return assemble(examples, origins=config.origins, dev_speakers=dev, allow_missing_audio=data.allow_missing_audio)


def prepared_dataset(folder: Path, *, allow_missing_audio: bool = False) -> Dataset:
    """The dataset `prepare` wrote (``train.json``, ``dev.json``), checked again like a fresh one.

    Raises:
        FormatError: the folder has no readable ``train.json`` of examples.
        SpeakerLeakError / MissingAudioError: as ``assemble``.
    """
    from engine.errors import FormatError
    from engine.manifest import read_json

    def read(name: str) -> list[TrainingExample]:
        path = folder / name
        if name == "dev.json" and not path.is_file():
            return []
        try:
            return [TrainingExample(**{**row, "audio_path": Path(row["audio_path"])}) for row in read_json(path, name)]
        except (TypeError, KeyError) as err:
            raise FormatError(f"{path} is not a list of prepared examples ({err}); run `prepare` again.") from err

    train, dev = read("train.json"), read("dev.json")
    return assemble(train + dev, dev_speakers=sorted({e.speaker for e in dev}), allow_missing_audio=allow_missing_audio)
