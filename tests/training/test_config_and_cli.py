"""Config loading and overrides, the shipped TOML configs, and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from training.__main__ import build_parser, main
from training.config import ConfigError, TrainConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "training_synth"


def test_defaults_are_the_papers_recipe():
    config = TrainConfig().validate()
    assert (config.lora.r, config.lora.alpha, config.lora.dropout) == (4, 16, 0.05)
    assert (config.optim.lr, config.optim.epochs, config.optim.scheduler, config.optim.warmup_ratio) == (
        9e-4, 5.0, "cosine", 0.03)
    assert config.optim.effective_batch == 128 and config.model.quantization == "nf4"
    assert config.accumulation_steps(world_size=1) == 32 and config.accumulation_steps(world_size=2) == 16


def test_toml_then_command_line_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[optim]\nlr = 5e-4\nmicro_batch = 8\n[data]\nallow_missing_audio = true\n')
    config = load_config(path, {"optim.lr": "1e-3", "lora.r": "8"})
    assert config.optim.lr == 1e-3 and config.optim.micro_batch == 8 and config.lora.r == 8
    assert config.data.allow_missing_audio is True
    assert load_config(None, json.loads(json.dumps({}))) == TrainConfig()
    saved = tmp_path / "saved.json"
    saved.write_text(config.to_json())
    assert load_config(saved) == config  # a checkpoint's resolved config reads back identically


@pytest.mark.parametrize(
    "overrides, message",
    [({"optim.lrr": 1}, "Unknown key optim.lrr; keys of \\[optim\\]: lr, epochs"),
     ({"model.family": "gpt"}, "model.family = 'gpt' is not accepted; use one of: qwen2-audio, whisper-llm"),
     ({"lora.r": "four"}, "lora.r = 'four' is not a valid int"),
     ({"optim.lr": 0}, "optim.lr = 0.0 must be greater than 0"),
     ({"data.origins": "gold,synthetic"}, "data.origins"),
     ({"data.allow_missing_audio": "maybe"}, "use true or false")],
)
def test_bad_values_name_the_key_and_what_is_accepted(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)


@pytest.mark.parametrize("path", sorted((ROOT / "training" / "configs").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_load(path):
    config = load_config(path)
    assert config.model.family in ("qwen2-audio", "whisper-llm")
    assert config.run.name


def test_help_lists_every_config_field_with_its_help():
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--optim.lr FLOAT" in text and "peak learning rate (default: 0.0009)" in text
    assert "--model.family {qwen2-audio,whisper-llm}" in text


def test_evaluate_command_writes_both_outputs(tmp_path, capsys):
    code = main(["evaluate", "--backend", "sphinx", "--manifest", str(FIXTURE / "manifest.json"),
                 "--out", str(tmp_path / "out"), "--limit", "2"])
    assert code == 0
    data = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert data["backend"] == "sphinx" and data["n"] == 2 and len(data["predictions"]) == 2
    assert [p["audio_path"] for p in data["predictions"]] == sorted(p["audio_path"] for p in data["predictions"])
    assert "| sphinx | 2 |" in (tmp_path / "out" / "report.md").read_text()
    assert "| backend | n | P | R | F1 |" in capsys.readouterr().out


def test_evaluate_refuses_missing_audio_unless_asked(tmp_path, capsys):
    shutil.copytree(FIXTURE, tmp_path / "d")
    (tmp_path / "d" / "wav" / "HJK_arctic_a0036.wav").unlink()
    args = ["evaluate", "--backend", "sphinx", "--manifest", str(tmp_path / "d" / "manifest.json"),
            "--out", str(tmp_path / "out"), "--limit", "1"]
    assert main(args) == 3
    assert "1 of 5 audio files are missing" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(args + ["--allow-missing-audio"]) == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Note: 1 of 5 audio files are missing" in report


def test_prepare_writes_the_dataset_and_its_card(tmp_path, capsys):
    code = main(["prepare", "--data.train_manifest", str(FIXTURE / "manifest.json"), "--data.dev_speakers", "ABA",
                 "--out", str(tmp_path)])
    assert code == 0
    card = json.loads((tmp_path / "data_card.json").read_text())
    assert card["train_examples"] == 4 and card["dev_speakers"] == ["ABA"] and card["no_problem_targets"] == 1
    assert len(json.loads((tmp_path / "train.json").read_text())) == 4
    from training.data import build_dataset

    prepared = build_dataset(load_config(None, {"data.prepared_dir": str(tmp_path)}))
    assert prepared.card() == card  # training reads back exactly what prepare wrote


def test_prepare_fails_loudly_on_a_test_speaker(tmp_path, capsys):
    records = json.loads((FIXTURE / "manifest.json").read_text())
    records.append(dict(records[1], audio_path=str(FIXTURE / "wav" / "LXC_arctic_a0082.wav").replace("LXC_", "TXHC_")))
    (tmp_path / "m.json").write_text(json.dumps(records))
    assert main(["prepare", "--data.train_manifest", str(tmp_path / "m.json"), "--out", str(tmp_path / "o")]) == 8
    assert "Test speakers found in the training data: TXHC (1 items)" in capsys.readouterr().err
