"""Fixtures of the ALM tests: a socket guard, tiny models of both families, adapters, stubs.

Tiny models are built once per session from configs (random weights, tokenizers trained
on the fly) in a temporary folder and loaded through the real loader.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.audio import SAMPLE_RATE_HZ, AudioClip
from engine.feedback import Assessment, PhoneKind, PhoneResult, Verdict, WordResult


@contextlib.contextmanager
def socket_guard() -> Iterator[list[object]]:
    """Internet connects and name lookups raise and are recorded; the caller asserts none happened."""
    attempts: list[object] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo, socket.create_connection)
    orig_connect, orig_connect_ex = saved[0], saved[1]

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"test socket guard: network access to {address!r}")
        return orig_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"test socket guard: network access to {address!r}")
        return orig_connect_ex(self, address)

    def refuse(host: object, *args: object, **kwargs: object) -> object:
        attempts.append(host)
        raise OSError(f"test socket guard: name lookup or connection to {host!r}")

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo, socket.create_connection = refuse, refuse
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo, socket.create_connection = saved


@pytest.fixture(autouse=True)
def no_network() -> Iterator[list[object]]:
    """Every ALM test runs with the network blocked and fails if anything tried to connect."""
    with socket_guard() as attempts:
        yield attempts
    assert not attempts, f"network access was attempted: {attempts}"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny checkpoints of both families: qwen2-audio, whisper encoder, Qwen2 and Llama LMs."""
    from engine.analyzers.alm import tiny

    root = tmp_path_factory.mktemp("tiny_models")
    with socket_guard() as attempts:
        tiny.build_tiny_qwen2_audio(root / "qwen2_audio")
        tiny.build_tiny_whisper(root / "whisper")
        tiny.build_tiny_lm(root / "lm_qwen2", arch="qwen2")
        tiny.build_tiny_lm(root / "lm_llama", arch="llama", chat_template=False)
    assert not attempts, f"building tiny models tried the network: {attempts}"
    return root


def make_clip(seconds: float = 2.0, seed: int = 0) -> AudioClip:
    """A quiet noisy tone: enough for feature extraction, no real speech needed."""
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    rng = np.random.default_rng(seed)
    samples = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(t.size)
    return AudioClip(samples.astype(np.float32))


@pytest.fixture
def clip() -> AudioClip:
    return make_clip()


def hand_assessment() -> Assessment:
    """A CPU-analyzer-like result for "I think this is right": "think" has TH -> S."""
    def word(i: int, text: str, phones: tuple[PhoneResult, ...], verdict: Verdict = Verdict.GOOD,
             score: float = 95.0) -> WordResult:
        return WordResult(i, text, 0.3 * i, 0.3 * i + 0.3, score, verdict, phones)

    ok = PhoneKind.CORRECT
    words = (
        word(0, "i", (PhoneResult("AY", "AY", ok),)),
        word(1, "think", (PhoneResult("TH", "S", PhoneKind.SUBSTITUTION, score=20.0), PhoneResult("IH", "IH", ok),
                          PhoneResult("NG", "NG", ok), PhoneResult("K", "K", ok)), Verdict.WRONG, 41.0),
        word(2, "this", (PhoneResult("DH", "DH", ok), PhoneResult("IH", "IH", ok), PhoneResult("S", "S", ok))),
        word(3, "is", (PhoneResult("IH", "IH", ok), PhoneResult("Z", None, PhoneKind.DELETION, score=30.0)),
             Verdict.NEEDS_WORK, 70.0),
        word(4, "right", (PhoneResult("R", "R", ok), PhoneResult("AY", "AY", ok), PhoneResult("T", "T", ok))),
    )
    return Assessment(text="I think this is right", words=words, score=80.0, engine="sphinx",
                      heard="AY S IH NG K DH IH S IH R AY T", duration_s=1.5)


class FakeCpuAnalyzer:
    """Stands in for the CPU analyzer: returns ``hand_assessment()`` and counts calls."""

    name = "sphinx"

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, clip: AudioClip, text: str, *, progress: object = None,
                should_cancel: object = None) -> Assessment:
        self.calls += 1
        return hand_assessment()


class ScriptedRuntime:
    """A runtime whose answers are scripted: records prompts, streams words, honours cancel."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.prompts: list[object] = []

    def generate(self, prompt: object, audio: np.ndarray, *, max_new_tokens: int, time_limit_s: float,
                 on_token: object = None, should_cancel: object = None, give_up: object = None) -> object:
        from engine.analyzers.alm.families.base import Generation, StopReason

        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        reason = StopReason.END
        if isinstance(answer, tuple):
            answer, reason = answer
        for piece in str(answer).split(" "):
            if should_cancel is not None and should_cancel():
                return Generation("", 0, StopReason.CANCELLED, 0.0)
            if on_token is not None:
                on_token(piece + " ")
        return Generation(str(answer), len(str(answer).split()), reason, 0.0)

    def count_tokens(self, prompt: object, audio: np.ndarray) -> int:
        return sum(len(t.content.split()) for t in prompt.turns)


SENTENCE = "I think this is right"


@pytest.fixture(scope="session")
def adapters(tiny_dir: Path) -> dict[str, dict[str, object]]:
    """A random (untrained) LoRA adapter with manifest for each family, and the in-memory
    model's logits on a fixed prompt, to check that loading reproduces them exactly."""
    import torch

    from engine.analyzers.alm.config import AlmConfig
    from engine.analyzers.alm.families import qwen2_audio, whisper_llm
    from engine.analyzers.alm.loader import load_runtime
    from engine.analyzers.alm.manifest import write_manifest
    from engine.prompts import tuned_prompt

    result: dict[str, dict[str, object]] = {}
    with socket_guard() as attempts:
        for family, module, kwargs in (
            ("qwen2-audio", qwen2_audio, {"model_dir": tiny_dir / "qwen2_audio"}),
            ("whisper-llm", whisper_llm, {"model_dir": tiny_dir / "lm_qwen2", "encoder_dir": tiny_dir / "whisper"}),
        ):
            config = AlmConfig(family=family, quantization="none", device="cpu", **kwargs)
            runtime = load_runtime(config).runtime
            lora = module.lora_config()
            lora.init_lora_weights = False  # random, non-zero: the adapter visibly changes the output
            torch.manual_seed(1)
            runtime.add_lora(lora)
            if family == "whisper-llm":
                torch.nn.init.normal_(runtime.model.projector.net[0].weight, std=0.5)
            runtime.model.eval()
            with torch.no_grad():
                logits = runtime.model(**runtime.encode(tuned_prompt(SENTENCE), make_clip().samples)).logits
            folder = tiny_dir / f"adapter_{family}"
            files = runtime.save_adapter(folder)
            write_manifest(folder, files, name=f"tiny-{family}", family=family, base_dir=config.model_dir,
                           base_model=config.model_dir.name, encoder_dir=config.encoder_dir,
                           encoder_model="tiny-whisper" if config.encoder_dir else "")
            result[family] = {"config": config.with_changes(adapter_dir=folder), "logits": logits}
    assert not attempts, f"building adapters tried the network: {attempts}"
    return result
