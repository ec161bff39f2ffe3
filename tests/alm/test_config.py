"""AlmConfig validation: bad values are refused with the accepted ones named."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analyzers.alm.config import AlmConfig
from engine.errors import ModelError
from engine.prompts import PromptStyle


def test_defaults_are_nf4_bf16_auto_device_tuned_prompt():
    config = AlmConfig(family="qwen2-audio", model_dir="/models/qwen")
    assert (config.quantization, config.compute_dtype, config.device) == ("nf4", "bfloat16", "auto")
    assert config.prompt_style is PromptStyle.TUNED and config.model_dir == Path("/models/qwen")
    assert config.context_budget_tokens > config.max_new_tokens


@pytest.mark.parametrize(("field", "value", "accepted"), [
    ("family", "gpt", "qwen2-audio, whisper-llm"),
    ("quantization", "fp4", "nf4, int8, none"),
    ("compute_dtype", "int4", "bfloat16, float16, float32"),
    ("device", "tpu", "auto, cuda, cpu"),
    ("prompt_style", "poetic", "tuned, one_shot, grounded"),
])
def test_bad_choices_name_the_accepted_values(field: str, value: str, accepted: str):
    settings = {"family": "qwen2-audio", "model_dir": "/m", field: value}
    with pytest.raises(ModelError, match=accepted):
        AlmConfig.from_mapping(settings)


def test_limits_must_be_positive_and_whisper_llm_needs_an_encoder():
    with pytest.raises(ModelError, match="max_new_tokens must be a positive"):
        AlmConfig(family="qwen2-audio", model_dir="/m", max_new_tokens=0)
    with pytest.raises(ModelError, match="time_limit_s must be a positive"):
        AlmConfig(family="qwen2-audio", model_dir="/m", time_limit_s=0)
    with pytest.raises(ModelError, match="encoder_dir"):
        AlmConfig(family="whisper-llm", model_dir="/m")
    with pytest.raises(ModelError, match="need family"):
        AlmConfig.from_mapping({"model_dir": "/m"})
