"""The evaluation driver and its outputs, on the training fixture with a fake backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import AnalyzerError
from training.evaluate import Prediction, item_from_record, ordered, run_backend, summarise
from training.report import markdown_report, write_outputs

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "training_synth"
ITEM = {"issue": "x", "suggestion": "y"}


def _items():
    records = json.loads((FIXTURE / "manifest.json").read_text())
    return ordered(item_from_record(r["audio_path"], FIXTURE / r["audio_path"], r) for r in records)


class FakeBackend:
    """Answers from a table keyed by sentence; raises for sentences marked 'fail'."""

    name = "fake"

    def __init__(self, answers):
        self.answers = answers
        self.seen = []

    def predict(self, clip, text):
        self.seen.append(text)
        answer = self.answers[text]
        if answer == "fail":
            raise AnalyzerError("alignment failed")
        return Prediction(answer, raw_text="raw")


ANSWERS = {
    "Robbery bribery fraud": {"fraud": [ITEM]},  # gold {}: one false alarm
    "His face was streaming with blood": {"blood": [ITEM]},  # hit (deletion)
    "She turned in at the hotel": {},  # miss "the" (substitution)
    "Will we ever forget it": {"will": [ITEM], "banana": [ITEM]},  # hit + extra word
    "Surely I will excuse you she cried": {"excuse": [ITEM]},  # hit insertion, miss "cried"
}


def test_scores_breakdowns_and_order_by_hand():
    items = _items()
    backend = FakeBackend(ANSWERS)
    result = summarise("fake", "manifest.json", run_backend(backend, items))
    # TP: blood, will, excuse; FP: fraud, banana; FN: the, cried.
    counts = result.overall.counts
    assert (counts.tp, counts.fp, counts.fn) == (3, 2, 2)
    assert result.overall.precision == pytest.approx(3 / 5)
    assert result.overall.recall == pytest.approx(3 / 5)
    assert result.overall.ewr == pytest.approx(1 / 5)  # banana of 5 predicted words
    assert [i.key for i in items] == sorted(i.key for i in items)
    assert backend.seen == [i.text for i in items]
    assert set(result.by_l1) == {"Arabic", "Korean", "Mandarin"}
    assert result.by_speaker["BWC"].counts.fp == 1 and result.by_speaker["HJK"].counts.fn == 1
    assert result.by_l1["Mandarin"].counts.tp == 2  # LXC blood + NCC will
    rows = {r.error_type: (r.gold_words, r.flagged) for r in result.by_error_type}
    assert rows == {"substitution": (3, 1), "deletion": (1, 1), "insertion": (1, 1)}


def test_outputs_hold_every_prediction_and_the_tables(tmp_path):
    items = _items()
    result = summarise("fake", "manifest.json", run_backend(FakeBackend(ANSWERS), items))
    json_path, md_path = write_outputs(result, tmp_path / "out", command="python -m training evaluate ...")
    data = json.loads(json_path.read_text())
    assert [p["audio_path"] for p in data["predictions"]] == [i.key for i in items]
    will = next(p for p in data["predictions"] if p["text"] == "Will we ever forget it")
    assert will["speculative_mispronunciations"] == ANSWERS["Will we ever forget it"]
    assert (will["tp"], will["fp"], will["extra_words"]) == (1, 1, 1)
    assert data["metrics"]["precision"] == pytest.approx(0.6)
    assert data["by_error_type"][0] == {"error_type": "substitution", "gold_words": 3, "flagged": 1,
                                        "recall": pytest.approx(1 / 3)}
    report = md_path.read_text()
    assert "| fake | 5 | 60.0 | 60.0 | 60.0 | 20.0 |" in report
    assert "| Mandarin | 3 |" in report and "| BWC | 1 |" in report
    assert "| substitution | 3 | 1 | 33.3 |" in report
    words = sum(len(set(i.text.lower().split())) for i in items)
    assert f"Words flagged: 5 of {words} sentence word types ({100 * 5 / words:.1f} %); false alarms: 2" in report
    assert data["metrics"]["flagged_share"] == pytest.approx(5 / words)
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_a_failing_item_is_reported_not_hidden():
    items = _items()
    answers = dict(ANSWERS, **{"Will we ever forget it": "fail"})
    result = summarise("fake", "m.json", run_backend(FakeBackend(answers), items))
    assert result.failures == 1
    failed = [s for s in result.items if s.prediction.error]
    assert failed[0].item.text == "Will we ever forget it" and "alignment failed" in failed[0].prediction.error
    assert result.overall.n == 5
    assert "**1 item(s) failed**" in markdown_report(result)
