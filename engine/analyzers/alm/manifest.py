"""The adapter manifest: what an adapter was trained for, and proof its files are intact.

An adapter folder (``resources/adapters/<name>/`` or a user folder) holds PEFT's files
(``adapter_config.json``, ``adapter_model.safetensors``), for whisper-llm the projector
(``projector.safetensors``, ``projector_config.json``), and ``saywell_adapter.json``:
family, base model name and a fingerprint of its config's architecture fields, schema and
prompt versions, training data card, metrics, licence, and the sha256 of every file.

``verify_adapter`` refuses, with a message that says why: a missing or malformed manifest,
a listed path that escapes the folder, any weights file that is not safetensors (pickled
``.bin``/``.pt`` files can run code when loaded: we never load them), a checksum mismatch,
and a family, base model, schema or prompt version that does not match. Standard library
only: checking an adapter imports no torch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from engine.errors import ModelError
from engine.feedback import SCHEMA_VERSION
from engine.prompts import PROMPT_VERSION, PromptStyle

MANIFEST_FILE = "saywell_adapter.json"
MANIFEST_VERSION = 1
ADAPTER_CONFIG_FILE = "adapter_config.json"
ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors"

#: Suffixes of files that hold weights. Only safetensors is accepted: the others are
#: pickles (or may be) and would run code when loaded.
WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle",
                             ".joblib", ".npy", ".npz", ".h5", ".msgpack", ".gguf", ".onnx"})

#: Config fields that define a model's architecture; the fingerprint hashes only these, so
#: a renamed folder or an edited generation setting does not invalidate an adapter.
ARCH_KEYS = frozenset({
    "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "head_dim", "vocab_size", "tie_word_embeddings", "rope_theta",
    "d_model", "encoder_layers", "encoder_attention_heads", "encoder_ffn_dim", "decoder_layers",
    "num_mel_bins", "audio_token_index",
})

LICENCE_L2_ARCTIC = (
    "Trained on L2-ARCTIC / L2-Arctic-plus data (CC BY-NC 4.0): for non-commercial use only."
)


@dataclass(frozen=True)
class AdapterManifest:
    """The contents of ``saywell_adapter.json``."""

    name: str
    family: str
    base_model: str
    base_fingerprint: str
    files: dict[str, str]  # relative POSIX path -> sha256 hex
    schema_version: int = SCHEMA_VERSION
    prompt_version: int = PROMPT_VERSION
    prompt_style: str = "tuned"
    encoder_model: str = ""  # whisper-llm: the Whisper checkpoint's name
    encoder_fingerprint: str = ""
    training_data: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    licence: str = LICENCE_L2_ARCTIC
    manifest_version: int = MANIFEST_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = MANIFEST_FILE) -> AdapterManifest:
        """Raises ModelError when fields are missing or of the wrong type."""
        if not isinstance(data, Mapping):
            raise ModelError(f"{where} must be a JSON object.")
        version = data.get("manifest_version")
        if version != MANIFEST_VERSION:
            raise ModelError(f"{where} has manifest_version {version!r}; this SayWell reads {MANIFEST_VERSION}.")
        required = ("name", "family", "base_model", "base_fingerprint", "files")
        missing = [k for k in required if k not in data]
        if missing:
            raise ModelError(f"{where} lacks {', '.join(missing)}; required: {', '.join(required)}.")
        files = data["files"]
        if not isinstance(files, Mapping) or not all(isinstance(v, str) for v in files.values()):
            raise ModelError(f'{where}: "files" must map each file path to its sha256.')
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        try:
            return cls(**{**known, "files": dict(files)})
        except TypeError as err:
            raise ModelError(f"{where} is malformed: {err}") from err


# -- fingerprints and checksums ---------------------------------------------------------


def architecture_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """The architecture fields of a config dict, nested configs (text_config, ...) included."""
    result: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            nested = architecture_fields(value)
            if nested:
                result[key] = nested
        elif key in ARCH_KEYS:
            result[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    return result


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """``sha256:`` + 16 hex digits of the canonical JSON of the architecture fields."""
    canonical = json.dumps(architecture_fields(config), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def folder_fingerprint(model_dir: Path) -> str:
    """Fingerprint of the ``config.json`` in a model folder."""
    path = Path(model_dir) / "config.json"
    try:
        return config_fingerprint(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"Cannot read the model config {path}: {err}") from err


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- writing (training's export) -----------------------------------------------------------


def write_manifest(adapter_dir: Path, files: Iterable[str], *, name: str, family: str, base_dir: Path,
                   base_model: str, encoder_dir: Path | None = None, encoder_model: str = "",
                   prompt_style: str = "tuned", training_data: Mapping[str, Any] | None = None,
                   metrics: Mapping[str, Any] | None = None,
                   licence: str = LICENCE_L2_ARCTIC) -> AdapterManifest:
    """Checksum ``files`` (paths relative to ``adapter_dir``) and write the manifest.

    Raises:
        ModelError: a file is missing, escapes the folder or is not safetensors weights.
    """
    adapter_dir = Path(adapter_dir)
    checksums = {}
    for rel in files:
        path = safe_member(adapter_dir, rel)
        _refuse_pickle(rel)
        if not path.is_file():
            raise ModelError(f"Cannot list {rel} in the manifest: {path} does not exist.")
        checksums[PurePosixPath(rel).as_posix()] = sha256_file(path)
    manifest = AdapterManifest(
        name=name, family=family, base_model=base_model, base_fingerprint=folder_fingerprint(base_dir),
        files=checksums, prompt_style=prompt_style,
        encoder_model=encoder_model, encoder_fingerprint=folder_fingerprint(encoder_dir) if encoder_dir else "",
        training_data=dict(training_data or {}), metrics=dict(metrics or {}), licence=licence,
    )
    tmp = adapter_dir / (MANIFEST_FILE + ".tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    tmp.replace(adapter_dir / MANIFEST_FILE)
    return manifest


# -- reading and verifying ---------------------------------------------------------------


def read_manifest(adapter_dir: Path) -> AdapterManifest:
    """Parse the manifest of an adapter folder (no file checks; see ``verify_adapter``)."""
    path = Path(adapter_dir) / MANIFEST_FILE
    if not Path(adapter_dir).is_dir():
        raise ModelError(f"The adapter folder {adapter_dir} does not exist.")
    if not path.is_file():
        raise ModelError(f"{adapter_dir} is not a SayWell adapter: it has no {MANIFEST_FILE}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path} is not valid JSON: {err}") from err
    return AdapterManifest.from_dict(data, where=str(path))


def verify_adapter(adapter_dir: Path, *, family: str, model_dir: Path,
                   encoder_dir: Path | None = None) -> AdapterManifest:
    """Check an adapter folder before anything in it is loaded; return its manifest.

    Raises:
        ModelError: saying what is wrong (see the module docstring).
    """
    adapter_dir = Path(adapter_dir)
    manifest = read_manifest(adapter_dir)
    _check_match(manifest, family, model_dir, encoder_dir)
    _check_files(adapter_dir, manifest)
    return manifest


def safe_member(folder: Path, rel: str) -> Path:
    """``folder / rel``, refusing absolute paths, ``..`` and symlinks that lead outside."""
    pure = PurePosixPath(str(rel))
    if not rel or "\\" in str(rel) or pure.is_absolute() or ".." in pure.parts or ":" in str(rel):
        raise ModelError(f"Refusing adapter file path {rel!r}: paths must stay inside the adapter folder.")
    path = Path(folder) / pure
    root = Path(folder).resolve()
    if path.exists() and root not in path.resolve().parents:
        raise ModelError(f"Refusing adapter file {rel!r}: it links outside the adapter folder.")
    return path


def _refuse_pickle(rel: str) -> None:
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in WEIGHT_SUFFIXES and suffix != ".safetensors":
        raise ModelError(f"Refusing {rel}: weights must be .safetensors; {suffix} files may be pickles, "
                         "which can run code when loaded.")


def _check_files(adapter_dir: Path, manifest: AdapterManifest) -> None:
    for path in adapter_dir.rglob("*"):
        if path.is_file():
            _refuse_pickle(path.relative_to(adapter_dir).as_posix())
    required = [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]
    if manifest.family == "whisper-llm":
        required += ["projector.safetensors", "projector_config.json"]
    unlisted = [f for f in required if f not in manifest.files]
    if unlisted:
        raise ModelError(f"The adapter manifest does not list {', '.join(unlisted)}; a "
                         f"{manifest.family} adapter needs {', '.join(required)}.")
    for rel, expected in manifest.files.items():
        path = safe_member(adapter_dir, rel)
        _refuse_pickle(rel)
        if not path.is_file():
            raise ModelError(f"The adapter is incomplete: {rel} is listed in its manifest but missing.")
        if sha256_file(path) != expected.lower():
            raise ModelError(f"The adapter is corrupt: the checksum of {rel} does not match its manifest "
                             "(the file changed after export, or the copy is incomplete).")


def _check_match(manifest: AdapterManifest, family: str, model_dir: Path, encoder_dir: Path | None) -> None:
    if manifest.family != family:
        raise ModelError(f"The adapter {manifest.name!r} is for the {manifest.family} family, "
                         f"but the configured model is {family}.")
    styles = [s.value for s in PromptStyle]
    if manifest.prompt_style not in styles:
        raise ModelError(f"The adapter {manifest.name!r} names prompt style {manifest.prompt_style!r}; "
                         f"SayWell knows {', '.join(styles)}.")
    if manifest.schema_version != SCHEMA_VERSION:
        raise ModelError(f"The adapter {manifest.name!r} was trained for feedback schema "
                         f"{manifest.schema_version}; this SayWell uses {SCHEMA_VERSION}.")
    if manifest.prompt_version != PROMPT_VERSION:
        raise ModelError(f"The adapter {manifest.name!r} was trained with prompt version "
                         f"{manifest.prompt_version}; this SayWell uses {PROMPT_VERSION}: retrain or update it.")
    if folder_fingerprint(model_dir) != manifest.base_fingerprint:
        raise ModelError(f"The adapter {manifest.name!r} was trained on {manifest.base_model} "
                         f"({manifest.base_fingerprint}); the model in {model_dir} has a different "
                         "architecture. Point SayWell at the base model the adapter was made for.")
    if encoder_dir is not None and manifest.encoder_fingerprint and \
            folder_fingerprint(encoder_dir) != manifest.encoder_fingerprint:
        raise ModelError(f"The adapter {manifest.name!r} was trained with the encoder "
                         f"{manifest.encoder_model or '?'}; the Whisper checkpoint in {encoder_dir} differs.")


# -- finding adapters -------------------------------------------------------------------------


def adapter_folders() -> tuple[Path, ...]:
    """Where adapters are looked for: the bundled ``resources/adapters`` and the user's ``adapters``."""
    from engine.paths import resource, user_data_dir

    return (resource("adapters"), user_data_dir() / "adapters")


def find_adapters(folders: Iterable[Path] | None = None) -> list[tuple[Path, AdapterManifest]]:
    """Every sub-folder with a readable manifest, sorted by path (unreadable ones are skipped)."""
    found = []
    for folder in adapter_folders() if folders is None else folders:
        if not Path(folder).is_dir():
            continue
        for candidate in sorted(p for p in Path(folder).iterdir() if (p / MANIFEST_FILE).is_file()):
            try:
                found.append((candidate, read_manifest(candidate)))
            except ModelError:
                continue
    return found


def matching_adapter(family: str, model_dir: Path, encoder_dir: Path | None = None,
                     folders: Iterable[Path] | None = None) -> Path | None:
    """The first adapter that passes ``verify_adapter`` for this model, or None."""
    for path, _manifest in find_adapters(folders):
        try:
            verify_adapter(path, family=family, model_dir=model_dir, encoder_dir=encoder_dir)
        except ModelError:
            continue
        return path
    return None
