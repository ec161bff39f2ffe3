"""SayWell's engine: audio, phonetics, the feedback schema, analyzers, tutor, CLI.

Pure Python. It never imports Qt, the desktop app or the training package.
"""

__version__ = "0.1.0"
