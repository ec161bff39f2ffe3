"""Frozen entry point of the command line (``saywell-cli``): same as ``saywell``.

Given ``--sphinx-loop-helper`` it is the CPU analyzer's helper process instead
(``engine.analyzers.sphinx.loop_helper``): a frozen app has no ``python -m``."""

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--sphinx-loop-helper"]:
        from engine.analyzers.sphinx.loop_helper import serve

        sys.exit(serve())
    from engine.cli import main

    sys.exit(main())
