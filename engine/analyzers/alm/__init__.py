"""The audio-language-model backend: a local 4-bit ALM with our LoRA adapters.

Importing this package is cheap: torch, transformers, peft and bitsandbytes are imported
only when a model is loaded (``loader.load_runtime``) or by the family modules, which only
the loader and the training package import.

Parts: ``config`` (AlmConfig), ``memory`` (GPU memory estimate), ``manifest`` (adapter
manifest checks), ``families`` (qwen2-audio, whisper-llm), ``loader``, ``analyzer``
(AlmAnalyzer), ``chat`` (AlmTutor), ``select`` (choose_engine), ``tiny`` (test models).
"""

from engine.analyzers.alm.config import FAMILIES, QWEN2_AUDIO, WHISPER_LLM, AlmConfig
from engine.analyzers.alm.select import (
    AlmEngine,
    choose_engine,
    config_from_options,
    create_analyzer,
    create_engine,
)

__all__ = [
    "FAMILIES",
    "QWEN2_AUDIO",
    "WHISPER_LLM",
    "AlmConfig",
    "AlmEngine",
    "choose_engine",
    "config_from_options",
    "create_analyzer",
    "create_engine",
]
