"""Shared bench settings."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The development speech data: ``../shared/data`` beside the checkout, or $SAYWELL_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("SAYWELL_SHARED_DATA", ROOT.parent / "shared" / "data"))
