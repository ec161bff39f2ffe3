"""The analyzer's helper process: the same passes as in-process, and every way it can fail."""

from __future__ import annotations

import io
import json
import logging
import re
import struct
import sys
from pathlib import Path

import pytest

from engine.analyzers.sphinx import SphinxAnalyzer
from engine.analyzers.sphinx import helper as hp
from engine.analyzers.sphinx.aligner import Aligner, Passes
from engine.analyzers.sphinx.evidence import EvidenceCollector
from engine.audio import load_audio
from engine.phonetics.text import normalize_sentence

DATA = Path(__file__).resolve().parent.parent / "data"
NATIVE = DATA / "sphinx_native_a0003.wav"
NATIVE_TEXT = json.loads((DATA / "sphinx_fixtures.json").read_text(encoding="utf-8"))[
    "sphinx_native_a0003.wav"
]["text"]
CANONICAL = DATA / "sphinx_canonical_b0320.wav"
CANONICAL_TEXT = "The regret in his voice was provocative of a second burst of laughter"


def _pcm(path: Path) -> bytes:
    return load_audio(path).to_pcm16()


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.fixture(scope="module")
def local() -> EvidenceCollector:
    """Everything in this process: the reference."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(hp.HELPER_ENV, "0")
        collector = EvidenceCollector()
    assert collector.helper is None
    return collector


def _canonical_request(collector: EvidenceCollector, text: str):
    words = normalize_sentence(text)
    collector.prepare(words)
    forms = [f for w in dict.fromkeys(words) for f in collector._canonical[w]]
    return forms, [w + "__c" for w in words]


def test_the_helper_aligns_exactly_as_this_process_does(local: EvidenceCollector) -> None:
    helper = hp.AlignerHelper()
    try:
        for path, text in ((NATIVE, NATIVE_TEXT), (CANONICAL, CANONICAL_TEXT)):
            forms, names = _canonical_request(local, text)
            pcm = _pcm(path)
            assert helper.submit(forms, names, pcm)
            remote = helper.result()
            assert helper.failed is None and isinstance(remote, Passes)
            assert remote == local.aligner.passes(names, pcm)
            assert [s.name.split("(")[0] for s in remote.words] == names  # w__c or w__c(2)...
            assert len([s for s in remote.loop if s.name != "SIL"]) > 10
    finally:
        helper.close()


def test_the_analyzer_gives_the_same_result_with_or_without_the_helper(monkeypatch) -> None:
    clip = load_audio(CANONICAL)
    with_helper = SphinxAnalyzer()
    try:
        assert with_helper.collector.helper is not None
        helped = [with_helper.analyze(clip, CANONICAL_TEXT) for _ in range(2)]
        assert with_helper.collector.helper.pid is not None  # it did run there
    finally:
        with_helper.close()
    monkeypatch.setenv(hp.HELPER_ENV, "0")
    alone = SphinxAnalyzer()
    assert alone.collector.helper is None
    assert [alone.analyze(clip, CANONICAL_TEXT)] * 2 == helped


def test_a_take_the_helper_cannot_align_fails_here_with_the_usual_error(
    local: EvidenceCollector,
) -> None:
    """The helper answers with an error, stays up, and the next take is aligned there."""
    helper = hp.AlignerHelper()
    try:
        forms, names = _canonical_request(local, CANONICAL_TEXT)
        assert helper.submit(forms, names, b"\x00\x00" * 1600)  # 0.1 s of silence
        assert helper.result() is None and helper.failed is None
        assert helper.submit(forms, names, _pcm(CANONICAL))
        assert isinstance(helper.result(), Passes)
    finally:
        helper.close()


def test_a_reply_to_an_abandoned_take_is_not_given_to_the_next(local: EvidenceCollector) -> None:
    """A cancelled analysis leaves its request unanswered; the next take must get its own."""
    helper = hp.AlignerHelper()
    try:
        forms, names = _canonical_request(local, NATIVE_TEXT)
        assert helper.submit(forms, names, _pcm(NATIVE))  # never collected, as after a cancel
        forms, names = _canonical_request(local, CANONICAL_TEXT)
        pcm = _pcm(CANONICAL)
        assert helper.submit(forms, names, pcm)
        assert helper.result() == local.aligner.passes(names, pcm)
    finally:
        helper.close()


#: A fake helper that reads one whole request first.
_READ_REQUEST = (
    "import struct, sys, time; i, a, b = struct.unpack('<III', sys.stdin.buffer.read(12)); "
    "sys.stdin.buffer.read(a + b); "
)


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["/nonexistent/saywell-helper"], "could not start"),
        (_python("import sys; sys.exit(3)"), "(could not send it a take|closed its output)"),
        (
            _python(_READ_REQUEST + "sys.stdout.buffer.write(b'\\x01'); sys.stdout.flush()"),
            "closed its output",
        ),
    ],
    ids=["missing program", "exits at once", "half a reply"],
)
def test_a_broken_helper_is_given_up_loudly_and_the_passes_run_here(
    argv: list[str], why: str, local: EvidenceCollector, caplog: pytest.LogCaptureFixture
) -> None:
    collector = EvidenceCollector(local.aligner, helper=hp.AlignerHelper(argv))
    words, pcm = normalize_sentence(CANONICAL_TEXT), _pcm(CANONICAL)
    try:
        with caplog.at_level(logging.WARNING, logger=hp.__name__):
            got = collector.collect(words, pcm, lambda _f, _s: None)
        assert got == local.collect(words, pcm, lambda _f, _s: None)
        helper = collector.helper
        assert helper is not None and re.search(why, helper.failed or "")
        assert any("running all passes in this process" in r.getMessage() for r in caplog.records)
        assert not helper.submit([], ["a__c"], pcm)  # given up: never started again
    finally:
        collector.close()


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("import time; time.sleep(60)", "did not read a take"),
        (_READ_REQUEST + "time.sleep(60)", "no reply"),
    ],
    ids=["never reads", "never replies"],
)
def test_a_helper_that_hangs_is_given_up_after_the_timeout(
    code: str, why: str, monkeypatch, local: EvidenceCollector
) -> None:
    monkeypatch.setattr(hp, "REPLY_TIMEOUT_S", 0.5)
    collector = EvidenceCollector(local.aligner, helper=hp.AlignerHelper(_python(code)))
    words, pcm = normalize_sentence(NATIVE_TEXT), _pcm(NATIVE)
    try:
        assert collector.collect(words, pcm, lambda _f, _s: None) == local.collect(
            words, pcm, lambda _f, _s: None
        )
        assert collector.helper is not None and why in (collector.helper.failed or "")
    finally:
        collector.close()


def test_close_ends_the_helper_process(local: EvidenceCollector) -> None:
    helper = hp.AlignerHelper()
    forms, names = _canonical_request(local, NATIVE_TEXT)
    assert helper.submit(forms, names, _pcm(NATIVE))
    proc = helper._proc
    assert proc is not None and helper.result() is not None and helper.pid == proc.pid
    helper.close()
    assert proc.poll() == 0  # it saw its input close and returned
    assert helper.pid is None
    helper.close()  # twice is fine


def _request(rid: int, body: dict, pcm: bytes) -> bytes:
    data = json.dumps(body).encode()
    return struct.pack("<III", rid, len(data), len(pcm)) + data + pcm


def _replies(raw: bytes) -> list[tuple[int, object]]:
    out, stream = [], io.BytesIO(raw)
    while header := stream.read(8):
        rid, n = struct.unpack("<II", header)
        out.append((rid, json.loads(stream.read(n))))
    return out


def test_serve_answers_each_request_under_its_id_until_its_input_closes() -> None:
    def fake(request: dict, pcm: bytes) -> dict:
        if pcm == b"bad!":
            raise RuntimeError("cannot decode")
        return {"align": request["align"], "bytes": len(pcm)}

    stdin = io.BytesIO(
        _request(7, {"align": ["a"]}, b"\x00" * 10)
        + _request(8, {"align": []}, b"bad!")
        + _request(9, {"align": ["b", "c"]}, b"")
    )
    stdout = io.BytesIO()
    assert hp.serve(stdin, stdout, fake) == 0
    assert _replies(stdout.getvalue()) == [
        (7, {"align": ["a"], "bytes": 10}),
        (8, {"error": "RuntimeError: cannot decode"}),
        (9, {"align": ["b", "c"], "bytes": 0}),
    ]


def test_serve_stops_quietly_on_a_truncated_request() -> None:
    stdout = io.BytesIO()
    truncated = struct.pack("<III", 1, 2, 100) + b"{}" + b"short"
    assert hp.serve(io.BytesIO(truncated), stdout, lambda r, p: {}) == 0
    assert stdout.getvalue() == b""


def test_passes_survive_the_wire(local: EvidenceCollector) -> None:
    _, names = _canonical_request(local, NATIVE_TEXT)
    passes = local.aligner.passes(names, _pcm(NATIVE))
    wire = json.loads(json.dumps(hp.passes_to_wire(passes)))
    assert hp.passes_from_wire(wire) == passes


@pytest.mark.parametrize(
    ("value", "enabled"), [("", True), ("1", True), ("0", False), ("off", False), ("No", False)]
)
def test_the_helper_can_be_switched_off(value: str, enabled: bool) -> None:
    assert hp.helper_enabled({hp.HELPER_ENV: value}) is enabled


def test_a_frozen_app_starts_itself_as_the_helper(monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert hp.helper_argv() == [sys.executable, hp.HELPER_FLAG]
    launchers = Path(__file__).resolve().parents[2] / "packaging"
    for launcher in ("launch_cli.py", "launch_desktop.py"):
        assert f'["{hp.HELPER_FLAG}"]' in (launchers / launcher).read_text(encoding="utf-8")


def test_an_aligner_needs_no_helper() -> None:
    """The in-process aligner never starts a process of its own."""
    assert not hasattr(Aligner(), "helper")


def test_a_failed_pass_leaves_the_decoders_usable(local: EvidenceCollector) -> None:
    """A pass that raises mid-utterance must still end it, or every later pass is refused."""
    forms, names = _canonical_request(local, NATIVE_TEXT)
    pcm = _pcm(NATIVE)
    aligner = Aligner()
    aligner.add_words(forms)
    with pytest.raises(IndexError):
        aligner.word_pass(names, b"")  # pocketsphinx's binding rejects an empty buffer
    assert aligner.passes(names, pcm) == local.aligner.passes(names, pcm)
