"""GPU memory estimates from config dicts: the arithmetic, for the real Qwen2-Audio-7B and a small whisper-llm."""

from __future__ import annotations

import pytest

from engine.analyzers.alm.memory import (
    GIB,
    NF4_DOUBLE_QUANT_BYTES,
    decoder_params,
    estimate_memory,
    plan_memory,
    whisper_encoder_params,
)
from engine.errors import ModelError

# config.json of Qwen/Qwen2-Audio-7B-Instruct (architecture fields).
QWEN2_AUDIO_7B = {
    "model_type": "qwen2_audio",
    "audio_config": {"model_type": "qwen2_audio_encoder", "d_model": 1280, "encoder_attention_heads": 20,
                     "encoder_ffn_dim": 5120, "encoder_layers": 32, "num_mel_bins": 128,
                     "max_source_positions": 1500},
    "text_config": {"model_type": "qwen2", "hidden_size": 4096, "intermediate_size": 11008,
                    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
                    "vocab_size": 156032, "tie_word_embeddings": False},
}
WHISPER_SMALL = {"model_type": "whisper", "d_model": 768, "encoder_layers": 12, "encoder_attention_heads": 12,
                 "encoder_ffn_dim": 3072, "num_mel_bins": 80, "max_source_positions": 1500}
QWEN25_1_5B = {"model_type": "qwen2", "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
               "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151936,
               "tie_word_embeddings": True}


def test_qwen2_audio_7b_language_model_linear_parameters_by_hand():
    # per layer: q, k, v, o = 4 x 4096^2 and gate, up, down = 3 x 4096 x 11008; 32 layers
    expected = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008)
    assert decoder_params(QWEN2_AUDIO_7B["text_config"]).lm_linear == expected == 6_476_005_376


def test_qwen2_audio_7b_has_about_8_4_billion_parameters():
    estimate = estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4")
    encoder = whisper_encoder_params(QWEN2_AUDIO_7B["audio_config"]).total
    assert 0.62e9 < encoder < 0.65e9  # Whisper-large-v2-sized encoder, ~0.64B
    assert 8.3e9 < estimate.params.total < 8.5e9


def test_nf4_weights_are_about_7_gb():
    estimate = estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4")
    p = estimate.params
    assert estimate.weights_bytes == pytest.approx(p.lm_linear * NF4_DOUBLE_QUANT_BYTES + p.half * 2)
    assert NF4_DOUBLE_QUANT_BYTES == pytest.approx(0.5159, abs=1e-4)
    assert 6.8e9 < estimate.weights_bytes < 7.5e9  # "about 7 GB"


def test_kv_cache_is_half_a_mebibyte_per_token_for_qwen2_7b():
    one = estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4", context_tokens=1)
    # 2 (K and V) x 32 layers x 32 heads x 128 dims x 2 bytes
    assert one.kv_cache_bytes == 2 * 32 * 32 * 128 * 2 == 512 * 1024
    full = estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4", context_tokens=2048)
    assert full.kv_cache_bytes == 1 * GIB
    assert 8.0 * GIB < full.total_bytes < 9.5 * GIB


def test_storage_modes_order_and_ratio():
    sizes = {q: estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, q).weights_bytes for q in ("nf4", "int8", "none")}
    assert sizes["nf4"] < sizes["int8"] < sizes["none"]
    assert sizes["none"] == pytest.approx(8.40e9 * 2, rel=0.01)


def test_whisper_small_with_a_1_5b_lm_fits_a_4_gb_gpu():
    estimate = estimate_memory("whisper-llm", QWEN25_1_5B, "nf4", encoder_config=WHISPER_SMALL)
    assert 1.5e9 < estimate.params.total < 1.7e9
    assert estimate.params.float32 == 768 * 1536 + 1536 + 1536 * 1536 + 1536  # the projector
    assert estimate.total_bytes < 2.5 * GIB
    assert plan_memory("whisper-llm", QWEN25_1_5B, "nf4", 4 * GIB, encoder_config=WHISPER_SMALL).fits


def test_too_little_memory_suggests_the_smaller_option():
    check = plan_memory("qwen2-audio", QWEN2_AUDIO_7B, "none", 10 * GIB)
    assert not check.fits and "quantization 'nf4'" in check.suggestion
    check = plan_memory("qwen2-audio", QWEN2_AUDIO_7B, "none", 12 * GIB)
    assert "quantization 'int8'" in check.suggestion  # the least aggressive one that fits
    check = plan_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4", 6 * GIB)
    assert not check.fits and "whisper-llm" in check.suggestion and "6.0 GiB" in check.message
    assert plan_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4", 10 * GIB).fits


def test_no_gpu_and_bad_configs_are_explained():
    assert not plan_memory("qwen2-audio", QWEN2_AUDIO_7B, "nf4", None).fits
    with pytest.raises(ModelError, match="hidden_size"):
        estimate_memory("whisper-llm", {"num_hidden_layers": 2}, "nf4", encoder_config=WHISPER_SMALL)
    with pytest.raises(ModelError, match="Whisper encoder's config"):
        estimate_memory("whisper-llm", QWEN25_1_5B, "nf4")
    with pytest.raises(ModelError, match="nf4, int8, none"):
        estimate_memory("qwen2-audio", QWEN2_AUDIO_7B, "fp8")
