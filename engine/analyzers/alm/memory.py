"""Will the model fit? GPU memory estimated from config dicts, before anything is loaded.

Parameters are counted by architecture arithmetic (decoder: attention and MLP matrices per
layer, embeddings, output head; Whisper-style encoder: convolutions, positions, layers).
Bytes per parameter depend on how each part is stored:

* LM linear layers follow the quantisation: NF4 with double quantisation is 4 bits plus
  an 8-bit absmax per 64-weight block plus a float32 scale per 256 blocks
  (4 + 8/64 + 32/16384 = 4.127 bits, 0.516 bytes); int8 is 1 byte (row scales are
  negligible); unquantised is 2 bytes (fp16/bf16).
* Embeddings, output head, norms and biases stay in 16-bit (bitsandbytes quantises only
  linear layers and transformers keeps the head unquantised); so does the audio side
  (Qwen2-Audio's encoder and projector are skipped on purpose; the Whisper encoder is
  frozen in 16-bit); the whisper-llm projector is float32.

On top: the KV cache for ``context_tokens`` (2 x layers x kv heads x head dim x 2 bytes per
token), prefill activations (per token: a few hidden-size and intermediate-size buffers
in 16-bit) and a fixed 0.5 GiB for the CUDA context and allocator slack.
Standard library only, except ``free_cuda_bytes`` which asks torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.analyzers.alm.config import QUANTIZATIONS, QWEN2_AUDIO, WHISPER_LLM, AlmConfig
from engine.errors import ModelError

GIB = 1024**3
NF4_DOUBLE_QUANT_BYTES = (4 + 8 / 64 + 32 / (64 * 256)) / 8
LINEAR_BYTES = {"nf4": NF4_DOUBLE_QUANT_BYTES, "int8": 1.0, "none": 2.0}
HALF_BYTES = 2.0
FLOAT_BYTES = 4.0
CUDA_OVERHEAD_BYTES = GIB // 2
DEFAULT_CONTEXT_TOKENS = 2048


@dataclass(frozen=True)
class ParamCounts:
    """Parameters by how they are stored: quantisable LM linears, 16-bit rest, float32 projector."""

    lm_linear: int
    half: int  # embeddings, head, norms, biases, audio encoder
    float32: int = 0

    @property
    def total(self) -> int:
        return self.lm_linear + self.half + self.float32

    def __add__(self, other: ParamCounts) -> ParamCounts:
        return ParamCounts(self.lm_linear + other.lm_linear, self.half + other.half,
                           self.float32 + other.float32)


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated GPU memory of a model in one storage mode, in bytes."""

    quantization: str
    params: ParamCounts
    weights_bytes: float
    kv_cache_bytes: float
    activation_bytes: float
    overhead_bytes: float = CUDA_OVERHEAD_BYTES

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.kv_cache_bytes + self.activation_bytes + self.overhead_bytes

    def describe(self) -> str:
        return (f"{self.params.total / 1e9:.2f}B parameters in {self.quantization}: "
                f"{gib(self.weights_bytes)} weights + {gib(self.kv_cache_bytes)} KV cache + "
                f"{gib(self.activation_bytes + self.overhead_bytes)} activations and CUDA overhead "
                f"= {gib(self.total_bytes)}")


@dataclass(frozen=True)
class MemoryCheck:
    """The verdict for one GPU: does it fit, what it needs, what to try instead."""

    fits: bool
    estimate: MemoryEstimate
    free_bytes: float | None
    message: str
    suggestion: str = ""


def gib(n_bytes: float) -> str:
    return f"{n_bytes / GIB:.1f} GiB"


# -- parameter arithmetic -------------------------------------------------------------


