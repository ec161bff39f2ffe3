"""The one place every error, warning and notice goes through on its way to the user."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("saywell")


class Level(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Notice:
    level: Level
    message: str


class Notifier(QObject):
    """Collects notices; the main window shows them in its banner and status bar.

    ``history`` keeps every notice of the session (tests and the selftest read it).
    """

    notified = Signal(object)  # Notice

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[Notice] = []

    def info(self, message: str) -> None:
        self._emit(Notice(Level.INFO, message))

    def warning(self, message: str) -> None:
        self._emit(Notice(Level.WARNING, message))

    def error(self, message: str) -> None:
        self._emit(Notice(Level.ERROR, message))

    def _emit(self, notice: Notice) -> None:
        log.log({Level.INFO: logging.INFO, Level.WARNING: logging.WARNING}.get(notice.level, logging.ERROR),
                "%s", notice.message)
        self.history.append(notice)
        self.notified.emit(notice)

    @property
    def errors(self) -> list[str]:
        return [n.message for n in self.history if n.level is Level.ERROR]
