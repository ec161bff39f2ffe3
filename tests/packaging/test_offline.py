"""Offline and private by construction: nothing at run time tries to reach the network."""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from engine import offline
from engine.offline import NetworkBlockedError, block_network
from tests.packaging.netguard import REPO, run_guarded

SAMPLE_WAV = REPO / "resources" / "samples" / "sample.wav"
SAMPLE_TEXT = json.loads((REPO / "resources" / "samples" / "sample.json").read_text())["text"]
HEAVY_MODULES = ("torch", "transformers", "peft", "bitsandbytes", "accelerate")


# --- the guard itself -------------------------------------------------------------------

def test_block_network_refuses_lookups_and_internet_sockets():
    original = socket.getaddrinfo
    with block_network() as attempts:
        with pytest.raises(NetworkBlockedError, match="offline"):
            socket.create_connection(("127.0.0.1", 9), timeout=0.5)
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("localhost", 80)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with pytest.raises(OSError):  # an OSError, so libraries degrade as when unplugged
            raw.connect(("127.0.0.1", 9))
        raw.close()
    assert [a.call for a in attempts] == ["create_connection", "getaddrinfo", "connect"]
    assert socket.getaddrinfo is original


def test_block_network_keeps_local_ipc():
    left, right = socket.socketpair()  # AF_UNIX: cannot leave the machine
    with block_network() as attempts:
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
    left.close()
    right.close()
    assert attempts == []


def test_offline_variables_are_forced_not_defaulted():
    env = {"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}
    offline.enforce_offline_env(env)
    assert env["HF_HUB_OFFLINE"] == env["TRANSFORMERS_OFFLINE"] == env["HF_DATASETS_OFFLINE"] == "1"
    assert env["HF_HUB_DISABLE_TELEMETRY"] == "1"


def _python(code: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTHONPATH": str(REPO), **env_extra}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_hugging_face_sees_offline_mode_even_if_the_shell_says_otherwise():
    code = ("import engine, huggingface_hub.constants as c; "
            "assert c.is_offline_mode(), 'hub online'; print('offline')")
    proc = _python(code, HF_HUB_OFFLINE="0", TRANSFORMERS_OFFLINE="0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "offline"


def test_environment_switch_installs_the_guard_and_logs(tmp_path):
    log = tmp_path / "net.log"
    code = ("import engine, socket\n"
            "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=0.5)\n"
            "except OSError as err:\n    print(type(err).__name__)\n")
    proc = _python(code, SAYWELL_NO_NETWORK="1", SAYWELL_NETWORK_LOG=str(log))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "NetworkBlockedError"
    assert "create_connection(('127.0.0.1', 9))" in log.read_text()


# --- the harness catches what it should (so the checks below can fail) -------------------

def test_harness_catches_a_python_level_connection(tmp_path):
    code = ("import socket\ntry:\n socket.create_connection(('127.0.0.1', 9), timeout=0.5)\n"
            "except OSError: pass")
    run = run_guarded(["python", "-c", code], tmp_path)
    assert run.returncode == 0, run.stderr
    assert any("create_connection" in a for a in run.python_attempts)


def test_harness_catches_a_native_connection_at_syscall_level(tmp_path):
    from tests.packaging.netguard import strace_available

    if not strace_available():
        pytest.skip("strace is not installed (apt-get install strace) or may not trace here; "
                    "the Python-level guard still runs in every other test")
    code = ("import socket\ns = socket.socket()\ntry:\n s.connect(('127.0.0.1', 9))\n"
            "except OSError: pass")
    run = run_guarded(["python", "-c", code], tmp_path, python_guard=False)
    assert run.returncode == 0, run.stderr
    assert any("AF_INET" in a and "htons(9)" in a for a in run.syscall_attempts)


# --- the real entry points ---------------------------------------------------------------

def test_cpu_entry_points_do_not_import_the_heavy_stacks():
    code = ("import sys, importlib\n"
            "for name in ('engine.cli', 'engine.analyzers.sphinx', 'desktop.app'):\n"
            "    importlib.import_module(name)\n"
            f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n")
    proc = _python(code, QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_cli_analyze_makes_no_network_attempt(tmp_path):
    run = run_guarded(["python", "-m", "engine.cli", "analyze", str(SAMPLE_WAV),
                       "--text", SAMPLE_TEXT, "--json"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["words"], "the analysis produced no words"
    assert run.attempts == ()


def test_desktop_selftest_makes_no_network_attempt(tmp_path):
    run = run_guarded(["python", "-m", "desktop", "--selftest"], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.attempts == ()


# --- no network code in the source at all --------------------------------------------------

NETWORK_MODULES = {"socket", "ssl", "http", "urllib.request", "urllib3", "requests", "httpx",
                   "aiohttp", "ftplib", "smtplib", "xmlrpc", "websocket", "websockets",
                   "PySide6.QtNetwork", "PySide6.QtWebEngineCore", "PySide6.QtWebSockets"}
DOWNLOADERS = {"hf_hub_download", "snapshot_download", "urlretrieve", "urlopen"}


def _network_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            names += [a.name for a in node.names if a.name in DOWNLOADERS]
        elif isinstance(node, ast.Attribute) and node.attr in DOWNLOADERS:
            names = [node.attr]
        for name in names:
            if name in DOWNLOADERS or any(name == m or name.startswith(m + ".")
                                          for m in NETWORK_MODULES):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    return found


def test_no_telemetry_update_check_or_download_code_in_the_app():
    allowed = {REPO / "engine" / "offline.py"}  # the guard itself patches socket
    files = [p for pkg in ("engine", "desktop", "training") for p in (REPO / pkg).rglob("*.py")
             if p not in allowed]
    assert files, "no source files found"
    offenders = [use for path in files for use in _network_uses(path)]
    assert offenders == []


HF_LIBRARIES = ("transformers", "huggingface_hub", "peft", "datasets", "accelerate", "tokenizers")


def _imports_engine_at_top(tree: ast.Module) -> bool:
    for node in tree.body:  # module level only: it runs before any function can import HF
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                (node.module == "engine" or node.module.startswith("engine.")):
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "engine"
                                                for a in node.names):
            return True
    return False


def test_every_module_using_hugging_face_imports_engine_first():
    """``import engine`` forces offline mode, so it must run before any HF import can."""
    late = []
    for pkg in ("engine", "training"):
        for path in (REPO / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            uses_hf = any(
                (isinstance(n, ast.Import) and any(a.name.split(".")[0] in HF_LIBRARIES
                                                   for a in n.names))
                or (isinstance(n, ast.ImportFrom) and n.module
                    and n.module.split(".")[0] in HF_LIBRARIES)
                for n in ast.walk(tree))
            inside_engine = pkg == "engine"  # the package's own __init__ has already run
            if uses_hf and not inside_engine and not _imports_engine_at_top(tree):
                late.append(str(path.relative_to(REPO)))
    assert late == []
