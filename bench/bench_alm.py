"""ALM backend benchmark: per-utterance pipeline overhead with tiny models, and GPU memory estimates.

Overhead is what SayWell adds around the model's own generation, per utterance:
building the prompt (tuned and grounded), encoding it (Whisper feature extraction,
tokenisation, audio placeholders) and parsing an answer into an Assessment. It is
measured with tiny random models of both families built from configs (nothing is
downloaded), on CPU; generation time of a tiny model is printed for reference only
(a real model's generation dominates everything else on a GPU).

The memory table is the estimate ``engine.analyzers.alm.memory`` makes before loading,
from the checkpoints' config fields, for a 2048-token context.

    .venv/bin/python -m bench.bench_alm [--repeats N] [--seconds S]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ANSWER = ("word: think issue: The TH sound was pronounced as S. suggestion: Put your tongue between your teeth.\n"
          "word: right issue: The R sound was pronounced as L. suggestion: Curl your tongue back.")
SENTENCE = "I think this is the right path to the river."

MEMORY_CASES = (
    ("Qwen2-Audio-7B-Instruct", "qwen2-audio", "Qwen2-Audio-7B-Instruct", None, "nf4"),
    ("Qwen2-Audio-7B-Instruct", "qwen2-audio", "Qwen2-Audio-7B-Instruct", None, "int8"),
    ("Qwen2-Audio-7B-Instruct", "qwen2-audio", "Qwen2-Audio-7B-Instruct", None, "none"),
    ("whisper-small + Qwen2.5-1.5B", "whisper-llm", "Qwen2.5-1.5B-Instruct", "whisper-small", "nf4"),
    ("whisper-small + Qwen2.5-1.5B", "whisper-llm", "Qwen2.5-1.5B-Instruct", "whisper-small", "none"),
    ("whisper-medium + Llama-3.1-8B (paper)", "whisper-llm", "Llama-3.1-8B-Instruct", "whisper-medium", "nf4"),
    ("whisper-large-v3 + Llama-3.1-8B (paper)", "whisper-llm", "Llama-3.1-8B-Instruct", "whisper-large-v3", "nf4"),
)


def timed_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def evidence():
    from engine.feedback import Assessment, PhoneKind, PhoneResult, WordResult

    words = tuple(WordResult(i, w, phones=(PhoneResult("T", "T", PhoneKind.CORRECT),
                                           PhoneResult("IH", "IY", PhoneKind.SUBSTITUTION, score=40.0)))
                  for i, w in enumerate(SENTENCE.lower().rstrip(".").split()))
    return Assessment(SENTENCE, words)


def overhead(repeats: int, seconds: float) -> None:
    import torch

    from engine.analyzers.alm import tiny
    from engine.analyzers.alm.config import AlmConfig
    from engine.analyzers.alm.loader import load_runtime
    from engine.feedback import assessment_from_items, parse_feedback_lines
    from engine.prompts import build_prompt, sentence_words

    torch.set_num_threads(1)
    cpu = evidence()
    audio = (0.1 * np.sin(np.arange(int(seconds * 16000)) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    words = sentence_words(SENTENCE)
    print(f"Per-utterance overhead, {seconds:.0f} s clip, median of {repeats} (1 thread):")
    print(f"  prompt, tuned:         {timed_ms(lambda: build_prompt('tuned', SENTENCE), repeats):8.3f} ms")
    print(f"  prompt, grounded:      {timed_ms(lambda: build_prompt('grounded', SENTENCE, cpu), repeats):8.3f} ms")
    parse = lambda: assessment_from_items(words, parse_feedback_lines(ANSWER).items, text=SENTENCE)
    print(f"  parse + assessment:    {timed_ms(parse, repeats):8.3f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tiny.build_tiny_qwen2_audio(root / "qa")
        tiny.build_tiny_whisper(root / "wh")
        tiny.build_tiny_lm(root / "lm")
        configs = {
            "qwen2-audio": AlmConfig(family="qwen2-audio", model_dir=root / "qa", quantization="none", device="cpu"),
            "whisper-llm": AlmConfig(family="whisper-llm", model_dir=root / "lm", encoder_dir=root / "wh",
                                     quantization="none", device="cpu"),
        }
        for family, config in configs.items():
            runtime = load_runtime(config).runtime
            prompt = build_prompt("grounded", SENTENCE, cpu)
            encode_ms = timed_ms(lambda r=runtime, p=prompt: r.encode(p, audio), repeats)
            n_tokens = runtime.count_tokens(prompt, audio)
            gen = runtime.generate(prompt, audio, max_new_tokens=32, time_limit_s=60)
            print(f"  {family}: features + encode {encode_ms:7.2f} ms ({n_tokens} prompt tokens); "
                  f"tiny-model generation {gen.new_tokens} tokens in {gen.seconds * 1000:.0f} ms (reference only)")


def memory_table() -> None:
    from engine.analyzers.alm.memory import GIB, REFERENCE_CONFIGS, estimate_memory

    print("\nEstimated GPU memory (weights / KV cache 2048 tokens / total incl. activations + 0.5 GiB CUDA):")
    for label, family, lm, encoder, quant in MEMORY_CASES:
        enc = REFERENCE_CONFIGS[encoder] if encoder else None
        e = estimate_memory(family, REFERENCE_CONFIGS[lm], quant, encoder_config=enc, context_tokens=2048)
        print(f"  {label:42s} {quant:5s} {e.params.total / 1e9:5.2f}B params  "
              f"weights {e.weights_bytes / 1e9:5.2f} GB  KV {e.kv_cache_bytes / GIB:4.2f} GiB  "
              f"total {e.total_bytes / GIB:5.2f} GiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20, help="timed repeats per step (%(default)s)")
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length in seconds (%(default)s)")
    args = parser.parse_args(argv)
    print(f"$ {' '.join([Path(sys.executable).name, '-m', 'bench.bench_alm', *(argv or sys.argv[1:])])}")
    overhead(args.repeats, args.seconds)
    memory_table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
