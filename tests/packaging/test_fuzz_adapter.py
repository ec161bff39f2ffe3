"""Robustness of the adapter manifest checks (``engine.analyzers.alm.manifest``) under fuzzing.

An adapter folder comes from outside (a download, a USB stick, a lab share): whatever its
manifest says, checking it must end in a manifest or a ``ModelError`` that says why, never
another exception; no listed path may lead outside the folder; no pickled weights; and any
change to a listed file is caught by its checksum. Standard library only: no torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analyzers.alm.manifest import (
    MANIFEST_FILE,
    WEIGHT_SUFFIXES,
    AdapterManifest,
    safe_member,
    verify_adapter,
    write_manifest,
)
from engine.errors import ModelError

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
FAMILY = "qwen2-audio"


@pytest.fixture
def adapter(tmp_path: Path) -> tuple[Path, Path]:
    """A valid adapter folder for a tiny base-model config: (adapter_dir, model_dir)."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "qwen2_audio", "vocab_size": 64,
                                                   "text_config": {"hidden_size": 32}}))
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"r": 8, "peft_type": "LORA"}))
    (folder / "adapter_model.safetensors").write_bytes(os.urandom(2048))
    write_manifest(folder, ["adapter_config.json", "adapter_model.safetensors"], name="t",
                   family=FAMILY, base_dir=model, base_model="tiny")
    verify_adapter(folder, family=FAMILY, model_dir=model)  # the fixture itself is valid
    return folder, model


def _rewrite_manifest(folder: Path, change: dict) -> None:
    path = folder / MANIFEST_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=25,
)


@FUZZ
@given(data=JSON)
def test_from_dict_returns_a_manifest_or_says_why(data):
    try:
        manifest = AdapterManifest.from_dict(data)
    except ModelError as err:
        assert str(err)
    else:
        assert isinstance(manifest.files, dict)


@FUZZ
@given(blob=st.binary(max_size=600))
def test_random_manifest_bytes_are_refused_cleanly(blob, adapter):
    folder, model = adapter
    (folder / MANIFEST_FILE).write_bytes(blob)
    with pytest.raises(ModelError):
        verify_adapter(folder, family=FAMILY, model_dir=model)


@FUZZ
@given(field=st.sampled_from(["name", "family", "base_model", "base_fingerprint", "files",
                              "schema_version", "prompt_version", "prompt_style",
                              "manifest_version", "training_data", "licence"]), value=JSON)
def test_any_field_of_any_type_ends_in_a_manifest_or_a_model_error(field, value, adapter):
    folder, model = adapter
    original = (folder / MANIFEST_FILE).read_text()
    _rewrite_manifest(folder, {field: value})
    try:
        verify_adapter(folder, family=FAMILY, model_dir=model)
    except ModelError as err:
        assert str(err)
    finally:
        (folder / MANIFEST_FILE).write_text(original)


SEGMENTS = st.sampled_from(["..", ".", "", "a", "adapter_model.safetensors", "~", "C:", "/",
                            "\\", "..\\..", "%2e%2e", "\x00", "é"])


@FUZZ
@given(parts=st.lists(SEGMENTS, min_size=1, max_size=5), absolute=st.booleans())
def test_listed_paths_never_lead_outside_the_folder(parts, absolute, tmp_path):
    folder = tmp_path / "adapter"
    folder.mkdir(exist_ok=True)
    rel = ("/" if absolute else "") + "/".join(parts)
    try:
        path = safe_member(folder, rel)
    except ModelError:
        return
    # Lexically (the folder holds no links; a NUL byte cannot be resolved, nor opened).
    normal = os.path.normpath(str(path))
    assert normal.startswith(str(folder) + os.sep), f"{rel!r} escaped to {normal}"


@pytest.mark.parametrize("rel", ["../secret.safetensors", "a/../../secret.safetensors",
                                 "/etc/passwd", "C:/Windows/x.safetensors",
                                 "sub\\..\\..\\x.safetensors", "..", "."])
def test_traversal_in_the_manifest_is_refused(rel, adapter):
    folder, model = adapter
    files = json.loads((folder / MANIFEST_FILE).read_text())["files"]
    _rewrite_manifest(folder, {"files": {**files, rel: "0" * 64}})
    with pytest.raises(ModelError, match="inside the adapter folder|outside the adapter folder"):
        verify_adapter(folder, family=FAMILY, model_dir=model)


def test_a_symlink_leading_outside_is_refused(adapter, tmp_path):
    folder, model = adapter
    outside = tmp_path / "outside.safetensors"
    outside.write_bytes(b"secret")
    (folder / "extra.safetensors").symlink_to(outside)
    files = json.loads((folder / MANIFEST_FILE).read_text())["files"]
    _rewrite_manifest(folder, {"files": {**files, "extra.safetensors": "0" * 64}})
    with pytest.raises(ModelError, match="outside the adapter folder"):
        verify_adapter(folder, family=FAMILY, model_dir=model)


@pytest.mark.parametrize("suffix", sorted(WEIGHT_SUFFIXES - {".safetensors"}))
@pytest.mark.parametrize("listed", [True, False])
def test_pickle_capable_weights_are_refused_listed_or_not(suffix, listed, adapter):
    folder, model = adapter
    name = f"extra{suffix.upper() if listed else suffix}"
    (folder / name).write_bytes(b"\x80\x04not really a pickle")
    if listed:
        files = json.loads((folder / MANIFEST_FILE).read_text())["files"]
        _rewrite_manifest(folder, {"files": {**files, name: "0" * 64}})
    with pytest.raises(ModelError, match="safetensors"):
        verify_adapter(folder, family=FAMILY, model_dir=model)


@settings(FUZZ, max_examples=25)
@given(position=st.integers(0, 2047), xor=st.integers(1, 255))
def test_any_changed_byte_is_caught_by_the_checksum(position, xor, adapter):
    folder, model = adapter
    weights = folder / "adapter_model.safetensors"
    blob = bytearray(weights.read_bytes())
    blob[position] ^= xor
    weights.write_bytes(bytes(blob))
    try:
        with pytest.raises(ModelError, match="checksum"):
            verify_adapter(folder, family=FAMILY, model_dir=model)
    finally:
        blob[position] ^= xor
        weights.write_bytes(bytes(blob))


@settings(FUZZ, max_examples=25)
@given(keep=st.floats(0.0, 0.99))
def test_a_truncated_copy_is_caught(keep, adapter):
    folder, model = adapter
    weights = folder / "adapter_model.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(original[: int(len(original) * keep)])
    try:
        with pytest.raises(ModelError, match="checksum"):
            verify_adapter(folder, family=FAMILY, model_dir=model)
    finally:
        weights.write_bytes(original)
