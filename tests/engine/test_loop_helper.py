"""The phone loop's helper process: same transcript as in-process, and every way it can fail."""

from __future__ import annotations

import io
import json
import logging
import struct
import sys
from pathlib import Path

import pytest

from engine.analyzers.sphinx import SphinxAnalyzer
from engine.analyzers.sphinx import loop_helper as lh
from engine.analyzers.sphinx.aligner import Aligner
from engine.audio import load_audio

DATA = Path(__file__).resolve().parent.parent / "data"
NATIVE = DATA / "sphinx_native_a0003.wav"
CANONICAL = DATA / "sphinx_canonical_b0320.wav"


@pytest.fixture(scope="module")
def aligner():
    """One aligner with a real helper process, shared by the tests that use it as is."""
    a = Aligner(helper=lh.LoopHelper())
    yield a
    a.close()


def _pcm(path: Path) -> bytes:
    return load_audio(path).to_pcm16()


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_helper_hears_what_this_process_hears(aligner: Aligner) -> None:
    for path in (NATIVE, CANONICAL):
        pcm = _pcm(path)
        from_helper = aligner.start_phone_loop(pcm)()
        assert aligner.helper is not None and aligner.helper.failed is None
        assert from_helper == aligner.phone_loop(pcm)
        assert len([s for s in from_helper if s.name != "SIL"]) > 10


def test_a_reply_to_an_abandoned_take_is_not_given_to_the_next(aligner: Aligner) -> None:
    """A cancelled analysis leaves its loop request unanswered; the next take must get its own."""
    first, second = _pcm(NATIVE), _pcm(CANONICAL)
    aligner.start_phone_loop(first)  # never collected, as after a cancel
    assert aligner.start_phone_loop(second)() == aligner.phone_loop(second)


def test_the_analyzer_gives_the_same_result_with_or_without_the_helper(monkeypatch) -> None:
    clip = load_audio(CANONICAL)
    text = "The regret in his voice was provocative of a second burst of laughter"
    with_helper = SphinxAnalyzer()
    try:
        assert with_helper.collector.aligner.helper is not None
        helped = with_helper.analyze(clip, text)
    finally:
        with_helper.close()
    monkeypatch.setenv(lh.HELPER_ENV, "0")
    alone = SphinxAnalyzer()
    assert alone.collector.aligner.helper is None
    assert alone.analyze(clip, text) == helped


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["/nonexistent/saywell-helper"], "could not start"),
        (_python("import sys; sys.exit(3)"), "closed its output"),
        (_python("import sys; sys.stdout.buffer.write(b'\\x01'); sys.stdout.flush()"), "closed"),
    ],
    ids=["missing program", "exits at once", "half a reply"],
)
def test_a_broken_helper_is_given_up_loudly_and_the_loop_runs_here(
    argv: list[str], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    pcm = _pcm(NATIVE)
    a = Aligner(helper=lh.LoopHelper(argv))
    try:
        with caplog.at_level(logging.WARNING, logger=lh.__name__):
            got = a.start_phone_loop(pcm)()
        assert got == a.phone_loop(pcm)
        assert a.helper is not None and a.helper.failed is not None and why in a.helper.failed
        assert any("running the phone loop in this process" in r.getMessage() for r in caplog.records)
        assert a.start_phone_loop(pcm)() == got  # given up: no second start, same result
    finally:
        a.close()


def test_a_helper_that_hangs_is_given_up_after_the_timeout(monkeypatch) -> None:
    monkeypatch.setattr(lh, "REPLY_TIMEOUT_S", 0.5)
    pcm = _pcm(NATIVE)
    helper = lh.LoopHelper(_python("import time; time.sleep(60)"))
    a = Aligner(helper=helper)
    try:
        assert a.start_phone_loop(pcm)() == a.phone_loop(pcm)
        assert helper.failed is not None and "no reply" in helper.failed
    finally:
        a.close()


def test_close_ends_the_helper_process() -> None:
    helper = lh.LoopHelper()
    assert helper.submit(_pcm(NATIVE))
    proc = helper._proc
    assert proc is not None and helper.result(3.0) is not None and helper.pid == proc.pid
    helper.close()
    assert proc.poll() == 0  # it saw its input close and returned
    assert helper.pid is None
    helper.close()  # twice is fine


def _request(rid: int, payload: bytes) -> bytes:
    return struct.pack("<II", rid, len(payload)) + payload


def _replies(raw: bytes) -> list[tuple[int, object]]:
    out, stream = [], io.BytesIO(raw)
    while header := stream.read(8):
        rid, n = struct.unpack("<II", header)
        out.append((rid, json.loads(stream.read(n))))
    return out


def test_serve_answers_each_request_under_its_id_until_its_input_closes() -> None:
    def fake_loop(pcm: bytes):
        if pcm == b"bad!":
            raise RuntimeError("cannot decode")
        return [("SIL", 0, len(pcm), -1.5)]

    stdin = io.BytesIO(_request(7, b"\x00" * 10) + _request(8, b"bad!") + _request(9, b""))
    stdout = io.BytesIO()
    assert lh.serve(stdin, stdout, fake_loop) == 0
    assert _replies(stdout.getvalue()) == [
        (7, [["SIL", 0, 10, -1.5]]),
        (8, {"error": "RuntimeError: cannot decode"}),
        (9, [["SIL", 0, 0, -1.5]]),
    ]


def test_serve_stops_quietly_on_a_truncated_request() -> None:
    stdout = io.BytesIO()
    assert lh.serve(io.BytesIO(struct.pack("<II", 1, 100) + b"short"), stdout, lambda p: []) == 0
    assert stdout.getvalue() == b""


@pytest.mark.parametrize(
    ("value", "enabled"), [("", True), ("1", True), ("0", False), ("off", False), ("No", False)]
)
def test_the_helper_can_be_switched_off(value: str, enabled: bool) -> None:
    assert lh.helper_enabled({lh.HELPER_ENV: value}) is enabled


def test_a_frozen_app_starts_itself_as_the_helper(monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert lh.helper_argv() == [sys.executable, lh.HELPER_FLAG]
    launchers = Path(__file__).resolve().parents[2] / "packaging"
    for launcher in ("launch_cli.py", "launch_desktop.py"):
        assert f'["{lh.HELPER_FLAG}"]' in (launchers / launcher).read_text(encoding="utf-8")
