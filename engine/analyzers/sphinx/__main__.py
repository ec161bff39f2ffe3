"""``python -m engine.analyzers.sphinx``: the analyzer's helper process (see ``helper``)."""

import sys

from engine.analyzers.sphinx.helper import serve

sys.exit(serve())
