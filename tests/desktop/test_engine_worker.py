"""The engine worker thread: results and failures as dataclasses, busy state, cancel."""

from __future__ import annotations

from desktop.engine_setup import EngineSpec
from desktop.fake_engine import FakeAnalyzer
from desktop.workers.engine_worker import AnalysisResult, EngineClient, Failure
from engine.errors import TextError

from .conftest import fake_builder


def started(qtbot, analyzer: FakeAnalyzer) -> EngineClient:
    client = EngineClient(fake_builder(analyzer))
    with qtbot.waitSignal(client.engineReady, timeout=5000):
        client.load(EngineSpec("fake"))
    qtbot.waitUntil(lambda: not client.busy)
    return client


def test_result_arrives_as_a_dataclass(qtbot, clip):
    client = started(qtbot, FakeAnalyzer())
    try:
        with qtbot.waitSignal(client.analysisFinished, timeout=5000) as done:
            job = client.analyze(clip, "read this")
        result = done.args[0]
        assert isinstance(result, AnalysisResult) and result.job_id == job
        assert [w.text for w in result.assessment.words] == ["read", "this"]
    finally:
        client.shutdown()


def test_bad_input_becomes_a_failure_with_its_message(qtbot, clip):
    client = started(qtbot, FakeAnalyzer(fail=TextError("The sentence has no words to read.")))
    try:
        with qtbot.waitSignal(client.failed, timeout=5000) as failed:
            client.analyze(clip, "x")
        failure = failed.args[0]
        assert isinstance(failure, Failure) and failure.stage == "analyze"
        assert failure.message == "The sentence has no words to read." and not failure.cancelled
    finally:
        client.shutdown()


def test_cancel_reaches_queued_jobs_too(qtbot, clip):
    analyzer = FakeAnalyzer(delay_s=5.0)
    client = started(qtbot, analyzer)
    failures = []
    client.failed.connect(failures.append)
    try:
        with qtbot.waitSignal(client.busyChanged, timeout=3000, check_params_cb=lambda busy: not busy):
            client.analyze(clip, "first take")
            client.analyze(clip, "second take")  # queued behind the first
            client.cancel()
        assert [f.cancelled for f in failures] == [True, True]
        assert analyzer.calls <= 1  # the queued job never ran
    finally:
        client.shutdown()


def test_unexpected_exception_is_reported_not_raised(qtbot, clip):
    client = started(qtbot, FakeAnalyzer(fail=ZeroDivisionError("division by zero")))
    try:
        with qtbot.waitSignal(client.failed, timeout=5000) as failed:
            client.analyze(clip, "read this")
        assert failed.args[0].message == "Unexpected engine error (ZeroDivisionError: division by zero)."
    finally:
        client.shutdown()
