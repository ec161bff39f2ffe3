"""The sentence to read: set picker, the sentence shown large, IPA on demand, next/previous,
and a box to type your own sentence."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class PracticePanel(QFrame):
    setSelected = Signal(int)
    nextClicked = Signal()
    previousClicked = Signal()
    ownSentenceEntered = Signal(str)
    ipaToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
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
        self.description.setText(description)
        self.description.setToolTip(description)
        self.position.setText(position)
        if self.set_combo.currentIndex() != set_index:
            self.set_combo.blockSignals(True)
            self.set_combo.setCurrentIndex(set_index)
            self.set_combo.blockSignals(False)

    def show_ipa(self, ipa: str, reason_unavailable: str = "") -> None:
        self.ipa.setText(f"/{ipa}/" if ipa else reason_unavailable)

    def _on_ipa(self, checked: bool) -> None:
        self.ipa.setVisible(checked)
        self.ipa_button.setText("Hide IPA" if checked else "Show IPA")
        self.ipaToggled.emit(checked)

    def _on_own(self) -> None:
        text = self.own.text().strip()
        if text:
            self.own.clear()
            self.ownSentenceEntered.emit(text)
