"""Adapter manifests: written with checksums, verified before loading, refused with reasons."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.analyzers.alm.manifest import (
    MANIFEST_FILE,
    config_fingerprint,
    read_manifest,
    verify_adapter,
    write_manifest,
)
from engine.errors import ModelError

BASE_CONFIG = {"model_type": "qwen2", "hidden_size": 32, "num_hidden_layers": 2, "vocab_size": 600,
               "num_attention_heads": 4, "rope_theta": 10000.0, "torch_dtype": "float32",
               "text_config": {"model_type": "qwen2", "hidden_size": 32}}


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(BASE_CONFIG))
    return folder


@pytest.fixture
def adapter(tmp_path: Path, base_dir: Path) -> Path:
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text('{"r": 4}')
    (folder / "adapter_model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    write_manifest(folder, ["adapter_config.json", "adapter_model.safetensors"], name="t", family="qwen2-audio",
                   base_dir=base_dir, base_model="Tiny-Qwen", training_data={"records": 3},
                   metrics={"f1": 0.5})
    return folder


def _edit_manifest(folder: Path, **changes: object) -> None:
    data = json.loads((folder / MANIFEST_FILE).read_text())
    data.update(changes)
    (folder / MANIFEST_FILE).write_text(json.dumps(data))


def test_a_written_manifest_verifies_and_round_trips(adapter: Path, base_dir: Path):
    manifest = verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)
    assert manifest == read_manifest(adapter)
    assert manifest.base_model == "Tiny-Qwen" and manifest.metrics == {"f1": 0.5}
    assert set(manifest.files) == {"adapter_config.json", "adapter_model.safetensors"}
    assert "non-commercial" in manifest.licence


def test_fingerprint_ignores_non_architecture_fields_and_sees_architecture_ones():
    same = {**BASE_CONFIG, "torch_dtype": "bfloat16", "_name_or_path": "/elsewhere", "rope_theta": 10000}
    other = {**BASE_CONFIG, "text_config": {"model_type": "qwen2", "hidden_size": 64}}
    assert config_fingerprint(same) == config_fingerprint(BASE_CONFIG)
    assert config_fingerprint(other) != config_fingerprint(BASE_CONFIG)


@pytest.mark.parametrize("bad_path", ["../outside.safetensors", "/etc/passwd", "sub/../../x.json", "a\\b.json",
                                      "C:/x.json"])
def test_paths_leaving_the_folder_are_refused(adapter: Path, base_dir: Path, bad_path: str):
    files = json.loads((adapter / MANIFEST_FILE).read_text())["files"]
    _edit_manifest(adapter, files={**files, bad_path: "0" * 64})
    with pytest.raises(ModelError, match="inside the adapter folder"):
        verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)


def test_a_symlink_out_of_the_folder_is_refused(adapter: Path, base_dir: Path, tmp_path: Path):
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    os.symlink(secret, adapter / "link.json")
    files = json.loads((adapter / MANIFEST_FILE).read_text())["files"]
    _edit_manifest(adapter, files={**files, "link.json": "0" * 64})
    with pytest.raises(ModelError, match="links outside"):
        verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)


@pytest.mark.parametrize("name", ["adapter_model.bin", "extra/weights.pt", "optimizer.pkl"])
def test_pickled_weights_anywhere_in_the_folder_are_refused(adapter: Path, base_dir: Path, name: str):
    (adapter / name).parent.mkdir(exist_ok=True)
    (adapter / name).write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelError, match="must be .safetensors"):
        verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)


def test_writing_a_manifest_refuses_pickles(adapter: Path, base_dir: Path):
    (adapter / "adapter_model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="must be .safetensors"):
        write_manifest(adapter, ["adapter_model.bin"], name="t", family="qwen2-audio", base_dir=base_dir,
                       base_model="b")


def test_a_changed_file_fails_its_checksum(adapter: Path, base_dir: Path):
    with open(adapter / "adapter_model.safetensors", "ab") as handle:
        handle.write(b"!")
    with pytest.raises(ModelError, match="corrupt: the checksum of adapter_model.safetensors"):
        verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)


def test_a_missing_listed_file_is_named(adapter: Path, base_dir: Path):
    (adapter / "adapter_config.json").unlink()
    with pytest.raises(ModelError, match="adapter_config.json is listed"):
        verify_adapter(adapter, family="qwen2-audio", model_dir=base_dir)


def test_whisper_llm_adapters_must_list_the_projector(adapter: Path, base_dir: Path):
    _edit_manifest(adapter, family="whisper-llm")
    with pytest.raises(ModelError, match="projector.safetensors"):
        verify_adapter(adapter, family="whisper-llm", model_dir=base_dir)


@pytest.mark.parametrize(("change", "message"), [
    ({"family": "whisper-llm"}, "is for the whisper-llm family"),
    ({"schema_version": 99}, "feedback schema 99"),
    ({"prompt_version": 99}, "prompt version 99"),
    ({"base_fingerprint": "sha256:0000000000000000"}, "trained on Tiny-Qwen"),
    ({"manifest_version": 7}, "manifest_version 7"),
    ({"prompt_style": "poetic"}, "prompt style 'poetic'"),
])
def test_mismatches_are_refused_with_the_reason(adapter: Path, base_dir: Path, change: dict, message: str):
    _edit_manifest(adapter, **change)
    family = "qwen2-audio"
    with pytest.raises(ModelError, match=message):
        verify_adapter(adapter, family=family, model_dir=base_dir)


def test_a_folder_without_manifest_or_with_broken_json_is_refused(tmp_path: Path, base_dir: Path):
    with pytest.raises(ModelError, match="does not exist"):
        read_manifest(tmp_path / "nowhere")
    (tmp_path / "a").mkdir()
    with pytest.raises(ModelError, match=f"no {MANIFEST_FILE}"):
        read_manifest(tmp_path / "a")
    (tmp_path / "a" / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        read_manifest(tmp_path / "a")
    (tmp_path / "a" / MANIFEST_FILE).write_text('{"manifest_version": 1, "name": "x"}')
    with pytest.raises(ModelError, match="lacks family, base_model, base_fingerprint, files"):
        read_manifest(tmp_path / "a")
