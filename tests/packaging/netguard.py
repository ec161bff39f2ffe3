"""Run a command with the network guarded at two levels, and report every attempt.

1. Python level: a ``sitecustomize`` put first on ``PYTHONPATH`` installs
   ``engine.offline.forbid_network`` before the program's own code runs, and the guard is
   also switched on through ``SAYWELL_NO_NETWORK`` (which is how a frozen executable, which
   ignores ``PYTHONPATH``, is guarded). Blocked attempts are logged to a file.
2. System-call level (when ``strace`` is installed): every ``connect``/``sendto``/``sendmsg``
   of the process tree is traced, so native code (Qt, libsndfile, PortAudio, a DNS lookup
   in libc) is caught too. Internet-family calls and connections to the libc name service
   sockets count as attempts; other local IPC (``AF_UNIX``, netlink) does not.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SITECUSTOMIZE = """\
import os
from pathlib import Path
import engine.offline
engine.offline.forbid_network(log_path=Path(os.environ["SAYWELL_NETWORK_LOG"]))
"""



def load_check_dist():
    """``packaging/check_dist.py`` (a script, not a package) as a module: the strace
    harness lives there, shared by the bundle check and these tests."""
    spec = importlib.util.spec_from_file_location("check_dist", REPO / "packaging" / "check_dist.py")
    module = sys.modules.get("check_dist")
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["check_dist"] = module
        spec.loader.exec_module(module)
    return module


_check_dist = load_check_dist()
#: strace is installed and allowed to trace here (some sandboxes forbid ptrace).
strace_available = _check_dist.strace_works


@dataclass(frozen=True)
class GuardedRun:
    """The finished process and every network attempt seen at either level."""

    returncode: int
    stdout: str
    stderr: str
    python_attempts: tuple[str, ...]
    syscall_attempts: tuple[str, ...]
    traced: bool

    @property
    def attempts(self) -> tuple[str, ...]:
        return self.python_attempts + self.syscall_attempts


def guarded_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a guarded child: sitecustomize first on the path, guard variables set."""
    site = tmp_path / "netguard_site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO), env.get("PYTHONPATH", "")])
    env["SAYWELL_NO_NETWORK"] = "1"
    env["SAYWELL_NETWORK_LOG"] = str(tmp_path / "network.log")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("SAYWELL_DATA_DIR", str(tmp_path / "userdata"))
    env.update(extra or {})
    return env


def run_guarded(
    argv: list[str],
    tmp_path: Path,
    *,
    env_extra: dict[str, str] | None = None,
    python_guard: bool = True,
    timeout_s: float = 300.0,
) -> GuardedRun:
    """Run ``argv`` (a list; ``python`` means this interpreter) and collect network attempts."""
    env = guarded_env(tmp_path, env_extra)
    if not python_guard:
        env["PYTHONPATH"] = str(REPO)
        env.pop("SAYWELL_NO_NETWORK")
    argv = [sys.executable if a == "python" else a for a in argv]
    trace_log = tmp_path / "strace.log"
    traced = strace_available()
    if traced:
        argv = _check_dist.strace_argv(argv, trace_log)
    proc = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    log = Path(env["SAYWELL_NETWORK_LOG"])
    python_attempts = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    syscall_attempts = _check_dist.suspect_syscalls(trace_log) if traced else []
    return GuardedRun(proc.returncode, proc.stdout, proc.stderr, tuple(python_attempts),
                      tuple(syscall_attempts), traced)
