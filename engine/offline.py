"""Offline by construction: no network at run time, from the first import.

SayWell never needs the network: models, adapters and data are local folders. This module
makes that a property of the process rather than a promise:

* ``enforce_offline_env()`` puts the Hugging Face libraries (hub, transformers, datasets)
  in offline mode and turns their telemetry off. It runs when ``engine`` is imported, which
  is before any ALM or training code can import those libraries (they read the variables
  once, at their own import).
* ``block_network()`` is a context manager that makes every attempt to resolve a host name
  or open an internet socket raise ``NetworkBlockedError`` and records it. Tests use it.
* ``forbid_network()`` installs the same guard for the rest of the process: the opt-in
  ``--no-network`` runtime guard, also switched on by ``SAYWELL_NO_NETWORK=1`` (which is
  how the tests guard a subprocess or the frozen executable). With
  ``SAYWELL_NETWORK_LOG=FILE`` every blocked attempt is also appended to FILE, one line each.

Local IPC (``AF_UNIX`` sockets, e.g. multiprocessing) stays allowed: it cannot leave the
machine. Only the standard library is used here, so importing it costs nothing.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Environment that keeps the Hugging Face stack offline and quiet. Forced, not defaulted:
#: a user's shell setting ``HF_HUB_OFFLINE=0`` must not make SayWell go online.
HF_OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}

#: Set to 1/true/yes to install the network guard when ``engine`` is imported.
NO_NETWORK_ENV = "SAYWELL_NO_NETWORK"
#: File to which the guard appends one line per blocked attempt.
NETWORK_LOG_ENV = "SAYWELL_NETWORK_LOG"

_TRUE = {"1", "true", "yes", "on"}
_INET_FAMILIES = {socket.AF_INET, socket.AF_INET6}


class NetworkBlockedError(ConnectionRefusedError):
    """A network access was attempted while SayWell's offline guard was on.

    It is an ``OSError`` so that libraries which already handle "no network" degrade the
    way they would on an unplugged machine.
    """


@dataclass(frozen=True)
class NetworkAttempt:
    """One blocked attempt: which call, and the address it was given."""

    call: str
    target: str

    def __str__(self) -> str:
        return f"{self.call}({self.target})"


def enforce_offline_env(environ: dict[str, str] | None = None) -> None:
    """Force the offline variables; install the guard if ``SAYWELL_NO_NETWORK`` asks for it."""
    env = os.environ if environ is None else environ
    env.update(HF_OFFLINE_ENV)
    if env.get(NO_NETWORK_ENV, "").strip().lower() in _TRUE:
        log = env.get(NETWORK_LOG_ENV)
        forbid_network(log_path=Path(log) if log else None)


class _Guard:
    """Replacement socket functions that record and refuse; keeps the originals to restore."""

    def __init__(self, record: list[NetworkAttempt], log_path: Path | None) -> None:
        self.record = record
        self.log_path = log_path
        self.saved: list[tuple[object, str, object]] = []

    def refuse(self, call: str, target: object) -> NetworkBlockedError:
        attempt = NetworkAttempt(call, repr(target))
        self.record.append(attempt)
        if self.log_path is not None:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {attempt}\n")
        return NetworkBlockedError(
            f"SayWell works offline and blocked a network access: {attempt}"
        )

    def install(self) -> None:
        guard = self
        sock = socket.socket
        orig_connect, orig_connect_ex = sock.connect, sock.connect_ex
        orig_sendto = sock.sendto

        def connect(self: socket.socket, address: object) -> None:
            if self.family in _INET_FAMILIES:
                raise guard.refuse("connect", address)
            return orig_connect(self, address)

        def connect_ex(self: socket.socket, address: object) -> int:
            if self.family in _INET_FAMILIES:
                raise guard.refuse("connect_ex", address)
            return orig_connect_ex(self, address)

        def sendto(self: socket.socket, data: bytes, *args: object) -> int:
            if self.family in _INET_FAMILIES:
                raise guard.refuse("sendto", args[-1] if args else None)
            return orig_sendto(self, data, *args)

        def resolver(name: str):  # returns a stand-in with the replaced function's signature
            def refuse(*args: object, **_kwargs: object) -> object:
                raise guard.refuse(name, args[0] if args else None)

            return refuse

        patches = {(sock, "connect"): connect, (sock, "connect_ex"): connect_ex,
                   (sock, "sendto"): sendto}
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                     "create_connection"):
            patches[(socket, name)] = resolver(name)
        for (owner, name), replacement in patches.items():
            self.saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, replacement)

    def uninstall(self) -> None:
        for owner, name, original in reversed(self.saved):
            setattr(owner, name, original)
        self.saved.clear()


@contextlib.contextmanager
def block_network(
    record: list[NetworkAttempt] | None = None, log_path: Path | None = None
) -> Iterator[list[NetworkAttempt]]:
    """Within the block, name lookups and internet sockets raise ``NetworkBlockedError``.

    Yields the list of attempts (``record`` if given), so a test can assert it stays empty
    even when the code under test swallowed the error.
    """
    attempts = [] if record is None else record
    guard = _Guard(attempts, log_path)
    guard.install()
    try:
        yield attempts
    finally:
        guard.uninstall()


_process_guard: _Guard | None = None


def forbid_network(log_path: Path | None = None) -> list[NetworkAttempt]:
    """Block the network for the rest of the process (idempotent); return the attempt list."""
    global _process_guard
    if _process_guard is None:
        _process_guard = _Guard([], log_path)
        _process_guard.install()
    return _process_guard.record


def network_forbidden() -> bool:
    """True once ``forbid_network()`` has run in this process."""
    return _process_guard is not None
