"""The systems ``python -m training evaluate`` can score, each built from local folders.

* ``sphinx``: the embedded CPU analyzer (the app's default engine);
* ``alm-untuned``: a base ALM with the paper-style one-shot prompt (the "existing ALM" baseline);
* ``alm-tuned``: a base ALM with one of our adapters and the tuned prompt;
* ``alm-grounded``: the same plus the CPU analyzer's phone evidence in the prompt;
* ``cascade``: a local ASR checkpoint, then a local text LLM comparing transcript and sentence.

ALM backends score the model's own text (parsed with the engine's parser): unlike the
app, evaluation does not fall back to the CPU result when the answer is unreadable;
such answers count as "No Problem" and are noted on the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.audio import AudioClip
from engine.errors import ModelError
from engine.prompts import PromptStyle, build_prompt
from training.evaluate import AnalyzerBackend, Backend, Prediction, prediction_from_text

BACKENDS = ("sphinx", "alm-untuned", "alm-tuned", "alm-grounded", "cascade")
ALM_STYLES = {"alm-untuned": PromptStyle.ONE_SHOT, "alm-tuned": PromptStyle.TUNED,
              "alm-grounded": PromptStyle.GROUNDED}


@dataclass(frozen=True)
class BackendOptions:
    """Folders and limits for the model backends (unused ones stay empty)."""

    family: str = "qwen2-audio"
    model_dir: str = ""
    encoder_dir: str = ""
    adapter_dir: str = ""
    quantization: str = "nf4"
    compute_dtype: str = "bfloat16"
    device: str = "auto"
    max_new_tokens: int = 512
    time_limit_s: float = 120.0
    asr_dir: str = ""
    llm_dir: str = ""


class AlmBackend:
    """A loaded ALM runtime answering one prompt style; grounded prompts get CPU evidence."""

    def __init__(self, runtime: Any, style: PromptStyle, *, name: str, cpu_analyzer: Any = None,
                 max_new_tokens: int = 512, time_limit_s: float = 120.0) -> None:
        if style is PromptStyle.GROUNDED and cpu_analyzer is None:
            raise ModelError("The grounded backend needs the CPU analyzer for its evidence.")
        self.runtime, self.style, self.name = runtime, style, name
        self.cpu_analyzer = cpu_analyzer
        self.max_new_tokens, self.time_limit_s = max_new_tokens, time_limit_s

    def predict(self, clip: AudioClip, text: str) -> Prediction:
        evidence = self.cpu_analyzer.analyze(clip, text) if self.style is PromptStyle.GROUNDED else None
        generation = self.runtime.generate(build_prompt(self.style, text, evidence), clip.samples,
                                           max_new_tokens=self.max_new_tokens, time_limit_s=self.time_limit_s)
        prediction = prediction_from_text(generation.text)
        if generation.stop_reason.value != "end":
            note = f"generation stopped: {generation.stop_reason.value}"
            return Prediction(prediction.feedback, prediction.raw_text, prediction.notes + (note,))
        return prediction


def build_backend(name: str, options: BackendOptions) -> Backend:
    """The backend called ``name``, loaded from the folders in ``options``.

    Raises:
        ModelError: unknown name (the valid ones are listed) or a missing/invalid folder.
    """
    from engine.analyzers.registry import create_analyzer

    if name == "sphinx":
        return AnalyzerBackend(create_analyzer("sphinx"), name="sphinx")
    if name == "cascade":
        from training.cascade import CascadeBackend

        return CascadeBackend.from_folders(options.asr_dir, options.llm_dir, max_new_tokens=options.max_new_tokens,
                                           device=options.device)
    if name not in ALM_STYLES:
        raise ModelError(f"Unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}.")
    loaded = _load_alm(name, options)
    cpu = create_analyzer("sphinx") if ALM_STYLES[name] is PromptStyle.GROUNDED else None
    label = loaded.manifest.name if loaded.manifest else Path(options.model_dir).name
    return AlmBackend(loaded.runtime, ALM_STYLES[name], name=f"{name}:{label}", cpu_analyzer=cpu,
                      max_new_tokens=options.max_new_tokens, time_limit_s=options.time_limit_s)


def _load_alm(name: str, options: BackendOptions) -> Any:
    from engine.analyzers.alm.config import AlmConfig
    from engine.analyzers.alm.loader import load_runtime

    if not options.model_dir:
        raise ModelError(f"The {name} backend needs --model-dir, the local folder of the base model.")
    tuned = name != "alm-untuned"
    if tuned and not options.adapter_dir:
        raise ModelError(f"The {name} backend needs --adapter-dir (an exported adapter folder).")
    settings = AlmConfig(
        family=options.family, model_dir=Path(options.model_dir),
        encoder_dir=Path(options.encoder_dir) if options.encoder_dir else None,
        adapter_dir=Path(options.adapter_dir) if tuned else None, quantization=options.quantization,
        compute_dtype=options.compute_dtype, device=options.device, allow_cpu=True,
    )
    return load_runtime(settings)
