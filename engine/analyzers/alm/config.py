"""Settings of the ALM backend: which model, which adapter, how to load it, how long to think.

Frozen dataclasses validated on construction: a bad value raises ``ModelError`` naming the
accepted values, before anything heavy is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from engine.errors import ModelError
from engine.prompts import PromptStyle

QWEN2_AUDIO = "qwen2-audio"
WHISPER_LLM = "whisper-llm"
FAMILIES = (QWEN2_AUDIO, WHISPER_LLM)
QUANTIZATIONS = ("nf4", "int8", "none")
COMPUTE_DTYPES = ("bfloat16", "float16", "float32")
DEVICES = ("auto", "cuda", "cpu")


@dataclass(frozen=True)
class AlmConfig:
    """Everything needed to load and run one audio-language model.

    ``model_dir`` is the base checkpoint: the Qwen2-Audio folder, or for whisper-llm the
    causal LM's folder, with the Whisper checkpoint in ``encoder_dir``. ``adapter_dir`` is an
    adapter folder with our manifest (``None``: the untuned base, for the one-shot baseline).
    """

    family: str
    model_dir: Path
    adapter_dir: Path | None = None
    encoder_dir: Path | None = None  # whisper-llm only
    quantization: str = "nf4"
    compute_dtype: str = "bfloat16"
    device: str = "auto"
    prompt_style: PromptStyle = PromptStyle.TUNED
    max_new_tokens: int = 512  # the feedback for a long sentence is ~10 lines of ~40 tokens
    time_limit_s: float = 120.0  # per generation; output so far is kept and noted
    context_budget_tokens: int = 2048  # prompt + audio + chat history + answer
    chat_max_new_tokens: int = 256
    allow_cpu: bool = False  # run on CPU when no GPU is found (slow: minutes per take)

    def __post_init__(self) -> None:
        _check_choice("family", self.family, FAMILIES)
        _check_choice("quantization", self.quantization, QUANTIZATIONS)
        _check_choice("compute_dtype", self.compute_dtype, COMPUTE_DTYPES)
        _check_choice("device", self.device, DEVICES)
        object.__setattr__(self, "model_dir", Path(self.model_dir))
        for name in ("adapter_dir", "encoder_dir"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        try:
            object.__setattr__(self, "prompt_style", PromptStyle(self.prompt_style))
        except ValueError as err:
            raise ModelError(_choice_message("prompt_style", self.prompt_style, [s.value for s in PromptStyle])) from err
        if self.family == WHISPER_LLM and self.encoder_dir is None:
            raise ModelError("The whisper-llm family needs encoder_dir: the folder of a Whisper checkpoint.")
        for name in ("max_new_tokens", "chat_max_new_tokens", "context_budget_tokens"):
            if int(getattr(self, name)) < 1:
                raise ModelError(f"{name} must be a positive number of tokens, not {getattr(self, name)!r}.")
        if not self.time_limit_s > 0:
            raise ModelError(f"time_limit_s must be a positive number of seconds, not {self.time_limit_s!r}.")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AlmConfig:
        """Build from a settings dict (e.g. the ``[alm]`` table of the config file).

        Raises:
            ModelError: unknown keys, missing family/model_dir, or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"Unknown ALM setting(s) {unknown}; accepted: {sorted(known)}.")
        missing = [k for k in ("family", "model_dir") if not data.get(k)]
        if missing:
            raise ModelError(f"ALM settings need {' and '.join(missing)}.")
        try:
            return cls(**dict(data))
        except TypeError as err:
            raise ModelError(f"Bad ALM settings: {err}") from err

    def with_changes(self, **changes: Any) -> AlmConfig:
        return replace(self, **changes)


def _check_choice(name: str, value: object, accepted: tuple[str, ...]) -> None:
    if value not in accepted:
        raise ModelError(_choice_message(name, value, accepted))


def _choice_message(name: str, value: object, accepted: Any) -> str:
    return f"{name} {value!r} is not supported; use one of: {', '.join(accepted)}."
