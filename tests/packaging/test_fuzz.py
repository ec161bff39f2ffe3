"""Bad input never crashes SayWell: fuzzing the CLI with broken audio, text and documents.

Every case must end with a documented exit code (never 1, "internal error", which means a
bug) and, on failure, exactly one ``saywell: error: ...`` line: never a traceback. No case may
leave a file behind in its folder (no half-written predictions, no temporary files).

In-process through ``engine.cli.main`` (fast, with one real CPU analyzer shared by all cases)
plus a few subprocess runs of ``python -m engine.cli``. Examples are bounded and
derandomized so the run is reproducible and stays well under a minute.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analyzers import registry
from engine.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE_WAV = REPO / "resources" / "samples" / "sample.wav"
SAMPLE_TEXT = json.loads((REPO / "resources" / "samples" / "sample.json").read_text())["text"]
#: The CLI's documented exit codes, less 1 (internal error: a bug) and 130 (Ctrl-C).
DOCUMENTED = {0, 2, 3, 4, 5, 6, 7}
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def shared_sphinx() -> Iterator[None]:
    """One real CPU analyzer for the whole module (building one per case would dominate)."""
    analyzer = registry.create_analyzer("sphinx")
    saved = registry._FACTORIES["sphinx"]
    registry._FACTORIES["sphinx"] = lambda **_options: analyzer
    yield
    registry._FACTORIES["sphinx"] = saved


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(SAMPLE_WAV), dtype="float32")
    return data, rate


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_outcome(code: int, out: str, err: str, allowed: set[int] = DOCUMENTED) -> None:
    """Documented exit code; a failure says so in exactly one line; never a traceback."""
    assert code in allowed, f"exit {code}; stderr: {err!r}"
    assert "Traceback" not in out + err
    if code != 0:
        lines = [line for line in err.splitlines() if line.startswith("saywell: error:")]
        assert len(lines) == 1, f"expected one error line, got: {err!r}"
        assert len(lines[0]) > len("saywell: error: ") + 10, "the message says nothing"


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def analyze(path: Path, text: str, capsys: pytest.CaptureFixture[str],
            allowed: set[int] = DOCUMENTED) -> int:
    before = files_in(path.parent)
    code, out, err = run_cli(["analyze", str(path), "--text", text], capsys)
    assert_clean_outcome(code, out, err, allowed)
    assert files_in(path.parent) == before, "the CLI left files behind"
    return code


def wav_bytes(data: np.ndarray, rate: int, fmt: str = "WAV", subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def with_header_rate(wav: bytes, rate_hz: int) -> bytes:
    """A canonical PCM-16 mono wav with its header's sample rate (and byte rate) rewritten."""
    assert wav[12:16] == b"fmt ", "expected the fmt chunk first"
    return wav[:24] + struct.pack("<II", rate_hz, rate_hz * 2) + wav[32:]


# --- random and truncated files ---------------------------------------------------------

@FUZZ
@given(blob=st.binary(max_size=4096), suffix=st.sampled_from([".wav", ".flac", ".ogg", ".mp3",
                                                               ".txt", ""]))
def test_random_bytes_are_rejected_as_audio(blob, suffix, tmp_path, capsys):
    path = tmp_path / f"take{suffix}"
    path.write_bytes(blob)
    analyze(path, "hello world", capsys, allowed={3})


@pytest.fixture(scope="module")
def encoded(speech) -> dict[str, bytes]:
    data, rate = speech
    return {".wav": wav_bytes(data, rate), ".flac": wav_bytes(data, rate, "FLAC"),
            ".ogg": wav_bytes(data, rate, "OGG", "VORBIS")}


@settings(FUZZ, max_examples=10)
@given(suffix=st.sampled_from([".wav", ".flac", ".ogg"]), keep=st.floats(0.0, 0.98))
def test_truncated_files_fail_cleanly_or_analyse_what_is_left(
        suffix, keep, encoded, shared_sphinx, tmp_path, capsys):
    blob = encoded[suffix]
    path = tmp_path / f"truncated{suffix}"
    path.write_bytes(blob[: int(len(blob) * keep)])
    analyze(path, SAMPLE_TEXT, capsys)


