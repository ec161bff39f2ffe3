"""The engine choice: ALM only with a model, a matching adapter and enough memory; the reason in words."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.analyzers.alm import choose_engine, config_from_options
from engine.analyzers.alm.config import AlmConfig
from engine.analyzers.alm.memory import GIB
from engine.errors import ModelError

pytestmark = pytest.mark.slow


def gpu(free_gib: float | None):
    return lambda: None if free_gib is None else free_gib * GIB


def test_nothing_configured_means_cpu_without_importing_torch():
    code = (
        "import sys\n"
        "from engine.analyzers.alm import choose_engine\n"
        "for settings in (None, {}, {'model_dir': ''}):\n"
        "    print(choose_engine(settings).name, choose_engine(settings).reason)\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert all(line.startswith("sphinx CPU engine: no audio-language model folder") for line in lines[:3])
    assert lines[3] == "False False"


def test_bad_settings_are_the_reason(tmp_path: Path):
    choice = choose_engine({"model_dir": str(tmp_path), "family": "gpt"})
    assert choice.name == "sphinx" and "family 'gpt' is not supported" in choice.reason
    choice = choose_engine({"model_dir": str(tmp_path), "family": "qwen2-audio", "colour": "red"})
    assert "Unknown ALM setting(s) ['colour']" in choice.reason


def test_no_adapter_means_cpu(adapters: dict):
    config: AlmConfig = adapters["qwen2-audio"]["config"].with_changes(adapter_dir=None)
    choice = choose_engine(config, free_cuda_bytes=gpu(24))
    assert choice.name == "sphinx" and "no adapter is configured" in choice.reason


def test_missing_model_or_bad_adapter_means_cpu(adapters: dict, tmp_path: Path):
    config: AlmConfig = adapters["qwen2-audio"]["config"]
    choice = choose_engine(config.with_changes(model_dir=tmp_path / "gone"), free_cuda_bytes=gpu(24))
    assert choice.name == "sphinx" and "does not exist" in choice.reason
    broken = tmp_path / "broken"
    shutil.copytree(config.adapter_dir, broken)
    (broken / "adapter_model.bin").write_bytes(b"pickle")
    choice = choose_engine(config.with_changes(adapter_dir=broken), free_cuda_bytes=gpu(24))
    assert choice.name == "sphinx" and "must be .safetensors" in choice.reason


def test_gpu_memory_decides(adapters: dict):
    config: AlmConfig = adapters["whisper-llm"]["config"].with_changes(device="auto", quantization="nf4")
    choice = choose_engine(config, free_cuda_bytes=gpu(24))
    assert choice.name == "alm" and "tiny-whisper-llm" in choice.reason and "nf4 on the GPU" in choice.reason
    choice = choose_engine(config, free_cuda_bytes=gpu(0.1))
    assert choice.name == "sphinx" and "does not fit" in choice.reason and "0.1 GiB" in choice.reason


def test_no_gpu_means_cpu_unless_allowed(adapters: dict):
    config: AlmConfig = adapters["qwen2-audio"]["config"].with_changes(device="auto")
    choice = choose_engine(config, free_cuda_bytes=gpu(None))
    assert choice.name == "sphinx" and "no CUDA GPU" in choice.reason and "allow_cpu" in choice.reason
    choice = choose_engine(config.with_changes(allow_cpu=True), free_cuda_bytes=gpu(None))
    assert choice.name == "alm" and "slow" in choice.reason
    choice = choose_engine(config.with_changes(device="cpu"), free_cuda_bytes=gpu(None))
    assert choice.name == "alm" and "as configured" in choice.reason


def test_settings_dicts_and_cli_options_build_configs(adapters: dict, tiny_dir: Path, tmp_path: Path):
    config: AlmConfig = adapters["qwen2-audio"]["config"]
    settings = {"family": "qwen2-audio", "model_dir": str(config.model_dir),
                "adapter_dir": str(config.adapter_dir), "allow_cpu": True}
    assert choose_engine(settings, free_cuda_bytes=gpu(None)).name == "alm"
    assert config_from_options(model_dir=tiny_dir / "qwen2_audio").family == "qwen2-audio"
    inferred = config_from_options(model_dir=tiny_dir / "lm_qwen2", encoder_dir=tiny_dir / "whisper")
    assert inferred.family == "whisper-llm"
    one_folder = tmp_path / "whisper_llm"
    one_folder.mkdir()
    (one_folder / "lm").symlink_to(tiny_dir / "lm_qwen2")
    (one_folder / "encoder").symlink_to(tiny_dir / "whisper")
    combined = config_from_options(model_dir=one_folder)
    assert (combined.family, combined.model_dir, combined.encoder_dir) == (
        "whisper-llm", one_folder / "lm", one_folder / "encoder")
    with pytest.raises(ModelError, match="encoder_dir"):
        config_from_options(model_dir=tiny_dir / "lm_qwen2")
    with pytest.raises(ModelError, match="--model-dir"):
        config_from_options()


def test_a_missing_folder_becomes_a_reason_even_without_a_family(tmp_path: Path):
    choice = choose_engine({"model_dir": str(tmp_path / "gone"), "adapter_dir": str(tmp_path)})
    assert choice.name == "sphinx" and "Qwen2-Audio model folder" in choice.reason and "config.json" in choice.reason
    choice = choose_engine({"model_dir": str(tmp_path / "gone"), "encoder_dir": str(tmp_path),
                            "adapter_dir": str(tmp_path)})
    assert choice.name == "sphinx" and "language model folder" in choice.reason


def test_an_installed_adapter_that_fits_is_found(adapters: dict, tiny_dir: Path, tmp_path: Path, monkeypatch):
    from engine.analyzers.alm.manifest import find_adapters

    resources = tmp_path / "resources"
    for family in ("whisper-llm", "qwen2-audio"):
        shutil.copytree(adapters[family]["config"].adapter_dir, resources / "adapters" / f"a_{family}")
    (resources / "adapters" / "junk").mkdir()
    monkeypatch.setenv("SAYWELL_RESOURCES", str(resources))
    monkeypatch.setenv("SAYWELL_DATA_DIR", str(tmp_path / "data"))
    assert [m.name for _, m in find_adapters()] == ["tiny-qwen2-audio", "tiny-whisper-llm"]
    config = config_from_options(model_dir=tiny_dir / "qwen2_audio")
    assert config.adapter_dir == resources / "adapters" / "a_qwen2-audio"
    config = config_from_options(model_dir=tiny_dir / "lm_qwen2", encoder_dir=tiny_dir / "whisper")
    assert config.adapter_dir == resources / "adapters" / "a_whisper-llm"
    assert config_from_options(model_dir=tiny_dir / "lm_llama", encoder_dir=tiny_dir / "whisper").adapter_dir is None
    assert config_from_options(model_dir=tiny_dir / "qwen2_audio", adapter_dir=None).adapter_dir is None
