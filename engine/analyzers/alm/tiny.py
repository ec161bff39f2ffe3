"""Tiny random models of both families, built from configs, for tests and benchmarks.

Nothing is downloaded: tokenizers are trained on the fly with ``tokenizers`` on SayWell's
own prompt texts, feature extractors use ``WhisperFeatureExtractor`` defaults, and the
models get random weights. Each builder saves a folder laid out like the real checkpoint
(safetensors weights, config, tokenizer, preprocessor config), so tests load it through
the real loader, 4-bit path included. Used by ``tests/alm`` and the training tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.feedback import FeedbackItem
from engine.prompts import answer_text, one_shot_prompt, tutor_prompt

CHATML_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN2_AUDIO_TOKENS = ["<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"]
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TINY_SENTENCES = (
    "I think this is the right path.",
    "She sells sea shells by the sea shore.",
    "The weather is very nice today.",
)


def tiny_corpus() -> list[str]:
    """Texts the tiny tokenizers are trained on: our prompts and some feedback lines."""
    texts: list[str] = list(TINY_SENTENCES)
    for sentence in TINY_SENTENCES:
        for turn in one_shot_prompt(sentence).turns + tutor_prompt(sentence, "No Problem").turns:
            texts.append(turn.content)
    texts.append(answer_text([FeedbackItem("think", "TH was pronounced as S.", "Put your tongue between your teeth.")]))
    return texts


def train_tokenizer(special_tokens: list[str], vocab_size: int = 600, chat_template: str | None = None) -> Any:
    """A byte-level BPE tokenizer trained on ``tiny_corpus()``; ``<|endoftext|>`` is EOS and pad."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(tiny_corpus(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    if chat_template:
        fast.chat_template = chat_template
    return fast


def build_tiny_qwen2_audio(folder: Path, seed: int = 0) -> Path:
    """A ~150k-parameter Qwen2-Audio (1 encoder layer, 2 LM layers) with its processor."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    folder = Path(folder)
    tokenizer = train_tokenizer(CHATML_TOKENS + QWEN2_AUDIO_TOKENS)
    config = Qwen2AudioConfig(
        audio_config={"model_type": "qwen2_audio_encoder", "num_mel_bins": 128, "encoder_layers": 1,
                      "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "d_model": 32,
                      "max_source_positions": 1500},
        text_config={"model_type": "qwen2", **_tiny_lm_fields(len(tokenizer))},
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )
    torch.manual_seed(seed)
    Qwen2AudioForConditionalGeneration(config).save_pretrained(str(folder))
    processor = Qwen2AudioProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tokenizer)
    processor.save_pretrained(str(folder))
    return folder


def build_tiny_whisper(folder: Path, seed: int = 0) -> Path:
    """A tiny Whisper checkpoint (1 encoder and 1 decoder layer, d_model 32, 80 mel bins)."""
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    folder = Path(folder)
    config = WhisperConfig(vocab_size=128, num_mel_bins=80, encoder_layers=1, encoder_attention_heads=2,
                           decoder_layers=1, decoder_attention_heads=2, d_model=32, encoder_ffn_dim=64,
                           decoder_ffn_dim=64, max_source_positions=1500, max_target_positions=64,
                           pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    torch.manual_seed(seed)
    WhisperForConditionalGeneration(config).save_pretrained(str(folder))
    WhisperFeatureExtractor().save_pretrained(str(folder))
    return folder


def build_tiny_lm(folder: Path, arch: str = "qwen2", seed: int = 0, chat_template: bool = True) -> Path:
    """A tiny causal LM (``arch`` "llama" or "qwen2") with a trained tokenizer.

    ``chat_template=False`` leaves the tokenizer without one (the family then uses ChatML).
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if arch not in ("llama", "qwen2"):
        raise ValueError(f"arch {arch!r} is not supported; use llama or qwen2.")
    folder = Path(folder)
    tokenizer = train_tokenizer(CHATML_TOKENS, chat_template=CHATML_TEMPLATE if chat_template else None)
    config = AutoConfig.for_model(arch, **_tiny_lm_fields(len(tokenizer)),
                                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def _tiny_lm_fields(vocab_size: int) -> dict[str, Any]:
    return {"vocab_size": vocab_size, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096,
            "tie_word_embeddings": False}
