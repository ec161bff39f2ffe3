"""The chat pane: feedback bubbles after each take and the learner's follow-up questions."""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.chat_messages import ChatMessage, Role
from desktop.widgets import theme

QUICK_QUESTIONS = (
    ("How do I say it?", "How do I make this sound?"),
    ("More words", "Give me more words to practise."),
    ("Why wrong?", "Why is this wrong?"),
)
_BUBBLE = {
    Role.TUTOR: ("#ffffff", theme.BORDER),
    Role.LEARNER: ("#e8f0fe", "#c5d7fb"),
    Role.NOTE: ("#fff7e6", "#f5d9a0"),
}


class ChatPane(QWidget):
    """Renders ``ChatMessage`` objects; emits ``wordClicked`` and ``questionAsked``."""

    wordClicked = Signal(int)
    questionAsked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._messages: list[ChatMessage] = []
        self._selected = -1
        title = QLabel("Tutor")
        title.setObjectName("sectionTitle")
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Feedback and answers")
        self.browser.anchorClicked.connect(self._on_anchor)
        self.browser.document().setDefaultStyleSheet(
            f"a {{ color: {theme.ACCENT}; text-decoration: none; font-weight: 600; }}")
        self.input = QLineEdit()
        self.input.setPlaceholderText("Ask a follow-up, e.g. “how do I make the TH sound?”")
        self.input.setAccessibleName("Question for the tutor")
        self.input.returnPressed.connect(self._send)
        self.send_button = QPushButton("Ask")
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self._send)
        self.quick_buttons = [self._quick_button(label, q) for label, q in QUICK_QUESTIONS]
        self._layout(title)
        self.set_messages(())

    def _quick_button(self, label: str, question: str) -> QPushButton:
        button = QPushButton(label)
        button.setToolTip(question)
        button.clicked.connect(lambda: self.questionAsked.emit(question))
        return button

    def _layout(self, title: QLabel) -> None:
        quick = QHBoxLayout()
        for button in self.quick_buttons:
            quick.addWidget(button)
        quick.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.browser, 1)
        layout.addLayout(quick)
        layout.addLayout(row)

    # -- drawing -----------------------------------------------------------------
    def set_messages(self, messages) -> None:
        self._messages = list(messages)
        self._render()

    def update_message(self, index: int, message: ChatMessage) -> None:
        if index < len(self._messages):
            self._messages[index] = message
        else:
            self._messages.append(message)
        self._render()

    def set_selected(self, word_index: int) -> None:
        """Highlight the message about ``word_index`` and scroll to it."""
        self._selected = word_index
        self._render()
        if word_index >= 0:
            self.browser.scrollToAnchor(f"w{word_index}")

    def set_ready(self, ready: bool) -> None:
        """Questions make sense only once there is an assessment."""
        for widget in (self.input, self.send_button, *self.quick_buttons):
            widget.setEnabled(ready)

    def plain_text(self) -> str:
        return self.browser.toPlainText()

    def _render(self) -> None:
        if not self._messages:
            body = (f"<p style='color:{theme.MUTED}'>Read the sentence aloud with <b>Record</b> "
                    "(Space), or open or drop an audio file. Feedback appears here.</p>")
        else:
            body = "".join(self._bubble(m) for m in self._messages)
        scroll = self.browser.verticalScrollBar()
        at_end = scroll.value() >= scroll.maximum() - 4
        self.browser.setHtml(body)
        if at_end:
            scroll.setValue(scroll.maximum())

    def _bubble(self, m: ChatMessage) -> str:
        fill, edge = _BUBBLE[m.role]
        if m.word_index is not None and m.word_index == self._selected:
            fill, edge = "#eaf1ff", theme.ACCENT
        title = html.escape(m.title)
        if m.word_index is not None:
            title = f"<a name='w{m.word_index}' href='word:{m.word_index}'>{title}</a>"
        badge = ""
        if m.word_index is not None and m.verdict is not None:  # the word's verdict, as shaded
            badge = (f" <span style='color:{theme.verdict_hex(m.verdict)}; font-weight:600'>"
                     f"· {theme.VERDICT_LABEL[m.verdict]}</span>")
        lines = "".join(f"<div style='margin-top:3px'>{_line_html(line)}</div>" for line in m.lines)
        cursor = " ▍" if m.streaming else ""
        bubble = (f"<table width='100%' cellspacing='0' cellpadding='8' style='margin-bottom:6px; "
                  f"background-color:{fill}; border:1px solid {edge}'><tr><td>"
                  f"<div style='font-weight:600'>{title}{badge}</div>{lines}{cursor}</td></tr></table>")
        if m.role is Role.LEARNER:  # the learner's own words sit on the right, like a chat
            return (f"<table width='100%' cellspacing='0' cellpadding='0'><tr><td width='20%'></td>"
                    f"<td width='80%'>{bubble}</td></tr></table>")
        return bubble

    # -- intent --------------------------------------------------------------------
    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("word:"):
            self.wordClicked.emit(int(text.split(":", 1)[1]))

    def _send(self) -> None:
        question = self.input.text().strip()
        if question:
            self.input.clear()
            self.questionAsked.emit(question)


def _line_html(line: str) -> str:
    """Escape a line; bold its leading "Label:" and keep line breaks."""
    escaped = html.escape(line).replace("\n", "<br>")
    head, sep, tail = escaped.partition(": ")
    if sep and len(head) <= 16 and head[:1].isupper():
        return f"<span style='color:{theme.MUTED}'>{head}:</span> {tail}"
    return escaped
