"""QObjects holding the app state; they emit a signal whenever it changes."""
