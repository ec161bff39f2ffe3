"""Settings: engine (CPU or ALM with model folder and adapter), microphone, take length,
data folder. In lab mode the lab's folders are shown read-only."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.audio_io import InputDevice
from desktop.settings import AppSettings, LabConfig

ENGINE_LABELS = (("sphinx", "CPU: built-in analyzer (works everywhere)"),
                 ("alm", "ALM: audio-language model on the GPU (model folder needed)"))


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, devices: list[InputDevice], device_error: str = "",
                 lab: LabConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SayWell settings")
        self.setMinimumWidth(600)
        self._settings = settings
        self.engine = QComboBox()
        for key, label in ENGINE_LABELS:
            self.engine.addItem(label, key)
        self.engine.setCurrentIndex([k for k, _ in ENGINE_LABELS].index(settings.engine))
        self.model_dir = self._path_row(settings.model_dir, "Folder of the ALM checkpoint")
        self.adapter_dir = self._path_row(settings.adapter_dir, "Folder of the SayWell adapter")
        self.encoder_dir = self._path_row(settings.encoder_dir, "whisper-llm models only: the Whisper folder")
        self.data_dir = self._path_row(settings.data_dir, "Default: your user data folder")
        self.alm_on_cpu = QCheckBox("Allow the ALM on the CPU without a GPU (slow)")
        self.alm_on_cpu.setChecked(settings.alm_on_cpu)
        self.alm_on_cpu.setToolTip("Without a CUDA GPU the ALM takes minutes per take; the CPU engine takes seconds.")
        self.device = QComboBox()
        self.device.addItem("System default", -1)
        for d in devices:
            self.device.addItem(d.name, d.index)
        found = self.device.findData(settings.input_device)
        self.device.setCurrentIndex(max(found, 0))
        self.device_note = QLabel(device_error)
        self.device_note.setWordWrap(True)
        self.device_note.setObjectName("muted")
        self.max_take = QDoubleSpinBox()
        self.max_take.setRange(3, 60)
        self.max_take.setDecimals(0)
        self.max_take.setSuffix(" s")
        self.max_take.setMaximumWidth(110)
        self.max_take.setValue(settings.max_take_s)
        self._layout(lab)
        self.engine.currentIndexChanged.connect(self._update_enabled)
        self._update_enabled()

    def _path_row(self, value: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(value)
        edit.setPlaceholderText(placeholder)
        return edit

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(edit))
        layout.addWidget(button)
        edit.browse_button = button  # type: ignore[attr-defined]
        return row

    def _browse(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
        if folder:
            edit.setText(folder)

    def _layout(self, lab: LabConfig | None) -> None:
        form = QFormLayout()
        form.addRow("Engine", self.engine)
        form.addRow("Model folder", self._with_browse(self.model_dir))
        form.addRow("Adapter", self._with_browse(self.adapter_dir))
        form.addRow("Whisper encoder", self._with_browse(self.encoder_dir))
        form.addRow("", self.alm_on_cpu)
        form.addRow("Microphone", self.device)
        if self.device_note.text():
            form.addRow("", self.device_note)
        form.addRow("Longest take", self.max_take)
        form.addRow("Data folder", self._with_browse(self.data_dir))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if lab is not None:
            note = QLabel(f"Lab mode ({lab.path}): the engine and shared folders are set by the lab.")
            note.setWordWrap(True)
            layout.addWidget(note)
            for widget in (self.engine, self.model_dir, self.adapter_dir, self.encoder_dir):
                widget.setEnabled(False)
            if lab.data_folder:
                self.data_dir.setEnabled(False)
        layout.addLayout(form)
        layout.addWidget(QLabel("Engine changes apply at once; the ALM loads in the background."))
        layout.addWidget(buttons)

    def _update_enabled(self) -> None:
        alm = self.engine.currentData() == "alm" and self.engine.isEnabled()
        for edit in (self.model_dir, self.adapter_dir, self.encoder_dir):
            edit.setEnabled(alm)
            edit.browse_button.setEnabled(alm)
        self.alm_on_cpu.setEnabled(alm)

    def values(self) -> AppSettings:
        return replace(
            self._settings, engine=self.engine.currentData(), model_dir=self.model_dir.text().strip(),
            adapter_dir=self.adapter_dir.text().strip(), encoder_dir=self.encoder_dir.text().strip(),
            alm_on_cpu=self.alm_on_cpu.isChecked(),
            input_device=int(self.device.currentData()),
            max_take_s=float(self.max_take.value()), data_dir=self.data_dir.text().strip(),
        )
