"""Analyzers turn (audio, sentence) into an ``Assessment``. See ``base.Analyzer``."""

from engine.analyzers.registry import create_analyzer

__all__ = ["create_analyzer"]
