"""Analyzers turn (audio, sentence) into an ``Assessment``. See ``base.Analyzer``."""
