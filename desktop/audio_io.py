"""Microphone and speaker behind two small interfaces, with fakes for tests.

The real ones use sounddevice (PortAudio), imported lazily so a machine without
PortAudio still starts: recording then reports why it cannot work, and file import
keeps working. Nothing here touches Qt; the recorder view model polls ``level_dbfs``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine.errors import SayWellError

RECORD_RATE_HZ = 16_000
#: Playback rate tried when the output refuses the take's own rate.
FALLBACK_PLAY_RATE_HZ = 48_000
SILENT_DBFS = -90.0
PORTAUDIO_HINT = (
    "The sound library PortAudio is missing, so SayWell cannot use the microphone or play "
    "sound (on Debian or Ubuntu: sudo apt install libportaudio2). You can still open or drop "
    "an audio file."
)


class AudioDeviceError(SayWellError):
    """The microphone or speaker cannot be used; the message says why and what still works."""

    exit_code = 9


@dataclass(frozen=True)
class InputDevice:
    """A microphone the user can pick: PortAudio index (None = system default) and name."""

    index: int | None
    name: str


class Microphone(Protocol):
    """Records one take at a time at ``RECORD_RATE_HZ`` mono."""

    def devices(self) -> list[InputDevice]:
        """Available inputs (raises AudioDeviceError when none can be listed)."""
        ...

    def start(self, device: int | None = None) -> None:
        """Start recording (raises AudioDeviceError: no device, PortAudio missing, permission)."""
        ...

    def stop(self) -> np.ndarray:
        """Stop and return the recorded samples (float32, mono, ``RECORD_RATE_HZ``)."""
        ...

    def level_dbfs(self) -> float:
        """Peak level of the latest block, in dBFS (``SILENT_DBFS`` when idle)."""
        ...


class Speaker(Protocol):
    """Plays float32 mono samples, one sound at a time."""

    def play(self, samples: np.ndarray, sample_rate_hz: int) -> None:
        ...

    def stop(self) -> None:
        ...


def _sounddevice():
    try:
        import sounddevice
    except OSError as err:  # raised by sounddevice itself when libportaudio is absent
        raise AudioDeviceError(PORTAUDIO_HINT) from err
    return sounddevice


def _dbfs(block: np.ndarray) -> float:
    peak = float(np.max(np.abs(block))) if block.size else 0.0
    return max(SILENT_DBFS, 20.0 * np.log10(max(peak, 1e-10)))


class SoundDeviceMicrophone:
    """The real microphone, through sounddevice's callback stream."""

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._stream = None
        self._level = SILENT_DBFS

    def devices(self) -> list[InputDevice]:
        sd = _sounddevice()
        try:
            found = [InputDevice(i, d["name"]) for i, d in enumerate(sd.query_devices())
                     if d.get("max_input_channels", 0) > 0]
        except Exception as err:  # PortAudioError and friends: say it, do not crash
            raise AudioDeviceError(f"Cannot list the microphones: {err}") from err
        if not found:
            raise AudioDeviceError(
                "No microphone was found. Plug one in (then reopen Settings), or open or drop "
                "an audio file instead."
            )
        return found

    def start(self, device: int | None = None) -> None:
        sd = _sounddevice()
        self.devices()  # raises the clear "no microphone" message
        self._blocks, self._level = [], SILENT_DBFS
        try:
            self._stream = sd.InputStream(
                samplerate=RECORD_RATE_HZ, channels=1, dtype="float32", device=device,
                callback=self._on_block,
            )
            self._stream.start()
        except Exception as err:
            self._stream = None
            raise AudioDeviceError(
                f"Could not open the microphone ({err}). Check that it is plugged in, not used "
                "by another program, and that SayWell may use it (system privacy settings)."
            ) from err

    def _on_block(self, data, frames, time, status) -> None:  # PortAudio's thread
        block = np.array(data[:, 0], dtype=np.float32)
        with self._lock:
            self._blocks.append(block)
            self._level = _dbfs(block)

    def stop(self) -> np.ndarray:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        with self._lock:
            samples = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
            self._blocks, self._level = [], SILENT_DBFS
        return samples

    def level_dbfs(self) -> float:
        with self._lock:
            return self._level


class SoundDeviceSpeaker:
    """The real speaker: ``sounddevice.play`` (non-blocking)."""

    def play(self, samples: np.ndarray, sample_rate_hz: int) -> None:
        sd = _sounddevice()
        samples = np.asarray(samples, dtype=np.float32)
        try:
            sd.stop()
            sd.play(samples, sample_rate_hz)
        except sd.PortAudioError:  # some outputs refuse 16 kHz: retry at the usual device rate
            try:
                sd.play(_resampled(samples, sample_rate_hz, FALLBACK_PLAY_RATE_HZ), FALLBACK_PLAY_RATE_HZ)
            except Exception as err:
                raise AudioDeviceError(f"Cannot play sound: {err}. Check the speaker or headphones.") from err

    def stop(self) -> None:
        try:
            _sounddevice().stop()
        except AudioDeviceError:
            pass


class FakeMicrophone:
    """A microphone for tests and demos: 'records' the samples it was given.

    ``error`` makes ``start`` fail with that message (no device, permission...);
    ``level`` is what ``level_dbfs`` reports while recording.
    """

    def __init__(self, samples: np.ndarray | None = None, *, level: float = -12.0,
                 error: str | None = None) -> None:
        self.samples = samples if samples is not None else _tone(1.0)
        self.level = level
        self.error = error
        self.recording = False

    def devices(self) -> list[InputDevice]:
        if self.error:
            raise AudioDeviceError(self.error)
        return [InputDevice(None, "Fake microphone")]

    def start(self, device: int | None = None) -> None:
        if self.error:
            raise AudioDeviceError(self.error)
        self.recording = True

    def stop(self) -> np.ndarray:
        self.recording = False
        return np.asarray(self.samples, dtype=np.float32)

    def level_dbfs(self) -> float:
        return self.level if self.recording else SILENT_DBFS


class FakeSpeaker:
    """A speaker that remembers what it was asked to play (``played``: list of (samples, rate))."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []

    def play(self, samples: np.ndarray, sample_rate_hz: int) -> None:
        self.played.append((np.asarray(samples), sample_rate_hz))

    def stop(self) -> None:
        pass


def _resampled(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    import soxr

    return soxr.resample(samples, from_hz, to_hz).astype(np.float32)


def _tone(duration_s: float, freq_hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(duration_s * RECORD_RATE_HZ)) / RECORD_RATE_HZ
    return (0.3 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
