"""Tiny random base models for the training tests, laid out like real checkpoints.

Built on the ALM package's tiny-model pieces (tokenizer trained on the fly, ChatML
template) with two changes that let a few dozen CPU steps overfit:

* a 5 s audio window instead of Whisper's 30 s (the fixture clips last 1.5-3 s): the
  encoder then attends over 250 frames, not 1500, which makes a step ~6x cheaper;
* an output head with the logit scale of a trained model. A randomly initialised
  head (std 0.02) cannot express a confident next token, and LoRA never trains the
  head, so a LoRA-only run would plateau near log(vocab) whatever its length.
"""

from __future__ import annotations

from pathlib import Path

from engine.analyzers.alm.tiny import (
    CHATML_TEMPLATE,
    CHATML_TOKENS,
    QWEN2_AUDIO_TOKENS,
    train_tokenizer,
)

AUDIO_WINDOW_S = 5
ENCODER_POSITIONS = AUDIO_WINDOW_S * 50  # Whisper: 100 mel frames/s, halved by the conv stride
HEAD_SCALE = 50.0


def _lm_fields(vocab_size: int) -> dict:
    return {"vocab_size": vocab_size, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 2048,
            "tie_word_embeddings": False}


def _sharpen_head(model) -> None:
    import torch

    with torch.no_grad():
        model.get_output_embeddings().weight.mul_(HEAD_SCALE)


def _feature_extractor(mel_bins: int):
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(feature_size=mel_bins, chunk_length=AUDIO_WINDOW_S)


def build_whisper(folder: Path, seed: int = 0) -> Path:
    """A tiny Whisper (1+1 layers, d_model 32, 80 mel bins) with a 5 s window."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(vocab_size=128, num_mel_bins=80, encoder_layers=1, encoder_attention_heads=2,
                           decoder_layers=1, decoder_attention_heads=2, d_model=32, encoder_ffn_dim=64,
                           decoder_ffn_dim=64, max_source_positions=ENCODER_POSITIONS, max_target_positions=64,
                           pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    torch.manual_seed(seed)
    WhisperForConditionalGeneration(config).save_pretrained(str(folder))
    _feature_extractor(80).save_pretrained(str(folder))
    return Path(folder)


def build_lm(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2 causal LM with a ChatML tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    tokenizer = train_tokenizer(CHATML_TOKENS, chat_template=CHATML_TEMPLATE)
    config = AutoConfig.for_model("qwen2", **_lm_fields(len(tokenizer)), eos_token_id=tokenizer.eos_token_id,
                                  pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    _sharpen_head(model)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return Path(folder)


def build_qwen2_audio(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2-Audio (1 encoder layer, 2 LM layers) with its processor and a 5 s window."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
    )

    tokenizer = train_tokenizer(CHATML_TOKENS + QWEN2_AUDIO_TOKENS)
    config = Qwen2AudioConfig(
        audio_config={"model_type": "qwen2_audio_encoder", "num_mel_bins": 128, "encoder_layers": 1,
                      "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "d_model": 32,
                      "max_source_positions": ENCODER_POSITIONS},
        text_config={"model_type": "qwen2", **_lm_fields(len(tokenizer))},
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )
    torch.manual_seed(seed)
    model = Qwen2AudioForConditionalGeneration(config)
    _sharpen_head(model)
    model.save_pretrained(str(folder))
    Qwen2AudioProcessor(feature_extractor=_feature_extractor(128), tokenizer=tokenizer).save_pretrained(str(folder))
    return Path(folder)
