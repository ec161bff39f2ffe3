"""Training data: speaker split guard, missing-audio report, targets, L2-ARCTIC annotations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.feedback import feedback_dict_from_items, parse_feedback_lines
from training.annotations import normalise_phone_label, read_textgrid_annotation
from training.data import (
    GOLD,
    MissingAudioError,
    TrainingExample,
    assemble,
    gold_examples,
    utterance_key,
)
from training.speakers import SpeakerLeakError, check_no_test_speakers, l1_of, speaker_of

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "training_synth"


def test_speaker_from_release_and_rendering_paths():
    assert speaker_of("./data/L2-Arctic-plus/l2arctic_release_v5.0/EBVS/wav/arctic_a0500.wav") == "EBVS"
    assert speaker_of("piper/perceived/ABA_arctic_a0022.wav") == "ABA"
    assert speaker_of("take.wav") == "unknown"
    assert l1_of("TXHC") == "Mandarin"
    assert utterance_key("x/ABA_arctic_a0022.wav") == utterance_key("rel/ABA/wav/arctic_a0022.wav") == "ABA/arctic_a0022"


def test_split_guard_names_the_test_speakers():
    with pytest.raises(SpeakerLeakError) as err:
        check_no_test_speakers(["ABA", "NJS", "NJS", "TLV"])
    assert "NJS (2 items)" in str(err.value) and "TLV (1 items)" in str(err.value)
    check_no_test_speakers(["ABA", "BWC", "unknown"])


def _example(speaker: str, path: Path, key: str | None = None) -> TrainingExample:
    return TrainingExample(key or f"{speaker}/{path.stem}", path, "a b", "No Problem", speaker, GOLD)


def test_assemble_refuses_a_test_speaker_in_the_data():
    wav = FIXTURE / "wav" / "BWC_arctic_a0028.wav"
    with pytest.raises(SpeakerLeakError, match="ZHAA"):
        assemble([_example("BWC", wav), _example("ZHAA", wav, "ZHAA/x")])


def test_gold_targets_are_the_paper_lines_and_parse_back_to_gold():
    examples = gold_examples(FIXTURE / "manifest.json")
    records = json.loads((FIXTURE / "manifest.json").read_text())
    assert [e.speaker for e in examples] == ["BWC", "LXC", "HJK", "NCC", "ABA"]
    for example, record in zip(examples, records):
        assert example.audio_path.is_file()
        parsed = parse_feedback_lines(example.target)
        assert feedback_dict_from_items(parsed.items) == record["mis_exp_sug"]
        assert parsed.no_problem == (not record["mis_exp_sug"])
    two = examples[-1].target.splitlines()
    assert two[0].startswith("word: excuse issue:") and two[1].startswith("word: cried issue:")


def test_missing_and_unreadable_audio_are_reported_and_skipped_only_when_asked(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "d")
    (tmp_path / "d" / "wav" / "LXC_arctic_a0082.wav").unlink()
    (tmp_path / "d" / "wav" / "NCC_arctic_a0005.wav").write_bytes(b"not audio at all")
    examples = gold_examples(tmp_path / "d" / "manifest.json")
    with pytest.raises(MissingAudioError) as err:
        assemble(examples)
    message = str(err.value)
    assert "2 of 5 audio files are unusable" in message
    assert "1 missing" in message and "LXC_arctic_a0082.wav" in message
    assert "1 unreadable" in message and "NCC_arctic_a0005.wav" in message
    assert "allow_missing_audio" in message
    dataset = assemble(examples, allow_missing_audio=True)
    assert [e.speaker for e in dataset.train] == ["BWC", "HJK", "ABA"]
    assert dataset.card()["audio_unusable"] == 2


def test_dev_speakers_and_origins_split():
    examples = gold_examples(FIXTURE / "manifest.json")
    dataset = assemble(examples, dev_speakers=["hjk"])
    assert [e.speaker for e in dataset.dev] == ["HJK"]
    assert "HJK" not in {e.speaker for e in dataset.train}
    assert assemble(examples, origins=("annotation",)).train == ()
    assert assemble(examples, origins=("annotation",)).excluded_origins == {"gold": 5}


@pytest.mark.parametrize(
    "label, expected",
    [("AH0", "AH"), ("Z,S,s", "Z, S, s"), ("sil,AH0,a", "sil, AH, a"), ("T,sil,d", "T, sil, d"),
     ("R,R*,s", "R, R*, s"), ("ER0, err, s", "ER, err, s"), ("DH,D,S", "DH, D, s")],
)
def test_phone_labels_take_the_l2_arctic_plus_form(label, expected):
    assert normalise_phone_label(label) == expected


def _interval_tier(name: str, intervals: list[tuple[float, float, str]]) -> str:
    rows = "".join(
        f'        intervals [{i}]:\n            xmin = {s}\n            xmax = {e}\n            text = "{t}"\n'
        for i, (s, e, t) in enumerate(intervals, 1)
    )
    return (f'    item []:\n        class = "IntervalTier"\n        name = "{name}"\n        xmin = 0\n'
            f'        xmax = 2.0\n        intervals: size = {len(intervals)}\n{rows}')


def write_textgrid(path: Path, words, phones) -> Path:
    body = _interval_tier("words", words) + _interval_tier("phones", phones)
    path.write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2.0\n'
                    f"tiers? <exists>\nsize = 2\nitem []:\n{body}", encoding="utf-8")
    return path


def test_textgrid_annotation_becomes_annotation_info(tmp_path):
    grid = write_textgrid(
        tmp_path / "arctic_a0001.TextGrid",
        words=[(0, 0.2, ""), (0.2, 0.6, "THE"), (0.6, 1.2, "red"), (1.2, 1.3, ""), (1.3, 1.8, "dog"), (1.8, 2.0, "")],
        phones=[(0, 0.2, "sil"), (0.2, 0.4, "DH,D,s"), (0.4, 0.6, "AH0"), (0.6, 0.8, "R,W,s"), (0.8, 1.0, "EH1"),
                (1.0, 1.2, "D"), (1.2, 1.3, "sil,AH0,a"), (1.3, 1.5, "D"), (1.5, 1.7, "AO1"), (1.7, 1.8, "G,sil,d"),
                (1.8, 2.0, "sil")],
    )
    words, info = read_textgrid_annotation(grid)
    assert words == ["THE", "red", "dog"]
    assert info == {
        "the": ["DH, D, s", "AH"],
        "red": ["R, W, s", "EH", "D", "sil, AH, a"],  # the insertion between words goes to the word before
        "dog": ["D", "AO", "G, sil, d"],
    }


def _release(tmp_path: Path) -> Path:
    """A fake L2-ARCTIC release: ABA (training) with two annotated utterances, NJS (test) with one."""
    root = tmp_path / "l2arctic"
    words = [(0, 0.2, ""), (0.2, 0.6, "the"), (0.6, 1.2, "red"), (1.2, 1.3, ""), (1.3, 1.8, "dog"), (1.8, 2.0, "")]
    errors = [(0.2, 0.4, "DH,D,s"), (0.4, 0.6, "AH0"), (0.6, 0.8, "R"), (0.8, 1.0, "EH1"), (1.0, 1.2, "D"),
              (1.3, 1.5, "D"), (1.5, 1.7, "AO1"), (1.7, 1.8, "G,sil,d")]
    clean = [(s, e, label.split(",")[0]) for s, e, label in errors]
    for speaker, utt, phones in (("ABA", "arctic_a0001", errors), ("ABA", "arctic_a0002", clean),
                                 ("ABA", "arctic_a0022", errors), ("NJS", "arctic_a0001", errors)):
        for sub in ("annotation", "transcript", "wav"):
            (root / speaker / sub).mkdir(parents=True, exist_ok=True)
        write_textgrid(root / speaker / "annotation" / f"{utt}.TextGrid", words, phones)
        (root / speaker / "transcript" / f"{utt}.txt").write_text("The red dog\n")
        shutil.copy(FIXTURE / "wav" / "BWC_arctic_a0028.wav", root / speaker / "wav" / f"{utt}.wav")
    return root


def test_annotated_utterances_become_composer_targets(tmp_path):
    from training.annotations import annotation_examples

    examples = annotation_examples(_release(tmp_path), exclude_keys={"ABA/arctic_a0022"})
    assert [e.key for e in examples] == ["ABA/arctic_a0001", "ABA/arctic_a0002"]  # NJS never read, a0022 has gold
    flagged, clean = examples
    assert (flagged.origin, flagged.speaker, flagged.text) == ("annotation", "ABA", "The red dog")
    assert flagged.audio_path.name == "arctic_a0001.wav" and flagged.audio_path.parent.parent.name == "ABA"
    items = parse_feedback_lines(flagged.target).items
    assert [i.word for i in items] == ["the", "dog"]  # sentence order, one line per error
    assert "DH" in items[0].issue + items[0].suggestion and "G" in items[1].issue + items[1].suggestion
    assert all(i.suggestion for i in items)
    assert "(ð)" not in flagged.target  # the gold (brief) wording, not the app's IPA-rich one
    assert clean.target == "No Problem"


def test_build_dataset_adds_annotation_examples_with_their_origin(tmp_path):
    from training.config import load_config
    from training.data import build_dataset

    root = _release(tmp_path)
    records = json.loads((FIXTURE / "manifest.json").read_text())
    records[4]["audio_path"] = str(FIXTURE / "wav" / "ABA_arctic_a0067.wav")
    for r in records[:4]:
        r["audio_path"] = str(FIXTURE / r["audio_path"])
    records.append(dict(records[0], audio_path=str(root / "ABA" / "wav" / "arctic_a0022.wav")))
    (tmp_path / "train.json").write_text(json.dumps(records))
    config = load_config(None, {"data.train_manifest": str(tmp_path / "train.json"), "data.annotation_root": str(root)})
    card = build_dataset(config).card()
    assert card["by_origin"] == {"annotation": 2, "gold": 6}  # ABA/arctic_a0022 keeps its written feedback
    gold_only = build_dataset(load_config(None, {"data.train_manifest": str(tmp_path / "train.json"),
                                                 "data.annotation_root": str(root), "data.origins": "gold"}))
    assert gold_only.card()["by_origin"] == {"gold": 6}
