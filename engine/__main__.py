"""``python -m engine``: the ``saywell`` command line."""

from engine.cli import main

raise SystemExit(main())
