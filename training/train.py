"""The QLoRA recipe: a class with small setup steps, run single-process or under Accelerate.

    python -m training train --config training/configs/whisper_small_qwen1_5b.toml
    accelerate launch -m training train --config ...        # several GPUs

Stage ``sft``: the frozen base (4-bit NF4 by default) gets LoRA on its language
model's linear layers; for whisper-llm the projector trains too. Stage
``projector`` (whisper-llm only): the projector alone learns to transcribe an
ASR manifest (the paper's stage 1). The model code is the engine's
(``engine.analyzers.alm.families``): the trained adapter is served by the very
classes it was trained in.

Every checkpoint (``<run_dir>/checkpoint-<step>/``) holds the adapter in PEFT
layout (``adapter/``), the trainable weights and optimizer state for resuming,
the resolved config (``training_config.json``) and the trainer state.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelError
from training.config import TrainConfig
from training.data import Dataset, build_dataset

CONFIG_FILE = "training_config.json"
STATE_FILE = "trainer_state.json"
TRAINABLE_FILE = "trainable.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
ADAPTER_SUBDIR = "adapter"


@dataclass(frozen=True)
class TrainOutcome:
    """What a run produced and how fast it went."""

    run_dir: Path
    checkpoint: Path
    steps: int
    final_loss: float
    seconds: float
    examples_per_s: float
    peak_memory_mb: float


class Recipe:
    """QLoRA fine-tuning of one ALM family on feedback (or stage-1 projector pretraining)."""

    def __init__(self, config: TrainConfig, *, dataset: Dataset | None = None, asr_examples: Sequence | None = None):
        self.config = config.validate()
        self._dataset = dataset
        self._asr_examples = asr_examples
        self.step = 0
        self.epoch = 0
        self.losses: list[float] = []

    # -- setup --------------------------------------------------------------------
    def setup(self) -> Recipe:
        self.setup_accelerator()
        self.setup_seed()
        self.setup_data()
        self.setup_model()
        self.setup_optimizer()
        self.maybe_resume()
        if self.config.run.progress and self.accelerator.is_main_process:
            print("\n".join(self.describe()), file=sys.stderr)
        return self

    def describe(self) -> list[str]:
        """What is about to run: model, trainable share, data, batch arithmetic, device."""
        from training.modeling import trainable_summary

        accumulation = self.accelerator.gradient_accumulation_steps
        return [
            (f"{self.config.model.family} from {self.config.model.model_dir} ({self.config.model.quantization}), "
            f"stage {self.config.run.stage}: {trainable_summary(self.runtime)}"),
            (f"{len(self.examples)} examples; micro-batch {self.config.optim.micro_batch} x accumulation "
            f"{accumulation} x {self.accelerator.num_processes} process(es); {self.total_steps} optimizer steps"),
            f"device: {self.accelerator.device}; checkpoints in {self.config.run_dir}",
        ]

    def setup_accelerator(self) -> None:
        """Device checks first (a missing GPU is a clear error), then Accelerate."""
        import torch
        from accelerate import Accelerator

        device = self.config.model.device
        has_cuda = torch.cuda.is_available()
        if device == "cuda" and not has_cuda:
            raise ModelError(
                "model.device = cuda was asked for, but PyTorch finds no CUDA GPU "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). Install a CUDA build "
                "of torch on a GPU machine, or pass --model.device cpu (tiny models only: a 7B model on CPU is impractical)."
            )
        self.use_cuda = has_cuda and device != "cpu"
        precision = {"bfloat16": "bf16", "float16": "fp16"}.get(self.config.model.compute_dtype, "no")
        self.accelerator = Accelerator(
            cpu=not self.use_cuda,
            mixed_precision=precision if self.use_cuda else "no",
            gradient_accumulation_steps=self.config.accumulation_steps(_world_size()),
        )

    def setup_seed(self) -> None:
        import torch
        from accelerate.utils import set_seed

        set_seed(self.config.run.seed)
        if self.config.run.cpu_threads > 0:
            torch.set_num_threads(self.config.run.cpu_threads)

    def setup_data(self) -> None:
        """The examples: feedback records (sft) or ASR clips (projector stage)."""
        if self.config.run.stage == "projector":
            self.examples = list(self._asr_examples if self._asr_examples is not None else load_asr_examples(self.config))
            self.data_card = {"asr_clips": len(self.examples)}
        else:
            dataset = self._dataset or build_dataset(self.config)
            self.examples = list(dataset.train)
            self.data_card = dataset.card()
        if not self.examples:
            raise ModelError("No training examples: check data.train_manifest / data.origins (or projector.asr_manifest).")

    def setup_model(self) -> None:
        """Load the base (quantised), add LoRA, choose the trainable parameters."""
        from training.modeling import load_base_runtime, make_trainable

        self.runtime = load_base_runtime(self.config, self.accelerator.device)
        make_trainable(self.runtime, self.config)
        self.trainable = {n: p for n, p in self.runtime.model.named_parameters() if p.requires_grad}
        if not self.trainable:
            raise ModelError("Nothing to train: no parameter requires gradients after setup.")

    def setup_optimizer(self) -> None:
        import torch
        from torch.utils.data import DataLoader
        from transformers import get_scheduler

        from training.collate import Collator

        optim = self.config.optim
        lr = optim.lr if self.config.run.stage == "sft" else self.config.projector.lr
        self.collator = Collator(self.runtime, max_audio_s=self.config.model.max_audio_s,
                                 cache=self.config.data.cache_encoded)
        sampler = EpochSampler(len(self.examples), self.config.run.seed)
        self.loader = DataLoader(self.examples, batch_size=optim.micro_batch, sampler=sampler, collate_fn=self.collator)
        optimizer = torch.optim.AdamW(list(self.trainable.values()), lr=lr, weight_decay=optim.weight_decay)
        self.model, self.optimizer, self.loader = self.accelerator.prepare(self.runtime.model, optimizer, self.loader)
        self.total_steps = self._total_steps()
        warmup = math.ceil(optim.warmup_ratio * self.total_steps)
        # Not prepared: Accelerate would step it once per process; we step it once per optimizer step.
        self.scheduler = get_scheduler(_scheduler_name(optim.scheduler), self.optimizer, num_warmup_steps=warmup,
                                       num_training_steps=self.total_steps)

    def _total_steps(self) -> int:
        epochs = self.config.optim.epochs if self.config.run.stage == "sft" else self.config.projector.epochs
        per_epoch = math.ceil(len(self.loader) / self.accelerator.gradient_accumulation_steps)
        total = max(1, math.ceil(per_epoch * epochs))
        return min(total, self.config.optim.max_steps) if self.config.optim.max_steps else total

    # -- resume and checkpoints ------------------------------------------------------
    def maybe_resume(self) -> None:
        resume = self.config.run.resume_from
        if not resume:
            return
        checkpoint = latest_checkpoint(self.config.run_dir) if resume == "latest" else Path(resume)
        if checkpoint is None:
            return  # 'latest' with no checkpoint yet: a fresh start
        self.load_checkpoint(checkpoint)

    def load_checkpoint(self, checkpoint: Path) -> None:
        """Restore trainable weights, optimizer, scheduler and counters from a checkpoint."""
        import torch
        from safetensors.torch import load_file

        state_path = checkpoint / STATE_FILE
        if not state_path.is_file():
            raise ModelError(f"{checkpoint} is not a training checkpoint: it has no {STATE_FILE}.")
        saved = json.loads((checkpoint / CONFIG_FILE).read_text(encoding="utf-8"))
        for section, key in (("model", "family"), ("lora", "r"), ("run", "stage")):
            if saved[section][key] != getattr(getattr(self.config, section), key):
                raise ModelError(f"Cannot resume from {checkpoint}: it was trained with {section}.{key} = "
                                 f"{saved[section][key]!r}, this run has {getattr(getattr(self.config, section), key)!r}.")
        weights = load_file(str(checkpoint / TRAINABLE_FILE))
        missing = sorted(set(self.trainable) - set(weights))
        if missing:
            raise ModelError(f"{checkpoint} lacks {len(missing)} trainable tensors (e.g. {missing[0]}): another model?")
        with torch.no_grad():
            for name, param in self.trainable.items():
                param.copy_(weights[name].to(param.device, param.dtype))
        self.optimizer.load_state_dict(torch.load(checkpoint / OPTIMIZER_FILE, weights_only=True))
        state = json.loads(state_path.read_text(encoding="utf-8"))
        self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.epoch, self.losses = int(state["step"]), int(state["epoch"]), list(state["losses"])

    def save_checkpoint(self) -> Path:
        """Write ``checkpoint-<step>`` atomically (temp folder, then rename); main process only."""
        import torch
        from safetensors.torch import save_file

        self.accelerator.wait_for_everyone()
        final = self.config.run_dir / f"checkpoint-{self.step}"
        if not self.accelerator.is_main_process:
            return final
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.config.run.stage == "projector":
            save_projector(self.runtime, tmp / ADAPTER_SUBDIR)  # no LoRA yet: the LM itself is not saved
        else:
            self.runtime.save_adapter(tmp / ADAPTER_SUBDIR)
        save_file({n: p.detach().cpu().contiguous() for n, p in self.trainable.items()}, str(tmp / TRAINABLE_FILE))
        torch.save(self.optimizer.state_dict(), tmp / OPTIMIZER_FILE)
        (tmp / CONFIG_FILE).write_text(self.config.to_json(), encoding="utf-8")
        state = {"step": self.step, "epoch": self.epoch, "total_steps": self.total_steps, "losses": self.losses,
                 "scheduler": self.scheduler.state_dict(), "data_card": self.data_card}
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        return final

    # -- the loop --------------------------------------------------------------------
    def train(self) -> TrainOutcome:
        """Run until ``total_steps`` optimizer steps; checkpoint periodically and at the end."""
        from training.progress import Throughput

        started = time.perf_counter()
        meter = Throughput(self.total_steps, self.step, enabled=self.config.run.progress and self.accelerator.is_main_process)
        self.model.train()
        while self.step < self.total_steps:
            self._train_epoch(meter)
            self.epoch += 1
        meter.close()
        checkpoint = self.save_checkpoint()
        seconds = time.perf_counter() - started
        return TrainOutcome(self.config.run_dir, checkpoint, self.step, self.losses[-1] if self.losses else float("nan"),
                            seconds, meter.examples / seconds if seconds else 0.0, peak_memory_mb(self.use_cuda))

    def _train_epoch(self, meter: Any) -> None:
        import torch

        # Resuming mid-epoch: skip the micro-batches already seen (without loading their audio).
        accumulation = self.accelerator.gradient_accumulation_steps
        per_epoch = math.ceil(len(self.loader) / accumulation)
        skip = max(0, self.step - self.epoch * per_epoch) * accumulation
        batches = self.accelerator.skip_first_batches(self.loader, skip) if skip else self.loader
        batches.set_epoch(self.epoch)  # reaches EpochSampler: the order depends on (seed, epoch) only
        window: list[float] = []
        for batch in batches:
            with self.accelerator.accumulate(self.model):
                loss = self.model(**batch).loss
                self.accelerator.backward(loss)
                window.append(float(loss.detach()))
                meter.add(len(batch["input_ids"]), int((batch["labels"] != -100).sum()))
                if not self.accelerator.sync_gradients:
                    continue
                if self.config.optim.max_grad_norm > 0:
                    self.accelerator.clip_grad_norm_(list(self.trainable.values()), self.config.optim.max_grad_norm)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
            self._after_step(sum(window) / len(window), meter)
            window = []
            if self.step >= self.total_steps:
                return
        torch.cuda.empty_cache() if self.use_cuda else None

    def _after_step(self, loss: float, meter: Any) -> None:
        self.step += 1
        self.losses.append(round(loss, 5))
        if self.step % max(1, self.config.run.log_every_steps) == 0:
            meter.update(self.step, loss, self.scheduler.get_last_lr()[0])
        every = self.config.run.save_every_steps
        if every and self.step % every == 0 and self.step < self.total_steps:
            self.save_checkpoint()


class EpochSampler:
    """A shuffled order that depends on (seed, epoch) only, so a resumed run sees the same batches."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        import torch

        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator).tolist())

    def __len__(self) -> int:
        return self.size


