"""Soak test: many analyses in one process with the real CPU analyzer; memory must stay flat.

One analyzer (as the desktop's worker thread keeps one) analyses the bundled sample again
and again; every fifth round also goes through an error path (a sentence with no speakable
words), since leaks often hide there. Resident memory (RSS, the analyzer's process plus its
helper process) is printed after warm-up, every ``--every`` analyses and at the
end, with the growth; the verdict compares the growth over the second half of the run (the
slope that would grow without bound) to ``--max-growth-mb``.

    .venv/bin/python -m bench.bench_soak [--n 500] [--every 100] [--max-growth-mb 20]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

from bench.common import memory_mb as rss_mb
from engine.errors import SayWellError
from engine.paths import resource


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="analyses (%(default)s)")
    parser.add_argument("--every", type=int, default=100, help="print RSS every N (%(default)s)")
    parser.add_argument("--max-growth-mb", type=float, default=20.0,
                        help="largest accepted RSS growth over the second half (%(default)s)")
    args = parser.parse_args(argv)

    from engine.analyzers.registry import create_analyzer
    from engine.audio import load_audio

    sample = json.loads(resource("samples", "sample.json").read_text(encoding="utf-8"))
    clip = load_audio(resource("samples", sample["audio_path"]))
    analyzer = create_analyzer("sphinx")
    analyzer.analyze(clip, sample["text"])  # warm-up: lazy tables, caches
    helper = analyzer.collector.helper

    def total_mb() -> float:
        return rss_mb() + (rss_mb(helper.pid) if helper is not None and helper.pid else 0.0)

    gc.collect()
    start_mb = total_mb()
    print(f"command: {' '.join(['python -m bench.bench_soak', *(argv or sys.argv[1:])])}")
    print(f"RSS after warm-up: {start_mb:.1f} MB (analyzer {rss_mb():.1f} MB + helper process)")
    marks = {0: start_mb}
    errors = 0
    began = time.perf_counter()
    for i in range(1, args.n + 1):
        analyzer.analyze(clip, sample["text"])
        if i % 5 == 0:
            try:
                analyzer.analyze(clip, "?!")
            except SayWellError:
                errors += 1
        if i % args.every == 0 or i == args.n:
            gc.collect()
            marks[i] = total_mb()
            print(f"after {i:4d} analyses: RSS {marks[i]:.1f} MB "
                  f"({marks[i] - start_mb:+.1f} MB), {(time.perf_counter() - began) / i:.3f} s each")
    half = min(marks, key=lambda k: abs(k - args.n // 2))
    late_growth = marks[args.n] - marks[half]
    total = marks[args.n] - start_mb
    flat = late_growth <= args.max_growth_mb
    print(f"growth: {total:+.1f} MB over {args.n} analyses ({errors} error paths), "
          f"{late_growth:+.1f} MB over analyses {half}-{args.n} "
          f"(limit {args.max_growth_mb:.0f} MB): {'flat' if flat else 'GROWING'}")
    return 0 if flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
