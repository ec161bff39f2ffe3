"""The conversation shown in the chat pane: a list of ``ChatMessage`` that emits on change."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from desktop.chat_messages import ChatMessage


class ChatViewModel(QObject):
    changed = Signal()  # the whole list changed (new take, cleared)
    messageAdded = Signal(int)
    messageUpdated = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messages: list[ChatMessage] = []

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        return tuple(self._messages)

    def reset(self, messages: list[ChatMessage]) -> None:
        self._messages = list(messages)
        self.changed.emit()

    def add(self, message: ChatMessage) -> int:
        self._messages.append(message)
        self.messageAdded.emit(len(self._messages) - 1)
        return len(self._messages) - 1

    def append_text(self, index: int, text: str) -> None:
        """Stream ``text`` onto the last line of message ``index``."""
        message = self._messages[index]
        lines = message.lines or ("",)
        self._messages[index] = replace(message, lines=lines[:-1] + (lines[-1] + text,))
        self.messageUpdated.emit(index)

    def finish(self, index: int, final_text: str | None = None) -> None:
        message = self._messages[index]
        lines = message.lines if final_text is None else (final_text,)
        self._messages[index] = replace(message, lines=lines, streaming=False)
        self.messageUpdated.emit(index)
