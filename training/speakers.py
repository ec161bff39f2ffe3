"""L2-ARCTIC speakers: their first languages, the test speakers, and the split guard.

The standard L2-ARCTIC mispronunciation-detection test speakers (one per L1)
form the L2-Arctic-plus test set; they must never reach training.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

from engine.errors import SayWellError

#: Speaker ID -> first language, for the 24 L2-ARCTIC v5.0 speakers.
SPEAKER_L1: dict[str, str] = {
    **dict.fromkeys(("ABA", "SKA", "YBAA", "ZHAA"), "Arabic"),
    **dict.fromkeys(("BWC", "LXC", "NCC", "TXHC"), "Mandarin"),
    **dict.fromkeys(("ASI", "RRBI", "SVBI", "TNI"), "Hindi"),
    **dict.fromkeys(("HJK", "HKK", "YDCK", "YKWK"), "Korean"),
    **dict.fromkeys(("EBVS", "ERMS", "MBMPS", "NJS"), "Spanish"),
    **dict.fromkeys(("HQTV", "PNV", "THV", "TLV"), "Vietnamese"),
}
TEST_SPEAKERS: frozenset[str] = frozenset({"NJS", "TLV", "TNI", "TXHC", "YKWK", "ZHAA"})
UNKNOWN = "unknown"

_PREFIX_RE = re.compile(r"^([A-Za-z]+)_arctic_", re.IGNORECASE)


class SpeakerLeakError(SayWellError):
    """A test speaker was found in training data."""

    exit_code = 8


def speaker_of(audio_path: str | PurePath) -> str:
    """The L2-ARCTIC speaker of a recording, from its path; ``"unknown"`` when none is named.

    Understands the release layout (``.../ABA/wav/arctic_a0022.wav``) and the
    flattened one of renderings (``.../ABA_arctic_a0022.wav``).
    """
    path = PurePath(str(audio_path).replace("\\", "/"))
    match = _PREFIX_RE.match(path.name)
    if match and match.group(1).upper() in SPEAKER_L1:
        return match.group(1).upper()
    for part in reversed(path.parts[:-1]):
        if part.upper() in SPEAKER_L1:
            return part.upper()
    return UNKNOWN


def l1_of(speaker: str) -> str:
    """The speaker's first language, or ``"unknown"``."""
    return SPEAKER_L1.get(speaker.upper(), UNKNOWN)


def check_no_test_speakers(speakers: Iterable[str], what: str = "training data") -> None:
    """Fail loudly when any test speaker is among ``speakers``.

    Raises:
        SpeakerLeakError: naming the speakers found and how many items each has.
    """
    counts: dict[str, int] = {}
    for speaker in speakers:
        if speaker.upper() in TEST_SPEAKERS:
            counts[speaker.upper()] = counts.get(speaker.upper(), 0) + 1
    if counts:
        found = ", ".join(f"{s} ({n} items)" for s, n in sorted(counts.items()))
        raise SpeakerLeakError(
            f"Test speakers found in {what}: {found}. The L2-Arctic-plus test speakers "
            f"({', '.join(sorted(TEST_SPEAKERS))}) must never be trained on: remove them from the manifest."
        )
