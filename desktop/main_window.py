"""The main window: lays the widgets out and wires them to the view models. No logic of its own
beyond the dialogs (open file, export, delete, settings) that only a window can show."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.audio_io import AudioDeviceError
from desktop.context import AppContext
from desktop.ipa import sentence_ipa
from desktop.notifications import Level, Notice
from desktop.view_models.session import PLAY_SPEEDS
from desktop.widgets.chat_pane import ChatPane
from desktop.widgets.practice_panel import PracticePanel
from desktop.widgets.take_controls import ListenBar, RecordBar, icon, verdict_legend
from engine.audio import ACCEPTED_FORMATS

DEFER_PLOTS_FALLBACK_MS = 1500
_BANNER = {Level.INFO: ("#eaf1ff", "#2f6fdf"), Level.WARNING: ("#fff7e6", "#b7791f"),
           Level.ERROR: ("#fdecec", "#c53030")}


class MainWindow(QMainWindow):
    """``defer_plots``: build the pyqtgraph views (waveform, progress) just after the window
    is shown, so the window appears and takes input before pyqtgraph is imported."""

    plotsReady = Signal()

    def __init__(self, ctx: AppContext, *, defer_plots: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.waveform = None
        self.progress_view = None
        self.setWindowTitle("SayWell: pronunciation practice")
        self.setWindowIcon(icon("saywell"))
        self.setAcceptDrops(True)
        self._build()
        self._wire()
        self._shortcuts()
        self._show_sentence()
        if defer_plots:  # after the first paint (or a fallback delay), not before
            self.record_button.installEventFilter(self)
            QTimer.singleShot(DEFER_PLOTS_FALLBACK_MS, self.ensure_plots)
        else:
            self.ensure_plots()

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.practice_panel = PracticePanel()
        self.wave_holder = QVBoxLayout()
        self.wave_holder.setContentsMargins(0, 0, 0, 0)
        self.wave_placeholder = QFrame()
        self.wave_placeholder.setMinimumHeight(300)
        self.wave_holder.addWidget(self.wave_placeholder)
        self.chat = ChatPane()
        self.record_bar = RecordBar()
        self.listen_bar = ListenBar(PLAY_SPEEDS)
        # Short names for the controls the wiring (and the tests) use most.
        bar = self.record_bar
        self.record_button, self.level_meter, self.elapsed = bar.record_button, bar.level_meter, bar.elapsed
        self.device_combo, self.open_button = bar.device_combo, bar.open_button
        lb = self.listen_bar
        self.play_take_button, self.play_word_button = lb.play_take_button, lb.play_word_button
        self.speed, self.reference_button = lb.speed, lb.reference_button
        self.busy_bar, self.cancel_button = lb.busy_bar, lb.cancel_button
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_page = QWidget()
        self.progress_holder = QVBoxLayout(self.progress_page)
        self.progress_holder.setContentsMargins(0, 0, 0, 0)
        self.engine_label = QLabel("Starting the engine…")
        self.engine_label.setContentsMargins(8, 0, 0, 0)
        self.statusBar().addWidget(self.engine_label, 1)
        self.settings_button = QPushButton("Settings…")
        self.statusBar().addPermanentWidget(self.settings_button)
        self.play_take_button.setEnabled(False)
        self.play_word_button.setEnabled(False)
        self.chat.set_ready(False)
        self._set_busy(False)
        self._update_reference_button()
        self.setCentralWidget(self._central())

    def _central(self) -> QWidget:
        practice = QWidget()
        layout = QVBoxLayout(practice)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.setSpacing(10)
        layout.addWidget(self.banner)
        layout.addWidget(self.practice_panel)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._take_card())
        splitter.addWidget(self._card(self.chat))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(practice, "Practice")
        self.tabs.addTab(self.progress_page, "Progress")
        return self.tabs

    def _card(self, inner: QWidget) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(inner)
        return card

    def _take_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.record_bar)
        layout.addLayout(self.wave_holder, 1)
        layout.addWidget(verdict_legend())
        layout.addWidget(self.listen_bar)
        return card

    # -- wiring --------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.ctx
        p, panel = c.practice, self.practice_panel
        panel.setSelected.connect(p.select_set)
        panel.nextClicked.connect(p.next)
        panel.previousClicked.connect(p.previous)
        panel.ownSentenceEntered.connect(p.use_own_sentence)
        panel.ipaToggled.connect(lambda _on: self._show_sentence())
        p.sentenceChanged.connect(lambda _s: self._show_sentence())
        p.setsChanged.connect(self._show_sentence)
        self.record_button.clicked.connect(c.recorder.toggle)
        c.recorder.recordingChanged.connect(self.record_button.set_recording)
        c.recorder.recordingChanged.connect(self._on_recording)
        c.recorder.levelChanged.connect(self.level_meter.set_level)
        c.recorder.elapsedChanged.connect(
            lambda s: self.elapsed.setText(f"Recording… {s:4.1f} s / {c.recorder.max_take_s:.0f} s"))
        c.recorder.takeRecorded.connect(lambda clip: c.session.submit(clip, p.sentence))
        self.open_button.clicked.connect(self.open_file_dialog)
        self.device_combo.currentIndexChanged.connect(self._on_device_chosen)
        self.play_take_button.clicked.connect(lambda: c.session.play_take(self._speed()))
        self.play_word_button.clicked.connect(
            lambda: c.session.play_word(c.session.selected_word, self._speed()))
        self.reference_button.clicked.connect(lambda: c.reference.speak(p.sentence))
        c.reference.ready.connect(lambda samples, rate: c.session.play_samples(samples, rate, self._speed()))
        c.reference.failed.connect(c.notifier.error)
        self.cancel_button.clicked.connect(c.session.cancel)
        self._wire_session()
        self.settings_button.clicked.connect(self.open_settings)
        c.notifier.notified.connect(self.show_notice)
        c.engine.engineReady.connect(lambda choice: self.engine_label.setText(choice.reason))
        c.engine.failed.connect(self._on_engine_failure)

    def _wire_session(self) -> None:
        s, chat = self.ctx.session, self.ctx.chat
        s.takeChanged.connect(self._on_take)
        s.assessmentChanged.connect(self._on_assessment)
        s.selectedWordChanged.connect(self.chat.set_selected)
        s.selectedWordChanged.connect(lambda i: self.play_word_button.setEnabled(i >= 0))
        s.busyChanged.connect(self._set_busy)
        s.progressChanged.connect(self._on_progress)
        s.attemptSaved.connect(self.refresh_progress)
        self.chat.wordClicked.connect(s.select_word)
        self.chat.questionAsked.connect(s.ask)
        chat.changed.connect(lambda: self.chat.set_messages(chat.messages))
        chat.messageAdded.connect(lambda i: self.chat.update_message(i, chat.messages[i]))
        chat.messageUpdated.connect(lambda i: self.chat.update_message(i, chat.messages[i]))

    def eventFilter(self, watched, event) -> bool:
        if watched is self.record_button and event.type() == QEvent.Type.Paint:
            self.record_button.removeEventFilter(self)
            QTimer.singleShot(0, self.ensure_plots)
        return False

    def ensure_plots(self) -> None:
        """Create and wire the waveform and progress views (imports pyqtgraph) once."""
        if self.waveform is not None:
            return
        from desktop.widgets.progress_view import ProgressView
        from desktop.widgets.waveform_view import WaveformView

        self.waveform = WaveformView()
        self.wave_holder.replaceWidget(self.wave_placeholder, self.waveform)
        self.wave_placeholder.deleteLater()
        self.progress_view = ProgressView()
        self.progress_holder.addWidget(self.progress_view)
        s = self.ctx.session
        s.selectedWordChanged.connect(self.waveform.set_selected)
        s.pitchReady.connect(self.waveform.set_pitch)
        self.waveform.wordClicked.connect(lambda i: s.play_word(i, self._speed()))
        self.progress_view.exportRequested.connect(self.export_csv_dialog)
        self.progress_view.deleteRequested.connect(self.delete_history_dialog)
        self.refresh_progress()
        self.refresh_devices()
        if s.clip is not None:  # a take that arrived before the views existed
            self._on_take(s.clip)
            self._on_assessment(s.assessment)
        self.plotsReady.emit()

    def refresh_devices(self) -> None:
        """List the microphones (deferred with the plots: PortAudio starts up slowly)."""
        try:
            devices, error = self.ctx.microphone.devices(), ""
        except AudioDeviceError as err:
            devices, error = [], str(err)
        self.record_bar.set_devices(devices, self.ctx.settings.input_device, error)

    def _on_device_chosen(self, position: int) -> None:
        device = self.device_combo.itemData(position)
        if device is not None and device != self.ctx.settings.input_device:
            self.ctx.apply_settings(replace(self.ctx.settings, input_device=int(device)))

    def _shortcuts(self) -> None:
        c = self.ctx
        for key, action in ((Qt.Key.Key_Space, c.recorder.toggle),
                            (Qt.Key.Key_R, lambda: c.session.play_take(self._speed())),
                            (Qt.Key.Key_N, c.practice.next), (Qt.Key.Key_P, c.practice.previous)):
            QShortcut(QKeySequence(key), self, activated=action)
        QShortcut(QKeySequence.StandardKey.Open, self, activated=self.open_file_dialog)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=c.session.cancel)
        order = [self.practice_panel.set_combo, self.practice_panel.prev_button,
                 self.practice_panel.next_button, self.practice_panel.ipa_button,
                 self.practice_panel.own, self.record_button, self.device_combo, self.open_button,
                 self.play_take_button, self.play_word_button, self.speed, self.reference_button,
                 self.cancel_button, self.chat.input, self.chat.send_button]
        for first, second in pairwise(order):
            QWidget.setTabOrder(first, second)
        self.record_button.setFocus()

    # -- reactions -----------------------------------------------------------------
    def _speed(self) -> float:
        return self.listen_bar.selected_speed()

    def _show_sentence(self) -> None:
        p = self.ctx.practice
        self.practice_panel.set_sets([s.title for s in p.sets], p.set_index)
        count = len(p.current_set.sentences)
        position = f"{p.index + 1} / {count}" if count else ""
        self.practice_panel.show_sentence(p.sentence, p.current_set.description, position, p.set_index)
        if self.practice_panel.ipa_button.isChecked():
            self.practice_panel.show_ipa(*sentence_ipa(p.sentence))

    def _on_recording(self, recording: bool) -> None:
        if not recording:
            self.elapsed.setText("Ready")

    def _on_take(self, clip) -> None:
        self.ensure_plots()
        if clip is None:
            self.waveform.set_take(None)
            return
        self.waveform.set_take(clip.samples, clip.sample_rate_hz)
        self.play_take_button.setEnabled(True)

    def _on_assessment(self, assessment) -> None:
        self.chat.set_ready(assessment is not None)
        self.ensure_plots()
        if assessment is not None:
            self.waveform.set_words(assessment.words)

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.listen_bar.set_progress(None)  # indeterminate until the engine reports progress
        self.cancel_button.setVisible(busy)
        if busy:
            self.elapsed.setText("Working…")
        elif not self.ctx.recorder.recording:
            self.elapsed.setText("Ready")

    def _on_engine_failure(self, failure) -> None:
        if failure.stage == "load":
            self.engine_label.setText("No engine: analysis is unavailable (see the message above)")

    def _on_progress(self, fraction: float, step: str) -> None:
        self.listen_bar.set_progress(fraction)
        if step:
            self.elapsed.setText(f"{step[:1].upper()}{step[1:]}…")

    def _update_reference_button(self) -> None:
        status = self.ctx.reference.status
        self.reference_button.setEnabled(status.available)
        self.reference_button.setToolTip(status.reason if status.available else
                                         f"Reference voice unavailable. {status.reason}")

    def show_notice(self, notice: Notice) -> None:
        fill, ink = _BANNER[notice.level]
        self.banner.setStyleSheet(f"background:{fill}; color:{ink}; border:1px solid {ink}; "
                                  "border-radius:6px; padding:6px 10px;")
        self.banner.setText(notice.message)
        self.banner.setVisible(notice.level is not Level.INFO)
        self.statusBar().showMessage(notice.message, 8000)

    def refresh_progress(self) -> None:
        history = self.ctx.history
        if self.progress_view is None:
            return
        if history is None:
            self.progress_view.show_progress([], [], [])
            return
        learner = self.ctx.session.learner or None  # lab mode: each learner sees their own
        attempts = history.attempts(learner)
        self.progress_view.show_progress([a.time_utc for a in attempts], [a.score for a in attempts],
                                         history.frequent_phone_errors(learner=learner))

    # -- dialogs -------------------------------------------------------------------
    def open_file_dialog(self) -> None:
        patterns = " ".join(f"*.{ext}" for ext in ACCEPTED_FORMATS)
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", "", f"Audio ({patterns})")
        if path:
            self.ctx.session.open_file(path, self.ctx.practice.sentence)

    def export_csv_dialog(self) -> None:
        if self.ctx.history is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export history", "saywell-history.csv", "CSV (*.csv)")
        if path:
            try:
                self.ctx.history.export_csv(Path(path))
            except OSError as err:
                self.ctx.notifier.error(f"Could not write {path}: {err}")
                return
            self.ctx.notifier.info(f"History exported to {path}")

    def delete_history_dialog(self) -> None:
        answer = QMessageBox.question(
            self, "Delete my data",
            f"Delete every attempt and every recording SayWell has kept{self._whose()}? "
            "This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.ctx.delete_history()
            self.refresh_progress()

    def _whose(self) -> str:
        learner = self.ctx.session.learner
        return f" for {learner}" if learner else ""

    def open_settings(self) -> None:
        self.ctx.open_settings(self)

    # -- window events -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.ctx.session.open_file(urls[0].toLocalFile(), self.ctx.practice.sentence)

    def closeEvent(self, event) -> None:
        self.ctx.recorder.abort()
        self.ctx.settings_store.save_geometry(self.saveGeometry())
        super().closeEvent(event)
