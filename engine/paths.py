"""Where SayWell's bundled resources and the user's data live.

The one frozen-aware path helper: in a PyInstaller bundle resources sit under
``sys._MEIPASS``; in a source checkout they sit next to the packages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "SayWell"


def resources_dir() -> Path:
    """The folder holding practice sentences, phonetics data, adapters and icons."""
    override = os.environ.get("SAYWELL_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource("phonetics", "articulation.json")``."""
    return resources_dir().joinpath(*parts)


def user_data_dir() -> Path:
    """The user's data folder (history, recordings); ``SAYWELL_DATA_DIR`` overrides it."""
    override = os.environ.get("SAYWELL_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)
