"""Train -> ship -> serve, for each family, on the real code paths with tiny models on CPU.

A tiny base is trained (QLoRA: NF4 base, LoRA, and the projector for whisper-llm)
on three dev_synth examples until it reproduces their target lines, the adapter is
exported with its manifest, loaded back through the engine's loader (which verifies
the manifest), and greedy decoding of each training example must parse to exactly
the target feedback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.feedback import parse_feedback_lines
from tests.training.tiny_bases import build_lm, build_qwen2_audio, build_whisper
from training.config import load_config
from training.data import assemble, gold_examples

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "training_synth"
pytestmark = pytest.mark.slow

#: Optimizer steps each family needs to overfit three examples (measured over seeds 1-3: final
#: loss 0.001-0.002 for whisper-llm, 0.003-0.005 for qwen2-audio; 150 steps left one seed at 0.04).
STEPS = {"whisper-llm": 100, "qwen2-audio": 200}


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    root = tmp_path_factory.mktemp("bases")
    return {
        "whisper-llm": {"model.model_dir": str(build_lm(root / "lm")),
                        "model.encoder_dir": str(build_whisper(root / "whisper"))},
        "qwen2-audio": {"model.model_dir": str(build_qwen2_audio(root / "qwen2_audio"))},
    }


@pytest.fixture(scope="module")
def dataset():
    return assemble(gold_examples(FIXTURE / "manifest.json")[:3])  # No Problem, a deletion, a substitution


def tiny_config(family: str, base: dict, out: Path, **overrides):
    values = {
        "model.family": family, **base, "model.quantization": "nf4", "model.compute_dtype": "float32",
        "model.device": "cpu", "model.audio_tokens": 8, "model.audio_seconds": 4, "model.max_audio_s": 5,
        "model.gradient_checkpointing": False, "lora.r": 16, "lora.alpha": 32, "lora.dropout": 0.0,
        "optim.lr": 1e-2, "optim.scheduler": "constant", "optim.warmup_ratio": 0.0, "optim.max_grad_norm": 5.0,
        "optim.effective_batch": 3, "optim.micro_batch": 3, "optim.epochs": 1000, "optim.max_steps": STEPS[family],
        "data.cache_encoded": True, "run.cpu_threads": 1, "run.save_every_steps": 0, "run.progress": False,
        "run.output_dir": str(out), "run.name": f"tiny-{family}", "run.seed": 7,
    }
    return load_config(None, {**values, **overrides})


@pytest.mark.parametrize("family", ["whisper-llm", "qwen2-audio"])
def test_train_export_load_and_reproduce_the_targets(family, bases, dataset, tmp_path):
    import torch

    from engine.analyzers.alm.config import AlmConfig
    from engine.analyzers.alm.loader import load_runtime
    from engine.audio import load_audio
    from engine.prompts import tuned_prompt
    from training.export import export_adapter
    from training.train import CONFIG_FILE, run_training

    config = tiny_config(family, bases[family], tmp_path / "runs")
    outcome = run_training(config, dataset=dataset)
    assert outcome.steps == STEPS[family] and outcome.final_loss < 0.05
    saved = json.loads((outcome.checkpoint / CONFIG_FILE).read_text())
    assert saved == config.to_dict()

    exported = export_adapter(outcome.checkpoint, out_root=tmp_path / "adapters")
    manifest = exported.manifest
    assert (manifest.family, manifest.name) == (family, f"tiny-{family}")
    assert "CC BY-NC 4.0" in manifest.licence and "non-commercial" in manifest.licence
    assert manifest.training_data["train_examples"] == 3 and manifest.training_data["by_origin"] == {"gold": 3}
    assert all(name.endswith((".safetensors", ".json")) for name in manifest.files)

    settings = AlmConfig(family=family, model_dir=Path(config.model.model_dir), adapter_dir=exported.adapter_dir,
                         encoder_dir=Path(config.model.encoder_dir) if config.model.encoder_dir else None,
                         quantization="nf4", compute_dtype="float32", device="cpu", allow_cpu=True)
    loaded = load_runtime(settings)
    assert loaded.manifest.name == manifest.name
    torch.set_num_threads(1)
    for example in dataset.train:
        answer = loaded.runtime.generate(tuned_prompt(example.text), load_audio(example.audio_path).samples,
                                         max_new_tokens=160, time_limit_s=60)
        assert parse_feedback_lines(answer.text) == parse_feedback_lines(example.target), example.key
    _evaluate_the_adapter(config, exported.adapter_dir, tmp_path / "eval")


def _evaluate_the_adapter(config, adapter_dir: Path, out: Path) -> None:
    """`python -m training evaluate` on the trained speakers: the tuned model scores perfectly;
    the untuned (one-shot) and grounded backends run on the same model."""
    from training.__main__ import main

    model = ["--family", config.model.family, "--model-dir", config.model.model_dir, "--quantization", "nf4",
             "--compute-dtype", "float32", "--device", "cpu", "--max-new-tokens", "160"]
    if config.model.encoder_dir:
        model += ["--encoder-dir", config.model.encoder_dir]
    common = ["--manifest", str(FIXTURE / "manifest.json"), "--speakers", "BWC,LXC,HJK", *model]
    assert main(["evaluate", "--backend", "alm-tuned", "--adapter-dir", str(adapter_dir), "--out", str(out / "tuned"),
                 *common]) == 0
    tuned = json.loads((out / "tuned" / "predictions.json").read_text())
    assert tuned["n"] == 3 and tuned["backend"] == f"alm-tuned:{config.run.name}"
    metrics = tuned["metrics"]
    assert (metrics["precision"], metrics["recall"], metrics["bleu2"], metrics["ewr"]) == (1.0, 1.0, 1.0, 0.0)
    if config.model.family != "whisper-llm":
        return
    for backend in ("alm-untuned", "alm-grounded"):
        adapter = ["--adapter-dir", str(adapter_dir)] if backend == "alm-grounded" else []
        assert main(["evaluate", "--backend", backend, *adapter, "--out", str(out / backend), *common]) == 0
        result = json.loads((out / backend / "predictions.json").read_text())
        assert result["n"] == 3 and len(result["predictions"]) == 3 and result["failures"] == 0


def test_resume_continues_exactly_where_the_run_stopped(bases, dataset, tmp_path):
    import shutil

    import torch
    from safetensors.torch import load_file

    from training.train import TRAINABLE_FILE, run_training

    # Three examples, micro-batch 1, accumulation 2: two optimizer steps per epoch, the
    # second made of a single micro-batch; a cosine schedule with warm-up.
    config = tiny_config("whisper-llm", bases["whisper-llm"], tmp_path, **{
        "model.quantization": "none", "optim.effective_batch": 2, "optim.micro_batch": 1,
        "optim.scheduler": "cosine", "optim.warmup_ratio": 0.3, "optim.max_steps": 5, "run.save_every_steps": 3})
    straight = run_training(config, dataset=dataset)
    reference = load_file(str(straight.checkpoint / TRAINABLE_FILE))
    assert sorted(p.name for p in config.run_dir.iterdir()) == ["checkpoint-3", "checkpoint-5"]
    shutil.rmtree(straight.checkpoint)  # as if the run had died after step 3

    resumed = run_training(replace_run(config, resume_from="latest"), dataset=dataset)
    assert resumed.checkpoint.name == "checkpoint-5" and resumed.steps == 5
    weights = load_file(str(resumed.checkpoint / TRAINABLE_FILE))
    assert weights.keys() == reference.keys()
    assert any("lora" in k for k in weights) and any("projector" in k for k in weights)
    for name, tensor in reference.items():
        torch.testing.assert_close(weights[name], tensor, rtol=1e-5, atol=1e-7, msg=name)


def replace_run(config, **changes):
    from dataclasses import replace

    return replace(config, run=replace(config.run, **changes))


def test_asking_for_a_gpu_without_one_is_a_clear_error(bases, dataset, tmp_path):
    import torch

    from training.train import Recipe

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    config = tiny_config("whisper-llm", bases["whisper-llm"], tmp_path, **{"model.device": "cuda"})
    with pytest.raises(ModelError, match="no CUDA GPU.*--model.device cpu"):
        Recipe(config, dataset=dataset).setup()


def test_stage_one_trains_the_projector_alone_and_stage_two_starts_from_it(bases, dataset, tmp_path):
    import torch
    from safetensors.torch import load_file

    from training.train import ADAPTER_SUBDIR, TRAINABLE_FILE, Recipe, run_training

    clips = [{"audio_path": str(FIXTURE / "wav" / name), "text": text} for name, text in
             (("BWC_arctic_a0028.wav", "Robbery bribery fraud"), ("NCC_arctic_a0005.wav", "Will we ever forget it"))]
    (tmp_path / "asr.json").write_text(json.dumps(clips))
    base = bases["whisper-llm"]
    stage1 = run_training(tiny_config("whisper-llm", base, tmp_path / "runs", **{
        "model.quantization": "none", "run.stage": "projector", "projector.asr_manifest": str(tmp_path / "asr.json"),
        "projector.effective_batch": 2, "optim.micro_batch": 2, "optim.max_steps": 3, "run.name": "stage1"}))
    trained = load_file(str(stage1.checkpoint / TRAINABLE_FILE))
    assert trained and all(name.startswith("projector.") for name in trained)
    assert sorted(p.name for p in (stage1.checkpoint / ADAPTER_SUBDIR).iterdir()) == [
        "projector.safetensors", "projector_config.json"]

    stage2 = Recipe(tiny_config("whisper-llm", base, tmp_path / "runs", **{
        "model.quantization": "none", "run.projector_from": str(stage1.checkpoint), "run.name": "stage2"}),
        dataset=dataset).setup()
    for name, tensor in stage2.runtime.model.projector.state_dict().items():
        torch.testing.assert_close(tensor, trained[f"projector.{name}"])
    assert any("lora" in name for name in stage2.trainable) and any("projector" in n for n in stage2.trainable)


def test_labels_cover_the_answer_only(bases, dataset):
    from engine.analyzers.alm.families.base import IGNORE_INDEX
    from training.collate import Collator
    from training.modeling import load_base_runtime

    config = tiny_config("whisper-llm", bases["whisper-llm"], Path("unused"), **{"model.quantization": "none"})
    runtime = load_base_runtime(config, "cpu")
    batch = Collator(runtime, max_audio_s=5)(list(dataset.train))
    assert batch["labels"].shape == batch["input_ids"].shape and batch["labels"].shape[0] == 3
    for row, example in zip(range(3), dataset.train):
        labels, ids = batch["labels"][row], batch["input_ids"][row]
        answer = labels[labels != IGNORE_INDEX]
        assert answer.tolist() == ids[labels != IGNORE_INDEX].tolist()
        assert runtime.tokenizer.decode(answer) == example.target + "<|im_end|>\n"
        prompt = runtime.tokenizer.decode(ids[: int((labels != IGNORE_INDEX).nonzero()[0])])
        assert example.text in prompt and prompt.endswith("<|im_start|>assistant\n")
