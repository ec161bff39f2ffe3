"""BERTScore from a local model folder: greedy cosine matching, special tokens weigh nothing."""

from __future__ import annotations

import pytest

from engine.errors import ModelError
from training.bertscore import bert_score


@pytest.fixture(scope="module")
def scorer_dir(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaModel

    folder = tmp_path_factory.mktemp("roberta")
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["the learner said blood like blud", "no problem word issue suggestion"],
                            trainers.WordLevelTrainer(special_tokens=["<s>", "<pad>", "</s>", "<unk>"]))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    # Laid out like roberta: <s> 0, <pad> 1, </s> 2; positions start after the pad index.
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>")
    torch.manual_seed(0)
    RobertaModel(RobertaConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=64, pad_token_id=1, max_position_embeddings=130)).save_pretrained(str(folder))
    fast.save_pretrained(str(folder))
    return folder


def test_identical_texts_score_one_and_precision_recall_swap(scorer_dir):
    same = bert_score(["the learner said blood"], ["the learner said blood"], scorer_dir)
    assert same.f1[0] == pytest.approx(1.0, abs=1e-5)
    ab = bert_score(["the learner said blud", "no problem"], ["the learner said blood like", "word issue"], scorer_dir)
    ba = bert_score(["the learner said blood like", "word issue"], ["the learner said blud", "no problem"], scorer_dir)
    assert ab.precision == pytest.approx(ba.recall) and ab.recall == pytest.approx(ba.precision)
    assert all(f < 1.0 for f in ab.f1)
    assert ab.mean_f1 == pytest.approx(sum(ab.f1) / 2)


def test_a_missing_model_folder_is_named(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        bert_score(["a"], ["a"], tmp_path)


def test_evaluate_adds_bertscore_when_given_a_model(scorer_dir, tmp_path):
    import json
    from pathlib import Path

    from training.__main__ import main

    manifest = Path(__file__).resolve().parent.parent / "data" / "training_synth" / "manifest.json"
    assert main(["evaluate", "--backend", "sphinx", "--manifest", str(manifest), "--out", str(tmp_path),
                 "--limit", "2", "--bertscore-model", str(scorer_dir)]) == 0
    data = json.loads((tmp_path / "predictions.json").read_text())
    pairs = [(p["pred_text"], p["gold_text"]) for p in data["predictions"]]
    expected = bert_score([p for p, _ in pairs], [g for _, g in pairs], scorer_dir).mean_f1
    assert data["metrics"]["bertscore_f1"] == pytest.approx(expected)
    assert f"BERTScore F1: {100 * expected:.1f}" in (tmp_path / "report.md").read_text()
