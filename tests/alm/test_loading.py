"""Loading tiny models of both families through the real loader: NF4, adapters, refusals, progress."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.analyzers.alm.config import AlmConfig
from engine.analyzers.alm.loader import load_runtime
from engine.analyzers.base import Cancelled
from engine.errors import ModelError
from engine.prompts import tuned_prompt
from tests.alm.conftest import SENTENCE, make_clip

pytestmark = pytest.mark.slow
FAMILIES = ("qwen2-audio", "whisper-llm")


def test_missing_and_incomplete_folders_name_the_expected_files(tmp_path: Path, tiny_dir: Path):
    with pytest.raises(ModelError, match=r"does not exist\. It must hold: config.json"):
        load_runtime(AlmConfig(family="qwen2-audio", model_dir=tmp_path / "nope"))
    partial = tmp_path / "partial"
    shutil.copytree(tiny_dir / "qwen2_audio", partial)
    (partial / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="incomplete: missing model.safetensors or model.safetensors.index.json"):
        load_runtime(AlmConfig(family="qwen2-audio", model_dir=partial))
    with pytest.raises(ModelError, match="Whisper encoder folder"):
        load_runtime(AlmConfig(family="whisper-llm", model_dir=tiny_dir / "lm_qwen2", encoder_dir=tmp_path))


def test_nf4_quantises_the_language_model_and_keeps_the_audio_side(tiny_dir: Path):
    import bitsandbytes as bnb
    import torch

    config = AlmConfig(family="qwen2-audio", model_dir=tiny_dir / "qwen2_audio", quantization="nf4",
                       device="cpu", compute_dtype="bfloat16")
    loaded = load_runtime(config)
    model = loaded.runtime.model
    q_proj = model.model.language_model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, bnb.nn.Linear4bit) and q_proj.weight.quant_type == "nf4"
    assert type(model.model.audio_tower.layers[0].fc1) is torch.nn.Linear
    assert type(model.model.multi_modal_projector.linear) is torch.nn.Linear
    assert loaded.device == "cpu" and "CPU" in loaded.notes[0]
    generation = loaded.runtime.generate(tuned_prompt(SENTENCE), make_clip().samples, max_new_tokens=4,
                                         time_limit_s=30)
    assert 1 <= generation.new_tokens <= 4


@pytest.mark.parametrize("family", FAMILIES)
def test_adapter_attaches_and_reproduces_the_trained_model(adapters: dict, family: str):
    import torch

    config: AlmConfig = adapters[family]["config"]
    loaded = load_runtime(config)
    assert loaded.manifest is not None and loaded.manifest.name == f"tiny-{family}"
    batch = loaded.runtime.encode(tuned_prompt(SENTENCE), make_clip().samples)
    with torch.no_grad():
        logits = loaded.runtime.model(**batch).logits
    torch.testing.assert_close(logits, adapters[family]["logits"], rtol=1e-4, atol=1e-4)
    base = load_runtime(config.with_changes(adapter_dir=None)).runtime
    with torch.no_grad():
        base_logits = base.model(**base.encode(tuned_prompt(SENTENCE), make_clip().samples)).logits
    assert (base_logits - logits).abs().max() > 1e-2  # the adapter really changed the model


@pytest.mark.parametrize("family", FAMILIES)
def test_adapter_attaches_under_nf4(adapters: dict, family: str):
    config: AlmConfig = adapters[family]["config"].with_changes(quantization="nf4")
    runtime = load_runtime(config).runtime
    names = [n for n, _ in runtime.model.named_parameters() if "lora_B" in n]
    assert names
    generation = runtime.generate(tuned_prompt(SENTENCE), make_clip().samples, max_new_tokens=3, time_limit_s=30)
    assert generation.new_tokens >= 1


def test_an_adapter_for_another_base_is_refused_before_any_loading(adapters: dict, tiny_dir: Path):
    config: AlmConfig = adapters["whisper-llm"]["config"].with_changes(model_dir=tiny_dir / "lm_llama")
    steps: list[str] = []
    with pytest.raises(ModelError, match="trained on lm_qwen2"):
        load_runtime(config, progress=lambda _f, message: steps.append(message))
    assert steps == ["Checking the model folders and the adapter"]
    wrong_family = adapters["qwen2-audio"]["config"].adapter_dir
    config = adapters["whisper-llm"]["config"].with_changes(adapter_dir=wrong_family)
    with pytest.raises(ModelError, match="is for the qwen2-audio family"):
        load_runtime(config)


def test_a_corrupt_adapter_is_refused(adapters: dict, tmp_path: Path):
    folder = tmp_path / "corrupt"
    shutil.copytree(adapters["qwen2-audio"]["config"].adapter_dir, folder)
    data = bytearray((folder / "adapter_model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "adapter_model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupt"):
        load_runtime(adapters["qwen2-audio"]["config"].with_changes(adapter_dir=folder))


def test_progress_steps_and_cancel_between_steps(adapters: dict):
    config: AlmConfig = adapters["qwen2-audio"]["config"]
    steps: list[tuple[float, str]] = []
    load_runtime(config, progress=lambda f, m: steps.append((f, m)))
    assert [m.split()[0] for _, m in steps] == ["Checking", "Importing", "Loading", "Attaching", "Model"]
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        load_runtime(config, should_cancel=lambda: next(calls))


def test_whisper_llm_works_with_an_lm_that_has_no_chat_template(tiny_dir: Path):
    config = AlmConfig(family="whisper-llm", model_dir=tiny_dir / "lm_llama", encoder_dir=tiny_dir / "whisper",
                       quantization="none", device="cpu")
    runtime = load_runtime(config).runtime
    assert runtime.tokenizer.chat_template is None
    batch = runtime.encode(tuned_prompt(SENTENCE), make_clip().samples, answer="No Problem")
    assert int(batch["audio_mask"].sum()) == 300  # the paper's 12 s -> 300 tokens by default
    assert runtime.tokenizer.decode(batch["labels"][batch["labels"] >= 0]).startswith("No Problem<|im_end|>")


def test_int8_loads_the_lm_in_8_bit(tiny_dir: Path):
    import bitsandbytes as bnb

    config = AlmConfig(family="whisper-llm", model_dir=tiny_dir / "lm_qwen2", encoder_dir=tiny_dir / "whisper",
                       quantization="int8", device="cpu")
    runtime = load_runtime(config).runtime
    assert isinstance(runtime.model.lm.model.layers[0].mlp.up_proj, bnb.nn.Linear8bitLt)
    generation = runtime.generate(tuned_prompt(SENTENCE), make_clip().samples, max_new_tokens=2, time_limit_s=30)
    assert generation.new_tokens >= 1