@settings(FUZZ, max_examples=8)
@given(offset=st.integers(0, 200), noise=st.binary(min_size=1, max_size=64))
def test_corrupted_headers_fail_cleanly(offset, noise, encoded, shared_sphinx, tmp_path, capsys):
    blob = bytearray(encoded[".wav"])
    blob[offset:offset + len(noise)] = noise
    path = tmp_path / "corrupt.wav"
    path.write_bytes(bytes(blob))
    analyze(path, SAMPLE_TEXT, capsys)


# --- sample rates, lengths and levels ------------------------------------------------------

@pytest.mark.parametrize("rate_hz", [8_000, 192_000, 384_000])
def test_supported_extreme_rates_are_analysed(rate_hz, speech, shared_sphinx, tmp_path, capsys):
    import soxr

    data, rate = speech
    path = tmp_path / f"take_{rate_hz}.wav"
    sf.write(path, soxr.resample(data, rate, rate_hz), rate_hz)
    assert analyze(path, SAMPLE_TEXT, capsys, allowed={0}) == 0


@pytest.mark.parametrize(("rate_hz", "frames"), [(1, 40), (999, 16_000), (768_000, 16_000)])
def test_unsupported_rates_name_the_accepted_range(rate_hz, frames, speech, tmp_path, capsys):
    path = tmp_path / f"take_{rate_hz}.wav"
    path.write_bytes(with_header_rate(wav_bytes(speech[0][8000:8000 + frames], 16_000), rate_hz))
    code, out, err = run_cli(["analyze", str(path), "--text", "hello"], capsys)
    assert_clean_outcome(code, out, err, allowed={3})
    assert "Hz" in err


def test_a_one_hertz_header_on_a_long_file_is_rejected(speech, tmp_path, capsys):
    path = tmp_path / "take_1hz.wav"  # 16000 frames at "1 Hz": four and a half hours
    path.write_bytes(with_header_rate(wav_bytes(speech[0][:16000], 16_000), 1))
    code, out, err = run_cli(["analyze", str(path), "--text", "hello"], capsys)
    assert_clean_outcome(code, out, err, allowed={3})


def _signal(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    n = 16_000 * 2
    t = np.arange(n) / 16_000
    return {
        "zero-length": (np.zeros(0, np.float32), 16_000),
        "one-sample": (np.full(1, 0.5, np.float32), 16_000),
        "too-short": (0.3 * np.sin(2 * np.pi * 220 * t[:4000]), 16_000),
        "too-long": (0.1 * rng.standard_normal(16_000 * 61), 16_000),
        "silence": (np.zeros(n), 16_000),
        "dc-offset": (np.full(n, 0.7), 16_000),
        "square-wave-clipping": (np.sign(np.sin(2 * np.pi * 150 * t)), 16_000),
        "white-noise": (0.5 * rng.standard_normal(n).clip(-1, 1), 16_000),
        "barely-audible": (0.004 * np.sin(2 * np.pi * 300 * t), 16_000),
        "single-click": (np.pad([1.0], (n // 2, n // 2)), 16_000),
        "six-channels": (0.3 * rng.standard_normal((n, 6)).clip(-1, 1), 48_000),
    }[kind]


@pytest.mark.parametrize("kind", ["zero-length", "one-sample", "too-short", "too-long",
                                  "silence", "dc-offset", "square-wave-clipping", "white-noise",
                                  "barely-audible", "single-click", "six-channels"])
def test_degenerate_signals_end_cleanly(kind, shared_sphinx, tmp_path, capsys):
    data, rate = _signal(kind, np.random.default_rng(7))
    path = tmp_path / f"{kind}.wav"
    path.write_bytes(wav_bytes(np.asarray(data, np.float32), rate))
    code = analyze(path, "hello world", capsys)
    if kind in {"zero-length", "one-sample", "too-short", "too-long", "silence"}:
        assert code == 3


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "DOUBLE", "ULAW"])
def test_sample_formats_are_accepted(subtype, speech, shared_sphinx, tmp_path, capsys):
    data, rate = speech
    path = tmp_path / f"take_{subtype}.wav"
    sf.write(path, data, rate, subtype=subtype)
    assert analyze(path, SAMPLE_TEXT, capsys, allowed={0}) == 0


def test_out_of_range_float_samples_end_cleanly(speech, shared_sphinx, tmp_path, capsys):
    data, rate = speech
    path = tmp_path / "loud_float.wav"
    sf.write(path, data * 1e30, rate, subtype="FLOAT")  # finite, far outside [-1, 1]
    analyze(path, SAMPLE_TEXT, capsys)


# --- sentences -----------------------------------------------------------------------------

SENTENCES = {
    "empty": "",
    "blank": " \t\n ",
    "punctuation-only": "?!... --- ;;",
    "symbols": "@#$% ^&* <> {} [] ~`|\\",
    "unknown-words": "Zxqv blorftastic quizzlewump",
    "numbers": "In 1999 I paid $3.50 for 2 1/2 apples on the 4th",
    "non-ascii": "Café naïve façade — “quoted” Straße",
    "other-scripts": "日本語 русский العربية हिन्दी",
    "emoji": "I 💙 pronunciation 🎤",
    "combining-and-zero-width": "re\u0301sume\u0301 zero\u200bwidth \ufeffbom",
    "very-long": " ".join(["pronunciation"] * 400),
    "one-letter": "a",
}


@pytest.mark.parametrize("name", list(SENTENCES))
def test_awkward_sentences_end_cleanly(name, shared_sphinx, tmp_path, capsys):
    path = tmp_path / "take.wav"
    path.write_bytes(SAMPLE_WAV.read_bytes())
    code = analyze(path, SENTENCES[name], capsys)
    if name in {"empty", "blank", "punctuation-only"}:
        assert code == 4


@settings(FUZZ, max_examples=8)
@given(text=st.text(max_size=120))
def test_random_unicode_sentences_end_cleanly(text, shared_sphinx, tmp_path, capsys):
    path = tmp_path / "take.wav"
    if not path.exists():
        path.write_bytes(SAMPLE_WAV.read_bytes())
    analyze(path, text, capsys)


# --- documents: explain and eval -------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=20,
)


@FUZZ
@given(document=JSON_VALUES)
def test_explain_on_random_json_ends_cleanly(document, tmp_path, capsys):
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run_cli(["explain", str(path)], capsys)
    assert_clean_outcome(code, out, err, allowed={0, 5})


@FUZZ
@given(blob=st.binary(max_size=512))
def test_explain_on_random_bytes_ends_cleanly(blob, tmp_path, capsys):
    path = tmp_path / "annotations.json"
    path.write_bytes(blob)
    code, out, err = run_cli(["explain", str(path)], capsys)
    assert_clean_outcome(code, out, err, allowed={0, 5})


def _eval_case(tmp_path: Path, manifest: object, audio: bytes | None) -> Path:
    folder = tmp_path / "eval"
    folder.mkdir()
    if audio is not None:
        (folder / "take.wav").write_bytes(audio)
    path = folder / "manifest.json"
    path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest), "utf-8")
    return folder