def decoder_params(cfg: Mapping[str, Any]) -> ParamCounts:
    """A Llama/Mistral/Qwen2-style decoder: GQA attention, gated MLP, RMS norms."""
    h, layers, inter, vocab = (_int(cfg, k) for k in
                               ("hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size"))
    heads = _int(cfg, "num_attention_heads")
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or h // heads)
    q, kv = heads * head_dim, kv_heads * head_dim
    linear = layers * (h * q + 2 * h * kv + q * h + 3 * h * inter)
    biases = layers * (q + 2 * kv) if cfg.get("model_type") == "qwen2" or cfg.get("attention_bias") else 0
    norms = layers * 2 * h + h
    embeddings = vocab * h * (1 if cfg.get("tie_word_embeddings") else 2)
    return ParamCounts(linear, embeddings + norms + biases)


def whisper_encoder_params(cfg: Mapping[str, Any]) -> ParamCounts:
    """A Whisper (or Qwen2-Audio) encoder: 2 convolutions, positions, pre-norm layers (16-bit)."""
    d, layers, ffn, mel = (_int(cfg, k) for k in ("d_model", "encoder_layers", "encoder_ffn_dim", "num_mel_bins"))
    positions = int(cfg.get("max_source_positions", 1500))
    convs = mel * d * 3 + d + d * d * 3 + d
    per_layer = 4 * d * d + 3 * d + d + 2 * d * ffn + ffn + d + 4 * d  # attn + biases, MLP, 2 norms
    return ParamCounts(0, convs + positions * d + layers * per_layer + 2 * d)


def family_params(family: str, config: Mapping[str, Any],
                  encoder_config: Mapping[str, Any] | None = None) -> tuple[ParamCounts, Mapping[str, Any]]:
    """Parameter counts of a whole model and the LM config (for the KV cache)."""
    if family == QWEN2_AUDIO:
        text, audio = config["text_config"], config["audio_config"]
        projector = ParamCounts(0, audio["d_model"] * text["hidden_size"] + text["hidden_size"])
        return decoder_params(text) + whisper_encoder_params(audio) + projector, text
    if family == WHISPER_LLM:
        if encoder_config is None:
            raise ModelError("The whisper-llm estimate needs the Whisper encoder's config too.")
        d, h = _int(encoder_config, "d_model"), _int(config, "hidden_size")
        projector = ParamCounts(0, 0, d * h + h + h * h + h)
        return decoder_params(config) + whisper_encoder_params(encoder_config) + projector, config
    raise ModelError(f"Unknown family {family!r}; use {QWEN2_AUDIO} or {WHISPER_LLM}.")


def _int(cfg: Mapping[str, Any], key: str) -> int:
    try:
        return int(cfg[key])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelError(f"The model config lacks a usable {key!r}; cannot estimate its memory.") from err


# -- bytes ---------------------------------------------------------------------------------


