"""The sentence to read: set picker, the sentence shown large, IPA on demand, next/previous,
and a box to type your own sentence."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

#: Sentences longer than this are shown in a smaller font, so they fit in two lines.
LONG_SENTENCE_CHARS = 90
QWIDGETSIZE_MAX = (1 << 24) - 1


class PracticePanel(QFrame):
    setSelected = Signal(int)
    nextClicked = Signal()
    previousClicked = Signal()
    ownSentenceEntered = Signal(str)
    ipaToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.set_combo = QComboBox()
        self.set_combo.setAccessibleName("Practice set")
        self.set_combo.setMinimumWidth(220)
        self.set_combo.currentIndexChanged.connect(self.setSelected)
        self.description = QLabel()
        self.description.setObjectName("setDescription")
        self.description.setWordWrap(True)
        self.position = QLabel()
        self.position.setObjectName("muted")
        self.sentence = QLabel()
        self.sentence.setObjectName("sentence")
        self.sentence.setWordWrap(True)
        self.sentence.setAccessibleName("Sentence to read")
        self.sentence.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.ipa = QLabel()
        self.ipa.setObjectName("ipa")
        self.ipa.setWordWrap(True)
        self.ipa.setVisible(False)
        self.prev_button = QPushButton("◀  Previous")
        self.prev_button.setToolTip("Previous sentence (P)")
        self.prev_button.clicked.connect(self.previousClicked)
        self.next_button = QPushButton("Next  ▶")
        self.next_button.setToolTip("Next sentence (N)")
        self.next_button.clicked.connect(self.nextClicked)
        self.ipa_button = QPushButton("Show IPA")
        self.ipa_button.setCheckable(True)
        self.ipa_button.toggled.connect(self._on_ipa)
        self.own = QLineEdit()
        self.own.setPlaceholderText("…or type your own sentence and press Enter")
        self.own.setAccessibleName("Your own sentence")
        self.own.returnPressed.connect(self._on_own)
        self._layout()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.set_combo)
        top.addWidget(self.description, 1)
        top.addWidget(self.position)
        buttons = QHBoxLayout()
        buttons.addWidget(self.prev_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.ipa_button)
        buttons.addSpacing(16)
        buttons.addWidget(self.own, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.sentence)
        layout.addWidget(self.ipa)
        layout.addLayout(buttons)

    def set_sets(self, titles: list[str], current: int) -> None:
        self.set_combo.blockSignals(True)
        self.set_combo.clear()
        self.set_combo.addItems(titles)
        self.set_combo.setCurrentIndex(current)
        self.set_combo.blockSignals(False)

    def show_sentence(self, sentence: str, description: str, position: str, set_index: int) -> None:
        self.sentence.setText(sentence or "Type a sentence below to practise it.")
        long = len(sentence) > LONG_SENTENCE_CHARS
        if self.sentence.property("long") != long:  # a smaller font for long sentences
            self.sentence.setProperty("long", long)
            self.sentence.style().unpolish(self.sentence)
            self.sentence.style().polish(self.sentence)
        self._fit_height()
        self.description.setText(description)
        self.description.setToolTip(description)
        self.position.setText(position)
        if self.set_combo.currentIndex() != set_index:
            self.set_combo.blockSignals(True)
            self.set_combo.setCurrentIndex(set_index)
            self.set_combo.blockSignals(False)

    def _fit_height(self) -> None:
        """Reserve the wrapped text's full height: the waveform below must not squeeze it."""
        margins = self.layout().contentsMargins()
        width = max(self.width() - margins.left() - margins.right(), 300)  # labels span the card
        for label in (self.sentence, self.ipa):
            label.ensurePolished()  # the style sheet's font decides the height
            label.setMinimumHeight(0)  # heightForWidth honours the old limits: lift them first
            label.setMaximumHeight(QWIDGETSIZE_MAX)
            label.setFixedHeight(label.heightForWidth(width) if label.text() else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_height)  # once shown, fonts and widths are final

    def show_ipa(self, ipa: str, reason_unavailable: str = "") -> None:
        self.ipa.setText(f"/{ipa}/" if ipa else reason_unavailable)
        self._fit_height()

    def _on_ipa(self, checked: bool) -> None:
        self.ipa.setVisible(checked)
        self.ipa_button.setText("Hide IPA" if checked else "Show IPA")
        self.ipaToggled.emit(checked)

    def _on_own(self) -> None:
        text = self.own.text().strip()
        if text:
            self.own.clear()
            self.ownSentenceEntered.emit(text)