EVAL_CASES = {
    "not-json": ("{this is not json", None, 5),
    "wrong-shape": ({"records": 3}, None, 5),
    "empty-list": ([], None, 5),
    "missing-text": ([{"audio_path": "take.wav"}], b"", 5),
    "path-outside": ([{"audio_path": "../../etc/passwd", "text": "hello"}], None, None),
    "every-record-fails": ([{"audio_path": "take.wav", "text": "hello world"}],
                           b"RIFF not really a wav", 6),
}


@pytest.mark.parametrize("name", list(EVAL_CASES))
def test_failed_eval_leaves_no_partial_files(name, shared_sphinx, tmp_path, capsys):
    manifest, audio, expected = EVAL_CASES[name]
    folder = _eval_case(tmp_path, manifest, audio)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run_cli(["eval", str(folder / "manifest.json"), "--out",
                              str(out_dir / "pred.json"), "--metrics-json",
                              str(out_dir / "metrics.json"), "--no-progress"], capsys)
    assert_clean_outcome(code, out, err)
    assert code != 0
    if expected is not None:
        assert code == expected
    assert files_in(out_dir) == set(), "a failed eval left files behind"


# --- the real process ------------------------------------------------------------------------

SUBPROCESS_CASES = {
    "garbage-file": (b"\x00\x01garbage" * 50, "hello", 3),
    "empty-file": (b"", "hello", 3),
    "empty-sentence": (None, "", 4),
}


@pytest.mark.parametrize("name", list(SUBPROCESS_CASES))
def test_cli_process_prints_one_line_and_no_traceback(name, tmp_path):
    blob, text, expected = SUBPROCESS_CASES[name]
    path = tmp_path / "take.wav"
    path.write_bytes(SAMPLE_WAV.read_bytes() if blob is None else blob)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(path),
                           "--text", text], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == expected, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("saywell: error:")
    assert files_in(tmp_path) == {"take.wav"}
