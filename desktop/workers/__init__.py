"""The one engine worker thread: it owns the analyzer and the tutor."""
