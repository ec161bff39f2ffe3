"""The user's settings (QSettings) and the lab-mode config file next to the app.

Lab mode is for shared classroom machines: a ``saywell-lab.ini`` next to the app
(or named by ``SAYWELL_LAB_CONFIG``) gives a read-only shared models folder and makes
the app ask for a learner name at the start of each session, e.g.::

    [lab]
    engine = alm
    models_folder = /srv/saywell/models/qwen2-audio-7b
    adapter = /srv/saywell/adapters/saywell-qwen2a
    # encoder_folder = /srv/saywell/models/whisper-small   (whisper-llm models only)
    ask_learner_name = true
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from engine.errors import FormatError

LAB_CONFIG_NAME = "saywell-lab.ini"
ENGINES = ("sphinx", "alm")
DEFAULT_MAX_TAKE_S = 20.0


@dataclass(frozen=True)
class AppSettings:
    """What the user chose in Settings. Paths are strings; "" means "not set"."""

    engine: str = "sphinx"  # one of ENGINES
    model_dir: str = ""
    adapter_dir: str = ""
    encoder_dir: str = ""  # whisper-llm family only
    alm_on_cpu: bool = False  # run the ALM on the CPU when no GPU is found (slow)
    input_device: int = -1  # PortAudio index; -1 = the system default
    max_take_s: float = DEFAULT_MAX_TAKE_S
    data_dir: str = ""  # "" = the standard user data folder


@dataclass(frozen=True)
class LabConfig:
    """Lab mode, read from the config file next to the app. Its folders are read-only."""

    path: Path
    engine: str = "sphinx"
    models_folder: str = ""
    adapter: str = ""
    encoder_folder: str = ""
    ask_learner_name: bool = True
    data_folder: str = ""


def lab_config_path() -> Path:
    """Where the lab config file is looked for: next to the executable, or the checkout."""
    override = os.environ.get("SAYWELL_LAB_CONFIG")
    if override:
        return Path(override)
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / LAB_CONFIG_NAME
    return Path(__file__).resolve().parent.parent / LAB_CONFIG_NAME


def load_lab_config(path: Path | None = None) -> LabConfig | None:
    """The lab config, or None when there is no such file.

    Raises:
        FormatError: the file exists but is not a valid ``[lab]`` INI file.
    """
    path = Path(path) if path is not None else lab_config_path()
    if not path.is_file():
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
        section = parser["lab"]
        engine = section.get("engine", "sphinx").strip().lower()
        if engine not in ENGINES:
            raise ValueError(f"engine = {engine!r}; accepted: {', '.join(ENGINES)}")
        return LabConfig(
            path=path, engine=engine,
            models_folder=section.get("models_folder", "").strip(),
            adapter=section.get("adapter", "").strip(),
            encoder_folder=section.get("encoder_folder", "").strip(),
            ask_learner_name=section.getboolean("ask_learner_name", True),
            data_folder=section.get("data_folder", "").strip(),
        )
    except (configparser.Error, KeyError, ValueError, UnicodeDecodeError) as err:
        raise FormatError(
            f"The lab config {path} is not valid ({err}). It needs a [lab] section with "
            "engine (sphinx or alm), models_folder, adapter and ask_learner_name (true/false)."
        ) from err


class SettingsStore:
    """Reads and writes ``AppSettings`` and the window geometry through QSettings.

    ``path`` gives an INI file (used with ``--data-dir`` and in tests); by default the
    platform's usual settings store is used.
    """

    def __init__(self, path: Path | None = None, lab: LabConfig | None = None) -> None:
        self._qs = (QSettings(str(path), QSettings.Format.IniFormat) if path is not None
                    else QSettings("SayWell", "SayWell"))
        self.lab = lab

    def load(self) -> AppSettings:
        defaults = AppSettings()
        values = {}
        for f in fields(AppSettings):
            raw = self._qs.value(f"app/{f.name}", getattr(defaults, f.name))
            values[f.name] = _coerce(raw, getattr(defaults, f.name))
        settings = AppSettings(**values)
        if settings.engine not in ENGINES:
            settings = replace(settings, engine=defaults.engine)
        return self._apply_lab(settings)

    def _apply_lab(self, settings: AppSettings) -> AppSettings:
        """Lab folders win over the user's: the shared models folder is the lab's to set."""
        if self.lab is None:
            return settings
        return replace(
            settings, engine=self.lab.engine,
            model_dir=self.lab.models_folder or settings.model_dir,
            adapter_dir=self.lab.adapter or settings.adapter_dir,
            encoder_dir=self.lab.encoder_folder or settings.encoder_dir,
            data_dir=self.lab.data_folder or settings.data_dir,
        )

    def save(self, settings: AppSettings) -> None:
        for f in fields(AppSettings):
            self._qs.setValue(f"app/{f.name}", getattr(settings, f.name))
        self._qs.sync()

    def geometry(self) -> QByteArray | None:
        value = self._qs.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def save_geometry(self, geometry: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.sync()


def _coerce(raw: object, default: object) -> object:
    """QSettings returns strings from INI files: convert back to the default's type."""
    try:
        if isinstance(default, bool):
            return str(raw).lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except (TypeError, ValueError):
        return default
    return "" if raw is None else str(raw)
