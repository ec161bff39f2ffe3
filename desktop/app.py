"""Composition root: builds every part of the app once, wires them, and runs one of the modes
(normal window, ``--selftest``, ``--screenshot``).

Start-up stays light: no torch, no model; the engine is built on its worker thread after the
window is shown.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.audio_io import FakeMicrophone, SoundDeviceMicrophone, SoundDeviceSpeaker
from engine.errors import SayWellError
from engine.paths import resource, user_data_dir

WINDOW_SIZE = (1280, 820)
SELFTEST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Options:
    """The command line, parsed (see ``desktop.__main__``)."""

    selftest: bool = False
    screenshot: Path | None = None
    data_dir: Path | None = None
    fake_engine: bool = False
    fake_microphone: bool = False


def build_context(options: Options, data_dir: Path | None, *, microphone=None, speaker=None,
                  engine_builder=None, voice=None):
    """Make every part of the app (no window yet). Keyword arguments replace the real
    microphone, speaker, engine builder and TTS voice (tests pass fakes)."""
    from desktop.context import AppContext
    from desktop.notifications import Notifier
    from desktop.settings import SettingsStore
    from desktop.tts import find_voice
    from desktop.view_models.chat import ChatViewModel
    from desktop.view_models.practice import PracticeViewModel
    from desktop.view_models.recorder import RecorderViewModel
    from desktop.view_models.reference import ReferenceVoice
    from desktop.view_models.session import SessionViewModel
    from desktop.workers.engine_worker import EngineClient

    notifier = Notifier()
    lab = _lab_config(notifier)
    # Settings live in the data folder too (user-only, like the history): one place to find,
    # back up or delete. The data-folder *setting* only moves the history and recordings.
    store = SettingsStore(settings_path(data_dir), lab)
    settings = store.load()
    if microphone is None:
        microphone = FakeMicrophone() if options.fake_microphone else SoundDeviceMicrophone()
    speaker = speaker or SoundDeviceSpeaker()
    engine = EngineClient(engine_builder) if engine_builder else EngineClient()
    chat = ChatViewModel()
    session = SessionViewModel(engine, chat, notifier, speaker)
    recorder = RecorderViewModel(microphone, notifier, max_take_s=settings.max_take_s,
                                 device=None if settings.input_device < 0 else settings.input_device)
    if voice is None:
        base = Path(settings.data_dir) if settings.data_dir else (data_dir or user_data_dir())
        voice = find_voice((base / "voices",))
    ctx = AppContext(
        notifier=notifier, settings_store=store, settings=settings, microphone=microphone,
        speaker=speaker, engine=engine, practice=PracticeViewModel(_sentence_sets(notifier)),
        recorder=recorder, chat=chat, session=session,
        reference=ReferenceVoice(voice),
        history=None, fake_engine=options.fake_engine, data_dir_override=data_dir,
    )
    ctx.open_history()
    return ctx


def settings_path(data_dir: Path | None) -> Path:
    """``settings.ini`` in ``data_dir`` (default: the user data folder), user-only."""
    import os

    folder = data_dir or user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / "settings.ini"
    if not path.exists():
        path.touch(mode=0o600)
    os.chmod(path, 0o600)
    return path


def route_unexpected_errors(notifier) -> None:
    """A bug in a Qt slot must not vanish on stderr: log it and tell the user, once, plainly."""
    import logging

    def hook(kind, value, tb) -> None:
        logging.getLogger("saywell").error("unexpected error", exc_info=(kind, value, tb))
        notifier.error(f"Something went wrong inside SayWell ({kind.__name__}: {value}). "
                       "Your history is safe; if it happens again, please report it.")

    sys.excepthook = hook


def _lab_config(notifier):
    from desktop.settings import load_lab_config

    try:
        return load_lab_config()
    except SayWellError as err:
        notifier.error(f"{err} Lab mode is off.")
        return None


def _sentence_sets(notifier):
    from desktop.practice import load_sentence_sets

    try:
        return load_sentence_sets()
    except SayWellError as err:
        notifier.error(str(err))
        return ()


def run(options: Options) -> int:
    """Run the app in the mode ``options`` asks for; returns the process exit code."""
    if options.selftest or options.screenshot:
        with tempfile.TemporaryDirectory(prefix="saywell-selftest-") as tmp:
            return _run_check(options, options.data_dir or Path(tmp))
    return _run_window(options)


def _application():
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop.widgets.theme import STYLE_SHEET

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SayWell")
    app.setOrganizationName("SayWell")
    app.setWindowIcon(QIcon(str(resource("icons", "saywell.svg"))))
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE_SHEET)
    return app


def open_main_window(options: Options):
    """Create the application, the parts and the shown main window; start loading the engine.

    Returns (QApplication, AppContext, MainWindow). ``bench/bench_startup.py`` times this.
    """
    from desktop.main_window import MainWindow

    app = _application()
    ctx = build_context(options, options.data_dir)
    route_unexpected_errors(ctx.notifier)
    window = MainWindow(ctx, defer_plots=True)
    geometry = ctx.settings_store.geometry()
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*WINDOW_SIZE)
    window.show()
    # After the window is up: the plots, then the engine on its thread (both compete for the CPU).
    window.plotsReady.connect(ctx.load_engine)
    return app, ctx, window


def _run_window(options: Options) -> int:
    app, ctx, window = open_main_window(options)
    _ask_learner_name(ctx, window)
    try:
        return app.exec()
    finally:
        ctx.engine.shutdown()
        if ctx.history is not None:
            ctx.history.close()


def _ask_learner_name(ctx, window) -> None:
    """Lab mode: each session belongs to a named learner (kept with every attempt)."""
    lab = ctx.settings_store.lab
    if lab is None or not lab.ask_learner_name:
        return
    from PySide6.QtWidgets import QInputDialog

    name, ok = QInputDialog.getText(window, "Who is practising?", "Your name (kept with your attempts):")
    ctx.session.learner = name.strip() if ok else ""
    if ctx.session.learner:
        window.setWindowTitle(f"SayWell: {ctx.session.learner}")
        window.refresh_progress()


def _run_check(options: Options, data_dir: Path) -> int:
    """``--selftest`` / ``--screenshot``: analyse the bundled sample in a real window."""
    from PySide6.QtCore import QEventLoop, QTimer

    from desktop.main_window import MainWindow

    app = _application()
    ctx = build_context(options, data_dir)
    route_unexpected_errors(ctx.notifier)
    window = MainWindow(ctx)
    window.resize(*WINDOW_SIZE)
    window.show()
    started = time.perf_counter()
    try:
        outcome = _analyse_sample(ctx, QEventLoop, QTimer)
        app.processEvents()
        problems = _check_rendered(ctx, window, outcome)
        if not problems:
            problems += _ask_follow_up(ctx, QEventLoop, QTimer)
        if options.screenshot and not problems:
            problems += _save_screenshot(window, options.screenshot, app)
    finally:
        ctx.engine.shutdown()
        if ctx.history is not None:
            ctx.history.close()
    return _report(problems, ctx, time.perf_counter() - started, options)


def _analyse_sample(ctx, QEventLoop, QTimer) -> dict:
    sample = json.loads(resource("samples", "sample.json").read_text(encoding="utf-8"))
    wav = resource("samples", sample.get("audio_path", "sample.wav"))
    ctx.practice.use_own_sentence(sample["text"])
    outcome: dict = {}
    loop = QEventLoop()
    ctx.session.analysisDone.connect(lambda a: (outcome.setdefault("assessment", a), loop.quit()))
    ctx.session.analysisFailed.connect(lambda m: (outcome.setdefault("error", m), loop.quit()))
    ctx.engine.failed.connect(lambda f: f.stage == "load" and (outcome.setdefault("error", f.message), loop.quit()))
    QTimer.singleShot(int(SELFTEST_TIMEOUT_S * 1000), loop.quit)
    ctx.load_engine()
    ctx.session.open_file(wav, sample["text"])
    if ctx.notifier.errors:
        return {"error": ctx.notifier.errors[-1]}
    loop.exec()
    return outcome


def _check_rendered(ctx, window, outcome: dict) -> list[str]:
    if "error" in outcome:
        return [f"analysis failed: {outcome['error']}"]
    assessment = outcome.get("assessment")
    if assessment is None:
        return [f"no result within {SELFTEST_TIMEOUT_S:.0f} s"]
    problems = [f"error reported: {message}" for message in ctx.notifier.errors]
    if not window.chat.plain_text().lstrip().startswith("Score"):
        problems.append("the chat pane does not show the score")
    timed = [w for w in assessment.words if w.end_s > w.start_s]
    if len(window.waveform.regions) != len(timed):
        problems.append(f"the waveform shades {len(window.waveform.regions)} words, expected {len(timed)}")
    if ctx.history is not None and not ctx.history.attempts():
        problems.append("the attempt was not saved to the history")
    return problems


SELFTEST_QUESTION = "How do I make this sound?"


def _ask_follow_up(ctx, QEventLoop, QTimer) -> list[str]:
    """Select the first flagged word and ask the tutor about it, as a learner would."""
    flagged = ctx.session.assessment.flagged_words
    if flagged:
        ctx.session.select_word(flagged[0].index)
    answer: dict = {}
    loop = QEventLoop()
    ctx.engine.answerFinished.connect(lambda job, text: (answer.setdefault("text", text), loop.quit()))
    ctx.engine.failed.connect(lambda f: f.stage == "ask" and (answer.setdefault("error", f.message), loop.quit()))
    QTimer.singleShot(int(SELFTEST_TIMEOUT_S * 1000), loop.quit)
    ctx.session.ask(SELFTEST_QUESTION)
    loop.exec()
    if "error" in answer:
        return [f"the tutor failed: {answer['error']}"]
    if not answer.get("text", "").strip():
        return [f"the tutor gave no answer within {SELFTEST_TIMEOUT_S:.0f} s"]
    return []


def _save_screenshot(window, path: Path, app) -> list[str]:
    deadline = time.monotonic() + 10.0
    while not window.waveform.has_pitch() and time.monotonic() < deadline:
        app.processEvents()  # the pitch contour arrives from its thread
        time.sleep(0.01)
    window.chat.browser.verticalScrollBar().setValue(0)
    for _ in range(5):
        app.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        return [f"could not write the screenshot to {path}"]
    return []


def _report(problems: list[str], ctx, elapsed_s: float, options: Options) -> int:
    choice = ctx.engine.choice
    if problems:
        print("SayWell selftest FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    a = ctx.session.assessment
    print(f"SayWell selftest OK: engine {choice.name if choice else '?'} ({choice.reason if choice else ''}); "
          f"score {a.score:.0f}, flagged {[w.text for w in a.flagged_words]}; {elapsed_s:.1f} s")
    if options.screenshot:
        print(f"screenshot written to {options.screenshot}")
    return 0