def run_training(config: TrainConfig, **kwargs: Any) -> TrainOutcome:
    """Set up and run a recipe; the entry point of ``python -m training train``."""
    return Recipe(config, **kwargs).setup().train()


def load_asr_examples(config: TrainConfig) -> list:
    """Stage-1 clips from an ASR manifest (JSON list of {audio_path, text})."""
    from engine.manifest import load_manifest
    from training.collate import AsrExample

    if not config.projector.asr_manifest:
        raise ModelError("run.stage = projector needs projector.asr_manifest: a JSON list of {audio_path, text}.")
    return [AsrExample(Path(r.audio_path), r.text) for r in load_manifest(config.projector.asr_manifest)]


def save_projector(runtime: Any, folder: Path) -> None:
    """Stage 1's output: the whisper-llm projector in the family's own file layout."""
    from safetensors.torch import save_file

    from engine.analyzers.alm.families.whisper_llm import PROJECTOR_CONFIG_FILE, PROJECTOR_FILE

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in runtime.model.projector.state_dict().items()}
    save_file(state, str(folder / PROJECTOR_FILE))
    (folder / PROJECTOR_CONFIG_FILE).write_text(json.dumps(runtime.model.config.to_dict(), indent=2))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint of ``run_dir`` with the highest step, or None."""
    found = [(int(p.name.split("-")[1]), p) for p in Path(run_dir).glob("checkpoint-*")
             if p.is_dir() and p.name.split("-")[1].isdigit() and (p / STATE_FILE).is_file()]
    return max(found)[1] if found else None


def peak_memory_mb(cuda: bool) -> float:
    """Peak GPU memory allocated (CUDA) or the process's peak resident set size (CPU), in MiB."""
    if cuda:
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _scheduler_name(name: str) -> str:
    return {"constant": "constant_with_warmup"}.get(name, name)


def _world_size() -> int:
    import os

    return int(os.environ.get("WORLD_SIZE", "1"))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (used by tests and the bench outside a recipe)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
