"""Export: only safetensors and JSON travel, the manifest is the engine's, nothing is overwritten unasked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.analyzers.alm.manifest import read_manifest
from engine.errors import ModelError
from training.config import load_config
from training.export import export_adapter, metrics_from_evaluation


def _checkpoint(tmp_path: Path) -> Path:
    import numpy as np
    from safetensors.numpy import save_file

    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"model_type": "qwen2_audio", "text_config": {"hidden_size": 32}}))
    config = load_config(None, {"model.family": "qwen2-audio", "model.model_dir": str(base), "run.name": "demo"})
    ckpt = tmp_path / "runs" / "demo" / "checkpoint-7"
    (ckpt / "adapter").mkdir(parents=True)
    save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(ckpt / "adapter" / "adapter_model.safetensors"))
    (ckpt / "adapter" / "adapter_config.json").write_text("{}")
    (ckpt / "adapter" / "README.md").write_text("model card")
    (ckpt / "adapter" / "stray.bin").write_bytes(b"pickle?")
    (ckpt / "training_config.json").write_text(config.to_json())
    (ckpt / "trainer_state.json").write_text(json.dumps(
        {"step": 7, "epoch": 1, "losses": [0.5, 0.25], "data_card": {"train_examples": 3}}))
    return ckpt


def test_export_copies_safe_files_and_writes_the_engine_manifest(tmp_path):
    ckpt = _checkpoint(tmp_path)
    evaluation = tmp_path / "predictions.json"
    evaluation.write_text(json.dumps({"backend": "alm-tuned:demo", "manifest": "dev.json", "n": 3,
                                      "metrics": {"precision": 0.5, "recall": 0.25, "n": 3}}))
    result = export_adapter(ckpt.parent, out_root=tmp_path / "adapters", metrics=metrics_from_evaluation(evaluation))
    assert result.adapter_dir == tmp_path / "adapters" / "demo"
    assert sorted(p.name for p in result.adapter_dir.iterdir()) == [
        "adapter_config.json", "adapter_model.safetensors", "saywell_adapter.json"]
    manifest = read_manifest(result.adapter_dir)
    assert (manifest.name, manifest.family, manifest.base_model) == ("demo", "qwen2-audio", "base")
    assert manifest.metrics == {"evaluated_on": "dev.json", "n": 3, "backend": "alm-tuned:demo",
                                "percent": {"precision": 50.0, "recall": 25.0}}
    assert manifest.training_data["train_examples"] == 3 and manifest.training_data["training"]["steps"] == 7
    assert "CC BY-NC 4.0" in manifest.licence

    with pytest.raises(ModelError, match="already exists: pass --force"):
        export_adapter(ckpt, out_root=tmp_path / "adapters")
    assert export_adapter(ckpt, out_root=tmp_path / "adapters", name="demo", force=True).adapter_dir.is_dir()
    assert not list((tmp_path / "adapters").glob(".*"))  # no staging folder left behind


def test_export_refuses_what_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ModelError, match="neither a training checkpoint"):
        export_adapter(tmp_path, out_root=tmp_path / "adapters")
    bad = tmp_path / "predictions.json"
    bad.write_text("{}")
    with pytest.raises(ModelError, match="not an evaluation output"):
        metrics_from_evaluation(bad)
