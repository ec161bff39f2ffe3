"""Frozen entry point of the desktop app (``SayWell``): same as ``python -m desktop``.

Given ``--sphinx-helper`` it is the CPU analyzer's helper process instead
(``engine.analyzers.sphinx.helper``), without loading Qt: a frozen app has no
``python -m``."""

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--sphinx-helper"]:
        from engine.analyzers.sphinx.helper import serve

        sys.exit(serve())
    from desktop.__main__ import main

    sys.exit(main())
