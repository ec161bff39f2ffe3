"""The engine's exceptions. Every message names what was wrong and what is accepted."""

from __future__ import annotations


class SayWellError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the message to show."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code: int = 1


class AudioError(SayWellError):
    """The audio could not be used (unreadable, empty, too short or long, silent)."""

    exit_code = 3


class TextError(SayWellError):
    """The reference sentence could not be used (empty, no speakable words)."""

    exit_code = 4


class FormatError(SayWellError):
    """A JSON or text document does not follow the expected format."""

    exit_code = 5


class AnalyzerError(SayWellError):
    """An analyzer failed on an input it accepted."""

    exit_code = 6


class ModelError(SayWellError):
    """A model or adapter folder is missing, incomplete, mismatched or unsafe."""

    exit_code = 7
