"""Audio loading: formats, rates, channels, and every documented rejection."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from engine.audio import SAMPLE_RATE_HZ, clip_from_array, load_audio, save_wav
from engine.errors import AudioError


def _tone(seconds: float, rate: int, amplitude: float = 0.3, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.stack([mono] * channels, axis=1) if channels > 1 else mono


@pytest.mark.parametrize("fmt,rate,channels", [("wav", 44_100, 2), ("flac", 22_050, 1), ("ogg", 48_000, 2)])
def test_loads_any_format_rate_and_channels_to_16k_mono(tmp_path, fmt, rate, channels):
    path = tmp_path / f"take.{fmt}"
    sf.write(path, _tone(1.0, rate, channels=channels), rate)
    clip = load_audio(path)
    assert clip.sample_rate_hz == SAMPLE_RATE_HZ
    assert clip.samples.ndim == 1 and clip.samples.dtype == np.float32
    assert clip.duration_s == pytest.approx(1.0, abs=0.01)
    assert clip.warnings == ()


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_non_audio_file_names_accepted_formats(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio")
    with pytest.raises(AudioError, match="wav, flac, ogg"):
        load_audio(path)


def test_truncated_wav_is_rejected_or_loaded_never_crashes(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, _tone(1.0, 16_000), 16_000)
    data = path.read_bytes()
    path.write_bytes(data[:30])
    with pytest.raises(AudioError):
        load_audio(path)


def test_too_short(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _tone(0.1, 16_000), 16_000)
    with pytest.raises(AudioError, match="at least 0.3 s"):
        load_audio(path)


def test_too_long_uses_configurable_limit(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, _tone(3.0, 16_000), 16_000)
    with pytest.raises(AudioError, match="longest accepted take is 2 s"):
        load_audio(path, max_duration_s=2.0)
    assert load_audio(path, max_duration_s=5.0).duration_s == pytest.approx(3.0)


def test_bad_header_rate_is_named_before_duration(tmp_path):
    path = tmp_path / "slow.wav"
    sf.write(path, _tone(1.0, 16_000), 16_000)
    data = bytearray(path.read_bytes())
    data[24:28] = (1).to_bytes(4, "little")  # the RIFF header's sample rate field: 1 Hz
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError, match="sample rate of 1 Hz; accepted rates are 1000-384000 Hz"):
        load_audio(path)


def test_silence_is_rejected():
    with pytest.raises(AudioError, match="silent"):
        clip_from_array(np.zeros(16_000, dtype=np.float32), 16_000)


def test_empty_and_bad_rate():
    with pytest.raises(AudioError, match="empty"):
        clip_from_array(np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="sample rate"):
        clip_from_array(_tone(1.0, 16_000), 10)


def test_nan_samples_rejected():
    data = _tone(1.0, 16_000)
    data[100] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        clip_from_array(data, 16_000)


def test_warns_on_clipping_and_low_level():
    loud = np.clip(_tone(1.0, 16_000, amplitude=3.0), -1, 1)
    assert any("clipped" in w for w in clip_from_array(loud, 16_000).warnings)
    quiet = _tone(1.0, 16_000, amplitude=0.005)
    assert any("quiet" in w for w in clip_from_array(quiet, 16_000).warnings)


def test_int16_input_is_scaled():
    data = (_tone(1.0, 16_000) * 32767).astype(np.int16)
    clip = clip_from_array(data, 16_000)
    assert float(np.max(np.abs(clip.samples))) == pytest.approx(0.3, abs=0.01)


def test_save_wav_round_trip_and_pcm16(tmp_path):
    clip = clip_from_array(_tone(1.0, 16_000), 16_000)
    path = save_wav(clip, tmp_path / "sub" / "out.wav")
    again = load_audio(path)
    assert np.allclose(again.samples, clip.samples, atol=1e-3)
    assert len(clip.to_pcm16()) == 2 * len(clip.samples)
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind
    assert len(clip.slice_s(0.25, 0.5)) == 4_000
