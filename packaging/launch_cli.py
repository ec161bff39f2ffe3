"""Frozen entry point of the command line (``saywell-cli``): same as ``saywell``."""

import sys

from engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
