"""Run every benchmark in turn and print its figures (``make bench``).

Each benchmark is its own module, run in a fresh interpreter so cold-start and
memory figures are not skewed by the ones before it. Benchmarks that need the
development speech data look for it in ``../shared/data`` next to the checkout.

    .venv/bin/python -m bench.run_all [--only sphinx,composer]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

#: (name, module, extra arguments), cheapest first.
BENCHMARKS = (
    ("startup", "bench.bench_startup", ["--offscreen"]),
    ("composer", "bench.bench_composer", []),
    ("sphinx", "bench.bench_sphinx", []),
    ("alm", "bench.bench_alm", []),
    ("training", "bench.bench_training", []),
    ("soak", "bench.bench_soak", []),
    ("bundle", "bench.bench_bundle", []),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names: " + ", ".join(b[0] for b in BENCHMARKS))
    args = parser.parse_args(argv)
    chosen = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = chosen - {b[0] for b in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from "
                     + ", ".join(b[0] for b in BENCHMARKS))
    failed = []
    for name, module, extra in BENCHMARKS:
        if chosen and name not in chosen:
            continue
        command = [sys.executable, "-m", module, *extra]
        print(f"\n=== {name}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        print(f"=== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
