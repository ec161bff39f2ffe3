"""Half of the analyzer's passes in a helper process, beside the other half.

pocketsphinx holds the GIL while it decodes, so a thread cannot overlap two passes; a
second process can, on the second core of a learner's machine. The canonical alignment
and the free phone loop need nothing from the probe alignment, so they move:
``AlignerHelper.submit`` hands the take to the helper, the analyzer runs the probe
passes, and ``AlignerHelper.result`` collects the rest (a 4.4 s sentence on the 2-core
development machine: 0.37-0.43 s instead of 0.61-0.66 s in one process).

The helper is ``serve`` run as a program (``python -m engine.analyzers.sphinx``, or the
frozen executable given ``HELPER_FLAG``): an ``Aligner`` of its own, with the same model
and settings, so its results are the ones the analyzer would get itself. It talks over
its standard input and output (no sockets), starts with the analyzer (it has loaded its
model by the first take), and exits when the parent closes its input (also when the
parent dies). If it cannot start, fails or hangs, the parent logs why and runs those
passes itself: the same result, later.

Protocol: a request is a header ``<III`` (request id, JSON length, PCM length), JSON
``{"add": [[name, [phones]], ...], "align": [name, ...]}`` (pronunciations to add, then
the words to align) and 16-bit PCM; a reply is a header ``<II`` (request id, length) and
JSON: ``Passes`` as nested lists, or ``{"error": "..."}``.
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
from typing import Any, BinaryIO

from engine.analyzers.sphinx.aligner import AlignedWord, Passes, Segment
from engine.audio import SAMPLE_RATE_HZ

log = logging.getLogger(__name__)

#: The frozen executables (``packaging/launch_*.py``) become the helper when given this flag.
HELPER_FLAG = "--sphinx-helper"
#: Set to 0/false/no/off to run every pass in the analyzer's own process.
HELPER_ENV = "SAYWELL_SPHINX_HELPER"
#: Not reading a take, or not answering it, for this long plus the take's length means
#: the helper hung.
REPLY_TIMEOUT_S = 20.0
_PCM_BYTES_PER_S = 2 * SAMPLE_RATE_HZ
_REQUEST = struct.Struct("<III")
_REPLY = struct.Struct("<II")
_FALSE = {"0", "false", "no", "off"}

Forms = Sequence[tuple[str, Sequence[str]]]


def helper_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether passes may run in a helper process (``SAYWELL_SPHINX_HELPER``)."""
    env = os.environ if environ is None else environ
    return env.get(HELPER_ENV, "").strip().lower() not in _FALSE


