"""Recording with a fake microphone: start/stop, level, length limit, device errors."""

from __future__ import annotations

import numpy as np

from desktop.audio_io import PORTAUDIO_HINT, SILENT_DBFS, FakeMicrophone, SoundDeviceMicrophone
from desktop.notifications import Notifier
from desktop.view_models.recorder import RecorderViewModel

from .conftest import speechlike


def test_start_stop_gives_a_clip(qtbot):
    mic = FakeMicrophone(speechlike(1.2), level=-18.0)
    recorder = RecorderViewModel(mic, Notifier())
    with qtbot.waitSignal(recorder.recordingChanged) as started:
        recorder.toggle()
    assert started.args == [True] and mic.recording
    with qtbot.waitSignal(recorder.levelChanged, check_params_cb=lambda level: level == -18.0):
        pass
    with qtbot.waitSignal(recorder.takeRecorded) as done:
        recorder.toggle()
    assert not mic.recording and not recorder.recording
    assert abs(done.args[0].duration_s - 1.2) < 0.01


def test_stops_at_the_maximum_length(qtbot):
    notifier = Notifier()
    recorder = RecorderViewModel(FakeMicrophone(speechlike(0.5)), notifier, max_take_s=0.2)
    with qtbot.waitSignal(recorder.takeRecorded, timeout=3000):
        recorder.start()
    assert "maximum take length" in notifier.history[-1].message


def test_no_microphone_says_so(qtbot):
    notifier = Notifier()
    recorder = RecorderViewModel(FakeMicrophone(error="No microphone was found."), notifier)
    recorder.start()
    assert not recorder.recording
    assert notifier.errors == ["No microphone was found."]


def test_silent_take_is_reported_not_analysed(qtbot):
    notifier = Notifier()
    recorder = RecorderViewModel(FakeMicrophone(np.zeros(16_000, np.float32)), notifier)
    recorder.start()
    with qtbot.assertNotEmitted(recorder.takeRecorded):
        recorder.stop()
    assert "silent" in notifier.errors[-1]


def test_missing_portaudio_gives_the_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    notifier = Notifier()
    recorder = RecorderViewModel(SoundDeviceMicrophone(), notifier)
    recorder.start()
    assert notifier.errors == [PORTAUDIO_HINT]
    assert "libportaudio2" in PORTAUDIO_HINT and "open or drop" in PORTAUDIO_HINT
    assert SoundDeviceMicrophone().level_dbfs() == SILENT_DBFS


def test_abort_drops_the_take(qtbot):
    mic = FakeMicrophone(speechlike(1.0))
    recorder = RecorderViewModel(mic, Notifier())
    recorder.start()
    with qtbot.assertNotEmitted(recorder.takeRecorded):
        recorder.abort()
    assert not recorder.recording and not mic.recording
