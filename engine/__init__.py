"""SayWell's engine: audio, phonetics, the feedback schema, analyzers, tutor, CLI.

Pure Python. It never imports Qt, the desktop app or the training package.
"""

from engine.offline import enforce_offline_env as _enforce_offline_env

__version__ = "0.1.0"

# Offline by construction: set before anything can import the Hugging Face libraries.
_enforce_offline_env()
