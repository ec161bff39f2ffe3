"""Reading L2-Arctic-plus manifests, locating their audio, writing predictions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.errors import FormatError
from engine.manifest import (
    PREDICTION_FIELD,
    load_manifest,
    missing_audio,
    resolve_audio_path,
    write_predictions,
)

RECORD = {
    "audio_path": "wav/a.wav",
    "text": "Red lorry",
    "annotation_info": {"red": ["R, W, s", "EH", "D"], "lorry": ["L", "AO", "R", "IY"]},
    "mis_exp_sug": {
        "red": [{"issue": '"R" was replaced with "W"', "suggestion": "Curl the tongue"}]
    },
    "regeneration": False,
    "speaker": "TEST",
}


def _write(tmp_path: Path, data: object, name: str = "manifest.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_reads_records_with_paths_relative_to_the_manifest(tmp_path: Path) -> None:
    path = _write(tmp_path, [RECORD, {"audio_path": "b.wav", "text": "Hello"}])
    first, second = load_manifest(path)
    assert first.audio_path == tmp_path / "wav" / "a.wav"
    assert first.text == "Red lorry" and first.regeneration is False
    assert first.annotation_info["red"] == ["R, W, s", "EH", "D"]
    assert first.gold == RECORD["mis_exp_sug"]
    assert first.fields["speaker"] == "TEST"  # unknown fields are kept
    assert (second.index, second.mis_exp_sug, second.gold) == (1, None, {})


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ('{"text": "a"}', "a JSON list of records"),
        ('[{"audio_path": "a.wav", "text": "ok"}, 3]', "record 1: expected a JSON object"),
        (
            '[{"text": "no audio"}]',
            "record 0: field 'audio_path' must be a non-empty string (missing)",
        ),
        ('[{"audio_path": "a.wav", "text": "  "}]', "record 0: field 'text'"),
        ('[{"audio_path": 5, "text": "x"}]', "record 0: field 'audio_path'"),
        (
            '[{"audio_path": "a.wav", "text": "x", "mis_exp_sug": {"x": "bad"}}]',
            "record 0: field 'mis_exp_sug'",
        ),
        (
            '[{"audio_path": "a.wav", "text": "x", "annotation_info": {"x": "R"}}]',
            "record 0: field 'annotation_info'",
        ),
    ],
)
def test_malformed_manifests_name_the_record_and_field(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=re.escape(expected)):
        load_manifest(path)


def test_missing_or_binary_manifest_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not found"):
        load_manifest(tmp_path / "nope.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(FormatError, match="not UTF-8"):
        load_manifest(binary)


def test_audio_is_optional_when_not_required(tmp_path: Path) -> None:
    (record,) = load_manifest(_write(tmp_path, [{"text": "Hi"}]), require_audio=False)
    assert record.audio_path is None


RELEASE_PATH = "./data/L2-Arctic-plus/l2arctic_release_v5.0/EBVS/wav/arctic_a0500.wav"


def test_audio_root_maps_release_paths(tmp_path: Path) -> None:
    # Nothing exists yet: fall back to SPEAKER/wav/FILE under the root.
    root = tmp_path / "l2arctic"
    expected = root / "EBVS" / "wav" / "arctic_a0500.wav"
    assert resolve_audio_path(RELEASE_PATH, tmp_path, root) == expected
    # A root above the release folder: the longest suffix that exists wins.
    longer = tmp_path / "corpora" / "l2arctic_release_v5.0" / "EBVS" / "wav" / "arctic_a0500.wav"
    longer.parent.mkdir(parents=True)
    longer.write_bytes(b"")
    assert resolve_audio_path(RELEASE_PATH, tmp_path, tmp_path / "corpora") == longer
    # Without a root the path is relative to the manifest's folder.
    assert resolve_audio_path(RELEASE_PATH, tmp_path) == tmp_path / RELEASE_PATH


def test_missing_audio_report(tmp_path: Path) -> None:
    (tmp_path / "wav").mkdir()
    (tmp_path / "wav" / "a.wav").write_bytes(b"RIFF")
    records = load_manifest(
        _write(
            tmp_path,
            [
                RECORD,
                {"audio_path": "gone1.wav", "text": "x"},
                {"audio_path": "gone2.wav", "text": "y"},
            ],
        )
    )
    report = missing_audio(records)
    assert (report.total, report.count) == (3, 2)
    assert [r.index for r in report.missing] == [1, 2]
    assert (
        report.message(max_examples=1)
        == f"2 of 3 audio files are missing, e.g. {tmp_path / 'gone1.wav'}, ..."
    )
    assert missing_audio(records[:1]).message() == "All 1 audio files found."


def test_write_predictions_keeps_records_and_adds_predictions(tmp_path: Path) -> None:
    records = load_manifest(_write(tmp_path, [RECORD, {"audio_path": "b.wav", "text": "Hello"}]))
    prediction = {"lorry": [{"issue": "L to R", "suggestion": "Tongue tip up"}]}
    out = write_predictions(
        tmp_path / "out" / "pred.json", records, [prediction, None], errors={1: "boom"}
    )
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written[0] == {
        **RECORD,
        PREDICTION_FIELD: prediction,
    }  # same record, original audio_path
    assert written[1][PREDICTION_FIELD] is None and written[1]["saywell_error"] == "boom"
    assert [p.name for p in out.parent.iterdir()] == ["pred.json"]  # no temp file left


def test_write_predictions_never_leaves_a_half_written_file(tmp_path: Path) -> None:
    records = load_manifest(_write(tmp_path, [RECORD]))
    target = tmp_path / "pred.json"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(TypeError):
        write_predictions(
            target, records, [{"red": [{"issue": object()}]}]
        )  # not JSON-serialisable
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "pred.json"]
    with pytest.raises(ValueError):
        write_predictions(target, records, [])
