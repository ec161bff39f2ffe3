"""Sentence sets, settings and lab mode, engine choice with fallback, TTS discovery."""

from __future__ import annotations

import json

import pytest

from desktop.engine_setup import EngineSpec, build_engine
from desktop.practice import load_sentence_set, load_sentence_sets
from desktop.settings import AppSettings, SettingsStore, load_lab_config
from desktop.tts import find_voice
from desktop.view_models.practice import PracticeViewModel
from engine.analyzers import registry
from engine.errors import FormatError, ModelError


def test_bundled_sets_cover_known_difficulties():
    sets = load_sentence_sets()
    assert {"th-sounds", "r-and-l", "v-and-w", "final-consonants", "long-short-vowels"} <= {s.id for s in sets}
    for s in sets:
        assert len(s.sentences) >= 20 and len(set(s.sentences)) == len(s.sentences)
        assert s.title and len(s.description) > 60


def test_malformed_set_names_the_file_and_the_format(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"title": "x", "sentences": []}))
    with pytest.raises(FormatError, match="broken.json.*non-empty 'sentences' list"):
        load_sentence_set(bad)


def test_practice_navigation_wraps_and_own_sentences(qtbot):
    vm = PracticeViewModel(load_sentence_sets())
    first = vm.sentence
    with qtbot.waitSignal(vm.sentenceChanged):
        vm.previous()
    assert vm.index == len(vm.current_set.sentences) - 1
    vm.next()
    assert vm.sentence == first
    assert not vm.use_own_sentence("   ")
    assert vm.use_own_sentence("  Red   lorry ")
    assert vm.sentence == "Red lorry" and vm.current_set.title == "Your own sentences"


def test_settings_round_trip(tmp_path):
    store = SettingsStore(tmp_path / "settings.ini")
    assert store.load() == AppSettings()
    wanted = AppSettings(engine="alm", model_dir="/m", adapter_dir="/a", input_device=3, max_take_s=12.5,
                         alm_on_cpu=True)
    store.save(wanted)
    assert SettingsStore(tmp_path / "settings.ini").load() == wanted


def test_lab_config_overrides_folders(tmp_path):
    ini = tmp_path / "saywell-lab.ini"
    ini.write_text("[lab]\nengine = alm\nmodels_folder = /srv/models\nadapter = /srv/adapter\n")
    lab = load_lab_config(ini)
    assert lab.ask_learner_name and lab.models_folder == "/srv/models"
    store = SettingsStore(tmp_path / "settings.ini", lab)
    store.save(AppSettings(model_dir="/mine"))
    loaded = store.load()
    assert (loaded.engine, loaded.model_dir, loaded.adapter_dir) == ("alm", "/srv/models", "/srv/adapter")


def test_bad_lab_config_says_what_is_expected(tmp_path):
    ini = tmp_path / "saywell-lab.ini"
    ini.write_text("[lab]\nengine = gpu\n")
    with pytest.raises(FormatError, match="engine = 'gpu'; accepted: sphinx, alm"):
        load_lab_config(ini)
    assert load_lab_config(tmp_path / "absent.ini") is None


class _Stub:
    name = "stub"


@pytest.fixture
def stub_registry(monkeypatch):
    """The CPU analyzer replaced by a stub; the ALM factory under test control."""
    factories = dict(registry._FACTORIES)
    monkeypatch.setattr(registry, "_FACTORIES", factories)
    factories["sphinx"] = lambda **kw: _Stub()
    return factories


def test_alm_without_model_folder_falls_back_with_reason(stub_registry):
    engine = build_engine(EngineSpec("alm", model_dir=""))
    assert engine.choice.name == "sphinx"
    assert engine.choice.reason == "CPU engine: no model folder configured for the ALM"


def test_alm_model_error_falls_back_with_its_message(stub_registry):
    engine = build_engine(EngineSpec("alm", model_dir="/nowhere"))
    assert engine.choice.name == "sphinx" and isinstance(engine.analyzer, _Stub)
    assert engine.choice.reason.startswith("CPU engine: ")
    assert "/nowhere" in engine.choice.reason  # the reason names the folder it could not use


def test_alm_without_adapter_falls_back_without_importing_torch(stub_registry, tmp_path):
    import sys

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2_audio"}))
    had_torch = "torch" in sys.modules
    engine = build_engine(EngineSpec("alm", model_dir=str(tmp_path)))
    assert engine.choice.name == "sphinx"
    assert engine.choice.reason.startswith("CPU engine: ") and "adapter" in engine.choice.reason
    assert had_torch or "torch" not in sys.modules


def test_cpu_choice_is_said(stub_registry):
    assert build_engine(EngineSpec("sphinx")).choice.reason == \
        "CPU engine: no ALM model folder configured (see Settings)"
    assert build_engine(EngineSpec("sphinx", model_dir="/m")).choice.reason == "CPU engine: chosen in Settings"


def test_no_voice_explains_how_to_get_one(tmp_path):
    status = find_voice((tmp_path,), which=lambda name: None)
    assert not status.available and "espeak-ng" in status.reason


def test_espeak_found(tmp_path):
    status = find_voice((tmp_path,), which=lambda name: "/usr/bin/espeak-ng" if name == "espeak-ng" else None)
    assert status.kind == "espeak-ng" and status.command == ("/usr/bin/espeak-ng",)


def test_piper_voice_in_folder_is_preferred(tmp_path):
    (tmp_path / "en_US-amy-low.onnx").write_bytes(b"")
    (tmp_path / "en_US-amy-low.onnx.json").write_text("{}")
    status = find_voice((tmp_path,), which=lambda name: f"/usr/bin/{name}")
    assert status.kind == "piper" and status.voice.name == "en_US-amy-low.onnx"


def test_alm_on_cpu_reaches_the_alm_config(stub_registry, monkeypatch):
    from engine.analyzers import alm

    seen = {}

    def fake_config(**options):
        seen.update(options)
        raise ModelError("stop here")

    monkeypatch.setattr(alm, "config_from_options", fake_config)
    engine = build_engine(EngineSpec("alm", model_dir="/m", adapter_dir="/a", alm_on_cpu=True))
    assert seen == {"model_dir": "/m", "adapter_dir": "/a", "allow_cpu": True}
    assert engine.choice.name == "sphinx" and "stop here" in engine.choice.reason


def test_settings_file_is_user_only(tmp_path):
    import stat

    from desktop.app import settings_path

    path = settings_path(tmp_path / "data")
    SettingsStore(path).save(AppSettings(model_dir="/m"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert SettingsStore(path).load().model_dir == "/m"
