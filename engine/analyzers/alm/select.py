"""The app's engine choice, made once and said in words, and the ALM factories.

``choose_engine(settings)`` picks the ALM when a model folder and a matching adapter are
configured and the memory check passes; otherwise the CPU analyzer, with the reason. The
checks run cheapest first: no torch is imported unless the folders and adapter are fine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.analyzers.alm.config import QWEN2_AUDIO, WHISPER_LLM, AlmConfig
from engine.analyzers.alm.manifest import AdapterManifest
from engine.analyzers.base import EngineChoice, ProgressCallback
from engine.errors import ModelError

CPU, ALM = "sphinx", "alm"
#: Sub-folders of a one-folder whisper-llm model.
WHISPER_LLM_LM, WHISPER_LLM_ENCODER = "lm", "encoder"


def choose_engine(settings: AlmConfig | Mapping[str, Any] | None, *,
                  free_cuda_bytes: Callable[[], float | None] | None = None) -> EngineChoice:
    """ALM or CPU, and why. ``settings``: an AlmConfig, the ``[alm]`` settings dict, or None.

    ``free_cuda_bytes`` returns the free GPU memory (None without a GPU); by default it
    asks torch. Never raises: every problem becomes the reason for the CPU engine.
    """
    try:
        config = _config(settings)
    except ModelError as err:
        return EngineChoice(CPU, f"CPU engine: the ALM settings are not usable: {err}")
    if config is None:
        return EngineChoice(CPU, "CPU engine: no audio-language model folder is configured.")
    if config.adapter_dir is None:
        return EngineChoice(CPU, f"CPU engine: no adapter is configured for the model in {config.model_dir}.")
    try:
        from engine.analyzers.alm.loader import check_config_folders

        manifest = check_config_folders(config)
    except ModelError as err:
        return EngineChoice(CPU, f"CPU engine: {err}")
    return _choose_device(config, manifest, free_cuda_bytes)


def _config(settings: AlmConfig | Mapping[str, Any] | None) -> AlmConfig | None:
    if settings is None or isinstance(settings, AlmConfig):
        return settings
    if not settings.get("model_dir"):
        return None
    return config_from_options(**settings)


def _choose_device(config: AlmConfig, manifest: AdapterManifest | None,
                   free_cuda_bytes: Callable[[], float | None] | None) -> EngineChoice:
    from engine.analyzers.alm.memory import check_config_fits
    from engine.analyzers.alm.memory import free_cuda_bytes as probe

    what = f"{config.family} ({manifest.base_model if manifest else config.model_dir.name}) " \
           f"with the adapter {manifest.name if manifest else config.adapter_dir}"
    if config.device == "cpu":
        return EngineChoice(ALM, f"ALM engine on the CPU, as configured (slow): {what}.")
    free = (free_cuda_bytes or probe)()
    if free is None:
        if config.allow_cpu:
            return EngineChoice(ALM, f"ALM engine on the CPU (no CUDA GPU found; slow): {what}.")
        return EngineChoice(CPU, "CPU engine: no CUDA GPU found for the audio-language model "
                                 "(set allow_cpu to run it slowly on the CPU).")
    check = check_config_fits(config, free_bytes=free)
    if not check.fits:
        return EngineChoice(CPU, f"CPU engine: {check.message}")
    return EngineChoice(ALM, f"ALM engine: {what}, {config.quantization} on the GPU "
                             f"({check.message[len('Fits: '):].rstrip('.')}).")


# -- factories ----------------------------------------------------------------------------


def infer_family(model_dir: Path, encoder_dir: Path | str | None = None) -> str:
    """qwen2-audio when the folder's config says so, otherwise whisper-llm (a plain LM).

    An unreadable folder gives whisper-llm when an encoder is configured, else qwen2-audio,
    so that the folder check, not this guess, tells the user what is missing.
    """
    from engine.analyzers.alm.memory import read_config

    try:
        model_type = read_config(model_dir).get("model_type")
    except ModelError:
        return WHISPER_LLM if encoder_dir else QWEN2_AUDIO
    return QWEN2_AUDIO if model_type == "qwen2_audio" else WHISPER_LLM


def config_from_options(model_dir: Path | str | None = None, **options: Any) -> AlmConfig:
    """An AlmConfig from CLI-style options; the family is read from the model folder when not given,
    and without ``adapter_dir`` the first installed adapter that fits the model is used (none: None).

    A whisper-llm model can be one folder holding ``lm/`` (the causal LM) and ``encoder/``
    (the Whisper checkpoint), so that a single ``--model-dir`` is enough.
    """
    if model_dir is None:
        raise ModelError("The ALM engine needs a local model folder (--model-dir DIR).")
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists() and (model_dir / WHISPER_LLM_LM).is_dir():
        options.setdefault("family", WHISPER_LLM)
        options.setdefault("encoder_dir", model_dir / WHISPER_LLM_ENCODER)
        model_dir = model_dir / WHISPER_LLM_LM
    options.setdefault("family", infer_family(model_dir, options.get("encoder_dir")))
    if "adapter_dir" not in options:
        options["adapter_dir"] = _bundled_adapter(model_dir, options)
    return AlmConfig.from_mapping({"model_dir": model_dir, **options})


def _bundled_adapter(model_dir: Path, options: Mapping[str, Any]) -> Path | None:
    """An adapter from ``resources/adapters`` or the user's adapters that fits this model."""
    from engine.analyzers.alm.manifest import matching_adapter

    encoder = options.get("encoder_dir")
    try:
        return matching_adapter(str(options["family"]), model_dir, Path(encoder) if encoder else None)
    except ModelError:  # the model folder is unreadable: the folder check will say so
        return None


