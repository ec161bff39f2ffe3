"""The cascade baseline: ASR (CTC or Whisper) then a text LLM, parsed with the engine's parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.audio import load_audio
from engine.errors import ModelError
from engine.feedback import feedback_dict_from_items, parse_feedback_lines
from tests.training.tiny_bases import build_lm, build_whisper
from training.cascade import CascadeBackend, cascade_messages

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "training_synth"
SENTENCE = "His face was streaming with blood"


def build_ctc(folder: Path) -> Path:
    """A tiny wav2vec2-CTC checkpoint with a character vocabulary."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
    )

    folder.mkdir(parents=True)
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz'")}}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8),
                            num_feat_extract_layers=2, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            pad_token_id=0)
    torch.manual_seed(0)
    Wav2Vec2ForCTC(config).save_pretrained(str(folder))
    Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|").save_pretrained(str(folder))
    Wav2Vec2FeatureExtractor().save_pretrained(str(folder))
    return folder


def build_whisper_asr(folder: Path) -> Path:
    from engine.analyzers.alm.tiny import CHATML_TOKENS, train_tokenizer

    build_whisper(folder)
    train_tokenizer(CHATML_TOKENS).save_pretrained(str(folder))
    return folder


def test_the_prompt_is_one_shot_with_a_parseable_example():
    messages = cascade_messages(SENTENCE, "his face was streaming with blud")
    user = messages[-1]["content"]
    assert f'"{SENTENCE}"' in user and '"his face was streaming with blud"' in user
    example = user.split("Answer:\n", 1)[1].split("\n\n", 1)[0]
    assert [i.word for i in parse_feedback_lines(example).items] == ["think", "right"]


class FakeAsr:
    def transcribe(self, samples):
        assert samples.ndim == 1 and len(samples) > 16_000
        return "his face was streaming with blud"


class FakeLlm:
    def __init__(self):
        self.calls = []

    def answer(self, sentence, transcript):
        self.calls.append((sentence, transcript))
        return 'Sure!\nword: blood issue: "D" was deleted suggestion: say /B L AH D/'


def test_the_llm_answer_is_parsed_into_feedback():
    llm = FakeLlm()
    prediction = CascadeBackend(FakeAsr(), llm).predict(load_audio(FIXTURE / "wav" / "LXC_arctic_a0082.wav"), SENTENCE)
    assert llm.calls == [(SENTENCE, "his face was streaming with blud")]
    assert prediction.feedback == {"blood": [{"issue": '"D" was deleted', "suggestion": "say /B L AH D/"}]}
    assert prediction.notes == ("ASR heard: 'his face was streaming with blud'",)


@pytest.mark.slow
@pytest.mark.parametrize("asr_builder", [build_ctc, build_whisper_asr], ids=["wav2vec2-ctc", "whisper"])
def test_tiny_asr_and_tiny_llm_run_end_to_end(asr_builder, tmp_path):
    asr = asr_builder(tmp_path / "asr")
    backend = CascadeBackend.from_folders(str(asr), str(build_lm(tmp_path / "lm")), max_new_tokens=12, device="cpu")
    prediction = backend.predict(load_audio(FIXTURE / "wav" / "LXC_arctic_a0082.wav"), SENTENCE)
    assert prediction.notes[0].startswith("ASR heard: ")
    assert isinstance(prediction.raw_text, str) and prediction.raw_text
    assert prediction.feedback == feedback_dict_from_items(parse_feedback_lines(prediction.raw_text).items)
    assert backend.name == "cascade:asr+lm"


def test_missing_folders_are_named(tmp_path):
    with pytest.raises(ModelError, match="ASR .*config.json"):
        CascadeBackend.from_folders(str(tmp_path / "nowhere"), str(tmp_path), device="cpu")