def helper_argv() -> list[str]:
    """How to start the helper: the frozen executable with ``HELPER_FLAG``, else the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "engine.analyzers.sphinx"]


def default_helper() -> AlignerHelper | None:
    """A started helper, unless ``SAYWELL_SPHINX_HELPER`` switches it off. Started now, it has
    loaded its model by the first take (the analyzer's own start does not wait for it)."""
    if not helper_enabled():
        return None
    helper = AlignerHelper()
    helper.start()
    return helper


class AlignerHelper:
    """The parent's side: one helper process, one request at a time. Not thread-safe."""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        self._argv = list(argv) if argv is not None else helper_argv()
        self._proc: subprocess.Popen | None = None
        self._replies: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self._outbox: queue.Queue[_Message | None] = queue.Queue()
        self._next_id = 0
        self._waiting: int | None = None  # id of the request whose reply is due
        self._timeout_s = REPLY_TIMEOUT_S  # for that request and its reply
        self._sent: set[str] = set()  # pronunciations the helper has been given
        self._stop: weakref.finalize | None = None  # ends the process (at exit, if not before)
        self.failed: str | None = None  # why the helper was given up, once it has been

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> bool:
        """Start the process if it is not running (``submit`` does it too); False if it cannot."""
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
        self._sent = set()
        # Requests and replies go through threads so that waiting for either can time out.
        self._replies, self._outbox = queue.Queue(), queue.Queue()
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
        log.warning("Analyzer helper: %s; running all passes in this process.", why)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        self.close()
        return False

    # -- requests ----------------------------------------------------------------
    def submit(self, forms: Forms, words: Sequence[str], pcm: bytes) -> bool:
        """Ask for ``Aligner.passes(words, pcm)``, after adding the pronunciations ``forms``
        (``(name, phones)``; those already sent are skipped). False when no helper is available.
        """
        if not self.start():
            return False
        new = [(name, list(phones)) for name, phones in forms if name not in self._sent]
        body = json.dumps({"add": new, "align": list(words)}).encode("utf-8")
        self._next_id += 1
        message = _Message(_REQUEST.pack(self._next_id, len(body), len(pcm)) + body + pcm)
        self._outbox.put(message)
        # Wait until the helper has read the take (at once when it is idle): the caller is
        # about to decode, and pocketsphinx would hold the GIL the writing thread needs.
        timeout = REPLY_TIMEOUT_S + len(pcm) / _PCM_BYTES_PER_S
        if not message.done.wait(timeout):
            return self._give_up(f"it did not read a take in {timeout:.0f} s")
        if message.error is not None:
            return self._give_up(f"could not send it a take ({message.error})")
        self._sent.update(name for name, _ in new)
        self._waiting, self._timeout_s = self._next_id, timeout
        return True

    def result(self) -> Passes | None:
        """The passes of the last take submitted, or None if the helper could not give them (a
        helper that died or hung is then given up)."""
        wanted, self._waiting = self._waiting, None
        if wanted is None:
            return None
        deadline = self._timeout_s
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
        if "error" in data:  # this take failed there; it will fail here with a clear message
            log.info("Analyzer helper could not align a take: %s", data["error"])
            return None
        return passes_from_wire(data)


def passes_to_wire(p: Passes) -> dict[str, Any]:
    """``Passes`` as JSON-ready nested lists."""

    def seg(s: Segment) -> list:
        return [s.name, s.start, s.end, s.score]

    return {
        "words": [seg(s) for s in p.words],
        "aligned": [[seg(w.segment), [seg(ph) for ph in w.phones]] for w in p.aligned],
        "loop": [seg(s) for s in p.loop],
    }


def passes_from_wire(data: dict[str, Any]) -> Passes:
    """The inverse of ``passes_to_wire``."""

    def seg(row: list) -> Segment:
        name, start, end, score = row
        return Segment(str(name), int(start), int(end), float(score))

    return Passes(
        tuple(seg(s) for s in data["words"]),
        tuple(AlignedWord(seg(w), tuple(seg(ph) for ph in phones)) for w, phones in data["aligned"]),
        tuple(seg(s) for s in data["loop"]),
    )


class _Message:
    """A request on its way to the helper; ``done`` is set once it is written (or failed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.done = threading.Event()
        self.error: str | None = None


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
            stream.write(message.data)
            stream.flush()
        except (OSError, ValueError) as err:
            message.error = str(err) or type(err).__name__
        finally:
            message.done.set()
        if message.error is not None:
            return


def _read_replies(stream: BinaryIO, replies: queue.Queue) -> None:
    while True:
        header = _read_exact(stream, _REPLY.size)
        payload = None if header is None else _read_exact(stream, _REPLY.unpack(header)[1])
        if header is None or payload is None:
            replies.put(None)
            return
        replies.put((_REPLY.unpack(header)[0], payload))


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


Handler = Callable[[dict[str, Any], bytes], dict[str, Any]]


def serve(
    stdin: BinaryIO | None = None, stdout: BinaryIO | None = None, handle: Handler | None = None
) -> int:
    """The helper's side: answer requests until the input closes; returns the exit code."""
    if stdout is None:
        # Replies get a private copy of the output; anything else written to file
        # descriptor 1 (a library's print) goes to stderr instead of into a reply.
        stdout = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    handle = handle or _aligner_handler()
    while True:
        header = _read_exact(stdin, _REQUEST.size)
        if header is None:
            return 0
        rid, n_json, n_pcm = _REQUEST.unpack(header)
        body, pcm = _read_exact(stdin, n_json), _read_exact(stdin, n_pcm)
        if body is None or pcm is None:
            return 0
        try:
            reply = handle(json.loads(body), pcm)
        except Exception as err:  # noqa: BLE001 - reported to the parent, which falls back
            reply = {"error": f"{type(err).__name__}: {err}"}
        data = json.dumps(reply).encode("utf-8")
        stdout.write(_REPLY.pack(rid, len(data)) + data)
        stdout.flush()


def _aligner_handler() -> Handler:
    from engine.analyzers.sphinx.aligner import Aligner

    aligner = Aligner()

    def handle(request: dict[str, Any], pcm: bytes) -> dict[str, Any]:
        aligner.add_words((name, tuple(phones)) for name, phones in request["add"])
        return passes_to_wire(aligner.passes(request["align"], pcm))

    return handle
