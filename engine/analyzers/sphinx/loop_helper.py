"""The free phone loop in a helper process, so that it runs beside the alignment passes.

pocketsphinx holds the GIL while it decodes, so a thread cannot overlap two passes; a
second process can, on the second core of a learner's machine. The free phone loop
("what I heard") needs nothing from the alignment passes, so it is the pass that moves:
``LoopHelper.submit`` hands the take to the helper, the parent runs its four passes, and
``LoopHelper.result`` collects the loop (on a 4.4 s sentence: 0.36 s instead of 0.47 s).

The helper is ``serve`` run as a program (``python -m engine.analyzers.sphinx``, or the
frozen executable given ``HELPER_FLAG``). It loads the same model with the same
settings as the in-process loop, so its transcript is the same. It talks over its standard
input and output (no sockets), starts on the first take, and exits when the parent closes
its input (also when the parent dies). If it cannot start, fails or hangs, the parent logs
why and runs the loop itself: the result is the same, only slower.

Protocol: each message is a header ``<II`` (request id, payload length) and a payload;
requests carry 16-bit PCM, replies JSON: ``[[name, start, end, score], ...]`` or
``{"error": "..."}``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import struct
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import BinaryIO

log = logging.getLogger(__name__)

#: The frozen executables (``packaging/launch_*.py``) become the helper when given this flag.
HELPER_FLAG = "--sphinx-loop-helper"
#: Set to 0/false/no/off to run the phone loop in the analyzer's own process.
HELPER_ENV = "SAYWELL_SPHINX_HELPER"
#: A reply later than this (plus the take's length) means the helper hung.
REPLY_TIMEOUT_S = 20.0
_HEADER = struct.Struct("<II")
_FALSE = {"0", "false", "no", "off"}

#: One free-loop segment as the wire carries it: (name, start frame, end frame, score).
WireSegment = tuple[str, int, int, float]


def helper_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether the phone loop may run in a helper process (``SAYWELL_SPHINX_HELPER``)."""
    env = os.environ if environ is None else environ
    return env.get(HELPER_ENV, "").strip().lower() not in _FALSE


def helper_argv() -> list[str]:
    """How to start the helper: the frozen executable with ``HELPER_FLAG``, else the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "engine.analyzers.sphinx"]


class LoopHelper:
    """The parent's side: one helper process, one request at a time. Not thread-safe."""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        self._argv = list(argv) if argv is not None else helper_argv()
        self._proc: subprocess.Popen | None = None
        self._replies: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._next_id = 0
        self._waiting: int | None = None  # id of the request whose reply is due
        self._stop: weakref.finalize | None = None  # ends the process (at exit, if not before)
        self.failed: str | None = None  # why the helper was given up, once it has been

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # -- lifecycle ---------------------------------------------------------------
    def _ensure_started(self) -> bool:
        if self.failed is not None:
            return False
        if self._proc is not None and self._proc.poll() is None:
            return True
        if self._proc is not None:
            return self._give_up(f"the helper process exited (code {self._proc.returncode})")
        try:
            self._proc = subprocess.Popen(
                self._argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as err:
            return self._give_up(f"could not start {self._argv[0]}: {err}")
        self._replies = queue.Queue()
        # One writer and one reader thread per process: a take is written while the caller
        # runs its own passes (the helper does not read while it loads the model, and a take
        # is larger than a pipe's buffer), and messages never interleave.
        self._outbox = queue.Queue()
        threading.Thread(
            target=_write_requests, args=(self._proc.stdin, self._outbox), daemon=True
        ).start()
        threading.Thread(
            target=_read_replies, args=(self._proc.stdout, self._replies), daemon=True
        ).start()
        self._stop = weakref.finalize(self, _stop_process, self._proc, self._outbox)
        return True

    def close(self) -> None:
        """End the helper (it exits when its input closes); safe to call twice."""
        self._proc = None
        if self._stop is not None:
            self._stop()

    def _give_up(self, why: str) -> bool:
        self.failed = why
        log.warning("Phone loop helper: %s; running the phone loop in this process.", why)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        self.close()
        return False

    # -- requests ----------------------------------------------------------------
    def submit(self, pcm: bytes) -> bool:
        """Send a take (16-bit PCM) to the helper; False when it is not available."""
        if not self._ensure_started():
            return False
        self._next_id += 1
        self._waiting = self._next_id
        self._outbox.put(_HEADER.pack(self._next_id, len(pcm)) + pcm)
        return True

    def result(self, duration_s: float) -> list[WireSegment] | None:
        """The loop of the last take submitted, or None if the helper could not give it (a
        helper that died or hung is then given up)."""
        wanted, self._waiting = self._waiting, None
        if wanted is None:
            return None
        deadline = REPLY_TIMEOUT_S + duration_s
        while True:
            try:
                reply = self._replies.get(timeout=deadline)
            except queue.Empty:
                self._give_up(f"no reply in {deadline:.0f} s")
                return None
            if reply is None:
                self._give_up("the helper process closed its output")
                return None
            rid, payload = reply
            if rid == wanted:  # replies to cancelled takes are dropped
                break
        data = json.loads(payload)
        if isinstance(data, dict):  # this take failed there; it will fail here with a clear message
            log.info("Phone loop helper could not decode a take: %s", data.get("error"))
            return None
        return [(str(n), int(s), int(e), float(sc)) for n, s, e, sc in data]


def _stop_process(proc: subprocess.Popen, outbox: queue.Queue) -> None:
    outbox.put(None)
    try:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=2)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _write_requests(stream: BinaryIO, outbox: queue.Queue) -> None:
    while (message := outbox.get()) is not None:
        try:
            stream.write(message)
            stream.flush()
        except (OSError, ValueError):
            return  # the helper is gone: the reader sees its output close and the caller falls back


def _read_replies(stream: BinaryIO, replies: queue.Queue) -> None:
    while True:
        header = _read_exact(stream, _HEADER.size)
        payload = None if header is None else _read_exact(stream, _HEADER.unpack(header)[1])
        if header is None or payload is None:
            replies.put(None)
            return
        replies.put((_HEADER.unpack(header)[0], payload))


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    loop: Callable[[bytes], Sequence[WireSegment]] | None = None,
) -> int:
    """The helper's side: answer requests until the input closes; returns the exit code."""
    if stdout is None:
        # Replies get a private copy of the output; anything else written to file
        # descriptor 1 (a library's print) goes to stderr instead of into a reply.
        stdout = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    if loop is None:
        from engine.analyzers.sphinx.aligner import loop_decoder, run_loop

        decoder = loop_decoder()

        def loop(pcm: bytes) -> Sequence[WireSegment]:
            return [(s.name, s.start, s.end, s.score) for s in run_loop(decoder, pcm)]

    while True:
        header = _read_exact(stdin, _HEADER.size)
        if header is None:
            return 0
        rid, n = _HEADER.unpack(header)
        pcm = _read_exact(stdin, n)
        if pcm is None:
            return 0
        try:
            payload = json.dumps(list(loop(pcm)))
        except Exception as err:  # noqa: BLE001 - reported to the parent, which falls back
            payload = json.dumps({"error": f"{type(err).__name__}: {err}"})
        body = payload.encode("utf-8")
        stdout.write(_HEADER.pack(rid, len(body)) + body)
        stdout.flush()
