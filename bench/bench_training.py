"""Training cost: measured with tiny models on this CPU, and estimated for real models on a GPU.

    python -m bench.bench_training            # both parts
    python -m bench.bench_training --estimate # only the GPU estimate (no torch needed)

Part 1 runs the real recipe (``training.train``) on tiny random models of both
families, NF4 and unquantised, in a fresh process each (so peak memory is that
run's own), on the three-example test fixture, and prints optimizer steps/s,
examples/s and peak resident memory.

Part 2 estimates what a real run costs, from parameter counts (the engine's
reference configs and its memory arithmetic), stated as an estimate: see the
assumptions printed with it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "training_synth" / "manifest.json"
STEPS = 40

# -- part 2 assumptions --------------------------------------------------------------
#: Examples per epoch: 1,699 public L2-Arctic-plus records plus the annotated L2-ARCTIC
#: utterances of the 18 training speakers without written feedback (18 x 150 in all).
EXAMPLES_PER_EPOCH = 18 * 150
#: Tokens per example: prompt text ~120, answer ~120 (3 flagged words of ~40 tokens),
#: audio: Qwen2-Audio ~25 tokens/s x ~3.5 s; whisper-llm a fixed 300.
QWEN2_AUDIO_TOKENS = 120 + 120 + 90
WHISPER_LLM_TOKENS = 120 + 120 + 300
#: Audio encoder positions per example (30 s windows, frozen, forward only).
ENCODER_POSITIONS = 1500
#: LoRA on a frozen base: forward 2N, backward ~2N (activation grads only), recompute of
#: the forward under gradient checkpointing 2N: 6N FLOPs per token.
FLOPS_PER_PARAM_TOKEN = 6
#: Share of peak bf16 tensor throughput reached with 4-bit dequantisation in the loop.
UTILISATION = 0.30
GPUS_TFLOPS = {"A100 80GB": 312, "A40 / RTX A6000 (48 GB)": 150, "RTX 4090 (24 GB)": 165, "RTX 3060 (12 GB)": 51}


def run_one(family: str, quantization: str) -> dict:
    """Train a tiny model of ``family`` for STEPS steps in this process; return the figures."""
    sys.path.insert(0, str(ROOT))
    from tests.training.tiny_bases import build_lm, build_qwen2_audio, build_whisper
    from training.config import load_config
    from training.data import assemble, gold_examples
    from training.train import run_training

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if family == "whisper-llm":
            base = {"model.model_dir": str(build_lm(tmp_path / "lm")),
                    "model.encoder_dir": str(build_whisper(tmp_path / "whisper"))}
        else:
            base = {"model.model_dir": str(build_qwen2_audio(tmp_path / "q"))}
        config = load_config(None, {
            "model.family": family, **base, "model.quantization": quantization, "model.compute_dtype": "float32",
            "model.device": "cpu", "model.audio_tokens": 8, "model.audio_seconds": 4, "model.max_audio_s": 5,
            "model.gradient_checkpointing": False, "lora.r": 16, "lora.alpha": 32, "optim.lr": 1e-2,
            "optim.effective_batch": 3, "optim.micro_batch": 3, "optim.epochs": 1000, "optim.max_steps": STEPS,
            "data.cache_encoded": False, "run.cpu_threads": 1, "run.save_every_steps": 0, "run.progress": False,
            "run.output_dir": str(tmp_path / "runs"),
        })
        outcome = run_training(config, dataset=assemble(gold_examples(FIXTURE)[:3]))
    return {"family": family, "quantization": quantization, "steps": outcome.steps,
            "steps_per_s": outcome.steps / outcome.seconds, "examples_per_s": outcome.examples_per_s,
            "peak_rss_mib": outcome.peak_memory_mb, "final_loss": outcome.final_loss}


def measure() -> None:
    print(f"Part 1: tiny models on this CPU ({STEPS} optimizer steps of 3 examples, 1 torch thread, audio "
          "encoded every step)")
    print("| family | quantization | steps/s | examples/s | peak RSS (MiB) |\n|---|---|---|---|---|")
    for family in ("whisper-llm", "qwen2-audio"):
        for quantization in ("nf4", "none"):
            out = subprocess.run([sys.executable, "-m", "bench.bench_training", "--one", family, quantization],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {family} | {quantization} | {r['steps_per_s']:.2f} | {r['examples_per_s']:.1f} | "
                  f"{r['peak_rss_mib']:.0f} |")


# -- part 2 ----------------------------------------------------------------------------


def lora_params(lm: dict, r: int = 4) -> int:
    """LoRA A and B matrices on every attention and MLP projection of every layer."""
    h, inter, layers = lm["hidden_size"], lm["intermediate_size"], lm["num_hidden_layers"]
    heads = lm["num_attention_heads"]
    head_dim = lm.get("head_dim") or h // heads
    q, kv = heads * head_dim, (lm.get("num_key_value_heads") or heads) * head_dim
    per_layer = (h + q) + 2 * (h + kv) + (q + h) + 2 * (h + inter) + (inter + h)
    return layers * r * per_layer


def training_estimate(name: str, family: str, model: dict, encoder: dict | None, tokens: int, mb: int) -> dict:
    """Memory and compute of one epoch; ``mb`` is the micro-batch of the shipped config."""
    from engine.analyzers.alm.memory import GIB, estimate_memory, family_params

    params, lm = family_params(family, model, encoder)
    weights = estimate_memory(family, model, "nf4", encoder_config=encoder, context_tokens=1).weights_bytes
    projector = params.float32
    trainable = lora_params(lm) + projector
    optimizer = trainable * 16  # fp32 weight + grad + two Adam moments
    h, layers, vocab = lm["hidden_size"], lm["num_hidden_layers"], lm["vocab_size"]
    checkpoints = mb * tokens * h * 2 * layers  # one bf16 hidden state per layer (gradient checkpointing)
    one_layer = mb * tokens * (16 * h + 4 * lm["intermediate_size"]) * 2  # recomputed layer, bf16
    logits = mb * tokens * vocab * 4 * 2  # fp32 logits and their gradient
    memory = weights + optimizer + checkpoints + one_layer + logits + GIB // 2
    encoder_params = encoder_params_of(family, model, encoder)
    lm_params = params.total - encoder_params - projector
    flops = EXAMPLES_PER_EPOCH * (FLOPS_PER_PARAM_TOKEN * lm_params * tokens + 2 * encoder_params * ENCODER_POSITIONS)
    return {"name": name, "params_b": params.total / 1e9, "trainable_m": trainable / 1e6, "memory_gib": memory / GIB,
            "weights_gib": weights / GIB, "epoch_pflop": flops / 1e15, "micro_batch": mb, "tokens": tokens}


def encoder_params_of(family: str, model: dict, encoder: dict | None) -> int:
    from engine.analyzers.alm.memory import whisper_encoder_params

    return whisper_encoder_params(model["audio_config"] if family == "qwen2-audio" else encoder).total


def estimate() -> None:
    from engine.analyzers.alm.memory import REFERENCE_CONFIGS as C

    rows = [
        training_estimate("Qwen2-Audio-7B-Instruct, QLoRA", "qwen2-audio", C["Qwen2-Audio-7B-Instruct"], None,
                          QWEN2_AUDIO_TOKENS, 4),
        training_estimate("whisper-small + Qwen2.5-1.5B, QLoRA + projector", "whisper-llm",
                          C["Qwen2.5-1.5B-Instruct"], C["whisper-small"], WHISPER_LLM_TOKENS, 8),
        training_estimate("whisper-large-v3 + Llama-3.1-8B (paper), QLoRA + projector", "whisper-llm",
                          C["Llama-3.1-8B-Instruct"], C["whisper-large-v3"], WHISPER_LLM_TOKENS, 4),
    ]
    print("\nPart 2: ESTIMATED GPU cost of one real training run (from parameter counts; not measured)")
    print(f"Assumptions: {EXAMPLES_PER_EPOCH} examples/epoch; LoRA r 4 on every LM projection; NF4 base; bf16; "
          f"gradient checkpointing; {FLOPS_PER_PARAM_TOKEN} FLOPs per LM parameter per token; frozen audio "
          f"encoder forward over {ENCODER_POSITIONS} positions; {UTILISATION:.0%} of the GPU's bf16 peak.")
    gpus = list(GPUS_TFLOPS)
    print("| model | params | trainable | tokens/ex | micro-batch | GPU memory | epoch compute | "
          + " | ".join(f"min/epoch {g}" for g in gpus) + " |")
    print("|---" * (7 + len(gpus)) + "|")
    for r in rows:
        minutes = [r["epoch_pflop"] * 1e15 / (GPUS_TFLOPS[g] * 1e12 * UTILISATION) / 60 for g in gpus]
        print(f"| {r['name']} | {r['params_b']:.2f}B | {r['trainable_m']:.1f}M | {r['tokens']} | {r['micro_batch']} "
              f"| ~{r['memory_gib']:.1f} GiB (weights {r['weights_gib']:.1f}) | {r['epoch_pflop']:.0f} PFLOP | "
              + " | ".join(f"~{m:.0f}" for m in minutes) + " |")
    print("Five epochs (the paper's schedule) cost five times the per-epoch time; halve micro_batch "
          "(accumulation keeps the effective batch) if memory is short.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--estimate", action="store_true", help="only print the GPU estimate")
    parser.add_argument("--one", nargs=2, metavar=("FAMILY", "QUANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return
    print("Command: python -m bench.bench_training" + (" --estimate" if args.estimate else ""))
    if not args.estimate:
        measure()
    estimate()


if __name__ == "__main__":
    main()
