"""Slow a take down without changing its pitch (WSOLA: waveform-similarity overlap-add).

Pure numpy; the player uses it for the 0.75x and 0.5x listening speeds.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.040
SEARCH_S = 0.010


def time_stretch(samples: np.ndarray, speed: float, sample_rate_hz: int) -> np.ndarray:
    """Return ``samples`` played at ``speed`` (0.5 = half speed, twice as long), same pitch.

    Raises:
        ValueError: ``speed`` is not in (0.25, 4].
    """
    if not 0.25 <= speed <= 4.0:
        raise ValueError(f"Playback speed {speed} is not supported; use 0.25-4.0.")
    samples = np.asarray(samples, dtype=np.float32)
    if speed == 1.0 or len(samples) == 0:
        return samples.copy()
    frame = int(FRAME_S * sample_rate_hz) & ~1
    hop_out, search = frame // 2, int(SEARCH_S * sample_rate_hz)
    if len(samples) < frame + 2 * search:
        return samples.copy()
    window = np.hanning(frame).astype(np.float32)
    padded = np.concatenate([np.zeros(search, np.float32), samples, np.zeros(frame + search, np.float32)])
    out_len = int(len(samples) / speed)
    out = np.zeros(out_len + frame, np.float32)
    norm = np.zeros_like(out)
    natural = padded[search:search + frame]  # continuation of the previous frame in the input
    for k, out_pos in enumerate(range(0, out_len, hop_out)):
        centre = search + round(k * hop_out * speed)
        start = _best_start(padded, centre, natural, search, frame) if k else centre
        chunk = padded[start:start + frame]
        out[out_pos:out_pos + frame] += chunk * window
        norm[out_pos:out_pos + frame] += window
        natural = padded[start + hop_out:start + hop_out + frame]
    return (out / np.maximum(norm, 1e-3))[:out_len]


def _best_start(padded: np.ndarray, centre: int, natural: np.ndarray, search: int, frame: int) -> int:
    """Start in [centre - search, centre + search] whose frame best continues ``natural``."""
    lo = max(0, centre - search)
    region = padded[lo:lo + frame + 2 * search]
    if len(region) < frame + 1 or len(natural) < frame:
        return centre
    scores = np.correlate(region, natural, mode="valid")
    return lo + int(np.argmax(scores))
