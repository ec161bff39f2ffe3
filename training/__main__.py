"""``python -m training {prepare,train,export,evaluate}``: the training and evaluation commands.

    python -m training prepare  --config training/configs/qwen2_audio_7b.toml
    python -m training train    --config training/configs/qwen2_audio_7b.toml [--optim.lr 5e-4 ...]
    accelerate launch -m training train --config ...            # several GPUs
    python -m training export   runs/qwen2-audio-7b-l2arctic --metrics eval/predictions.json
    python -m training evaluate --backend sphinx --manifest MANIFEST.json --out DIR

Errors the user can act on are printed as one message (exit code of the error);
``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from engine.errors import FormatError, SayWellError
from training.config import add_config_arguments, config_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description="Train and evaluate SayWell's models.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare", help="build the dataset, check audio and speakers, write it with its data card")
    add_config_arguments(prepare)
    prepare.add_argument("--out", help="folder for train.json, dev.json, data_card.json (default: <run_dir>/data)")
    train = sub.add_parser("train", help="run the QLoRA recipe (or stage-1 projector pretraining)")
    add_config_arguments(train)
    export = sub.add_parser("export", help="copy a checkpoint's adapter into resources/adapters/<name>/ with its manifest")
    export.add_argument("checkpoint", help="a checkpoint folder, or a run folder (its newest checkpoint)")
    export.add_argument("--name", help="adapter name (default: the run name)")
    export.add_argument("--out-root", help="adapters folder (default: the bundled resources/adapters)")
    export.add_argument("--metrics", help="predictions.json of `evaluate` whose figures go into the manifest")
    export.add_argument("--force", action="store_true", help="replace an existing adapter of that name")
    _add_evaluate(sub.add_parser("evaluate", help="score a backend on an L2-Arctic-plus-format manifest"))
    return parser


def _add_evaluate(parser: argparse.ArgumentParser) -> None:
    from training.backends import BACKENDS, BackendOptions

    parser.add_argument("--backend", required=True, choices=BACKENDS, help="the system to evaluate")
    parser.add_argument("--manifest", required=True, help="L2-Arctic-plus-format JSON (audio relative to it)")
    parser.add_argument("--out", required=True, help="folder for predictions.json and report.md")
    parser.add_argument("--audio-root", help="folder of your L2-ARCTIC copy, for release-style audio paths")
    parser.add_argument("--allow-missing-audio", action="store_true", help="skip records whose audio is missing")
    parser.add_argument("--limit", type=int, default=0, help="only the first N items (in the fixed order)")
    parser.add_argument("--speakers", default="", help="only these comma-separated speakers (e.g. a dev split)")
    parser.add_argument("--bertscore-model", help="local folder of the BERTScore model (e.g. roberta-large)")
    parser.add_argument("--bertscore-layer", type=int, help="hidden layer for BERTScore (default: bert-score's)")
    for f in fields(BackendOptions):
        parser.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, type=type(f.default), default=f.default,
                            help=f"model backends: {f.name} (default: {f.default!r})")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"prepare": cmd_prepare, "train": cmd_train, "export": cmd_export, "evaluate": cmd_evaluate}[
            args.command](args)
    except SayWellError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


def cmd_prepare(args: argparse.Namespace) -> int:
    from engine.manifest import write_json_atomic
    from training.data import build_dataset

    config = config_from_args(args)
    dataset = build_dataset(config)
    out = Path(args.out) if args.out else config.run_dir / "data"
    write_json_atomic(out / "train.json", [e.to_dict() for e in dataset.train])
    write_json_atomic(out / "dev.json", [e.to_dict() for e in dataset.dev])
    write_json_atomic(out / "data_card.json", dataset.card())
    print(dataset.audio.message())
    print(json.dumps(dataset.card(), indent=2))
    print(f"Wrote {out}/train.json ({len(dataset.train)} examples), dev.json ({len(dataset.dev)}), data_card.json")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.train import run_training

    outcome = run_training(config_from_args(args))
    if int(os.environ.get("RANK", "0")) != 0:  # under `accelerate launch`, the main process reports
        return 0
    print(f"Trained {outcome.steps} steps in {outcome.seconds:.0f} s ({outcome.examples_per_s:.2f} examples/s, "
          f"peak memory {outcome.peak_memory_mb:.0f} MiB); final loss {outcome.final_loss:.4f}")
    print(f"Checkpoint: {outcome.checkpoint}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from training.export import export_adapter, metrics_from_evaluation

    metrics = metrics_from_evaluation(args.metrics) if args.metrics else None
    result = export_adapter(args.checkpoint, name=args.name, out_root=args.out_root, metrics=metrics, force=args.force)
    print(f"Exported {result.manifest.name} ({result.manifest.family}) to {result.adapter_dir}")
    print(result.manifest.licence)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.backends import BackendOptions, build_backend
    from training.evaluate import load_items, run_with_progress, score_bertscore, summarise
    from training.report import write_outputs

    items, notes = load_items(args.manifest, audio_root=args.audio_root, allow_missing=args.allow_missing_audio)
    wanted = {s.strip().upper() for s in args.speakers.split(",") if s.strip()}
    items = [i for i in items if i.speaker in wanted] if wanted else items
    items = items[: args.limit] if args.limit > 0 else items
    if not items:
        raise FormatError(f"No items to evaluate in {args.manifest} (speakers: {args.speakers or 'all'}).")
    options = BackendOptions(**{f.name: getattr(args, f.name) for f in fields(BackendOptions)})
    backend = build_backend(args.backend, options)
    started = time.perf_counter()
    scored = run_with_progress(backend, items)
    bert = score_bertscore(scored, args.bertscore_model, args.bertscore_layer) if args.bertscore_model else None
    result = summarise(backend.name, args.manifest, scored, bertscore_f1=bert,
                       seconds=time.perf_counter() - started, notes=notes)
    command = "python -m training " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else ""
    json_path, md_path = write_outputs(result, args.out, command=command)
    print(result.overall.markdown_header("backend"))
    print(result.overall.markdown_row(backend.name))
    if bert is not None:
        print(f"BERTScore F1: {100 * bert:.1f}")
    for note in notes:
        print(note)
    print(f"Wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
