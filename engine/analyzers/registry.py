"""The one place where an engine name becomes an analyzer.

``create_analyzer("sphinx")`` is the embedded CPU analyzer (the default);
``create_analyzer("alm", model_dir=..., adapter_dir=...)`` the audio-language
model backend. Backends are imported lazily, so choosing the CPU engine never
imports torch. Tests register fakes with ``register_analyzer`` (or monkeypatch ``_FACTORIES``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.errors import ModelError

if TYPE_CHECKING:
    from engine.analyzers.base import Analyzer

#: Engine used when none is named.
DEFAULT_ENGINE = "sphinx"

AnalyzerFactory = Callable[..., "Analyzer"]

ALM_INSTALL_HINT = (
    'install the ALM extra (pip install -e ".[alm]" in a source checkout, with torch==2.13.0 '
    "pinned) and pass a local model folder (saywell ... --engine alm --model-dir DIR)"
)
FROZEN_ALM_HINT = (
    "this SayWell build is the CPU build and carries no ALM engine: use the SayWell-ALM "
    "build (docs/packaging.md) or --engine sphinx"
)


def _alm_hint() -> str:
    """What to do when the ALM stack is missing: a frozen app cannot pip install."""
    return FROZEN_ALM_HINT if getattr(sys, "frozen", False) else ALM_INSTALL_HINT


def _sphinx(**options: Any) -> Analyzer:
    from engine.analyzers.sphinx import SphinxAnalyzer

    return SphinxAnalyzer(**options)


def _alm(**options: Any) -> Analyzer:
    try:
        module = importlib.import_module("engine.analyzers.alm")
    except ImportError as err:
        raise ModelError(
            f"The ALM engine is not available ({err.name or err}): {_alm_hint()}."
        ) from err
    factory = getattr(module, "create_analyzer", None)
    if factory is None:
        raise ModelError(
            "This SayWell build has no ALM analyzer (engine.analyzers.alm.create_analyzer "
            "is missing); use --engine sphinx."
        )
    try:
        return factory(**options)
    except ImportError as err:
        raise ModelError(
            f"The ALM engine needs {err.name or 'a missing package'}: {_alm_hint()}."
        ) from err


_FACTORIES: dict[str, AnalyzerFactory] = {"sphinx": _sphinx, "alm": _alm}


def analyzer_names() -> tuple[str, ...]:
    """The engine names ``create_analyzer`` accepts."""
    return tuple(_FACTORIES)


def register_analyzer(name: str, factory: AnalyzerFactory) -> None:
    """Make ``factory(**options)`` available as engine ``name`` (replaces an existing one)."""
    _FACTORIES[name] = factory


def create_analyzer(name: str = DEFAULT_ENGINE, **options: Any) -> Analyzer:
    """Build the analyzer called ``name`` with backend-specific ``options``.

    Raises:
        ModelError: unknown engine name (the valid ones are listed), or the
            backend cannot be loaded (missing extra, model folder, ...).
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ModelError(f"Unknown engine {name!r}; choose one of: {', '.join(analyzer_names())}.")
    return factory(**options)
