"""Dumb widgets: they draw what they are given and emit the user's intent."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QUrl

from desktop.chat_messages import ChatMessage, Role, messages_for
from desktop.widgets import theme
from desktop.widgets.chat_pane import ChatPane
from desktop.widgets.level_meter import LevelMeter
from desktop.widgets.record_button import RecordButton
from desktop.widgets.waveform_view import WaveformView
from engine.feedback import Assessment, Issue, PhoneKind, PhoneResult, Verdict, WordResult

from .conftest import speechlike

WORDS = (
    WordResult(0, "turn", 0.10, 0.45, 95, Verdict.GOOD,
               (PhoneResult("T", "T", PhoneKind.CORRECT, 0.10, 0.2), PhoneResult("ER", "ER", PhoneKind.CORRECT, 0.2, 0.45))),
    WordResult(1, "right", 0.50, 0.90, 30, Verdict.WRONG,
               (PhoneResult("R", "L", PhoneKind.SUBSTITUTION, 0.5, 0.62),),
               (Issue('"R" was replaced with "L"', "Curl the tongue back"),)),
    WordResult(2, "here", 0.95, 1.40, 70, Verdict.NEEDS_WORK),
)


def test_level_meter_maps_dbfs_to_fill(qtbot):
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.set_level(-90)
    assert meter.fraction == 0
    meter.set_level(-30)
    assert meter.fraction == 0.5
    meter.set_level(3)
    assert meter.fraction == 1
    meter.grab()  # paints without error at every level


def test_record_button_shows_state(qtbot):
    button = RecordButton()
    qtbot.addWidget(button)
    assert "Record" in button.text() and not button.isChecked()
    button.set_recording(True)
    assert "Stop" in button.text() and button.isChecked()
    with qtbot.waitSignal(button.clicked):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked()  # the click does not toggle it: the view model decides


def _waveform(qtbot) -> WaveformView:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    view.set_take(speechlike(1.5), 16_000)
    view.set_words(WORDS)
    qtbot.waitExposed(view)
    return view


def test_segments_are_shaded_by_verdict(qtbot):
    view = _waveform(qtbot)
    assert set(view.regions) == {0, 1, 2}
    for word in WORDS:
        colour = view.region_color(word.index)
        assert (colour.red(), colour.green(), colour.blue()) == theme.VERDICT_RGB[word.verdict]
    assert view.word_at(0.7) == 1 and view.word_at(0.47) == -1


def test_phone_labels_appear_on_zoom(qtbot):
    view = _waveform(qtbot)
    view.zoom_to(0, 1.5)
    assert view.phone_labels_visible()  # 1.5 s is already under the zoom threshold
    view.set_take(speechlike(6.0), 16_000)
    view.set_words(WORDS)
    assert not view.phone_labels_visible()
    view.zoom_to(0.4, 1.0)
    assert view.phone_labels_visible()


def test_clicking_a_word_emits_its_index(qtbot):
    view = _waveform(qtbot)
    qtbot.wait(50)  # let the view lay out its scene
    scene_pos = view.scene_pos_of(0.7)
    point = view.graphics.mapFromScene(scene_pos)
    with qtbot.waitSignal(view.wordClicked, timeout=2000) as blocker:
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))
    assert blocker.args == [1]


def test_selection_highlights_one_region(qtbot):
    view = _waveform(qtbot)
    view.set_selected(1)
    assert view.region_color(1).alpha() > view.region_color(0).alpha()
    view.set_selected(2)
    assert view.region_color(1).alpha() == view.region_color(0).alpha()


def test_chat_renders_feedback_and_links_words(qtbot):
    pane = ChatPane()
    qtbot.addWidget(pane)
    pane.set_messages(messages_for(Assessment("turn right here", WORDS, score=66, engine="fake")))
    text = pane.plain_text()
    assert text.lstrip().startswith("Score 66/100")
    assert "“right” · wrong" in text and "/ɹ/ · heard /l/" in text  # verdict; IPA expected, heard
    assert '"R" was replaced with "L"' in text and "Curl the tongue back." in text
    assert "Practise with: really, real, read" in text  # initial /R/ like in "right", not "right" itself
    assert "“turn”" not in text  # only flagged words get a message
    with qtbot.waitSignal(pane.wordClicked) as blocker:
        pane.browser.anchorClicked.emit(QUrl("word:1"))
    assert blocker.args == [1]


def test_chat_sends_questions(qtbot):
    pane = ChatPane()
    qtbot.addWidget(pane)
    qtbot.keyClicks(pane.input, "how do I make the TH sound?")
    with qtbot.waitSignal(pane.questionAsked) as blocker:
        qtbot.keyClick(pane.input, Qt.Key.Key_Return)
    assert blocker.args == ["how do I make the TH sound?"]
    assert pane.input.text() == ""
    pane.update_message(0, ChatMessage(Role.TUTOR, "Tutor", ("Put your tongue",), streaming=True))
    assert "Put your tongue" in pane.plain_text()
