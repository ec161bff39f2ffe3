"""The ALM engine composed with the real CPU analyzer, and through the CLI, on the bundled sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.analyzers.alm import create_engine
from engine.audio import load_audio
from engine.paths import resource
from engine.prompts import PromptStyle

pytestmark = pytest.mark.slow
SAMPLE = json.loads(resource("samples", "sample.json").read_text())


def test_grounded_alm_with_the_real_cpu_analyzer(adapters: dict):
    config = adapters["qwen2-audio"]["config"].with_changes(max_new_tokens=24, prompt_style="grounded")
    engine = create_engine(config)
    assert engine.analyzer.style is PromptStyle.TUNED  # the adapter's manifest says how it was trained
    engine.analyzer.style = PromptStyle.GROUNDED
    prompts = []
    generate = engine.loaded.runtime.generate
    engine.loaded.runtime.generate = lambda prompt, *a, **k: (prompts.append(prompt), generate(prompt, *a, **k))[1]
    clip = load_audio(resource("samples", SAMPLE["audio_path"]))
    result = engine.analyzer.analyze(clip, SAMPLE["text"])
    evidence = prompts[0].turns[-1].content
    assert "2. regret (score" in evidence and "13. laughter (score" in evidence
    # a random tiny model cannot answer in the format: the learner gets the CPU result, and is told
    assert result.engine == "sphinx" and [w.text for w in result.words][:2] == ["the", "regret"]
    assert any("could not be read" in note for note in result.notes)
    pieces: list[str] = []
    engine.tutor.begin(result, clip)
    answer = engine.tutor.ask("How do I say the R in regret?", on_token=pieces.append)
    assert "".join(pieces).strip() == answer.strip()


def test_cli_sample_with_the_alm_engine_offline(adapters: dict, tmp_path: Path):
    config = adapters["qwen2-audio"]["config"]
    log = tmp_path / "network.log"
    env = {**os.environ, "SAYWELL_NO_NETWORK": "1", "SAYWELL_NETWORK_LOG": str(log)}
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "sample", "--json", "--engine", "alm",
         "--model-dir", str(config.model_dir), "--adapter", str(config.adapter_dir)],
        check=False, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["text"] == SAMPLE["text"]
    notes = " ".join(result["notes"])
    assert "CPU" in notes  # "running on the CPU: slow", and the fallback to the CPU result
    assert not log.exists() or log.read_text() == ""
    bad = subprocess.run(
        [sys.executable, "-m", "engine", "sample", "--engine", "alm", "--model-dir", str(tmp_path)],
        check=False, capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode == 7 and "config.json" in bad.stderr and "Traceback" not in bad.stderr
