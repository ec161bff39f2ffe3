"""History: round trip, CSV export, crash safety choices, corrupt and newer databases."""

from __future__ import annotations

import csv
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.history import DB_NAME, SCHEMA_VERSION, HistoryError, HistoryStore
from engine.audio import AudioClip
from engine.feedback import Assessment, Issue, PhoneKind, PhoneResult, Verdict, WordResult

from .conftest import speechlike


def assessment(score: float = 50.0) -> Assessment:
    wrong = WordResult(1, "right", 0.5, 0.9, 30.0, Verdict.WRONG,
                       (PhoneResult("R", "L", PhoneKind.SUBSTITUTION), PhoneResult("AY", "AY", PhoneKind.CORRECT),
                        PhoneResult("T", None, PhoneKind.DELETION)),
                       (Issue('"R" was replaced with "L"', "Curl the tongue back."),))
    return Assessment("Turn right", (WordResult(0, "turn", 0.1, 0.5), wrong), score=score, engine="fake")


def test_round_trip_keeps_everything(tmp_path):
    store = HistoryStore(tmp_path)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    saved = store.add(assessment(), AudioClip(speechlike()), learner="Ana", when=when)
    store.close()
    store = HistoryStore(tmp_path)
    (attempt,) = store.attempts()
    assert attempt == saved
    assert (attempt.sentence, attempt.score, attempt.learner, attempt.time_utc) == ("Turn right", 50.0, "Ana", when)
    assert attempt.flagged_words == ("right",)
    assert attempt.phone_errors == ("R->L", "T deleted")
    assert (tmp_path / attempt.audio_file).is_file()
    assert store.assessment(attempt.id) == assessment()
    store.close()


def test_frequent_errors_and_learner_filter(tmp_path):
    store = HistoryStore(tmp_path)
    for name in ("Ana", "Ana", "Bo"):
        store.add(assessment(), learner=name)
    assert store.frequent_phone_errors()[0] == ("R->L", 3)
    assert len(store.attempts("Ana")) == 2
    store.close()


def test_csv_export(tmp_path):
    store = HistoryStore(tmp_path)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for k, score in enumerate((40.0, 75.5)):
        store.add(assessment(score), learner="Ana", when=start + timedelta(days=k))
    out = store.export_csv(tmp_path / "out.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["score"] for r in rows] == ["40.0", "75.5"]
    assert rows[0]["flagged_words"] == "right"
    assert rows[0]["phone_errors"] == "R->L T deleted"
    assert rows[1]["time_utc"].startswith("2026-01-02")
    assert not (tmp_path / "out.csv.part").exists()
    store.close()


def test_files_are_user_only(tmp_path):
    store = HistoryStore(tmp_path / "data")
    attempt = store.add(assessment(), AudioClip(speechlike()))
    for path in (tmp_path / "data", tmp_path / "data" / DB_NAME, tmp_path / "data" / attempt.audio_file):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others: {oct(mode)}"
    store.close()


def test_wal_journal(tmp_path):
    HistoryStore(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_insert_leaves_no_recording_and_no_row(tmp_path, monkeypatch):
    store = HistoryStore(tmp_path)

    def broken(*args):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_insert", broken)
    with pytest.raises(HistoryError, match="disk I/O error"):
        store.add(assessment(), AudioClip(speechlike()))
    assert not list((tmp_path / "recordings").glob("*.wav"))
    monkeypatch.undo()
    assert store.attempts() == ()
    store.close()


def test_corrupt_database_is_reported_and_left_untouched(tmp_path):
    db = tmp_path / DB_NAME
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    with pytest.raises(HistoryError, match="damaged or is not a SayWell database.*left untouched"):
        HistoryStore(tmp_path)
    assert db.read_bytes() == before


def test_newer_database_is_reported_and_left_untouched(tmp_path):
    HistoryStore(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match=r"newer SayWell \(schema version 2; this version reads 1\)"):
        HistoryStore(tmp_path)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_foreign_sqlite_file_is_not_adopted(tmp_path):
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(HistoryError, match="not a SayWell database"):
        HistoryStore(tmp_path)


def test_delete_all_removes_attempts_and_recordings(tmp_path):
    store = HistoryStore(tmp_path)
    store.add(assessment(), AudioClip(speechlike()))
    store.delete_all()
    assert store.attempts() == ()
    assert not (tmp_path / "recordings").exists()
    store.add(assessment())  # still usable afterwards
    assert len(store.attempts()) == 1
    store.close()


_WRITER = r"""
import sys
from pathlib import Path
from desktop.history import HistoryStore
from tests.desktop.test_history import assessment
from engine.audio import AudioClip
from tests.desktop.conftest import speechlike

store = HistoryStore(Path(sys.argv[1]))
clip = AudioClip(speechlike(0.5))
print("ready", flush=True)
while True:
    store.add(assessment(), clip)
"""


def test_a_crash_mid_write_leaves_a_usable_database(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], cwd=root,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # dozens of attempts, then kill it in the middle of whatever it is doing
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    store = HistoryStore(tmp_path)
    attempts = store.attempts()
    assert len(attempts) > 3
    for attempt in attempts:  # every row is whole: its flags and its recording are there
        assert attempt.flagged_words == ("right",)
        assert (tmp_path / attempt.audio_file).is_file()
    kept = {tmp_path / a.audio_file for a in attempts}
    assert set((tmp_path / "recordings").iterdir()) == kept  # no orphan or temporary file left
    store.add(assessment())  # and it still takes new attempts
    store.close()


def test_delete_one_learner_keeps_the_others(tmp_path):
    store = HistoryStore(tmp_path)
    mine = store.add(assessment(), AudioClip(speechlike()), learner="Ana")
    theirs = store.add(assessment(), AudioClip(speechlike()), learner="Bo")
    assert store.delete_learner("Ana") == 1
    assert [a.learner for a in store.attempts()] == ["Bo"]
    assert not (tmp_path / mine.audio_file).exists() and (tmp_path / theirs.audio_file).exists()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # the flags went with the attempt
        assert conn.execute("SELECT COUNT(*) FROM flags").fetchone()[0] == 2
    store.close()
