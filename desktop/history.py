"""Every attempt the learner makes, kept in SQLite in the user's data folder.

Crash safety: WAL journal and one transaction per attempt; the recording is written
atomically *before* its row, and removed again if the row cannot be written. A
database that is corrupt or was written by a newer SayWell is never touched: opening
it raises ``HistoryError`` with a message saying what to do.
Privacy: the folder and every file in it are user-only (0700 / 0600).
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.audio import AudioClip, save_wav
from engine.errors import SayWellError
from engine.feedback import Assessment

SCHEMA_VERSION = 1
DB_NAME = "history.sqlite3"
RECORDINGS_DIR = "recordings"
CSV_COLUMNS = (
    "time_utc", "learner", "sentence", "score", "engine", "flagged_words", "phone_errors", "audio_file",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_utc TEXT NOT NULL,
    learner TEXT NOT NULL DEFAULT '',
    sentence TEXT NOT NULL,
    score REAL NOT NULL,
    engine TEXT NOT NULL DEFAULT '',
    audio_file TEXT NOT NULL DEFAULT '',
    assessment_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS flags (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    word_index INTEGER NOT NULL,
    word TEXT NOT NULL,
    expected TEXT,
    heard TEXT,
    kind TEXT
);
CREATE INDEX IF NOT EXISTS flags_attempt ON flags(attempt_id);
"""


class HistoryError(SayWellError):
    """The history database cannot be used (corrupt, newer version, not writable)."""

    exit_code = 8


@dataclass(frozen=True)
class Attempt:
    """One stored take: what was read, when, how it scored and what was flagged."""

    id: int
    time_utc: datetime
    learner: str
    sentence: str
    score: float
    engine: str
    audio_file: str  # relative to the data folder, "" when not kept
    flagged_words: tuple[str, ...]
    phone_errors: tuple[str, ...]  # "R->L", "Z->S", "T deleted"


def phone_error_label(expected: str | None, heard: str | None, kind: str) -> str:
    """Short label for a phone error, used in the progress view and the CSV."""
    if kind == "deletion":
        return f"{expected} deleted"
    if kind == "insertion":
        return f"{heard} added"
    if kind == "unclear" or not heard:
        return f"{expected} unclear"
    return f"{expected}->{heard}"