@dataclass(frozen=True)
class AlmEngine:
    """A loaded ALM and the analyzer and tutor that share it (one worker thread owns all three)."""

    loaded: Any  # loader.LoadedAlm
    analyzer: Any  # analyzer.AlmAnalyzer
    tutor: Any  # chat.AlmTutor


def create_engine(config: AlmConfig, *, cpu_analyzer: Any = "auto", progress: ProgressCallback | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> AlmEngine:
    """Load the configured model once; build the analyzer and the tutor over it.

    ``cpu_analyzer="auto"`` builds the CPU analyzer for grounding, timings and fallback.

    Raises:
        ModelError: see ``loader.load_runtime``. Cancelled: between loading steps.
    """
    from engine.analyzers.alm.analyzer import AlmAnalyzer
    from engine.analyzers.alm.chat import AlmTutor
    from engine.analyzers.alm.loader import load_runtime

    loaded = load_runtime(config, progress=progress, should_cancel=should_cancel)
    if cpu_analyzer == "auto":
        from engine.analyzers.sphinx import SphinxAnalyzer

        cpu_analyzer = SphinxAnalyzer()
    label = loaded.manifest.name if loaded.manifest else "base"
    # An adapter answers best to the prompt it was trained on; an untuned base takes the configured one.
    style = loaded.manifest.prompt_style if loaded.manifest else config.prompt_style
    analyzer = AlmAnalyzer(loaded.runtime, cpu_analyzer=cpu_analyzer, style=style,
                           max_new_tokens=config.max_new_tokens, time_limit_s=config.time_limit_s,
                           label=label, notes=loaded.notes)
    tutor = AlmTutor(loaded.runtime, max_new_tokens=config.chat_max_new_tokens,
                     time_limit_s=config.time_limit_s, context_budget_tokens=config.context_budget_tokens,
                     label=label)
    return AlmEngine(loaded, analyzer, tutor)


def create_analyzer(*, cpu_analyzer: Any = "auto", progress: ProgressCallback | None = None,
                    **options: Any) -> Any:
    """The registry's "alm" engine: ``create_engine(config_from_options(**options)).analyzer``."""
    return create_engine(config_from_options(**options), cpu_analyzer=cpu_analyzer, progress=progress).analyzer
