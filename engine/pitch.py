"""Pitch (F0) contour of a clip: normalised autocorrelation per frame, pure numpy.

Used to draw the intonation under the waveform; not used for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_S = 0.040
HOP_S = 0.010
MIN_F0_HZ = 70.0
MAX_F0_HZ = 400.0
#: Normalised autocorrelation peak above which a frame counts as voiced.
VOICING_CLARITY = 0.35
#: Voiced runs shorter than this many frames are dropped as blips.
MIN_RUN_FRAMES = 4
#: Median filter width (frames) applied inside voiced runs.
MEDIAN_FRAMES = 5
#: Frames quieter than this (dB below the loudest frame) count as unvoiced.
SILENCE_DB = 35.0


@dataclass(frozen=True)
class PitchContour:
    """F0 per frame: ``times_s`` (frame centres) and ``f0_hz`` (NaN where unvoiced)."""

    times_s: np.ndarray
    f0_hz: np.ndarray


def pitch_contour(samples: np.ndarray, sample_rate_hz: int) -> PitchContour:
    """Estimate F0 every ``HOP_S`` seconds between ``MIN_F0_HZ`` and ``MAX_F0_HZ``."""
    samples = np.asarray(samples, dtype=np.float64)
    frame, hop = int(FRAME_S * sample_rate_hz), int(HOP_S * sample_rate_hz)
    if len(samples) < frame:
        return PitchContour(np.zeros(0), np.zeros(0))
    count = 1 + (len(samples) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    frames = samples[idx] * np.hanning(frame)[None, :]
    frames -= frames.mean(axis=1, keepdims=True)
    energy = np.sum(frames**2, axis=1)
    acf = _autocorrelation(frames)
    lag_min = int(sample_rate_hz / MAX_F0_HZ)
    lag_max = min(int(sample_rate_hz / MIN_F0_HZ), frame - 1)
    norm = acf / np.maximum(acf[:, :1], 1e-12)
    window = norm[:, lag_min:lag_max]
    best = np.argmax(window, axis=1)
    clarity = window[np.arange(count), best]
    lag = _refine(norm, best + lag_min)
    loud_db = 10 * np.log10(np.maximum(energy, 1e-12) / max(float(energy.max()), 1e-12))
    voiced = (clarity >= VOICING_CLARITY) & (loud_db > -SILENCE_DB)
    f0 = np.where(voiced, sample_rate_hz / lag, np.nan)
    times = (np.arange(count) * hop + frame / 2) / sample_rate_hz
    return PitchContour(times, _smooth(_remove_octave_jumps(f0)))


def _autocorrelation(frames: np.ndarray) -> np.ndarray:
    size = 1 << int(np.ceil(np.log2(2 * frames.shape[1])))
    spectrum = np.fft.rfft(frames, size, axis=1)
    return np.fft.irfft(np.abs(spectrum) ** 2, size, axis=1)[:, : frames.shape[1]]


def _refine(norm: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Parabolic interpolation of the peak, for sub-sample lag precision."""
    rows = np.arange(len(lag))
    lag = np.clip(lag, 1, norm.shape[1] - 2)
    left, mid, right = norm[rows, lag - 1], norm[rows, lag], norm[rows, lag + 1]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0)
    return lag + np.clip(shift, -0.5, 0.5)


def _remove_octave_jumps(f0: np.ndarray) -> np.ndarray:
    """Blank isolated frames an octave away from the median: they are estimation errors."""
    voiced = f0[np.isfinite(f0)]
    if voiced.size < 3:
        return f0
    median = float(np.median(voiced))
    out = f0.copy()
    out[(out > 1.8 * median) | (out < 0.55 * median)] = np.nan
    return out


def _smooth(f0: np.ndarray) -> np.ndarray:
    """Median-filter each voiced run and drop runs too short to be a syllable's pitch."""
    out = np.full_like(f0, np.nan)
    voiced = np.isfinite(f0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        if stop - start < MIN_RUN_FRAMES:
            continue
        run = f0[start:stop]
        half = MEDIAN_FRAMES // 2
        padded = np.pad(run, half, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, MEDIAN_FRAMES)
        out[start:stop] = np.median(windows, axis=1)
    return out
