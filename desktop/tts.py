"""Reference pronunciation from an offline text-to-speech voice, when the machine has one.

Looked for, in order: a Piper voice (``*.onnx`` with its ``.onnx.json``) in the user's
``voices`` folder or ``resources/voices`` together with the ``piper`` program or Python
package; then the ``espeak-ng`` (or ``espeak``) program. When none is found the app
disables the Listen-reference button and shows ``TtsStatus.reason`` as its tooltip.
Synthesis runs a subprocess: no network, nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import SayWellError
from engine.paths import resource

TIMEOUT_S = 30.0


class TtsError(SayWellError):
    """The reference voice failed to speak."""


@dataclass(frozen=True)
class TtsStatus:
    """Which voice is available (``kind`` is "piper", "espeak-ng" or "") and why."""

    kind: str
    reason: str
    command: tuple[str, ...] = ()
    voice: Path | None = None

    @property
    def available(self) -> bool:
        return bool(self.kind)


def find_voice(voice_dirs: tuple[Path, ...] = (),
               which: Callable[[str], str | None] = shutil.which) -> TtsStatus:
    """Find the best offline voice on this machine (never raises)."""
    dirs = tuple(voice_dirs) + (resource("voices"),)
    voice = next((p for d in dirs if d.is_dir() for p in sorted(d.glob("*.onnx"))
                  if p.with_suffix(".onnx.json").exists()), None)
    piper = _piper_command(which)
    if voice is not None and piper:
        return TtsStatus("piper", f"Reference voice: Piper ({voice.stem})", piper, voice)
    espeak = which("espeak-ng") or which("espeak")
    if espeak:
        note = " (a Piper voice was found but no piper program)" if voice else ""
        return TtsStatus("espeak-ng", f"Reference voice: eSpeak NG{note}", (espeak,))
    return TtsStatus("", (
        "No offline voice found: install espeak-ng (sudo apt install espeak-ng), or put a "
        "Piper voice (.onnx and .onnx.json) in the voices folder of your SayWell data folder."
    ))


def _piper_command(which: Callable[[str], str | None]) -> tuple[str, ...]:
    binary = which("piper")
    if binary:
        return (binary,)
    if not getattr(sys, "frozen", False) and importlib.util.find_spec("piper") is not None:
        return (sys.executable, "-m", "piper")
    return ()


def synthesize(status: TtsStatus, text: str) -> tuple[np.ndarray, int]:
    """Speak ``text`` with the found voice; returns (float32 mono samples, rate in Hz).

    Raises:
        TtsError: no voice, or the voice program failed.
    """
    import soundfile as sf

    if not status.available:
        raise TtsError(status.reason)
    try:
        wav = _run_piper(status, text) if status.kind == "piper" else _run_espeak(status, text)
        data, rate = sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    except (OSError, subprocess.SubprocessError, RuntimeError, ValueError) as err:
        raise TtsError(f"The reference voice ({status.kind}) failed: {err}") from err
    return data.mean(axis=1), int(rate)


def _run_espeak(status: TtsStatus, text: str) -> bytes:
    done = subprocess.run([*status.command, "-v", "en-us", "-s", "150", "--stdout", text],
                          capture_output=True, timeout=TIMEOUT_S, check=True)
    return done.stdout


def _run_piper(status: TtsStatus, text: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reference.wav"
        subprocess.run([*status.command, "--model", str(status.voice), "--output_file", str(out)],
                       input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S, check=True)
        return out.read_bytes()
