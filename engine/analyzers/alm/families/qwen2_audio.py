"""The qwen2-audio family: ``Qwen2AudioForConditionalGeneration`` with its processor.

The prompt is rendered in ChatML, the format of Qwen2-Audio-Instruct's own chat template,
with ``AUDIO_MARKER`` replaced by ``Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>``; the
processor then expands ``<|AUDIO|>`` to one token per encoder frame (about 25 per second
of audio, 750 for the maximum 30 s). LoRA goes on the language model's linear layers only;
the audio tower and projector stay frozen and unquantised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.analyzers.alm.config import QWEN2_AUDIO
from engine.analyzers.alm.families.base import IGNORE_INDEX, AlmRuntime, Batch, to_device
from engine.audio import SAMPLE_RATE_HZ
from engine.prompts import AUDIO_MARKER, Prompt

FAMILY = QWEN2_AUDIO
AUDIO_SLOT = "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
END_OF_TURN = "<|im_end|>"

#: LoRA targets: every linear layer of the language model (PEFT full-matches module names
#: such as ``model.language_model.layers.0.self_attn.q_proj``).
LORA_TARGET_MODULES = (
    r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
)
#: Kept in compute dtype under 4/8-bit loading: the audio side is small and sensitive.
#: transformers 5 matches these from the start of the module name ("model.audio_tower"),
#: 4.x by substring ("audio_tower"): both forms are listed.
QUANT_SKIP_MODULES = ["model.audio_tower", "model.multi_modal_projector", "audio_tower",
                      "multi_modal_projector", "lm_head"]



def render_chatml(prompt: Prompt, add_generation_prompt: bool = True) -> str:
    """The prompt as Qwen's ChatML text, the audio marker replaced by the audio slot."""
    parts = []
    for turn in prompt.turns:
        content = turn.content.replace(f"{AUDIO_MARKER}\n", AUDIO_SLOT).replace(AUDIO_MARKER, AUDIO_SLOT)
        parts.append(f"<|im_start|>{turn.role}\n{content}{END_OF_TURN}\n")
    if add_generation_prompt:
        parts.append("<|im_start|>assistant\n")
    return "".join(parts)


class Qwen2AudioRuntime(AlmRuntime):
    """A loaded Qwen2-Audio model and processor."""

    family = FAMILY

    def __init__(self, model: Any, processor: Any) -> None:
        super().__init__(model, processor.tokenizer)
        self.processor = processor

    def encode(self, prompt: Prompt, audio: np.ndarray, answer: str | None = None) -> Batch:
        text = render_chatml(prompt)
        inputs = self.processor(
            text=[text], audio=[np.asarray(audio, dtype=np.float32)],
            sampling_rate=SAMPLE_RATE_HZ, return_tensors="pt",
        )
        batch: Batch = {k: inputs[k] for k in
                        ("input_ids", "attention_mask", "input_features", "feature_attention_mask")}
        if answer is not None:
            answer_ids = self.tokenizer(answer + END_OF_TURN, add_special_tokens=False,
                                        return_tensors="pt")["input_ids"]
            batch["labels"] = torch.cat(
                [torch.full_like(batch["input_ids"], IGNORE_INDEX), answer_ids], dim=1)
            batch["input_ids"] = torch.cat([batch["input_ids"], answer_ids], dim=1)
            batch["attention_mask"] = torch.ones_like(batch["input_ids"])
        return to_device(batch, self.device)

    def _generate_new_ids(self, inputs: Batch, **generate_kwargs: Any) -> list[int]:
        out = self.model.generate(**inputs, **generate_kwargs)
        return out[0, inputs["input_ids"].shape[1]:].tolist()

    def attach_adapter(self, adapter_dir: Path) -> None:
        from peft import PeftModel

        self.model = PeftModel.from_pretrained(self.model, str(adapter_dir), is_trainable=False)
        self.model.eval()

    def add_lora(self, lora_config: Any) -> None:
        from peft import get_peft_model

        self.model = get_peft_model(self.model, lora_config)

    def save_adapter(self, adapter_dir: Path) -> list[str]:
        self.model.save_pretrained(str(adapter_dir), safe_serialization=True)
        return ["adapter_config.json", "adapter_model.safetensors"]


def lora_config(r: int = 4, alpha: int = 16, dropout: float = 0.05) -> Any:
    """LoRA on the language model's linear layers (paper defaults r 4, alpha 16, dropout 0.05)."""
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                      target_modules=LORA_TARGET_MODULES, task_type="CAUSAL_LM")


def load_qwen2_audio(model_dir: Path, model_kwargs: dict[str, Any]) -> Qwen2AudioRuntime:
    """Load model and processor from a local folder (``model_kwargs``: dtype, quantisation, device map)."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    processor = AutoProcessor.from_pretrained(str(model_dir), local_files_only=True)
    model = Qwen2AudioForConditionalGeneration.from_pretrained(
        str(model_dir), local_files_only=True, use_safetensors=True, **model_kwargs)
    model.eval()
    return Qwen2AudioRuntime(model, processor)