def estimate_memory(family: str, config: Mapping[str, Any], quantization: str = "nf4", *,
                    encoder_config: Mapping[str, Any] | None = None,
                    context_tokens: int = DEFAULT_CONTEXT_TOKENS) -> MemoryEstimate:
    """GPU memory for ``family`` from its config dict(s) in the given storage mode."""
    if quantization not in QUANTIZATIONS:
        raise ModelError(f"quantization {quantization!r} is not supported; use one of {', '.join(QUANTIZATIONS)}.")
    params, lm = family_params(family, config, encoder_config)
    weights = (params.lm_linear * LINEAR_BYTES[quantization] + params.half * HALF_BYTES
               + params.float32 * FLOAT_BYTES)
    heads = _int(lm, "num_attention_heads")
    head_dim = int(lm.get("head_dim") or _int(lm, "hidden_size") // heads)
    kv_heads = int(lm.get("num_key_value_heads") or heads)
    kv_cache = 2 * _int(lm, "num_hidden_layers") * kv_heads * head_dim * HALF_BYTES * context_tokens
    activations = context_tokens * HALF_BYTES * (8 * _int(lm, "hidden_size") + 3 * _int(lm, "intermediate_size"))
    return MemoryEstimate(quantization, params, weights, kv_cache, activations)


def plan_memory(family: str, config: Mapping[str, Any], quantization: str, free_bytes: float | None, *,
                encoder_config: Mapping[str, Any] | None = None,
                context_tokens: int = DEFAULT_CONTEXT_TOKENS) -> MemoryCheck:
    """Compare the estimate with free GPU memory; when it does not fit, suggest the smaller option."""
    def estimate(q: str) -> MemoryEstimate:
        return estimate_memory(family, config, q, encoder_config=encoder_config, context_tokens=context_tokens)

    needed = estimate(quantization)
    if free_bytes is None:
        return MemoryCheck(False, needed, None, f"No CUDA GPU found; the model needs {gib(needed.total_bytes)}.",
                           "Use the CPU engine.")
    if needed.total_bytes <= free_bytes:
        return MemoryCheck(True, needed, free_bytes,
                           f"Fits: needs about {gib(needed.total_bytes)} of {gib(free_bytes)} free.")
    smaller = [q for q in QUANTIZATIONS[:QUANTIZATIONS.index(quantization)] if estimate(q).total_bytes <= free_bytes]
    if smaller:
        best = smaller[-1]  # the least aggressive quantisation that fits
        suggestion = f"Use quantization '{best}' (about {gib(estimate(best).total_bytes)})."
    elif context_tokens > 1024 and estimate_memory(family, config, "nf4", encoder_config=encoder_config,
                                                   context_tokens=1024).total_bytes <= free_bytes:
        suggestion = "Use quantization 'nf4' with context_budget_tokens 1024."
    else:
        suggestion = ("Use the whisper-llm family with a smaller language model (for example "
                      "whisper-small with a 1.5B LM needs about 2 GiB), or the CPU engine.")
    message = (f"The {family} model does not fit: {needed.describe()}, but only {gib(free_bytes)} of GPU "
               f"memory is free. {suggestion}")
    return MemoryCheck(False, needed, free_bytes, message, suggestion)


def free_cuda_bytes() -> float | None:
    """Free memory on the first CUDA GPU, or None without one (imports torch)."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    free, _total = torch.cuda.mem_get_info(0)
    return float(free)


def read_config(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"Cannot read the model config {path}: {err}") from err


def check_config_fits(config: AlmConfig, free_bytes: float | None = None) -> MemoryCheck:
    """The memory check for a configured model (``free_bytes`` defaults to the GPU's free memory)."""
    encoder = read_config(config.encoder_dir) if config.encoder_dir else None
    free = free_cuda_bytes() if free_bytes is None else free_bytes
    return plan_memory(config.family, read_config(config.model_dir), config.quantization, free,
                       encoder_config=encoder, context_tokens=config.context_budget_tokens)


# -- reference checkpoints (architecture fields of their config.json), for benchmarks and docs --

_WHISPER = {"model_type": "whisper", "max_source_positions": 1500}
_QWEN2 = {"model_type": "qwen2"}
_LLAMA = {"model_type": "llama", "tie_word_embeddings": False}
REFERENCE_CONFIGS: dict[str, dict[str, Any]] = {
    "Qwen2-Audio-7B-Instruct": {
        "model_type": "qwen2_audio",
        "audio_config": {"d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20,
                         "encoder_ffn_dim": 5120, "num_mel_bins": 128, "max_source_positions": 1500},
        "text_config": {**_QWEN2, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                        "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 156032,
                        "tie_word_embeddings": False},
    },
    "whisper-small": {**_WHISPER, "d_model": 768, "encoder_layers": 12, "encoder_attention_heads": 12,
                      "encoder_ffn_dim": 3072, "num_mel_bins": 80},
    "whisper-medium": {**_WHISPER, "d_model": 1024, "encoder_layers": 24, "encoder_attention_heads": 16,
                       "encoder_ffn_dim": 4096, "num_mel_bins": 80},
    "whisper-large-v3": {**_WHISPER, "d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20,
                         "encoder_ffn_dim": 5120, "num_mel_bins": 128},
    "Qwen2.5-1.5B-Instruct": {**_QWEN2, "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
                              "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151936,
                              "tie_word_embeddings": True},
    "Llama-3.1-8B-Instruct": {**_LLAMA, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                              "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256},
}
