"""``python -m desktop`` / the ``saywell-desktop`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None):
    from desktop.app import Options

    parser = argparse.ArgumentParser(prog="saywell-desktop", description="SayWell: offline pronunciation tutor.")
    parser.add_argument("--selftest", action="store_true",
                        help="open the main window offscreen, analyse the bundled sample, ask the tutor one "
                             "question; exit 0 when all of it works, 1 with a message otherwise")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png",
                        help="analyse the bundled sample and save a picture of the window")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="keep history, recordings and settings in DIR instead of the user data folder")
    parser.add_argument("--fake-engine", action="store_true",
                        help="developer mode: a fake analyzer and tutor (instant, made-up feedback)")
    parser.add_argument("--fake-microphone", action="store_true",
                        help="developer mode: a fake microphone that records a tone")
    parser.add_argument("--no-network", action="store_true",
                        help="block all network access for this run (SayWell never needs it)")
    args = parser.parse_args(argv)
    if args.no_network:
        from engine.offline import forbid_network

        forbid_network()
    return Options(selftest=args.selftest, screenshot=args.screenshot, data_dir=args.data_dir,
                   fake_engine=args.fake_engine, fake_microphone=args.fake_microphone)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (and exits with it when run as a script)."""
    options = parse_args(argv)
    if options.selftest or options.screenshot:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import run

    try:
        return run(options)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