class HistoryStore:
    """The attempts database of one data folder. Not thread-safe: use from the GUI thread."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / DB_NAME
        _make_private_dir(self.data_dir)
        self._conn = self._open()
        self._remove_orphans()

    # -- opening -------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        existed = self.db_path.exists() and self.db_path.stat().st_size > 0
        try:
            conn = sqlite3.connect(self.db_path, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if existed:
                _check_existing(conn, version, self.db_path)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            if version == 0:  # a new database: schema and version in one transaction
                conn.executescript(
                    f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
        except sqlite3.DatabaseError as err:
            raise HistoryError(
                f"The history database {self.db_path} is damaged or is not a SayWell database "
                f"({err}). It was left untouched: move it away (or choose another data folder "
                "in Settings) and SayWell will start a new one."
            ) from err
        self._privatise()
        return conn

    def _privatise(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            _make_private_file(Path(f"{self.db_path}{suffix}"))

    def _remove_orphans(self) -> None:
        """Delete recordings no attempt refers to: left by a crash between file and row."""
        folder = self.data_dir / RECORDINGS_DIR
        if not folder.is_dir():
            return
        kept = {r[0] for r in self._conn.execute("SELECT audio_file FROM attempts WHERE audio_file != ''")}
        for path in folder.iterdir():
            if path.is_file() and f"{RECORDINGS_DIR}/{path.name}" not in kept:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self._conn.close()

    # -- writing -------------------------------------------------------------
    def add(self, assessment: Assessment, clip: AudioClip | None = None, learner: str = "",
            when: datetime | None = None) -> Attempt:
        """Store an attempt (and its recording, when given) in one transaction."""
        when = when or datetime.now(timezone.utc)
        audio_rel = ""
        if clip is not None:
            audio_rel = f"{RECORDINGS_DIR}/{when.strftime('%Y%m%d-%H%M%S-%f')}.wav"
            _make_private_dir(self.data_dir / RECORDINGS_DIR)
            save_wav(clip, self.data_dir / audio_rel)
            _make_private_file(self.data_dir / audio_rel)
        try:
            attempt_id = self._insert(assessment, audio_rel, learner, when)
        except sqlite3.Error as err:
            if audio_rel:
                (self.data_dir / audio_rel).unlink(missing_ok=True)
            raise HistoryError(f"Could not save the attempt to {self.db_path}: {err}") from err
        self._privatise()
        return self.get(attempt_id)

    def _insert(self, assessment: Assessment, audio_rel: str, learner: str, when: datetime) -> int:
        with _transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO attempts (time_utc, learner, sentence, score, engine, audio_file, "
                "assessment_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (when.isoformat(), learner, assessment.text, float(assessment.score),
                 assessment.engine, audio_rel, assessment.to_json(indent=None)),
            )
            attempt_id = int(cur.lastrowid)
            self._conn.executemany(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?)", _flag_rows(attempt_id, assessment)
            )
        return attempt_id

    def delete_all(self) -> None:
        """Delete every attempt and every recording ("delete my data"). Irreversible."""
        self._conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / RECORDINGS_DIR, ignore_errors=True)
        self._conn = self._open()

    def delete_learner(self, learner: str) -> int:
        """Delete one learner's attempts and recordings (lab mode); returns how many."""
        rows = self._conn.execute(
            "SELECT id, audio_file FROM attempts WHERE learner = ?", (learner,)).fetchall()
        with _transaction(self._conn):
            self._conn.executemany("DELETE FROM attempts WHERE id = ?", [(r[0],) for r in rows])
        for _, audio in rows:
            if audio:
                (self.data_dir / audio).unlink(missing_ok=True)
        return len(rows)

    # -- reading -------------------------------------------------------------
    def get(self, attempt_id: int) -> Attempt:
        row = self._conn.execute(
            "SELECT id, time_utc, learner, sentence, score, engine, audio_file FROM attempts "
            "WHERE id = ?", (attempt_id,)).fetchone()
        if row is None:
            raise HistoryError(f"No attempt with id {attempt_id} in the history.")
        return self._attempt(row)

    def attempts(self, learner: str | None = None) -> tuple[Attempt, ...]:
        """All attempts, oldest first (only ``learner``'s when given)."""
        sql = "SELECT id, time_utc, learner, sentence, score, engine, audio_file FROM attempts"
        args: tuple = ()
        if learner is not None:
            sql, args = sql + " WHERE learner = ?", (learner,)
        return tuple(self._attempt(r) for r in self._conn.execute(sql + " ORDER BY id", args))

    def assessment(self, attempt_id: int) -> Assessment:
        row = self._conn.execute(
            "SELECT assessment_json FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        if row is None:
            raise HistoryError(f"No attempt with id {attempt_id} in the history.")
        return Assessment.from_json(row[0])

    def frequent_phone_errors(self, limit: int = 8, learner: str | None = None) -> list[tuple[str, int]]:
        """The learner's most frequent phone errors as (label, count), most frequent first."""
        counts: dict[str, int] = {}
        for attempt in self.attempts(learner):
            for label in attempt.phone_errors:
                counts[label] = counts.get(label, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def export_csv(self, path: Path, learner: str | None = None) -> Path:
        """Write every attempt as one CSV row (for a teacher); written atomically."""
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for a in self.attempts(learner):
                writer.writerow([a.time_utc.isoformat(), a.learner, a.sentence, f"{a.score:.1f}",
                                 a.engine, " ".join(a.flagged_words), " ".join(a.phone_errors),
                                 a.audio_file])
        os.replace(tmp, path)
        return path

    def _attempt(self, row: tuple) -> Attempt:
        flags = self._conn.execute(
            "SELECT word_index, word, expected, heard, kind FROM flags WHERE attempt_id = ? "
            "ORDER BY rowid", (row[0],)).fetchall()
        words = tuple(dict.fromkeys(f[1] for f in flags))
        phones = tuple(phone_error_label(f[2], f[3], f[4]) for f in flags if f[4])
        return Attempt(
            id=row[0], time_utc=datetime.fromisoformat(row[1]), learner=row[2], sentence=row[3],
            score=row[4], engine=row[5], audio_file=row[6], flagged_words=words, phone_errors=phones,
        )


def _flag_rows(attempt_id: int, assessment: Assessment) -> list[tuple]:
    """One row per phone error of each flagged word; a word without phone detail gets one row."""
    rows = []
    for word in assessment.flagged_words:
        errors = [p for p in word.phones if p.is_error]
        rows += [(attempt_id, word.index, word.text, p.expected, p.heard, p.kind.value) for p in errors]
        if not errors:
            rows.append((attempt_id, word.index, word.text, None, None, None))
    return rows


def _check_existing(conn: sqlite3.Connection, version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"The history database {path} was written by a newer SayWell (schema version "
            f"{version}; this version reads {SCHEMA_VERSION}). It was left untouched: update "
            "SayWell, or choose another data folder in Settings."
        )
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise sqlite3.DatabaseError(f"integrity check failed: {result}")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version == 0 and tables:
        raise sqlite3.DatabaseError("it holds other tables and no SayWell schema version")
    if version == SCHEMA_VERSION and not {"attempts", "flags"} <= tables:
        raise sqlite3.DatabaseError("the attempts tables are missing")


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (autocommit connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:  # e.g. a folder owned by someone else: keep going, the files stay private
        pass


def _make_private_file(path: Path) -> None:
    if path.exists():
        os.chmod(path, 0o600)
