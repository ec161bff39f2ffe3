"""Choose and build the engine (analyzer + tutor), once, in one place, and say why.

Runs on the engine worker thread: building the ALM can take a while and imports torch,
which must never happen on the GUI thread or at start-up. When the ALM cannot be used
the CPU engine is built instead and the reason travels with the result to the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.analyzers.base import Analyzer, EngineChoice, Tutor
from engine.errors import AnalyzerError, ModelError, SayWellError


@dataclass(frozen=True)
class EngineSpec:
    """What the user asked for: ``engine`` is "sphinx", "alm" or "fake"."""

    engine: str = "sphinx"
    model_dir: str = ""
    adapter_dir: str = ""
    encoder_dir: str = ""  # whisper-llm family only: the Whisper checkpoint folder
    alm_on_cpu: bool = False  # allow the ALM on the CPU when there is no GPU (slow)


@dataclass(frozen=True)
class Engine:
    """The built engine: the analyzer, its tutor and the choice to announce."""

    analyzer: Analyzer
    tutor: Tutor
    choice: EngineChoice


def build_engine(spec: EngineSpec, progress: Any = None, should_cancel: Any = None) -> Engine:
    """Build what ``spec`` asks for, falling back to the CPU engine with a reason.

    Raises:
        AnalyzerError: not even the CPU engine can be built (e.g. pocketsphinx missing).
    """
    if spec.engine == "fake":
        from desktop.fake_engine import FAKE_REASON, FakeAnalyzer, FakeTutor

        return Engine(FakeAnalyzer(), FakeTutor(), EngineChoice("fake", FAKE_REASON))
    if spec.engine != "alm":
        return _cpu_engine("CPU engine: chosen in Settings" if spec.model_dir else
                           "CPU engine: no ALM model folder configured (see Settings)")
    if not spec.model_dir:
        return _cpu_engine("CPU engine: no model folder configured for the ALM")
    try:
        return _alm_engine(spec, progress, should_cancel)
    except ModelError as err:
        return _cpu_engine(f"CPU engine: the ALM could not be used ({err})")
    except (ImportError, SayWellError, RuntimeError, OSError) as err:
        return _cpu_engine(f"CPU engine: the ALM failed to load ({type(err).__name__}: {err})")


def _registry():
    try:
        from engine.analyzers import registry
    except ImportError as err:
        raise AnalyzerError(
            f"The analyzer registry is missing from this installation ({err}); reinstall SayWell."
        ) from err
    return registry


def _cpu_engine(reason: str) -> Engine:
    analyzer = _registry().create_analyzer("sphinx")
    return Engine(analyzer, _rule_tutor(), EngineChoice("sphinx", reason))


def _rule_tutor() -> Tutor:
    try:
        from engine.tutor import RuleTutor
    except ImportError:  # an engine without the tutor yet: say so in the chat, do not crash
        return _NoTutor()
    return RuleTutor()


def _alm_engine(spec: EngineSpec, progress: Any, should_cancel: Any = None) -> Engine:
    """The ALM when ``engine.analyzers.alm.choose_engine`` says it can run, else the CPU engine.

    ``choose_engine`` checks folders, adapter and memory before anything heavy is imported.
    """
    from engine.analyzers.alm import choose_engine, config_from_options, create_engine

    options: dict[str, Any] = {"model_dir": spec.model_dir}
    if spec.adapter_dir:
        options["adapter_dir"] = spec.adapter_dir
    if spec.encoder_dir:
        options["encoder_dir"] = spec.encoder_dir
    if spec.alm_on_cpu:
        options["allow_cpu"] = True
    choice = choose_engine(config_from_options(**options))
    if choice.name != "alm":
        return _cpu_engine(choice.reason)
    alm = create_engine(config_from_options(**options), progress=progress, should_cancel=should_cancel)
    return Engine(alm.analyzer, alm.tutor, choice)


class _NoTutor:
    """Stands in when the engine has no tutor: every question gets the same honest answer."""

    name = "no tutor"

    def begin(self, assessment, clip=None) -> None:
        pass

    def ask(self, question, *, on_token=None, should_cancel=None) -> str:
        answer = "Follow-up questions are not available with this engine yet."
        if on_token:
            on_token(answer)
        return answer
