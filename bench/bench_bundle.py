"""The built bundle: size on disk and start-to-window time of the real app.

Start-to-window is the time from launching ``SayWell`` to its main window being visible on
an X server (a private Xvfb display, so it runs on a headless machine too), found with
``xdotool``. The first run is cold-ish (files not yet in the page cache); the median of the
others is the figure to compare with the budget (2 s). ``--source`` also times
``python -m desktop`` from the checkout, for comparison.

    make dist && .venv/bin/python -m bench.bench_bundle [dist/SayWell] [--runs 5] [--source]

Needs the Debian packages xvfb and xdotool, and Qt's xcb libraries (libxcb-cursor0,
libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, ...), as a Linux desktop has.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 2.0


def _check_dist():
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "packaging" / "check_dist.py")
    module = sys.modules["check_dist"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size_report(app_dir: Path) -> None:
    check_dist = _check_dist()
    total = check_dist.folder_size_mb(app_dir)
    print(f"bundle size: {total:.0f} MB (budget {check_dist.SIZE_BUDGET_MB:.0f} MB) in {app_dir}")
    internal = app_dir / "_internal"
    parts = [(check_dist.folder_size_mb(p) if p.is_dir() else p.lstat().st_size / 1e6, p.name)
             for p in internal.iterdir()]
    for size, name in sorted(parts, reverse=True)[:8]:
        print(f"  {size:6.1f} MB  _internal/{name}")


class Xvfb:
    """A private virtual X display for the duration of a ``with`` block."""

    def __enter__(self) -> str:
        # -displayfd: Xvfb picks a free display number and writes it to the pipe once it is
        # ready (a fixed number may be taken by someone else's Xvfb on a shared machine).
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                                      "1600x1000x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        return f":{number}"

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_window(argv: list[str], display: str, timeout_s: float = 30.0) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from launch until a visible window of the process exists.

    The CPU time barely depends on what else the machine is doing; the wall time does.
    """
    with tempfile.TemporaryDirectory(prefix="saywell-bench-") as data:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "SAYWELL_DATA_DIR": data, "SAYWELL_NO_NETWORK": "1"}
        start = time.perf_counter()
        log = Path(data) / "output.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while time.perf_counter() - start < timeout_s:
                found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid",
                                        str(proc.pid)], env=env, capture_output=True, text=True,
                                       check=False)
                if found.stdout.strip():
                    return time.perf_counter() - start, cpu_seconds(proc.pid)
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace").strip()[-1500:]
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before a "
                                       f"window; its output:\n{tail}")
                time.sleep(0.02)
            raise RuntimeError(f"no window after {timeout_s:.0f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def window_report(name: str, argv: list[str], display: str, runs: int) -> None:
    measured = [time_to_window(argv, display) for _ in range(runs)]
    times = [wall for wall, _ in measured]
    warm = times[1:] or times
    cpu = statistics.median(c for _, c in measured)
    verdict = "ok" if statistics.median(warm) <= BUDGET_S else "OVER BUDGET"
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"{name}: start to window first {times[0]:.2f} s, then median "
          f"{statistics.median(warm):.2f} s, best {min(warm):.2f} s over {len(warm)} runs "
          f"(budget {BUDGET_S:.1f} s): {verdict}; CPU time to window {cpu:.2f} s; "
          f"machine load {load:.1f} per core")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", nargs="?", type=Path, default=ROOT / "dist" / "SayWell")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", action="store_true", help="also time python -m desktop")
    args = parser.parse_args(argv)
    print(f"command: python -m bench.bench_bundle {' '.join(argv or sys.argv[1:])}")
    if not (args.app_dir / "SayWell").is_file():
        print(f"no SayWell executable in {args.app_dir}: run `make dist` first", file=sys.stderr)
        return 2
    size_report(args.app_dir)
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        print(f"start-to-window skipped: install {' and '.join(missing)} (apt-get install "
              "xvfb xdotool)", file=sys.stderr)
        return 2
    with Xvfb() as display:
        window_report("bundle", [str(args.app_dir / "SayWell")], display, args.runs)
        if args.source:
            window_report("source", [sys.executable, "-m", "desktop"], display, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
