"""The embedded CPU analyzer ("sphinx"): see ``analyzer.SphinxAnalyzer``."""

from engine.analyzers.sphinx.analyzer import ENGINE_NAME, SphinxAnalyzer
from engine.analyzers.sphinx.scoring import Calibration

__all__ = ["ENGINE_NAME", "Calibration", "SphinxAnalyzer"]
