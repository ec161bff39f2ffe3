"""The real CPU analyzer on the bundled sample, from loading the file to the rendered chat."""

from __future__ import annotations

import json

import pytest

from desktop.engine_setup import build_engine
from desktop.main_window import MainWindow
from engine.paths import resource


@pytest.mark.slow
def test_sample_take_from_file_to_chat(qtbot, make_ctx):
    sample = json.loads(resource("samples", "sample.json").read_text(encoding="utf-8"))
    ctx = make_ctx(engine_builder=build_engine)
    ctx.fake_engine = False  # the real engine choice: the CPU analyzer
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(ctx.engine.engineReady, timeout=60_000) as ready:
        ctx.load_engine()
    assert ready.args[0].name == "sphinx"
    assert win.engine_label.text().startswith("CPU engine")
    ctx.practice.use_own_sentence(sample["text"])
    with qtbot.waitSignal(ctx.session.analysisDone, timeout=60_000) as done:
        win.ctx.session.open_file(resource("samples", "sample.wav"), ctx.practice.sentence)
    assessment = done.args[0]
    assert assessment.engine == "sphinx"
    assert len(assessment.words) == len(sample["text"].split())
    starts = [w.start_s for w in assessment.words]
    assert starts == sorted(starts) and assessment.words[-1].end_s <= assessment.duration_s + 0.05
    # the sample was rendered with an R->L error planted in "regret"
    assert "regret" in [w.text for w in assessment.flagged_words]
    text = win.chat.plain_text()
    assert text.lstrip().startswith(f"Score {assessment.score:.0f}/100")
    for word in assessment.flagged_words:
        assert f"“{word.text}”" in text
    assert set(win.waveform.regions) == {w.index for w in assessment.words if w.end_s > w.start_s}
    assert ctx.history.attempts()[-1].flagged_words == tuple(w.text for w in assessment.flagged_words)
