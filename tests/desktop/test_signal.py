"""Pure-numpy signal helpers: the pitch contour and slow playback without a pitch change."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.timestretch import time_stretch
from engine.pitch import pitch_contour

RATE = 16_000


def tone(freq_hz: float, duration_s: float = 1.0) -> np.ndarray:
    t = np.arange(int(duration_s * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


@pytest.mark.parametrize("freq_hz", [110.0, 180.0, 260.0])
def test_pitch_of_a_tone(freq_hz):
    contour = pitch_contour(tone(freq_hz), RATE)
    assert np.isfinite(contour.f0_hz).mean() > 0.9
    assert abs(np.nanmedian(contour.f0_hz) - freq_hz) / freq_hz < 0.03


def test_noise_and_silence_are_unvoiced():
    rng = np.random.default_rng(1)
    samples = np.concatenate([np.zeros(RATE // 2), 0.3 * rng.standard_normal(RATE // 2)])
    assert np.isfinite(pitch_contour(samples, RATE).f0_hz).mean() < 0.1


@pytest.mark.parametrize("speed", [0.75, 0.5])
def test_slow_playback_keeps_the_pitch(speed):
    slowed = time_stretch(tone(200.0), speed, RATE)
    assert abs(len(slowed) - RATE / speed) <= 1
    assert abs(np.nanmedian(pitch_contour(slowed, RATE).f0_hz) - 200.0) < 6


def test_unsupported_speed_is_refused():
    with pytest.raises(ValueError, match="0.25-4.0"):
        time_stretch(tone(200.0), 0.1, RATE)
