"""``python -m engine.analyzers.sphinx``: the phone loop's helper process (see ``loop_helper``)."""

import sys

from engine.analyzers.sphinx.loop_helper import serve

sys.exit(serve())
