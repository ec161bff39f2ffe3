"""The whisper-llm family: the paper's architecture.

A frozen Whisper encoder hears the audio (padded or cut to 30 s by the feature extractor;
the first ``audio_seconds``, 12 s in the paper, are used), its output (50 frames/s) is
average-pooled to ``audio_tokens`` vectors (paper: 300), a 2-layer MLP projector
(Linear, GELU, Linear) maps them into the LM's embedding space, and they replace the
``audio_tokens`` placeholder positions that ``AUDIO_MARKER`` expands to in the prompt.
Any local causal LM works (Llama, Mistral, Qwen2.5); LoRA goes on its linear layers.

The adapter folder holds the PEFT LoRA of the LM plus ``projector.safetensors`` and
``projector_config.json`` (the projector is trained with the LoRA).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.analyzers.alm.config import WHISPER_LLM
from engine.analyzers.alm.families.base import IGNORE_INDEX, AlmRuntime, Batch, to_device
from engine.audio import SAMPLE_RATE_HZ
from engine.errors import ModelError
from engine.prompts import AUDIO_MARKER, ChatTurn, Prompt

FAMILY = WHISPER_LLM
PROJECTOR_FILE = "projector.safetensors"
PROJECTOR_CONFIG_FILE = "projector_config.json"
ENCODER_FRAMES_PER_S = 50  # Whisper encoder output rate: 1500 frames for 30 s

#: LoRA on every linear layer of the LM (PEFT's "all-linear" leaves the output head alone).
LORA_TARGET_MODULES = "all-linear"


#: Used when the LM's tokenizer has no chat template of its own (ChatML).
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class ProjectorConfig:
    """Shape of the audio path: encoder width -> LM width, and how much audio becomes how many tokens."""

    encoder_dim: int
    lm_hidden: int
    audio_seconds: float = 12.0
    audio_tokens: int = 300

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectorConfig:
        try:
            return cls(int(data["encoder_dim"]), int(data["lm_hidden"]),
                       float(data.get("audio_seconds", 12.0)), int(data.get("audio_tokens", 300)))
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError(f"{PROJECTOR_CONFIG_FILE} is malformed ({err!r}); it needs "
                             "encoder_dim, lm_hidden, audio_seconds, audio_tokens.") from err


class AudioProjector(nn.Module):
    """The paper's 2-layer MLP: Linear(encoder_dim, lm_hidden), GELU, Linear(lm_hidden, lm_hidden)."""

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(config.encoder_dim, config.lm_hidden), nn.GELU(),
                                 nn.Linear(config.lm_hidden, config.lm_hidden))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class WhisperLlm(nn.Module):
    """Frozen Whisper encoder + trainable projector + causal LM (LoRA-wrapped for training)."""

    def __init__(self, encoder: nn.Module, lm: nn.Module, config: ProjectorConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder.requires_grad_(False)
        self.projector = AudioProjector(config)
        self.lm = lm

    def embed_audio(self, input_features: torch.Tensor) -> torch.Tensor:
        """(batch, mel, 3000) log-mel features -> (batch, audio_tokens, lm_hidden) embeddings."""
        enc_param = next(self.encoder.parameters())
        with torch.no_grad():
            hidden = self.encoder(input_features.to(enc_param.device, enc_param.dtype)).last_hidden_state
        frames = max(1, round(self.config.audio_seconds * ENCODER_FRAMES_PER_S))
        hidden = hidden[:, :frames].transpose(1, 2).float()  # (batch, dim, frames)
        pooled = nn.functional.adaptive_avg_pool1d(hidden, self.config.audio_tokens).transpose(1, 2)
        proj_param = next(self.projector.parameters())
        return self.projector(pooled.to(proj_param.device, proj_param.dtype))

    def merged_embeddings(self, input_ids: torch.Tensor, input_features: torch.Tensor,
                          audio_mask: torch.Tensor) -> torch.Tensor:
        """Token embeddings with the audio embeddings written over the placeholder positions."""
        embeds = self.lm.get_input_embeddings()(input_ids)
        audio = self.embed_audio(input_features).to(embeds.device, embeds.dtype)
        return embeds.masked_scatter(audio_mask.to(embeds.device).unsqueeze(-1), audio)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                input_features: torch.Tensor, audio_mask: torch.Tensor,
                labels: torch.Tensor | None = None, **kwargs: Any) -> Any:
        embeds = self.merged_embeddings(input_ids, input_features, audio_mask)
        return self.lm(inputs_embeds=embeds, attention_mask=attention_mask, labels=labels, **kwargs)

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 input_features: torch.Tensor, audio_mask: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """The LM's ``generate`` from merged embeddings: returns the new tokens only."""
        embeds = self.merged_embeddings(input_ids, input_features, audio_mask)
        return self.lm.generate(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)


