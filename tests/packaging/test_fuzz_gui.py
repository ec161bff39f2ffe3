"""Bad input in the desktop app: every case ends in a message or a result, never a crash.

The window's own path for files (``session.open_file``, used by Open and drag-and-drop) gets
random, truncated and corrupted audio and extreme rates (with the fake engine: loading is the
engine's real code, the analysis is instant), then awkward sentences go to the real CPU
analyzer through the worker thread. After every case the window must show either a clear
message in its banner or the analysis, and must still analyse a good take afterwards.
pytest-qt fails a test on any exception raised inside a Qt slot.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.engine_setup import build_engine
from desktop.main_window import MainWindow
from engine.paths import resource
from tests.desktop.conftest import fake_builder, make_ctx, private_dirs, speechlike  # noqa: F401

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FUZZ = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD_TEXT = "turn right"


@pytest.fixture
def fake_window(qtbot, make_ctx):  # noqa: F811 - the imported fixture
    ctx = make_ctx()
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(ctx.engine.engineReady, timeout=10_000):
        ctx.load_engine()
    return win


def open_and_settle(qtbot, win, path, text: str = GOOD_TEXT) -> str:
    """Open ``path``; return "message" or "analysed" once the window has settled."""
    session = win.ctx.session
    win.banner.hide()
    outcome: list[str] = []

    def done(_assessment: object) -> None:
        outcome.append("analysed")

    def failed(_message: str) -> None:
        outcome.append("message")

    session.analysisDone.connect(done)
    session.analysisFailed.connect(failed)
    try:
        session.open_file(path, text)
        if not outcome and win.banner.isVisible():
            outcome.append("message")  # refused while loading, before any analysis
        qtbot.waitUntil(lambda: bool(outcome), timeout=60_000)
    finally:
        session.analysisDone.disconnect(done)
        session.analysisFailed.disconnect(failed)
    if outcome[0] == "message":
        assert win.banner.isVisible() and len(win.banner.text()) > 20, win.banner.text()
    return outcome[0]


def wav_bytes(data: np.ndarray, rate: int, fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, rate, format=fmt)
    return buffer.getvalue()


GOOD = wav_bytes(speechlike(1.2), 16_000)


@FUZZ
@given(blob=st.binary(max_size=2048), suffix=st.sampled_from([".wav", ".flac", ".ogg", ".mp3"]))
def test_random_files_show_a_message(blob, suffix, qtbot, fake_window, tmp_path):
    path = tmp_path / f"take{suffix}"
    path.write_bytes(blob)
    assert open_and_settle(qtbot, fake_window, path) == "message"


@FUZZ
@given(keep=st.floats(0.0, 1.0), fmt=st.sampled_from(["WAV", "FLAC", "OGG"]))
def test_truncated_files_end_in_a_message_or_a_result(keep, fmt, qtbot, fake_window, tmp_path):
    blob = wav_bytes(speechlike(1.2), 16_000, fmt)
    path = tmp_path / f"take.{fmt.lower()}"
    path.write_bytes(blob[: int(len(blob) * keep)])
    open_and_settle(qtbot, fake_window, path)


@pytest.mark.parametrize(("rate_hz", "expected"), [(8_000, "analysed"), (384_000, "analysed"),
                                                   (999, "message"), (768_000, "message")])
def test_extreme_rates(rate_hz, expected, qtbot, fake_window, tmp_path):
    path = tmp_path / "take.wav"
    data = speechlike(1.2)
    if 1_000 <= rate_hz <= 384_000:
        import soxr

        data = soxr.resample(data, 16_000, rate_hz)
        path.write_bytes(wav_bytes(data, rate_hz))
    else:  # soundfile writes any rate into the header
        sf.write(path, data[: 40 if rate_hz < 1_000 else len(data)], rate_hz)
    assert open_and_settle(qtbot, fake_window, path) == expected


def test_the_window_still_works_after_bad_files(qtbot, fake_window, tmp_path):
    for blob in (b"", b"RIFF\x00\x00\x00\x00WAVE", GOOD[: len(GOOD) // 3]):
        (tmp_path / "bad.wav").write_bytes(blob)
        open_and_settle(qtbot, fake_window, tmp_path / "bad.wav")
    (tmp_path / "good.wav").write_bytes(GOOD)
    assert open_and_settle(qtbot, fake_window, tmp_path / "good.wav") == "analysed"


@pytest.fixture(scope="module")
def sentences_for_real_engine() -> dict[str, str]:
    return {"empty": "   ", "symbols-only": "?!... ;;", "non-latin": "日本語のテキスト",
            "unknown-words": "Zxqv blorftastic", "very-long": " ".join(["pronunciation"] * 300)}


@pytest.mark.slow
def test_awkward_sentences_with_the_real_analyzer(qtbot, make_ctx,  # noqa: F811
                                                  sentences_for_real_engine):
    ctx = make_ctx(engine_builder=build_engine)
    ctx.fake_engine = False
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(ctx.engine.engineReady, timeout=60_000):
        ctx.load_engine()
    sample = resource("samples", "sample.wav")
    outcomes = {name: open_and_settle(qtbot, win, sample, text)
                for name, text in sentences_for_real_engine.items()}
    assert outcomes["empty"] == outcomes["symbols-only"] == outcomes["non-latin"] == "message"
    assert outcomes["unknown-words"] == "analysed"
