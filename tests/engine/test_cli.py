"""The ``saywell`` CLI: exit codes, outputs, eval metrics, with a fake analyzer injected."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.analyzers import registry
from engine.audio import SAMPLE_RATE_HZ, AudioClip
from engine.cli import main
from engine.errors import AnalyzerError
from engine.feedback import Assessment, FeedbackItem, assessment_from_items, parse_feedback_lines

DATA = Path(__file__).resolve().parent.parent / "data"
REPO = Path(__file__).resolve().parents[2]


def fb(*triples: tuple[str, str, str]) -> dict:
    result: dict = {}
    for word, issue, suggestion in triples:
        result.setdefault(word, []).append({"issue": issue, "suggestion": suggestion})
    return result


#: What the fake analyzer "hears", by sentence (the eval numbers below are worked out from it).
FAKE_OUTPUT = {
    "The cat sat on the mat": [
        FeedbackItem("mat", "T dropped", "stop"),
        FeedbackItem("on", "AA to AO", "round"),
        FeedbackItem("dog", "x", "y"),  # not in the sentence: an extra word
    ],
}


class FakeAnalyzer:
    name = "fake"

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on

    def analyze(self, clip: AudioClip, text: str, **_: object) -> Assessment:
        if self.fail_on and self.fail_on in text:
            raise AnalyzerError(f"fake failure on {text!r}")
        items = FAKE_OUTPUT.get(text, [])
        result = assessment_from_items(text.lower().split(), items, text=text, engine=self.name)
        return result.with_notes("fake note")


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._FACTORIES, "fake", lambda **kw: FakeAnalyzer(**kw))
    monkeypatch.setitem(registry._FACTORIES, "fakefail", lambda **kw: FakeAnalyzer(fail_on=" "))


def tone(path: Path, seconds: float = 1.0, amplitude: float = 0.3) -> Path:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    sf.write(path, amplitude * np.sin(2 * np.pi * 220 * t), SAMPLE_RATE_HZ)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- exit codes -------------------------------------------------------------------


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("saywell 0.")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "exit codes:" in out and "130" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "analyze", "x.wav")[0] == 2  # no --text
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "analyze", "x.wav", "--text", "hi", "--engine", "nope")[0] == 2
    code, _, err = run(capsys, "eval", "m.json", "--out", "p.json", "--limit", "0")
    assert code == 2 and "must be 1 or more" in err


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.wav", "not found"),
        (lambda d: (d / "notes.wav").write_text("not audio") and d / "notes.wav", "Cannot read"),
        (lambda d: tone(d / "short.wav", seconds=0.1), "at least"),
        (lambda d: tone(d / "silent.wav", amplitude=0.0), "silent"),
        (lambda d: tone(d / "long.wav", seconds=3.0), "longest accepted"),
    ],
)
def test_bad_audio_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None, make, expected: str
) -> None:
    audio = make(tmp_path)
    code, out, err = run(
        capsys, "analyze", str(audio), "--text", "hi", "--engine", "fake", "--max-seconds", "2"
    )
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and err.startswith("saywell: error: ") and expected in err
    assert "Traceback" not in err


def test_empty_text_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    code, _, err = run(
        capsys, "analyze", str(tone(tmp_path / "a.wav")), "--text", "  ", "--engine", "fake"
    )
    assert code == 4 and "sentence is empty" in err


def test_analyzer_failure_exits_6_and_debug_shows_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    audio = str(tone(tmp_path / "a.wav"))
    code, _, err = run(capsys, "analyze", audio, "--text", "a b", "--engine", "fakefail")
    assert code == 6 and "fake failure" in err and "Traceback" not in err
    code, _, err = run(capsys, "--debug", "analyze", audio, "--text", "a b", "--engine", "fakefail")
    assert code == 6 and "Traceback" in err


def test_missing_alm_backend_is_a_model_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a machine without the alm extra: the import of the backend fails.
    monkeypatch.setitem(sys.modules, "engine.analyzers.alm", None)
    code, _, err = run(
        capsys, "analyze", str(tone(tmp_path / "a.wav")), "--text", "hi", "--engine", "alm"
    )
    assert code == 7 and ".[alm]" in err and "--model-dir" in err


def test_missing_alm_in_a_frozen_build_points_to_the_alm_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PyInstaller CPU bundle cannot pip install: it must not suggest it.
    monkeypatch.setitem(sys.modules, "engine.analyzers.alm", None)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    code, _, err = run(
        capsys, "analyze", str(tone(tmp_path / "a.wav")), "--text", "hi", "--engine", "alm"
    )
    assert code == 7 and "SayWell-ALM build" in err and "pip install" not in err


def test_unknown_engine_in_the_registry_lists_valid_names() -> None:
    from engine.errors import ModelError

    with pytest.raises(ModelError, match="choose one of: sphinx, alm"):
        registry.create_analyzer("nope")


def test_ctrl_c_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(**_: object) -> FakeAnalyzer:
        raise KeyboardInterrupt

    monkeypatch.setitem(registry._FACTORIES, "fake", interrupted)
    code, _, err = run(
        capsys, "analyze", str(tone(tmp_path / "a.wav")), "--text", "hi", "--engine", "fake"
    )
    assert code == 130 and "interrupted" in err


# -- analyze ------------------------------------------------------------------------


def test_analyze_readable_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    audio = str(tone(tmp_path / "a.wav"))
    code, out, err = run(
        capsys, "analyze", audio, "--text", "The cat sat on the mat", "--engine", "fake"
    )
    assert code == 0 and err == ""
    assert (
        "2 flagged" in out
        and "'mat' (word 6" in out
        and "  - T dropped" in out
        and "Try: stop" in out
    )
    assert "Note: fake note" in out and "dog" in out  # extra words are said, not hidden
    code, out, _ = run(capsys, "analyze", audio, "--text", "Hello there", "--engine", "fake")
    assert code == 0 and "No problems found." in out


def test_analyze_json_round_trips_and_carries_clip_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    audio = str(tone(tmp_path / "quiet.wav", amplitude=0.005))  # -49 dBFS RMS: "very quiet"
    code, out, _ = run(
        capsys, "analyze", audio, "--text", "The cat sat on the mat", "--engine", "fake", "--json"
    )
    assert code == 0
    assessment = Assessment.from_json(out)
    assert [w.text for w in assessment.flagged_words] == ["on", "mat"]
    assert any("very quiet" in note for note in assessment.notes)


# -- explain -------------------------------------------------------------------------


def test_explain_annotations_to_feedback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = DATA / "cli_annotations.json"  # two L2-Arctic-plus train records
    code, out, _ = run(capsys, "explain", str(fixture))
    assert code == 0
    feedback = json.loads(out)
    assert isinstance(feedback, list) and len(feedback) == 2
    assert list(feedback[0]) == ["forget"] and feedback[1] == {}  # "EH, AE, s" in forget; no error
    (item,) = feedback[0]["forget"]
    assert '"EH"' in item["issue"] and '"AE"' in item["issue"] and item["suggestion"]
    # One record in, one dict out; --lines gives the paper's text, parsed back by the shared parser.
    single = tmp_path / "one.json"
    single.write_text(
        json.dumps(json.loads(fixture.read_text(encoding="utf-8"))[0]), encoding="utf-8"
    )
    code, out, _ = run(capsys, "explain", str(single))
    assert code == 0 and json.loads(out) == feedback[0]
    code, out, _ = run(capsys, "explain", str(fixture), "--lines")
    first, second = out.strip().split("\n\n")
    parsed = parse_feedback_lines(first)
    assert [i.word for i in parsed.items] == ["forget"] and parsed.items[0].issue == item["issue"]
    assert parse_feedback_lines(second).no_problem


def test_explain_rejects_malformed_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"text": "hi"', encoding="utf-8")
    code, _, err = run(capsys, "explain", str(bad))
    assert code == 5 and "not valid JSON" in err
    bad.write_text('[{"text": "hi"}]', encoding="utf-8")
    code, _, err = run(capsys, "explain", str(bad))
    assert code == 5 and "'annotation_info' is required" in err
    bad.write_text('[{"text": "red", "annotation_info": {"red": ["QQ, W, s"]}}]', encoding="utf-8")
    code, _, err = run(capsys, "explain", str(bad))
    assert code == 5 and "record 0: annotation_info['red']: 'QQ'" in err
    bad.write_text("[]", encoding="utf-8")
    assert run(capsys, "explain", str(bad))[0] == 5


# -- eval -------------------------------------------------------------------------------


def _manifest(folder: Path, extra: list[dict] | None = None) -> Path:
    tone(folder / "u1.wav")
    tone(folder / "u2.wav")
    records = [
        {
            "audio_path": "u1.wav",
            "text": "The cat sat on the mat",
            "mis_exp_sug": fb(("cat", "AE to EH", "open"), ("mat", "T dropped", "stop")),
            "speaker": "kept",
        },
        {
            "audio_path": "u2.wav",
            "text": "red lorry red lorry",
            "mis_exp_sug": fb(("red", "R to W", "curl tongue")),
        },
        *(extra or []),
    ]
    path = folder / "manifest.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_eval_writes_predictions_and_prints_hand_computed_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    manifest = _manifest(tmp_path)
    out_path, metrics_path = tmp_path / "pred.json", tmp_path / "metrics.json"
    code, out, _ = run(
        capsys, "eval", str(manifest), "--out", str(out_path), "--engine", "fake",
        "--metrics-json", str(metrics_path), "--no-progress",
    )  # fmt: skip
    assert code == 0
    # Detection: U1 TP {mat}, FP {on, dog}, FN {cat}; U2 FN {red} -> P = R = F1 = 1/3.
    # EWR: 1 extra of 3 predicted words; script: 1 over 5 + 2 sentence word types = 14.3.
    # BLEU-2, U1: pred "on:AA to AO round mat:T dropped stop" vs gold "cat:AE to EH open mat:T
    # dropped stop": 4/7 unigrams, 2/6 bigrams, equal lengths -> sqrt(4/21); U2 0 -> mean 21.8.
    # ROUGE-L, U1: LCS "to mat t drop stop" = 5 of 9 tokens each side -> 5/9; U2 0 -> mean 27.8.
    assert "| fake | 2 | 33.3 | 33.3 | 33.3 | 33.3 | 14.3 | 21.8 | 27.8 |" in out
    assert "TP 1, FP 2, FN 2, extra words 1; flagged 3 of 7 word types (42.9%)" in out
    written = json.loads(out_path.read_text(encoding="utf-8"))
    assert written[0]["speaker"] == "kept" and written[0]["audio_path"] == "u1.wav"
    assert list(written[0]["speculative_mispronunciations"]) == ["on", "mat", "dog"]
    assert written[1]["speculative_mispronunciations"] == {}
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert metrics["engine"] == "fake" and metrics["bleu2"] == pytest.approx((4 / 21) ** 0.5 / 2)


def test_eval_counts_failed_records_and_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    manifest = _manifest(tmp_path, [{"audio_path": "gone.wav", "text": "lost", "mis_exp_sug": {}}])
    out_path = tmp_path / "pred.json"
    code, out, err = run(capsys, "eval", str(manifest), "--out", str(out_path), "--engine", "fake")
    assert code == 0
    assert (
        "1 of 3 audio files are missing" in err and "record 2 failed: Audio file not found" in err
    )
    assert "2 records scored, 1 failed" in out and "| fake | 2 | 33.3 |" in out
    written = json.loads(out_path.read_text(encoding="utf-8"))
    assert (
        written[2]["speculative_mispronunciations"] is None
        and "not found" in written[2]["saywell_error"]
    )
    code, out, _ = run(
        capsys, "eval", str(manifest), "--out", str(out_path), "--engine", "fake", "--limit", "1"
    )
    assert code == 0 and "| fake | 1 | 33.3 | 50.0 | 40.0 |" in out  # U1 only: P 1/3, R 1/2
    assert len(json.loads(out_path.read_text(encoding="utf-8"))) == 1


def test_eval_all_failed_exits_6_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    out_path = tmp_path / "pred.json"
    code, _, err = run(
        capsys, "eval", str(_manifest(tmp_path)), "--out", str(out_path), "--engine", "fakefail"
    )
    assert code == 6 and "All 2 records failed" in err.splitlines()[-1]
    assert not out_path.exists()


def test_eval_without_any_audio_exits_3_before_loading_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(**_: object) -> FakeAnalyzer:
        raise AssertionError("the engine must not be loaded")

    monkeypatch.setitem(registry._FACTORIES, "fake", no_engine)
    manifest = tmp_path / "m.json"
    release = "./data/L2-Arctic-plus/l2arctic_release_v5.0/EBVS/wav/arctic_a0500.wav"
    manifest.write_text(json.dumps([{"audio_path": release, "text": "hi"}]), encoding="utf-8")
    argv = ["eval", str(manifest), "--out", str(tmp_path / "p.json"), "--engine", "fake"]
    code, _, err = run(capsys, *argv, "--audio-root", str(tmp_path / "l2arctic"))
    assert code == 3 and "1 of 1 audio files are missing" in err and "--audio-root" in err
    assert str(tmp_path / "l2arctic" / "EBVS" / "wav" / "arctic_a0500.wav") in err


def test_eval_malformed_manifest_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_engine: None
) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('[{"audio_path": "a.wav"}]', encoding="utf-8")
    code, _, err = run(
        capsys, "eval", str(manifest), "--out", str(tmp_path / "p.json"), "--engine", "fake"
    )
    assert code == 5 and "record 0: field 'text'" in err
    assert (
        run(capsys, "eval", str(tmp_path / "none.json"), "--out", "p.json", "--engine", "fake")[0]
        == 5
    )


# -- process level ------------------------------------------------------------------------


def test_cli_start_up_imports_neither_torch_nor_qt() -> None:
    code = (
        "import sys, engine.cli; engine.cli.build_parser(); "
        "bad = [m for m in ('torch', 'PySide6', 'transformers') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_python_dash_m_engine_exit_codes(tmp_path: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-m", "engine", "--version"],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert version.returncode == 0 and version.stdout.startswith("saywell ")
    missing = subprocess.run(
        [sys.executable, "-m", "engine", "analyze", str(tmp_path / "x.wav"), "--text", "hi"],
        check=False, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert missing.returncode == 3 and missing.stderr.startswith(
        "saywell: error: Audio file not found"
    )


# -- the real CPU engine ------------------------------------------------------------------

SAMPLE_DIR = REPO / "resources" / "samples"


def test_real_sphinx_analyze_and_eval_on_the_bundled_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bundled take has a planted R->L in "regret" (see resources/samples/sample.json).
    record = json.loads((SAMPLE_DIR / "sample.json").read_text(encoding="utf-8"))
    audio = str(SAMPLE_DIR / record["audio_path"])
    code, out, err = run(capsys, "analyze", audio, "--text", record["text"])
    assert code == 0, err
    assert "engine sphinx" in out and "'regret' (word 2" in out
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{**record, "audio_path": audio}]), encoding="utf-8")
    code, out, err = run(capsys, "eval", str(manifest), "--out", str(tmp_path / "p.json"))
    assert code == 0, err
    prediction = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))[0]
    assert "regret" in prediction["speculative_mispronunciations"]
    assert "| sphinx | 1 |" in out and "0 failed" in out


def test_reader_leaving_early_is_not_an_error(tmp_path: Path) -> None:
    # ~300 KB of output: far more than a pipe buffer, so the write fails once we stop reading.
    records = json.loads((DATA / "cli_annotations.json").read_text(encoding="utf-8"))[:1] * 600
    big = tmp_path / "big.json"
    big.write_text(json.dumps(records), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "explain", str(big)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"["
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == b""
