"""Check a built SayWell folder: fresh, within its size budget, and working offline.

    python packaging/check_dist.py [dist/SayWell] [--budget-mb 300]

Runs the frozen ``SayWell --selftest`` offscreen and ``saywell-cli sample --json`` with the
network guard on (``SAYWELL_NO_NETWORK``; every ``connect``/``sendto`` traced by strace when it
is installed), in a throw-away user data folder, and prints one line per check. Exit 0 when
every check passes. ``build.spec`` imports this file (by path) to stamp ``BUILD-INFO.txt`` with
the fingerprint of the sources, which ``is_fresh`` compares to tell a stale bundle.

This folder has no ``__init__.py`` on purpose: as a package, ``packaging`` would shadow the
PyPI library of that name.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE_BUDGET_MB = 300.0
INFO_FILE = "BUILD-INFO.txt"
GUI_NAME, CLI_NAME = "SayWell", "saywell-cli"
#: What the bundle is built from; a change to any of these makes a build stale.
SOURCES = ("engine", "desktop", "resources", "packaging", "build.spec", "pyproject.toml")
_SUSPECT_SYSCALL = re.compile(r"AF_INET6?\b|nscd|resolve")


def source_fingerprint(root: Path = ROOT) -> str:
    """SHA-256 over the relative path and bytes of every file the bundle is built from."""
    digest = hashlib.sha256()
    for name in SOURCES:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def write_build_info(app_dir: Path, version: str, root: Path = ROOT) -> Path:
    """Stamp ``app_dir`` with the version and the sources' fingerprint."""
    path = app_dir / INFO_FILE
    path.write_text(f"version: {version}\nsources: {source_fingerprint(root)}\n"
                    f"python: {sys.version.split()[0]}\n", encoding="utf-8")
    return path


def is_fresh(app_dir: Path, root: Path = ROOT) -> bool:
    """True when ``app_dir`` was built from exactly the current sources."""
    info = app_dir / INFO_FILE
    if not (info.is_file() and (app_dir / GUI_NAME).is_file()):
        return False
    return f"sources: {source_fingerprint(root)}" in info.read_text(encoding="utf-8")


def folder_size_mb(folder: Path) -> float:
    """Bytes on disk, in MB; symbolic links (PyInstaller makes some) count once, as links."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()) / 1e6


@dataclass(frozen=True)
class FrozenRun:
    """One run of a bundled executable under the network guard."""

    returncode: int
    output: str
    seconds: float
    network_attempts: tuple[str, ...]


@functools.cache
def strace_works() -> bool:
    """strace is installed and allowed to trace here (some sandboxes forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", os.devnull,
                            "true"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


def strace_argv(argv: list[str], trace_log: Path) -> list[str]:
    """``argv`` run under strace, logging every connect/sendto/sendmsg of the process tree."""
    return ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg",
            "-e", "signal=none", "-o", str(trace_log), *argv]


def suspect_syscalls(trace_log: Path) -> list[str]:
    """The traced calls that could leave the machine (see ``_SUSPECT_SYSCALL``)."""
    if not trace_log.exists():
        return []
    lines = trace_log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if _SUSPECT_SYSCALL.search(line)]


def run_guarded(argv: list[str], timeout_s: float = 180.0) -> FrozenRun:
    """Run a bundled executable offscreen, offline-guarded, in a temporary data folder."""
    with tempfile.TemporaryDirectory(prefix="saywell-check-") as tmp:
        log, trace = Path(tmp) / "network.log", Path(tmp) / "strace.log"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SAYWELL_NO_NETWORK": "1",
               "SAYWELL_NETWORK_LOG": str(log), "SAYWELL_DATA_DIR": str(Path(tmp) / "data")}
        if strace_works():
            argv = strace_argv(argv, trace)
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=tmp, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
        seconds = time.perf_counter() - start
        attempts = log.read_text().splitlines() if log.exists() else []
        attempts += suspect_syscalls(trace)
    return FrozenRun(proc.returncode, proc.stdout + proc.stderr, seconds, tuple(attempts))


