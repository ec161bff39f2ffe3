"""Export a trained adapter into ``resources/adapters/<name>/`` with the manifest the engine checks.

The folder holds PEFT's layout (``adapter_config.json``, ``adapter_model.safetensors``),
for whisper-llm the projector (``projector.safetensors``, ``projector_config.json``),
and ``saywell_adapter.json`` written by the engine's own ``write_manifest``: family,
base model and its config fingerprint, schema and prompt versions, the data card,
evaluation metrics and the licence. Only safetensors and JSON are copied; the folder
appears whole or not at all (built beside the target, then renamed).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.analyzers.alm.manifest import LICENCE_L2_ARCTIC, AdapterManifest, write_manifest
from engine.errors import ModelError
from engine.paths import resource
from training.config import TrainConfig, config_from_mapping
from training.train import ADAPTER_SUBDIR, CONFIG_FILE, STATE_FILE, latest_checkpoint

#: Extensions copied from a checkpoint's adapter folder; anything else is left behind.
COPIED_SUFFIXES = (".safetensors", ".json")
LICENCE_NOTE = (
    LICENCE_L2_ARCTIC + " L2-ARCTIC is licensed CC BY-NC 4.0 by Texas A&M University; "
    "adapters trained on it inherit the non-commercial restriction."
)


@dataclass(frozen=True)
class ExportResult:
    adapter_dir: Path
    manifest: AdapterManifest


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder, or the newest checkpoint of a run folder.

    Raises:
        ModelError: neither a checkpoint nor a run folder with checkpoints.
    """
    path = Path(path)
    if (path / STATE_FILE).is_file():
        return path
    latest = latest_checkpoint(path) if path.is_dir() else None
    if latest is None:
        raise ModelError(f"{path} is neither a training checkpoint (with {STATE_FILE}) nor a run folder holding one.")
    return latest


def metrics_from_evaluation(predictions_json: str | Path) -> dict[str, Any]:
    """The headline figures of a ``python -m training evaluate`` output, for the manifest."""
    path = Path(predictions_json)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = data["metrics"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ModelError(f"{path} is not an evaluation output of `python -m training evaluate`: {err}") from err
    percent = {k: round(100 * v, 1) for k, v in metrics.items() if isinstance(v, float)}
    return {"evaluated_on": data.get("manifest", ""), "n": data.get("n"), "backend": data.get("backend", ""),
            "percent": percent}


def export_adapter(
    checkpoint: str | Path,
    *,
    name: str | None = None,
    out_root: str | Path | None = None,
    metrics: Mapping[str, Any] | None = None,
    force: bool = False,
) -> ExportResult:
    """Copy a checkpoint's adapter into ``<out_root>/<name>/`` and write its manifest.

    ``out_root`` defaults to the bundled ``resources/adapters``.

    Raises:
        ModelError: the checkpoint is incomplete, or the target exists and ``force`` is False.
    """
    checkpoint = resolve_checkpoint(checkpoint)
    config = config_from_mapping(json.loads((checkpoint / CONFIG_FILE).read_text(encoding="utf-8")))
    state = json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
    name = name or config.run.name
    target = Path(out_root) if out_root else resource("adapters")
    final = target / name
    if final.exists() and not force:
        raise ModelError(f"{final} already exists: pass --force to replace it.")
    source = checkpoint / ADAPTER_SUBDIR
    files = sorted(p.name for p in source.iterdir() if p.suffix in COPIED_SUFFIXES) if source.is_dir() else []
    if "adapter_model.safetensors" not in files:
        raise ModelError(f"{source} holds no adapter_model.safetensors: was the checkpoint written by `training train`?")
    staging = final.with_name(f".{name}.export-tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for file in files:
            shutil.copy2(source / file, staging / file)
        manifest = _write(staging, files, name, config, state, metrics)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(final, manifest)


def _write(folder: Path, files: list[str], name: str, config: TrainConfig, state: Mapping[str, Any],
           metrics: Mapping[str, Any] | None) -> AdapterManifest:
    model = config.model
    data_card = dict(state.get("data_card") or {})
    data_card["training"] = {
        "steps": state.get("step"), "epochs_seen": state.get("epoch"), "final_loss": (state.get("losses") or [None])[-1],
        "lora": {"r": config.lora.r, "alpha": config.lora.alpha, "dropout": config.lora.dropout},
        "lr": config.optim.lr, "effective_batch": config.optim.effective_batch, "quantization": model.quantization,
        "train_manifest": Path(config.data.train_manifest).name if config.data.train_manifest else "",
    }
    return write_manifest(
        folder, files, name=name, family=model.family, base_dir=Path(model.model_dir),
        base_model=Path(model.model_dir).name, encoder_dir=Path(model.encoder_dir) if model.encoder_dir else None,
        encoder_model=Path(model.encoder_dir).name if model.encoder_dir else "", prompt_style="tuned",
        training_data=data_card, metrics=dict(metrics or {}), licence=LICENCE_NOTE,
    )
