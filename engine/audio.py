"""Audio I/O: any readable file or array in, a validated 16 kHz mono float clip out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import AudioError

SAMPLE_RATE_HZ = 16_000
MIN_DURATION_S = 0.3
DEFAULT_MAX_DURATION_S = 60.0
#: Sample rates a file or array may have before resampling to SAMPLE_RATE_HZ.
MIN_RATE_HZ = 1_000
MAX_RATE_HZ = 384_000
#: Files soundfile (libsndfile) reads that we document as supported.
ACCEPTED_FORMATS = ("wav", "flac", "ogg")
#: Peak level (dBFS) under which a take counts as silence.
SILENCE_PEAK_DBFS = -50.0
#: RMS level (dBFS) under which we warn the take is very quiet.
LOW_LEVEL_RMS_DBFS = -40.0
#: Share of samples at full scale above which we warn about clipping.
CLIPPING_SHARE = 0.001
_CLIP_LEVEL = 0.999


@dataclass(frozen=True)
class AudioClip:
    """Mono float32 samples in [-1, 1] at ``SAMPLE_RATE_HZ``, with load-time warnings."""

    samples: np.ndarray
    sample_rate_hz: int = SAMPLE_RATE_HZ
    warnings: tuple[str, ...] = field(default=())
    source: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz

    def to_pcm16(self) -> bytes:
        """Little-endian 16-bit PCM bytes, the form pocketsphinx decodes."""
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()

    def slice_s(self, start_s: float, end_s: float) -> np.ndarray:
        """Samples between two times in seconds (clamped to the clip)."""
        start = max(0, round(start_s * self.sample_rate_hz))
        end = min(len(self.samples), round(end_s * self.sample_rate_hz))
        return self.samples[start:max(start, end)]


def _dbfs(value: float) -> float:
    return 20.0 * np.log10(max(value, 1e-10))


def load_audio(path: str | Path, max_duration_s: float = DEFAULT_MAX_DURATION_S) -> AudioClip:
    """Read an audio file at any rate and channel count into a validated clip.

    Raises:
        AudioError: the file is missing, not audio, empty, too short, too long or silent.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"Audio file not found: {path}")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise AudioError(
            f"Cannot read {path.name} as audio ({err}). "
            f"Accepted formats: {', '.join(ACCEPTED_FORMATS)}."
        ) from err
    if info.frames <= 0:
        raise AudioError(f"{path.name} contains no audio samples.")
    if not MIN_RATE_HZ <= info.samplerate <= MAX_RATE_HZ:
        raise AudioError(
            f"{path.name} has a sample rate of {info.samplerate} Hz; "
            f"accepted rates are {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz."
        )
    if info.frames / info.samplerate > max_duration_s:
        raise AudioError(
            f"{path.name} lasts {info.frames / info.samplerate:.1f} s; "
            f"the longest accepted take is {max_duration_s:.0f} s."
        )
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise AudioError(f"{path.name} is damaged or truncated and cannot be decoded ({err}).") from err
    return clip_from_array(data, rate, max_duration_s=max_duration_s, source=path.name)


def clip_from_array(
    data: np.ndarray,
    sample_rate_hz: int,
    *,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    source: str = "recording",
) -> AudioClip:
    """Validate, downmix and resample raw samples (frames x channels, or 1-D) into a clip.

    Integer arrays are scaled to [-1, 1]; float arrays are taken as already in that range.
    """
    data = np.asarray(data)
    if data.size == 0:
        raise AudioError(f"{source} is empty: no audio samples.")
    if not MIN_RATE_HZ <= int(sample_rate_hz) <= MAX_RATE_HZ:
        raise AudioError(
            f"{source} has a sample rate of {sample_rate_hz} Hz; "
            f"accepted rates are {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz."
        )
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    data = data.astype(np.float32, copy=False)
    if data.ndim == 2:
        data = data.mean(axis=1)
    elif data.ndim != 1:
        raise AudioError(f"{source}: expected 1-D or frames x channels samples, got shape {data.shape}.")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"{source} contains invalid (NaN or infinite) samples.")
    duration_s = len(data) / sample_rate_hz
    if duration_s < MIN_DURATION_S:
        raise AudioError(
            f"{source} lasts {duration_s:.2f} s; a take must last at least {MIN_DURATION_S} s."
        )
    if duration_s > max_duration_s:
        raise AudioError(
            f"{source} lasts {duration_s:.1f} s; the longest accepted take is {max_duration_s:.0f} s."
        )
    if sample_rate_hz != SAMPLE_RATE_HZ:
        import soxr

        data = soxr.resample(data, sample_rate_hz, SAMPLE_RATE_HZ, quality="HQ").astype(np.float32)
    return _checked(np.ascontiguousarray(data), source)


def _checked(samples: np.ndarray, source: str) -> AudioClip:
    peak = float(np.max(np.abs(samples)))
    if _dbfs(peak) < SILENCE_PEAK_DBFS:
        raise AudioError(
            f"{source} is silent (peak {_dbfs(peak):.0f} dBFS). Check the microphone and record again."
        )
    warnings: list[str] = []
    clipped = float(np.mean(np.abs(samples) >= _CLIP_LEVEL))
    if clipped > CLIPPING_SHARE:
        warnings.append(
            f"The recording is clipped ({clipped:.1%} of samples at full scale): "
            "move away from the microphone or lower its gain."
        )
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    if _dbfs(rms) < LOW_LEVEL_RMS_DBFS:
        warnings.append(
            f"The recording is very quiet ({_dbfs(rms):.0f} dBFS): "
            "move closer to the microphone or raise its gain."
        )
    return AudioClip(samples=samples, warnings=tuple(warnings), source=source)


def save_wav(clip: AudioClip, path: str | Path) -> Path:
    """Write a clip as 16-bit wav atomically (temp file, then rename): never a half-written file."""
    import os
    import tempfile

    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        sf.write(tmp, clip.samples, clip.sample_rate_hz, subtype="PCM_16")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
