"""Fixtures for the desktop tests: offscreen Qt, a private data folder, fakes for the
microphone, speaker, engine and voice. The real CPU analyzer is used only in test_end_to_end."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import numpy as np
import pytest

from desktop.audio_io import FakeMicrophone, FakeSpeaker
from desktop.engine_setup import Engine, EngineSpec
from desktop.fake_engine import FakeAnalyzer, FakeTutor
from desktop.tts import TtsStatus
from engine.analyzers.base import EngineChoice
from engine.audio import AudioClip

SAMPLE_RATE_HZ = 16_000


def speechlike(duration_s: float = 1.5, seed: int = 0) -> np.ndarray:
    """Voiced-sounding noise bursts: loud enough to pass the silence check."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    tone = np.sin(2 * np.pi * 140 * t) + 0.2 * rng.standard_normal(t.size)
    return (0.3 * envelope * tone).astype(np.float32)


@pytest.fixture
def clip() -> AudioClip:
    return AudioClip(samples=speechlike(), source="test")


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Never touch the user's data folder, settings or a lab config."""
    monkeypatch.setenv("SAYWELL_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("SAYWELL_LAB_CONFIG", str(tmp_path / "no-lab.ini"))


def fake_builder(analyzer: FakeAnalyzer | None = None, tutor=None):
    """An engine builder for ``EngineClient``: fakes, announced like the real choice."""
    def build(spec: EngineSpec, progress=None, should_cancel=None) -> Engine:
        return Engine(analyzer or FakeAnalyzer(), tutor or FakeTutor(),
                      EngineChoice("fake", "Fake engine for tests"))
    return build


@pytest.fixture
def make_ctx(qtbot, tmp_path):
    """Build an AppContext with fakes; keyword arguments override them."""
    from desktop.app import Options, build_context

    made = []

    def make(**overrides):
        kwargs = {"microphone": FakeMicrophone(speechlike()), "speaker": FakeSpeaker(),
                      "engine_builder": fake_builder(),
                      "voice": TtsStatus("", "No offline voice found: install espeak-ng.")}
        kwargs.update(overrides)
        ctx = build_context(Options(fake_engine=True), Path(tmp_path / "data"), **kwargs)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.engine.shutdown()
        if ctx.history is not None:
            ctx.history.close()


@pytest.fixture
def window(qtbot, make_ctx):
    """A shown main window whose fake engine is loaded."""
    from desktop.main_window import MainWindow

    ctx = make_ctx()
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    with qtbot.waitSignal(ctx.engine.engineReady, timeout=5000):
        ctx.load_engine()
    return win