class WhisperLlmRuntime(AlmRuntime):
    """A loaded whisper-llm model, the LM's tokenizer and Whisper's feature extractor."""

    family = FAMILY

    def __init__(self, model: WhisperLlm, tokenizer: Any, feature_extractor: Any) -> None:
        super().__init__(model, tokenizer)
        self.feature_extractor = feature_extractor

    def render(self, prompt: Prompt, add_generation_prompt: bool = True) -> str:
        """The prompt in the LM's chat format (system turn folded into the first user turn
        for templates that refuse a system role, e.g. early Mistral-Instruct)."""
        messages = prompt.as_messages()
        template = self.tokenizer.chat_template or FALLBACK_CHAT_TEMPLATE
        kwargs = {"tokenize": False, "add_generation_prompt": add_generation_prompt,
                  "chat_template": template}
        try:
            return self.tokenizer.apply_chat_template(messages, **kwargs)
        except Exception:  # jinja2 TemplateError: "roles must alternate", "system not supported"
            if messages[0]["role"] != "system":
                raise
            rest = messages[1:]
            rest[0] = {"role": rest[0]["role"], "content": messages[0]["content"] + "\n\n" + rest[0]["content"]}
            return self.tokenizer.apply_chat_template(rest, **kwargs)

    def encode(self, prompt: Prompt, audio: np.ndarray, answer: str | None = None) -> Batch:
        text = self.render(prompt)
        if text.count(AUDIO_MARKER) != 1:
            raise ModelError("A whisper-llm prompt must hold the audio marker exactly once.")
        before, after = text.split(AUDIO_MARKER)
        n_audio = self.model.config.audio_tokens
        before_ids, after_ids = self._ids(before), self._ids(after)
        ids = before_ids + [self.pad_token_id] * n_audio + after_ids
        mask = [False] * len(before_ids) + [True] * n_audio + [False] * len(after_ids)
        labels = [IGNORE_INDEX] * len(ids)
        if answer is not None:
            answer_ids = self._ids(self._answer_suffix(prompt, text, answer))
            ids, mask, labels = ids + answer_ids, mask + [False] * len(answer_ids), labels + answer_ids
        features = self.feature_extractor(np.asarray(audio, dtype=np.float32), sampling_rate=SAMPLE_RATE_HZ,
                                          return_tensors="pt")["input_features"]
        batch: Batch = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
                        "audio_mask": torch.tensor([mask]), "input_features": features}
        if answer is not None:
            batch["labels"] = torch.tensor([labels])
        return to_device(batch, self.device)

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"] if text else []

    def _answer_suffix(self, prompt: Prompt, prompt_text: str, answer: str) -> str:
        """The answer as the chat template closes it (end-of-turn tokens included)."""
        full = self.render(prompt.then(ChatTurn("assistant", answer)), add_generation_prompt=False)
        if full.startswith(prompt_text):
            return full[len(prompt_text):]
        return answer + (self.tokenizer.eos_token or "")

    def _prompt_len(self, inputs: Batch) -> int:
        return 0  # generating from embeddings: the sequences hold only new tokens

    def _generate_new_ids(self, inputs: Batch, **generate_kwargs: Any) -> list[int]:
        return self.model.generate(**inputs, **generate_kwargs)[0].tolist()

    @property
    def device(self) -> torch.device:
        return next(self.model.lm.parameters()).device

    @property
    def max_audio_s(self) -> float:
        return self.model.config.audio_seconds

    def attach_adapter(self, adapter_dir: Path) -> None:
        from peft import PeftModel

        self.load_projector(adapter_dir)
        self.model.lm = PeftModel.from_pretrained(self.model.lm, str(adapter_dir), is_trainable=False)
        self.model.eval()

    def load_projector(self, adapter_dir: Path) -> None:
        """Load the projector weights (safetensors) saved with an adapter; shapes must match."""
        from safetensors.torch import load_file

        config = read_projector_config(adapter_dir)
        if config != self.model.config:
            raise ModelError(f"The adapter's projector {config} does not fit this model "
                             f"({self.model.config}): it was trained for another encoder or LM.")
        self.model.projector.load_state_dict(load_file(str(Path(adapter_dir) / PROJECTOR_FILE)))

    def add_lora(self, lora_config: Any) -> None:
        from peft import get_peft_model

        self.model.lm = get_peft_model(self.model.lm, lora_config)

    def save_adapter(self, adapter_dir: Path) -> list[str]:
        from safetensors.torch import save_file

        adapter_dir = Path(adapter_dir)
        adapter_dir.mkdir(parents=True, exist_ok=True)
        self.model.lm.save_pretrained(str(adapter_dir), safe_serialization=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.projector.state_dict().items()}
        save_file(state, str(adapter_dir / PROJECTOR_FILE))
        (adapter_dir / PROJECTOR_CONFIG_FILE).write_text(json.dumps(self.model.config.to_dict(), indent=2))
        return ["adapter_config.json", "adapter_model.safetensors", PROJECTOR_FILE, PROJECTOR_CONFIG_FILE]


