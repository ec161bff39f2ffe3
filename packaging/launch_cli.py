"""Frozen entry point of the command line (``saywell-cli``): same as ``saywell``.

Given ``--sphinx-helper`` it is the CPU analyzer's helper process instead
(``engine.analyzers.sphinx.helper``): a frozen app has no ``python -m``."""

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--sphinx-helper"]:
        from engine.analyzers.sphinx.helper import serve

        sys.exit(serve())
    from engine.cli import main

    sys.exit(main())
