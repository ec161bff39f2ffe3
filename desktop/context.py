"""Everything the main window wires together, built once by ``desktop.app``.

The few app-level actions that cut across parts (apply new settings, delete the
history, switch the data folder) live here so the window stays wiring only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop.audio_io import AudioDeviceError, Microphone, Speaker
from desktop.engine_setup import EngineSpec
from desktop.history import HistoryError, HistoryStore
from desktop.notifications import Notifier
from desktop.settings import AppSettings, SettingsStore
from desktop.view_models.chat import ChatViewModel
from desktop.view_models.practice import PracticeViewModel
from desktop.view_models.recorder import RecorderViewModel
from desktop.view_models.reference import ReferenceVoice
from desktop.view_models.session import SessionViewModel
from desktop.workers.engine_worker import EngineClient
from engine.paths import user_data_dir


@dataclass
class AppContext:
    notifier: Notifier
    settings_store: SettingsStore
    settings: AppSettings
    microphone: Microphone
    speaker: Speaker
    engine: EngineClient
    practice: PracticeViewModel
    recorder: RecorderViewModel
    chat: ChatViewModel
    session: SessionViewModel
    reference: ReferenceVoice
    history: HistoryStore | None
    fake_engine: bool = False
    data_dir_override: Path | None = None
    extra: dict = field(default_factory=dict)

    # -- the engine --------------------------------------------------------------
    def engine_spec(self) -> EngineSpec:
        if self.fake_engine:
            return EngineSpec("fake")
        s = self.settings
        return EngineSpec(s.engine, s.model_dir, s.adapter_dir, s.encoder_dir, s.alm_on_cpu)

    def load_engine(self) -> None:
        self.engine.load(self.engine_spec())

    # -- data folder and history ---------------------------------------------------
    def data_dir(self) -> Path:
        if self.data_dir_override is not None:
            return self.data_dir_override
        return Path(self.settings.data_dir) if self.settings.data_dir else user_data_dir()

    def open_history(self) -> None:
        """(Re)open the history of the current data folder; a bad database is reported, not replaced."""
        if self.history is not None:
            self.history.close()
        self.history = self.session.history = None
        try:
            self.history = HistoryStore(self.data_dir())
        except (HistoryError, OSError) as err:
            self.notifier.error(f"{err} Attempts will not be saved in this session.")
        self.session.history = self.history

    def delete_history(self) -> None:
        if self.history is None:
            return
        learner = self.session.learner  # lab mode: only this learner's data
        try:
            if learner:
                self.history.delete_learner(learner)
            else:
                self.history.delete_all()
        except (HistoryError, OSError, sqlite3.Error) as err:
            self.notifier.error(f"Could not delete the history: {err}")
            return
        self.notifier.info("Your attempts and recordings were deleted.")

    # -- settings ------------------------------------------------------------------
    def open_settings(self, parent: QWidget) -> None:
        from desktop.widgets.settings_dialog import SettingsDialog

        try:
            devices, device_error = self.microphone.devices(), ""
        except AudioDeviceError as err:
            devices, device_error = [], str(err)
        dialog = SettingsDialog(self.settings, devices, device_error, self.settings_store.lab, parent)
        if dialog.exec():
            self.apply_settings(dialog.values())
            refresh = getattr(parent, "refresh_devices", None)
            if refresh is not None:
                refresh()

    def apply_settings(self, new: AppSettings) -> None:
        old, self.settings = self.settings, new
        self.settings_store.save(new)
        self.recorder.max_take_s = new.max_take_s
        self.recorder.device = None if new.input_device < 0 else new.input_device
        engine_fields = ("engine", "model_dir", "adapter_dir", "encoder_dir", "alm_on_cpu")
        if any(getattr(old, f) != getattr(new, f) for f in engine_fields):
            self.load_engine()
        if old.data_dir != new.data_dir and self.data_dir_override is None:
            self.open_history()