def read_projector_config(adapter_dir: Path) -> ProjectorConfig:
    path = Path(adapter_dir) / PROJECTOR_CONFIG_FILE
    try:
        return ProjectorConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"Cannot read {path}: {err}. A whisper-llm adapter needs it.") from err


def lora_config(r: int = 4, alpha: int = 16, dropout: float = 0.05) -> Any:
    """LoRA on every linear layer of the LM (paper defaults r 4, alpha 16, dropout 0.05)."""
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                      target_modules=LORA_TARGET_MODULES, task_type="CAUSAL_LM")


def load_whisper_llm(lm_dir: Path, encoder_dir: Path, model_kwargs: dict[str, Any],
                     encoder_dtype: torch.dtype, projector: ProjectorConfig | None = None,
                     audio_seconds: float = 12.0, audio_tokens: int = 300) -> WhisperLlmRuntime:
    """Load the encoder, the LM and its tokenizer from local folders.

    ``projector`` (from an adapter) fixes the audio shape; without one (stage-1 training),
    a fresh projector of ``audio_seconds``/``audio_tokens`` is made.
    """
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        WhisperFeatureExtractor,
        WhisperModel,
    )

    feature_extractor = WhisperFeatureExtractor.from_pretrained(str(encoder_dir), local_files_only=True)
    whisper = WhisperModel.from_pretrained(str(encoder_dir), local_files_only=True, use_safetensors=True,
                                           dtype=encoder_dtype)
    encoder = whisper.get_encoder()
    del whisper  # the decoder is not needed
    tokenizer = AutoTokenizer.from_pretrained(str(lm_dir), local_files_only=True)
    lm = AutoModelForCausalLM.from_pretrained(str(lm_dir), local_files_only=True, use_safetensors=True,
                                              **model_kwargs)
    config = projector or ProjectorConfig(encoder.config.d_model, lm.config.hidden_size,
                                          audio_seconds, audio_tokens)
    model = WhisperLlm(encoder.to(lm.device), lm, config).eval()
    model.projector.to(lm.device)
    return WhisperLlmRuntime(model, tokenizer, feature_extractor)