def check(app_dir: Path, budget_mb: float = SIZE_BUDGET_MB) -> list[tuple[bool, str]]:
    """Every check as (passed, one-line description with the figure)."""
    results = []
    size = folder_size_mb(app_dir)
    results.append((size <= budget_mb, f"size {size:.0f} MB (budget {budget_mb:.0f} MB)"))
    selftest = run_guarded([str(app_dir / GUI_NAME), "--selftest"])
    results.append((selftest.returncode == 0,
                    f"{GUI_NAME} --selftest: exit {selftest.returncode} in {selftest.seconds:.1f} s"))
    cli = run_guarded([str(app_dir / CLI_NAME), "sample", "--json"])
    results.append((cli.returncode == 0 and '"words"' in cli.output,
                    f"{CLI_NAME} sample --json: exit {cli.returncode} in {cli.seconds:.1f} s"))
    with tempfile.TemporaryDirectory(prefix="saywell-eval-") as tmp:
        manifest = _sample_manifest(app_dir, Path(tmp))
        ev = run_guarded([str(app_dir / CLI_NAME), "eval", str(manifest), "--out",
                          str(Path(tmp) / "pred.json"), "--no-progress"])
        wrote = (Path(tmp) / "pred.json").is_file()
    results.append((ev.returncode == 0 and wrote and "BLEU" in ev.output.upper(),
                    f"{CLI_NAME} eval (metrics: nltk, rouge-score): exit {ev.returncode}"))
    runs = (selftest, cli, ev)
    results += [helper_check(app_dir, name) for name in (GUI_NAME, CLI_NAME)]
    fell_back = [run for run in runs if "Analyzer helper:" in run.output]
    results.append((not fell_back, f"no run fell back from the analyzer's helper: {len(fell_back)}"))
    attempts = [a for run in runs for a in run.network_attempts]
    level = "Python guard + strace" if strace_works() else "Python guard only (no strace)"
    results.append((not attempts, f"network attempts ({level}): {len(attempts)} {attempts[:3]}"))
    for run in runs:
        if run.returncode != 0:
            results.append((False, "output: " + run.output.strip()[-2000:]))
    return results


def helper_check(app_dir: Path, exe: str) -> tuple[bool, str]:
    """The frozen ``exe``, started as the CPU analyzer's helper process, aligns the sample take
    (after refusing half a second of silence, which it must survive)."""
    import json

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from engine.analyzers.sphinx.helper import HELPER_FLAG, AlignerHelper
    from engine.audio import load_audio
    from engine.phonetics.lexicon import Lexicon
    from engine.phonetics.text import normalize_sentence

    samples = app_dir / "_internal" / "resources" / "samples"
    record = json.loads((samples / "sample.json").read_text(encoding="utf-8"))
    clip = load_audio(samples / record["audio_path"])
    words = normalize_sentence(record["text"])
    forms = [(w, Lexicon.default().lookup(w).phones) for w in dict.fromkeys(words)]
    helper = AlignerHelper([str(app_dir / exe), HELPER_FLAG])
    try:
        silence = bytes(16000)  # 0.5 s of 16-bit zeros
        empty = helper.result() if helper.submit(forms, words, silence) else "not started"
        found = helper.result() if helper.submit([], words, clip.to_pcm16()) else None
    finally:
        helper.close()
    aligned = len(found.words) if found else 0
    ok = empty is None and aligned == len(words) and not helper.failed
    return ok, f"{exe} {HELPER_FLAG}: {aligned} of {len(words)} words aligned ({helper.failed or 'ok'})"


def _sample_manifest(app_dir: Path, folder: Path) -> Path:
    """A one-record L2-Arctic-plus manifest of the bundled sample take."""
    import json

    samples = app_dir / "_internal" / "resources" / "samples"
    record = json.loads((samples / "sample.json").read_text(encoding="utf-8"))
    shutil.copy(samples / record["audio_path"], folder / "take.wav")
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps([{**record, "audio_path": "take.wav"}]), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", nargs="?", type=Path, default=ROOT / "dist" / GUI_NAME)
    parser.add_argument("--budget-mb", type=float, default=SIZE_BUDGET_MB)
    args = parser.parse_args(argv)
    if not (args.app_dir / GUI_NAME).is_file():
        print(f"check_dist: no {GUI_NAME} executable in {args.app_dir}: run `make dist` first.",
              file=sys.stderr)
        return 2
    results = check(args.app_dir, args.budget_mb)
    for passed, line in results:
        print(f"{'ok  ' if passed else 'FAIL'} {line}")
    print(f"fresh build of the current sources: {is_fresh(args.app_dir)}")
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
