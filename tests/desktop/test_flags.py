"""``python -m desktop --selftest`` and ``--screenshot`` as a packager or CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage


def run_desktop(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAYWELL_DATA_DIR=str(tmp_path / "userdata"),
               SAYWELL_LAB_CONFIG=str(tmp_path / "no-lab.ini"))
    return subprocess.run([sys.executable, "-m", "desktop", *args], check=False, capture_output=True,
                          text=True,
                          timeout=180, env=env)


@pytest.mark.slow
def test_selftest_with_the_real_cpu_engine(tmp_path):
    done = run_desktop("--selftest", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SayWell selftest OK: engine sphinx" in done.stdout
    assert not (tmp_path / "userdata").exists()  # the selftest keeps to a temporary folder


def test_screenshot_writes_a_picture(tmp_path):
    out = tmp_path / "shots" / "window.png"
    done = run_desktop("--fake-engine", "--screenshot", str(out), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 820)


def test_selftest_fails_loudly_when_analysis_fails(tmp_path):
    env_sample = tmp_path / "resources"
    (env_sample / "samples").mkdir(parents=True)
    (env_sample / "samples" / "sample.json").write_text('{"audio_path": "sample.wav", "text": "hello"}')
    (env_sample / "samples" / "sample.wav").write_text("not audio")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAYWELL_RESOURCES=str(env_sample),
               SAYWELL_DATA_DIR=str(tmp_path / "userdata"), SAYWELL_LAB_CONFIG=str(tmp_path / "x.ini"))
    done = subprocess.run([sys.executable, "-m", "desktop", "--selftest", "--fake-engine"],
                          check=False, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "SayWell selftest FAILED" in done.stderr and "Cannot read sample.wav as audio" in done.stderr
    assert "Traceback" not in done.stderr


def test_startup_does_not_import_torch(tmp_path):
    code = ("import sys; import desktop.app, desktop.main_window, desktop.context; "
            "from desktop.app import build_context; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          timeout=60,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert done.stdout.strip() == "False", done.stderr
