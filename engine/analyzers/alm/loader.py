"""Load an ALM from local folders: check, estimate, import, load, attach the adapter.

Local folders only: the Hugging Face offline variables are forced before transformers is
imported and every ``from_pretrained`` gets ``local_files_only=True`` and
``use_safetensors=True`` (pickled checkpoints are never loaded). Progress goes to a
callback step by step; a cancel request is honoured between steps (a single
``from_pretrained`` call cannot be interrupted).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.analyzers.alm.config import QWEN2_AUDIO, WHISPER_LLM, AlmConfig
from engine.analyzers.alm.manifest import AdapterManifest, verify_adapter
from engine.analyzers.base import Cancelled, ProgressCallback
from engine.errors import ModelError

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "HF_HUB_DISABLE_TELEMETRY": "1"}

# Files each folder must hold: every group needs one of its names. Kept here, not in the
# family modules, so checking a folder imports no torch.
QWEN2_AUDIO_FILES = (("config.json",), ("preprocessor_config.json", "processor_config.json"),
                     ("tokenizer.json", "vocab.json"),
                     ("model.safetensors", "model.safetensors.index.json"))
LM_FILES = (("config.json",), ("tokenizer.json", "tokenizer.model", "vocab.json"),
            ("model.safetensors", "model.safetensors.index.json"))
WHISPER_FILES = (("config.json",), ("preprocessor_config.json",),
                 ("model.safetensors", "model.safetensors.index.json"))

CPU_SLOW_NOTE = ("Running the audio-language model on the CPU: expect minutes per take. "
                 "A CUDA GPU with enough free memory makes it seconds.")


@dataclass(frozen=True)
class LoadedAlm:
    """A runtime ready to generate, with what was loaded and anything the user should know."""

    runtime: Any  # families.base.AlmRuntime
    config: AlmConfig
    manifest: AdapterManifest | None
    device: str  # "cuda" or "cpu"
    notes: tuple[str, ...] = ()


def force_offline() -> None:
    """Put the Hugging Face libraries in offline mode (before they are imported)."""
    os.environ.update(OFFLINE_ENV)


def check_folder(folder: Path | None, expected: tuple[tuple[str, ...], ...], what: str) -> None:
    """Raise ModelError naming the missing files when ``folder`` is missing or incomplete."""
    if folder is None or not Path(folder).is_dir():
        raise ModelError(f"The {what} folder {folder} does not exist. It must hold: {_describe(expected)}.")
    names = {p.name for p in Path(folder).iterdir()}
    missing = [group for group in expected if not names.intersection(group)]
    if missing:
        raise ModelError(f"The {what} folder {folder} is incomplete: missing {_describe(missing)} "
                         f"(a local copy of the checkpoint must hold {_describe(expected)}).")


def _describe(groups: Any) -> str:
    return ", ".join(" or ".join(group) for group in groups)


def check_config_folders(config: AlmConfig) -> AdapterManifest | None:
    """Every cheap check (no torch): folders complete, adapter verified. Returns the manifest."""
    if config.family == QWEN2_AUDIO:
        check_folder(config.model_dir, QWEN2_AUDIO_FILES, "Qwen2-Audio model")
    else:
        check_folder(config.model_dir, LM_FILES, "language model")
        check_folder(config.encoder_dir, WHISPER_FILES, "Whisper encoder")
    if config.adapter_dir is None:
        return None
    return verify_adapter(config.adapter_dir, family=config.family, model_dir=config.model_dir,
                          encoder_dir=config.encoder_dir)


def load_runtime(config: AlmConfig, *, progress: ProgressCallback | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> LoadedAlm:
    """Load the configured model (and adapter, when set) for inference.

    Raises:
        ModelError: a folder is missing/incomplete, the adapter is refused, the libraries
            are not installed, CUDA was asked for but is absent, or the model will not fit.
        Cancelled: ``should_cancel()`` returned True between steps.
    """
    steps = _Steps(progress, should_cancel, total=5)
    steps("Checking the model folders and the adapter")
    manifest = check_config_folders(config)
    steps("Importing PyTorch and transformers")
    torch = _import_stack()
    device, notes = _resolve_device(config, torch)
    if device == "cuda":
        _check_memory(config)
    steps(f"Loading the {config.family} base model on {device.upper()} ({config.quantization})")
    runtime = _load_base(config, device, torch)
    if config.adapter_dir is not None:
        steps(f"Attaching the adapter {manifest.name if manifest else config.adapter_dir}")
        runtime.attach_adapter(config.adapter_dir)
    steps.done("Model ready")
    return LoadedAlm(runtime, config, manifest, device, tuple(notes))


class _Steps:
    """Reports numbered steps to the progress callback and checks for cancel before each."""

    def __init__(self, progress: ProgressCallback | None, should_cancel: Callable[[], bool] | None,
                 total: int) -> None:
        self.progress, self.should_cancel, self.total, self.count = progress, should_cancel, total, 0

    def __call__(self, message: str) -> None:
        if self.should_cancel is not None and self.should_cancel():
            raise Cancelled("Model loading was cancelled.")
        if self.progress is not None:
            self.progress(self.count / self.total, message)
        self.count += 1

    def done(self, message: str) -> None:
        if self.progress is not None:
            self.progress(1.0, message)


def _import_stack() -> Any:
    force_offline()
    try:
        import peft  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as err:
        raise ModelError(f"The ALM engine needs the optional packages torch, transformers and peft "
                         f"(pip install 'saywell[alm]'): {err}") from err
    return torch


def _resolve_device(config: AlmConfig, torch: Any) -> tuple[str, list[str]]:
    has_cuda = bool(torch.cuda.is_available())
    if config.device == "cuda" and not has_cuda:
        raise ModelError("device is 'cuda' but PyTorch finds no CUDA GPU; use device 'auto' or 'cpu'.")
    if config.device == "cuda" or (config.device == "auto" and has_cuda):
        return "cuda", []
    return "cpu", [CPU_SLOW_NOTE]


def _check_memory(config: AlmConfig) -> None:
    from engine.analyzers.alm.memory import check_config_fits

    check = check_config_fits(config)
    if not check.fits:
        raise ModelError(check.message)


def model_kwargs(config: AlmConfig, device: str, torch: Any, skip_modules: list[str] | None) -> dict[str, Any]:
    """``from_pretrained`` keyword arguments: dtype, bitsandbytes quantisation, device map."""
    from transformers import BitsAndBytesConfig

    dtype = getattr(torch, config.compute_dtype)
    if device == "cpu" and config.quantization == "none":
        dtype = torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype, "device_map": {"": "cuda:0" if device == "cuda" else "cpu"}}
    if config.quantization == "nf4":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype, llm_int8_skip_modules=skip_modules)
    elif config.quantization == "int8":
        # LLM.int8 multiplies in float16 (bitsandbytes casts bf16 inputs anyway)
        kwargs["dtype"] = torch.float16
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=skip_modules)
    return kwargs


def _load_base(config: AlmConfig, device: str, torch: Any) -> Any:
    if config.family == QWEN2_AUDIO:
        from engine.analyzers.alm.families import qwen2_audio

        kwargs = model_kwargs(config, device, torch, qwen2_audio.QUANT_SKIP_MODULES)
        return qwen2_audio.load_qwen2_audio(config.model_dir, kwargs)
    from engine.analyzers.alm.families import whisper_llm

    kwargs = model_kwargs(config, device, torch, None)
    projector = whisper_llm.read_projector_config(config.adapter_dir) if config.adapter_dir else None
    encoder_dtype = kwargs["dtype"] if device == "cuda" else torch.float32
    return whisper_llm.load_whisper_llm(config.model_dir, config.encoder_dir, kwargs, encoder_dtype, projector)


__all__ = [
    "QWEN2_AUDIO",
    "WHISPER_LLM",
    "LoadedAlm",
    "check_config_folders",
    "check_folder",
    "force_offline",
    "load_runtime",
    "model_kwargs",
]
