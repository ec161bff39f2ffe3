"""Training configuration: frozen dataclasses whose field help doubles as CLI help.

A run is configured by a TOML file (sections ``[model]``, ``[lora]``, ``[optim]``,
``[data]``, ``[projector]``, ``[run]``) plus command-line overrides such as
``--optim.lr 5e-4``. Defaults are the paper's recipe (LoRA r 4, alpha 16,
dropout 0.05; lr 9e-4; 5 epochs; cosine with 3 % warm-up; effective batch 128).
The resolved config is saved as JSON next to every checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from engine.analyzers.alm.config import COMPUTE_DTYPES as DTYPES
from engine.analyzers.alm.config import DEVICES, FAMILIES, QUANTIZATIONS
from engine.errors import SayWellError

SCHEDULERS = ("cosine", "linear", "constant")
STAGES = ("sft", "projector")
ORIGINS = ("gold", "annotation")


class ConfigError(SayWellError):
    """A training config value or key is not accepted."""

    exit_code = 2


def _opt(default: Any, help: str, choices: tuple[str, ...] = ()) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class ModelSection:
    family: str = _opt("whisper-llm", "model family", FAMILIES)
    model_dir: str = _opt(
        "", "local folder of the base: the Qwen2-Audio checkpoint, or for whisper-llm the causal LM"
    )
    encoder_dir: str = _opt("", "whisper-llm: local folder of the Whisper checkpoint (its encoder is frozen)")
    quantization: str = _opt("nf4", "how the frozen base is loaded: 4-bit NF4 (QLoRA), 8-bit or full", QUANTIZATIONS)
    compute_dtype: str = _opt("bfloat16", "dtype of the trained weights and the 4-bit matmuls", DTYPES)
    device: str = _opt("auto", "auto uses CUDA when present; cuda fails loudly without a GPU", DEVICES)
    max_audio_s: float = _opt(30.0, "longest clip fed to the model, in seconds (Whisper's window is 30 s)")
    audio_seconds: float = _opt(12.0, "whisper-llm: seconds of encoder output used (paper: 12)")
    audio_tokens: int = _opt(300, "whisper-llm: audio embeddings spliced into the prompt (paper: 300)")
    gradient_checkpointing: bool = _opt(True, "recompute activations in backward: less memory, ~30 % slower")


@dataclass(frozen=True)
class LoraSection:
    r: int = _opt(4, "LoRA rank")
    alpha: int = _opt(16, "LoRA alpha (scaling = alpha / r)")
    dropout: float = _opt(0.05, "LoRA dropout")
    target_modules: str = _opt("all-linear", "LM modules that get LoRA: 'all-linear' or comma-separated names")


@dataclass(frozen=True)
class OptimSection:
    lr: float = _opt(9e-4, "peak learning rate")
    epochs: float = _opt(5.0, "passes over the training set")
    scheduler: str = _opt("cosine", "learning-rate schedule after warm-up", SCHEDULERS)
    warmup_ratio: float = _opt(0.03, "share of the optimizer steps spent warming up")
    effective_batch: int = _opt(128, "examples per optimizer step, over all processes (reached by accumulation)")
    micro_batch: int = _opt(4, "examples per forward pass on one process")
    weight_decay: float = _opt(0.0, "AdamW weight decay")
    max_grad_norm: float = _opt(1.0, "gradient clipping norm (0 disables it)")
    max_steps: int = _opt(0, "stop after this many optimizer steps (0: run every epoch)")


@dataclass(frozen=True)
class DataSection:
    prepared_dir: str = _opt("", "folder written by `prepare`: train on its train.json (other data keys are then unused)")
    train_manifest: str = _opt("", "L2-Arctic-plus-format JSON of training records")
    audio_root: str = _opt("", "folder the manifest's audio paths are relative to (default: the manifest's folder)")
    annotation_root: str = _opt(
        "", "L2-ARCTIC release folder: adds utterances with phone annotations but no written feedback"
    )
    origins: str = _opt("gold,annotation", "which example origins to train on (comma-separated: gold, annotation)")
    allow_missing_audio: bool = _opt(False, "skip records whose audio is missing or unreadable instead of failing")
    dev_speakers: str = _opt("", "comma-separated training speakers held out as a dev split")
    cache_encoded: bool = _opt(False, "encode each example once and keep it in memory (small datasets only)")


@dataclass(frozen=True)
class ProjectorSection:
    asr_manifest: str = _opt("", "stage 1 (whisper-llm): JSON list of {audio_path, text} ASR clips")
    lr: float = _opt(1e-3, "stage-1 learning rate")
    epochs: float = _opt(1.0, "stage-1 passes over the ASR clips")
    effective_batch: int = _opt(256, "stage-1 examples per optimizer step")


@dataclass(frozen=True)
class RunSection:
    name: str = _opt("saywell-adapter", "run and adapter name")
    stage: str = _opt("sft", "sft: projector + LoRA on feedback; projector: stage-1 ASR pretraining", STAGES)
    output_dir: str = _opt("runs", "checkpoints go to <output_dir>/<name>/")
    seed: int = _opt(1234, "random seed (data order, LoRA init, dropout)")
    save_every_steps: int = _opt(200, "save a checkpoint every N optimizer steps (0: only at the end)")
    log_every_steps: int = _opt(1, "report loss and throughput every N optimizer steps")
    resume_from: str = _opt("", "checkpoint folder to resume from ('latest' picks the newest of this run)")
    projector_from: str = _opt("", "whisper-llm: stage-1 checkpoint whose projector starts stage 2")
    progress: bool = _opt(True, "show progress bars")
    cpu_threads: int = _opt(0, "torch CPU threads (0: torch's default); 1 is fastest on a busy machine")


SECTIONS: dict[str, type] = {
    "model": ModelSection,
    "lora": LoraSection,
    "optim": OptimSection,
    "data": DataSection,
    "projector": ProjectorSection,
    "run": RunSection,
}


@dataclass(frozen=True)
class TrainConfig:
    """The whole resolved configuration of one training run."""

    model: ModelSection = field(default_factory=ModelSection)
    lora: LoraSection = field(default_factory=LoraSection)
    optim: OptimSection = field(default_factory=OptimSection)
    data: DataSection = field(default_factory=DataSection)
    projector: ProjectorSection = field(default_factory=ProjectorSection)
    run: RunSection = field(default_factory=RunSection)

    @property
    def run_dir(self) -> Path:
        return Path(self.run.output_dir) / self.run.name

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.data.origins.split(",") if o.strip())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def accumulation_steps(self, world_size: int = 1) -> int:
        """Micro-batches per optimizer step so that the effective batch is reached."""
        effective = self.optim.effective_batch if self.run.stage == "sft" else self.projector.effective_batch
        return max(1, math.ceil(effective / (self.optim.micro_batch * max(1, world_size))))

    def validate(self) -> TrainConfig:
        """Check every value; raise ConfigError naming the field and what is accepted."""
        for name, section_type in SECTIONS.items():
            section = getattr(self, name)
            for f in fields(section_type):
                choices = f.metadata.get("choices") or ()
                value = getattr(section, f.name)
                if choices and value not in choices:
                    raise ConfigError(f"{name}.{f.name} = {value!r} is not accepted; use one of: {', '.join(choices)}.")
        _positive(self, "lora.r", "lora.alpha", "optim.lr", "optim.epochs", "optim.effective_batch",
                  "optim.micro_batch", "model.audio_seconds", "model.audio_tokens", "projector.lr", "projector.effective_batch", "model.max_audio_s")
        if not 0.0 <= self.lora.dropout < 1.0:
            raise ConfigError(f"lora.dropout = {self.lora.dropout} must be in [0, 1).")
        if not 0.0 <= self.optim.warmup_ratio < 1.0:
            raise ConfigError(f"optim.warmup_ratio = {self.optim.warmup_ratio} must be in [0, 1).")
        unknown = [o for o in self.origins if o not in ORIGINS]
        if unknown or not self.origins:
            raise ConfigError(f"data.origins = {self.data.origins!r}: use a comma-separated subset of {', '.join(ORIGINS)}.")
        return self


def _positive(config: TrainConfig, *dotted: str) -> None:
    for key in dotted:
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        if not value > 0:
            raise ConfigError(f"{key} = {value!r} must be greater than 0.")


# -- loading and overriding -----------------------------------------------------


def config_from_mapping(data: Mapping[str, Any], base: TrainConfig | None = None) -> TrainConfig:
    """Build a config from nested ``{section: {key: value}}``; unknown keys are refused."""
    config = base or TrainConfig()
    if not isinstance(data, Mapping):
        raise ConfigError("A training config must be a table of sections: " + ", ".join(SECTIONS) + ".")
    for section_name, values in data.items():
        if section_name not in SECTIONS:
            raise ConfigError(f"Unknown config section [{section_name}]; sections are: {', '.join(SECTIONS)}.")
        if not isinstance(values, Mapping):
            raise ConfigError(f"[{section_name}] must be a table of key = value.")
        section = getattr(config, section_name)
        known = {f.name: f for f in fields(SECTIONS[section_name])}
        changes = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(
                    f"Unknown key {section_name}.{key}; keys of [{section_name}]: {', '.join(known)}."
                )
            changes[key] = _coerce(f"{section_name}.{key}", value, known[key])
        config = replace(config, **{section_name: replace(section, **changes)})
    return config


def load_config(path: str | Path | None, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Read a TOML (or a saved JSON) config, apply ``{"optim.lr": 5e-4}`` overrides, validate."""
    config = TrainConfig()
    if path:
        config = config_from_mapping(_read_file(Path(path)), config)
    nested: dict[str, dict[str, Any]] = {}
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        nested.setdefault(section, {})[key] = value
    return config_from_mapping(nested, config).validate()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"Config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            return json.loads(text)
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        return tomllib.loads(text)
    except ValueError as err:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise ConfigError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {err}") from err


def _coerce(key: str, value: Any, f: Any) -> Any:
    kind = type(f.default) if f.default is not MISSING else str
    if kind is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes", "on"):
            return True
        if str(value).lower() in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{key} = {value!r}: use true or false.")
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return kind(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{key} = {value!r} is not a valid {kind.__name__}.") from err


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--config`` and one ``--section.key`` override per field, with the field's help."""
    parser.add_argument("--config", help="TOML config file (overrides below win over it)")
    for section_name, section_type in SECTIONS.items():
        group = parser.add_argument_group(f"[{section_name}]")
        for f in fields(section_type):
            choices = f.metadata.get("choices") or None
            group.add_argument(
                f"--{section_name}.{f.name}",
                dest=f"{section_name}.{f.name}",
                default=None,
                choices=choices,
                metavar=None if choices else type(f.default).__name__.upper(),
                help=f"{f.metadata.get('help', '')} (default: {f.default!r})",
            )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The config named by ``--config`` with every ``--section.key`` given on the command line."""
    overrides = {
        key: value
        for key, value in vars(args).items()
        if "." in key and key.split(".")[0] in SECTIONS and value is not None
    }
    return load_config(getattr(args, "config", None), overrides)
