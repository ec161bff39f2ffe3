"""The wired window with a fake engine: take -> analysis -> waveform, chat, history; errors."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt

from desktop.audio_io import FakeMicrophone
from desktop.fake_engine import FakeAnalyzer
from desktop.main_window import MainWindow
from desktop.tts import TtsStatus
from engine.errors import AnalyzerError

from .conftest import fake_builder, speechlike

TEXT = "Look right at it"  # the fake analyzer flags words with an "r": only "right"


def analyse(qtbot, win, clip, text=TEXT):
    with qtbot.waitSignal(win.ctx.session.analysisDone, timeout=5000) as done:
        win.ctx.session.submit(clip, text)
    return done.args[0]


def test_status_bar_names_the_engine(window):
    assert window.engine_label.text() == "Fake engine for tests"


def test_take_is_analysed_rendered_and_saved(qtbot, window, clip):
    assessment = analyse(qtbot, window, clip)
    assert [w.text for w in assessment.flagged_words] == ["right"]
    assert set(window.waveform.regions) == {0, 1, 2, 3}
    qtbot.waitUntil(window.waveform.has_pitch, timeout=5000)  # computed off the GUI thread
    text = window.chat.plain_text()
    assert "Score 75/100" in text and "“right”" in text and "“look”" not in text
    (attempt,) = window.ctx.history.attempts()
    assert attempt.flagged_words == ("right",) and attempt.phone_errors == ("R->L",)
    assert "1 attempts" in window.progress_view.summary.text()


def test_recording_with_space_then_analysis(qtbot, window):
    window.activateWindow()
    window.record_button.setFocus()
    with qtbot.waitSignal(window.ctx.recorder.recordingChanged):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.record_button.isChecked()
    with qtbot.waitSignal(window.ctx.session.analysisDone, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.record_button.isChecked()
    assert window.waveform.regions


def test_click_in_chat_highlights_waveform_and_back(qtbot, window, clip):
    analyse(qtbot, window, clip)
    window.chat.wordClicked.emit(1)
    assert window.waveform.selected == 1
    with qtbot.waitSignal(window.ctx.session.selectedWordChanged):
        window.waveform.wordClicked.emit(3)
    assert window.chat._selected == 3
    assert window.play_word_button.isEnabled()


def test_clicking_a_word_plays_only_that_part(qtbot, window, clip):
    analyse(qtbot, window, clip)
    word = window.ctx.session.assessment.words[1]
    window.waveform.wordClicked.emit(1)
    samples, rate = window.ctx.speaker.played[-1]
    expected_s = word.end_s - word.start_s + 2 * 0.05
    assert rate == 16_000 and abs(len(samples) / rate - expected_s) < 0.01


def test_slowed_replay_is_longer(qtbot, window, clip):
    analyse(qtbot, window, clip)
    window.speed.setCurrentIndex(window.speed.findData(0.5))
    qtbot.keyClick(window, Qt.Key.Key_R)
    samples, rate = window.ctx.speaker.played[-1]
    assert abs(len(samples) / rate - 2 * clip.duration_s) < 0.05


def test_follow_up_question_streams_an_answer(qtbot, window, clip):
    analyse(qtbot, window, clip)
    with qtbot.waitSignal(window.ctx.engine.answerFinished, timeout=5000):
        window.chat.questionAsked.emit("why is this wrong?")
    messages = window.ctx.chat.messages
    assert messages[-2].lines == ("why is this wrong?",)
    assert "I flagged: right." in messages[-1].lines[0] and not messages[-1].streaming
    assert "I flagged: right." in window.chat.plain_text()


def test_next_and_previous_sentence_keys(qtbot, window):
    practice = window.ctx.practice
    first = practice.sentence
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert practice.sentence != first
    assert window.practice_panel.sentence.text() == practice.sentence
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert practice.sentence == first


def test_own_sentence(qtbot, window):
    qtbot.keyClicks(window.practice_panel.own, "Red lorry, yellow lorry")
    qtbot.keyClick(window.practice_panel.own, Qt.Key.Key_Return)
    assert window.practice_panel.sentence.text() == "Red lorry, yellow lorry"
    assert window.practice_panel.set_combo.currentText() == "Your own sentences"


def test_ipa_on_demand(qtbot, window):
    sets = [s.id for s in window.ctx.practice.sets]
    window.practice_panel.set_combo.setCurrentIndex(sets.index("th-sounds"))
    assert window.practice_panel.sentence.text() == "I think the weather is better this month."
    assert not window.practice_panel.ipa.isVisible()
    window.practice_panel.ipa_button.click()
    assert window.practice_panel.ipa.isVisible()
    assert window.practice_panel.ipa.text().startswith("/aɪ θɪŋk ")


def test_open_file_and_drop(qtbot, window, tmp_path):
    path = tmp_path / "take.wav"
    sf.write(path, speechlike(1.0), 22_050)  # 16000 samples at 22.05 kHz: resampled on load
    with qtbot.waitSignal(window.ctx.session.analysisDone, timeout=5000) as done:
        window.ctx.session.open_file(path, "turn right")
    assert abs(done.args[0].duration_s - 16_000 / 22_050) < 1e-3


def test_unreadable_file_shows_its_message(qtbot, window, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    window.ctx.session.open_file(bad, "turn right")
    assert window.banner.isVisible()
    assert "Cannot read notes.wav as audio" in window.banner.text()
    assert "wav, flac, ogg" in window.banner.text()


def test_no_microphone_shows_its_message(qtbot, make_ctx):
    ctx = make_ctx(microphone=FakeMicrophone(error="No microphone was found. Plug one in."))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.record_button.click()
    assert not win.record_button.isChecked()
    assert win.banner.text() == "No microphone was found. Plug one in."
    assert win.open_button.isEnabled()  # file import still works


def test_analyzer_failure_shows_its_message(qtbot, make_ctx, clip):
    broken = FakeAnalyzer(fail=AnalyzerError("The alignment failed: the take does not match the sentence."))
    ctx = make_ctx(engine_builder=fake_builder(broken))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    ctx.load_engine()
    with qtbot.waitSignal(ctx.session.analysisFailed, timeout=5000):
        ctx.session.submit(clip, "turn right")
    assert "The alignment failed" in win.banner.text()
    assert not win.busy_bar.isVisible()
    assert ctx.history.attempts() == ()


def test_busy_state_and_cancel(qtbot, make_ctx, clip):
    ctx = make_ctx(engine_builder=fake_builder(FakeAnalyzer(delay_s=5.0)))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(ctx.engine.engineReady):
        ctx.load_engine()
    qtbot.waitUntil(lambda: not ctx.engine.busy)
    with qtbot.waitSignal(ctx.session.busyChanged, check_params_cb=lambda busy: busy):
        ctx.session.submit(clip, "turn right")
    assert win.busy_bar.isVisible() and win.cancel_button.isVisible()
    with qtbot.waitSignal(ctx.session.busyChanged, timeout=3000, check_params_cb=lambda busy: not busy):
        win.cancel_button.click()
    assert ctx.notifier.history[-1].message == "Cancelled."
    assert ctx.session.assessment is None


def test_reference_button_disabled_with_reason(qtbot, make_ctx):
    win = MainWindow(make_ctx(voice=TtsStatus("", "No offline voice found: install espeak-ng.")))
    qtbot.addWidget(win)
    assert not win.reference_button.isEnabled()
    assert "install espeak-ng" in win.reference_button.toolTip()


def test_delete_history_after_confirmation(qtbot, window, clip, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    analyse(qtbot, window, clip)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.progress_view.delete_button.click()
    assert len(window.ctx.history.attempts()) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.progress_view.delete_button.click()
    assert window.ctx.history.attempts() == ()
    assert "No attempts yet" in window.progress_view.summary.text()


def test_geometry_is_remembered(qtbot, make_ctx):
    ctx = make_ctx()
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    expected = win.saveGeometry()
    win.close()
    assert ctx.settings_store.geometry() == expected
    again = MainWindow(ctx)
    qtbot.addWidget(again)
    assert again.restoreGeometry(ctx.settings_store.geometry())


def test_drop_sends_the_file(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "dropped.flac"
    sf.write(path, np.asarray(speechlike(0.8)), 16_000)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.ctx.session.analysisDone, timeout=5000):
        window.dropEvent(event)


def test_reference_voice_plays_the_sentence(qtbot, make_ctx, monkeypatch):
    from desktop.view_models import reference

    spoken = []

    def fake_synthesize(status, text):
        spoken.append(text)
        return np.full(8_000, 0.1, np.float32), 16_000

    monkeypatch.setattr(reference, "synthesize", fake_synthesize)
    ctx = make_ctx(voice=TtsStatus("espeak-ng", "Reference voice: eSpeak NG", ("espeak-ng",)))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    assert win.reference_button.isEnabled()
    with qtbot.waitSignal(ctx.reference.ready, timeout=5000):
        win.reference_button.click()
    assert spoken == [ctx.practice.sentence]
    samples, rate = ctx.speaker.played[-1]
    assert (len(samples), rate) == (8_000, 16_000)


def test_lab_mode_asks_the_learner_name(qtbot, make_ctx, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from desktop.app import _ask_learner_name
    from desktop.settings import load_lab_config

    ini = tmp_path / "saywell-lab.ini"
    ini.write_text("[lab]\nengine = sphinx\nask_learner_name = yes\n")
    ctx = make_ctx()
    ctx.settings_store.lab = load_lab_config(ini)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  Mei ", True))
    _ask_learner_name(ctx, win)
    assert ctx.session.learner == "Mei" and "Mei" in win.windowTitle()


def test_take_buttons_wait_for_a_take(qtbot, window, clip):
    assert not window.play_take_button.isEnabled() and not window.play_word_button.isEnabled()
    analyse(qtbot, window, clip)
    assert window.play_take_button.isEnabled()


def test_a_bug_in_a_slot_reaches_the_notification_place(qtbot, window, monkeypatch):
    import sys

    from desktop.app import route_unexpected_errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    route_unexpected_errors(window.ctx.notifier)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert "Something went wrong inside SayWell (RuntimeError: boom)" in window.banner.text()


def test_questions_name_the_selected_word(qtbot, window, clip):
    analyse(qtbot, window, clip)
    window.chat.wordClicked.emit(1)
    with qtbot.waitSignal(window.ctx.engine.answerFinished, timeout=5000) as done:
        window.chat.questionAsked.emit("How do I say it?")
    assert "You asked: How do I say it? (about “right”)" in done.args[1]
    assert window.ctx.chat.messages[-2].lines == ("How do I say it?",)  # shown as typed


def test_tab_order_follows_the_work(qtbot, window, clip):
    from PySide6.QtWidgets import QApplication

    analyse(qtbot, window, clip)
    window.ctx.session.select_word(1)
    window.activateWindow()
    window.record_button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.record_button)
    seen = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert seen == [window.device_combo, window.open_button, window.play_take_button, window.play_word_button]


def test_export_csv_from_the_progress_tab(qtbot, window, clip, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    analyse(qtbot, window, clip)
    target = tmp_path / "for-teacher.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV (*.csv)"))
    window.progress_view.export_button.click()
    assert target.read_text(encoding="utf-8").splitlines()[1].split(",")[2] == TEXT
    assert window.ctx.notifier.history[-1].message == f"History exported to {target}"


def test_settings_change_reloads_the_engine(qtbot, window):
    from dataclasses import replace

    from desktop.widgets.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.ctx.settings, [], "No microphone was found.")
    qtbot.addWidget(dialog)
    assert not dialog.model_dir.isEnabled()  # CPU engine: the ALM folders are greyed out
    dialog.engine.setCurrentIndex(dialog.engine.findData("alm"))
    assert dialog.model_dir.isEnabled()
    dialog.model_dir.setText("/models/qwen")
    dialog.max_take.setValue(12)
    values = dialog.values()
    assert (values.engine, values.model_dir, values.max_take_s) == ("alm", "/models/qwen", 12.0)
    window.ctx.fake_engine = False  # let the spec follow the settings
    with qtbot.waitSignal(window.ctx.engine.engineReady, timeout=5000):
        window.ctx.apply_settings(values)
    assert window.ctx.recorder.max_take_s == 12.0
    assert window.ctx.engine_spec().model_dir == "/models/qwen"
    assert window.ctx.settings_store.load() == replace(values)


def test_playback_without_a_speaker_says_why(qtbot, window, clip):
    from desktop.audio_io import AudioDeviceError

    class NoSpeaker:
        def play(self, samples, rate):
            raise AudioDeviceError("Cannot play sound: no output device. Check the speaker or headphones.")

        def stop(self):
            pass

    analyse(qtbot, window, clip)
    window.ctx.session.speaker = NoSpeaker()
    window.play_take_button.click()
    assert window.banner.text() == "Cannot play sound: no output device. Check the speaker or headphones."


def test_typing_in_a_text_box_does_not_fire_shortcuts(qtbot, window, clip):
    analyse(qtbot, window, clip)
    index = window.ctx.practice.index
    played = len(window.ctx.speaker.played)
    window.activateWindow()
    window.chat.input.setFocus()
    qtbot.keyClicks(window.chat.input, "n p r and space")
    assert window.chat.input.text() == "n p r and space"
    assert window.ctx.practice.index == index
    assert not window.ctx.recorder.recording
    assert len(window.ctx.speaker.played) == played


def test_microphone_picker(qtbot, make_ctx):
    from desktop.audio_io import InputDevice

    class TwoMics(FakeMicrophone):
        def devices(self):
            return [InputDevice(0, "Built-in"), InputDevice(3, "USB headset")]

    ctx = make_ctx(microphone=TwoMics(speechlike()))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    combo = win.device_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Default microphone", "Built-in", "USB headset"]
    combo.setCurrentIndex(2)
    assert ctx.recorder.device == 3 and ctx.settings_store.load().input_device == 3


def test_no_microphone_in_the_picker(qtbot, make_ctx):
    win = MainWindow(make_ctx(microphone=FakeMicrophone(error="No microphone was found.")))
    qtbot.addWidget(win)
    assert not win.device_combo.isEnabled()
    assert win.device_combo.toolTip() == "No microphone was found."


def test_a_long_sentence_is_shown_whole(qtbot, window, qapp):
    from desktop.widgets.theme import STYLE_SHEET

    qapp.setStyleSheet(STYLE_SHEET)  # the app's large sentence font: the sentence must wrap
    panel = window.practice_panel
    panel.ipa_button.click()
    window.ctx.practice.use_own_sentence("This is a very long sentence that a teacher might type to see whether "
                                         "the practice panel wraps it over two or three lines without clipping "
                                         "a single word of it at all.")
    sentence, ipa = panel.sentence, panel.ipa

    def laid_out():
        return (sentence.height() >= sentence.heightForWidth(sentence.width())
                and sentence.geometry().bottom() < ipa.geometry().top())

    try:
        qtbot.waitUntil(laid_out, timeout=3000)
        assert sentence.height() >= 2 * sentence.fontMetrics().lineSpacing()
    finally:
        qapp.setStyleSheet("")


def test_two_questions_in_a_row_get_their_own_answers(qtbot, window, clip):
    analyse(qtbot, window, clip)
    finished = []
    window.ctx.engine.answerFinished.connect(lambda job, text: finished.append(text))
    window.chat.questionAsked.emit("first question")
    window.chat.questionAsked.emit("second question")
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=5000)
    lines = [m.lines[0] for m in window.ctx.chat.messages[-4:]]
    assert lines[0] == "first question" and lines[1].startswith("You asked: first question")
    assert lines[2] == "second question" and lines[3].startswith("You asked: second question")


def test_an_engine_that_cannot_start_is_said(qtbot, make_ctx, clip):
    from engine.errors import ModelError

    def broken(spec, progress=None, should_cancel=None):
        raise ModelError("pocketsphinx's model folder is missing: reinstall SayWell.")

    ctx = make_ctx(engine_builder=broken)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(ctx.engine.failed, timeout=5000):
        ctx.load_engine()
    assert "pocketsphinx's model folder is missing" in win.banner.text()
    assert win.engine_label.text().startswith("No engine")
    with qtbot.waitSignal(ctx.session.analysisFailed, timeout=5000) as failed:
        ctx.session.submit(clip, "turn right")
    assert "No engine is loaded" in failed.args[0]
