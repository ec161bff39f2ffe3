"""Loading a base model for training and choosing what trains, on the engine's own model classes.

The families (``engine.analyzers.alm.families``) load, encode and save; this
module adds only what training needs: the process's device in the device map,
k-bit preparation for QLoRA, LoRA with the configured shape, the projector's
trainability, and the stage-1 projector starting point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.analyzers.alm.config import QWEN2_AUDIO, WHISPER_LLM, AlmConfig
from engine.errors import ModelError
from training.config import TrainConfig


def alm_config(config: TrainConfig) -> AlmConfig:
    """The engine's ALM settings for the base model of a training config (no adapter)."""
    model = config.model
    if not model.model_dir:
        raise ModelError("model.model_dir is empty: give the local folder of the base model.")
    return AlmConfig(
        family=model.family,
        model_dir=Path(model.model_dir),
        encoder_dir=Path(model.encoder_dir) if model.encoder_dir else None,
        quantization=model.quantization,
        compute_dtype=model.compute_dtype,
        device=model.device,
        allow_cpu=True,
    )


def load_base_runtime(config: TrainConfig, device: Any) -> Any:
    """Load the frozen base of the configured family onto ``device`` (quantised as configured).

    Raises:
        ModelError: a folder is missing or incomplete (the message names the files).
    """
    import torch

    from engine.analyzers.alm.loader import check_config_folders, force_offline, model_kwargs

    settings = alm_config(config)
    if config.run.stage == "projector" and settings.family != WHISPER_LLM:
        raise ModelError("run.stage = projector applies to the whisper-llm family only (Qwen2-Audio has its own).")
    check_config_folders(settings)
    force_offline()
    kind = "cuda" if torch.device(device).type == "cuda" else "cpu"
    skip = None
    if settings.family == QWEN2_AUDIO:
        from engine.analyzers.alm.families import qwen2_audio

        skip = qwen2_audio.QUANT_SKIP_MODULES
    kwargs = model_kwargs(settings, kind, torch, skip)
    kwargs["device_map"] = {"": torch.device(device).index or 0} if kind == "cuda" else {"": "cpu"}
    if settings.family == QWEN2_AUDIO:
        return qwen2_audio.load_qwen2_audio(settings.model_dir, kwargs)
    from engine.analyzers.alm.families import whisper_llm

    encoder_dtype = kwargs["dtype"] if kind == "cuda" else torch.float32
    runtime = whisper_llm.load_whisper_llm(
        settings.model_dir, settings.encoder_dir, kwargs, encoder_dtype,
        audio_seconds=config.model.audio_seconds, audio_tokens=config.model.audio_tokens,
    )
    if config.run.projector_from:
        runtime.load_projector(Path(config.run.projector_from) / "adapter")
    return runtime


def language_model(runtime: Any) -> Any:
    """The causal LM inside a runtime (LoRA goes there)."""
    return runtime.model.lm if runtime.family == WHISPER_LLM else runtime.model


def lora_settings(config: TrainConfig, family: str) -> Any:
    """PEFT LoRA config: the family's targets (the LM's linear layers) unless the config names modules."""
    from engine.analyzers.alm.families import qwen2_audio, whisper_llm

    module = qwen2_audio if family == QWEN2_AUDIO else whisper_llm
    lora = module.lora_config(r=config.lora.r, alpha=config.lora.alpha, dropout=config.lora.dropout)
    if config.lora.target_modules != "all-linear":
        lora.target_modules = {m.strip() for m in config.lora.target_modules.split(",") if m.strip()}
    return lora


def make_trainable(runtime: Any, config: TrainConfig) -> None:
    """Freeze the base; add LoRA (stage sft); unfreeze the whisper-llm projector.

    For a 4-bit or 8-bit base, PEFT's ``prepare_model_for_kbit_training`` first
    casts the small unquantised layers to float32 for stable training.
    """
    from peft import prepare_model_for_kbit_training

    runtime.model.requires_grad_(False)
    lm = language_model(runtime)
    checkpointing = config.model.gradient_checkpointing
    if config.model.quantization != "none":
        prepared = prepare_model_for_kbit_training(lm, use_gradient_checkpointing=checkpointing)
        _replace_lm(runtime, prepared)
    elif checkpointing:
        lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        lm.enable_input_require_grads()
    if config.run.stage == "sft":
        runtime.add_lora(lora_settings(config, runtime.family))
    if runtime.family == WHISPER_LLM:
        runtime.model.projector.float().requires_grad_(True)


def _replace_lm(runtime: Any, lm: Any) -> None:
    if runtime.family == WHISPER_LLM:
        runtime.model.lm = lm
    else:
        runtime.model = lm


def trainable_summary(runtime: Any) -> str:
    """``trainable 1.2M of 7.4B parameters (0.02 %)``."""
    total = sum(p.numel() for p in runtime.model.parameters())
    trainable = sum(p.numel() for p in runtime.model.parameters() if p.requires_grad)
    return f"trainable {_human(trainable)} of {_human(total)} parameters ({100 * trainable / max(total, 1):.2f} %)"


def _human(n: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(int(n))
