"""Which sentence the learner is reading: the sets, the current set and sentence."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.practice import CUSTOM_SET_ID, SentenceSet, custom_set


class PracticeViewModel(QObject):
    """Emits ``sentenceChanged`` whenever the current sentence changes (set, next, prev, own)."""

    setsChanged = Signal()
    sentenceChanged = Signal(str)

    def __init__(self, sets: tuple[SentenceSet, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sets = list(sets) + [custom_set()]
        self._set_index = 0
        self._index = 0

    @property
    def sets(self) -> tuple[SentenceSet, ...]:
        return tuple(self._sets)

    @property
    def current_set(self) -> SentenceSet:
        return self._sets[self._set_index]

    @property
    def set_index(self) -> int:
        return self._set_index

    @property
    def index(self) -> int:
        return self._index

    @property
    def sentence(self) -> str:
        sentences = self.current_set.sentences
        return sentences[self._index] if sentences else ""

    def select_set(self, set_index: int) -> None:
        if not 0 <= set_index < len(self._sets) or set_index == self._set_index:
            return
        self._set_index, self._index = set_index, 0
        self.sentenceChanged.emit(self.sentence)

    def next(self) -> None:
        self._step(+1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        count = len(self.current_set.sentences)
        if count:
            self._index = (self._index + delta) % count
            self.sentenceChanged.emit(self.sentence)

    def use_own_sentence(self, text: str) -> bool:
        """Add ``text`` to "Your own sentences" and make it current; False when it is blank."""
        text = " ".join(text.split())
        if not text:
            return False
        position = next(i for i, s in enumerate(self._sets) if s.id == CUSTOM_SET_ID)
        own = self._sets[position]
        sentences = own.sentences if text in own.sentences else own.sentences + (text,)
        self._sets[position] = custom_set(sentences)
        self._set_index, self._index = position, sentences.index(text)
        self.setsChanged.emit()
        self.sentenceChanged.emit(self.sentence)
        return True
