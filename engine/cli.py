"""``saywell``: analyse a take, explain annotations, evaluate an engine on a manifest.

Exit codes (stable, for scripts): 0 ok; 1 internal error; 2 usage error;
3 audio, 4 text, 5 format, 6 analyzer, 7 model (``engine.errors``); 130 Ctrl-C.
Errors are one line on stderr; ``--debug`` shows the traceback.

Start-up stays light: torch and Qt are never imported here; analyzers, the
composer and the metrics libraries are imported when a command needs them.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import engine
from engine.errors import AnalyzerError, AudioError, FormatError, SayWellError, TextError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EPILOG = """\
exit codes:
  0    success
  1    internal error (a bug: run again with --debug and report the traceback)
  2    usage error (bad command line)
  3    audio error (missing, unreadable, too short or long, silent)
  4    text error (empty sentence, no speakable words)
  5    format error (malformed JSON, manifest or annotations)
  6    analyzer error (the analysis failed; for eval: every record failed)
  7    model error (unknown engine, missing ALM extra or model folder)
  130  interrupted (Ctrl-C)
"""


# -- parser -----------------------------------------------------------------------


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return number


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On sub-commands the defaults are suppressed so they do not override the top level's.
    default: Any = False if top else argparse.SUPPRESS
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks")
    parser.add_argument(
        "--no-network", action="store_true", default=default, help="block all network access"
    )


def _add_engine(parser: argparse.ArgumentParser) -> None:
    from engine.analyzers.registry import DEFAULT_ENGINE, analyzer_names

    parser.add_argument(
        "--engine", choices=analyzer_names(), default=DEFAULT_ENGINE, help="analyzer (%(default)s)"
    )
    parser.add_argument("--model-dir", type=Path, help="ALM: local model folder")
    parser.add_argument("--adapter", type=Path, help="ALM: adapter folder")
    parser.add_argument(
        "--max-seconds",
        type=_positive_float,
        default=60.0,
        help="longest accepted take in seconds (%(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saywell",
        description="Offline English pronunciation feedback.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"saywell {engine.__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = sub.add_parser("analyze", help="assess a recording of a sentence read aloud")
    analyze.add_argument("audio", type=Path, help="wav, flac or ogg file")
    analyze.add_argument("--text", required=True, help="the sentence that was read")
    analyze.add_argument("--json", action="store_true", help="print the assessment as JSON")
    _add_engine(analyze)

    sample = sub.add_parser("sample", help="analyse the bundled sample recording")
    sample.add_argument("--json", action="store_true", help="print the assessment as JSON")
    _add_engine(sample)

    explain = sub.add_parser("explain", help="L2-ARCTIC annotations in, feedback out")
    explain.add_argument("annotations", type=Path, help="JSON record or list of records")
    explain.add_argument("--lines", action="store_true", help="the paper's text lines, not JSON")

    ev = sub.add_parser("eval", help="run an engine over a manifest and print the paper's metrics")
    ev.add_argument("manifest", type=Path, help="L2-Arctic-plus JSON manifest")
    ev.add_argument("--out", type=Path, required=True, help="predictions file to write")
    ev.add_argument("--limit", type=_positive_int, help="only the first N records")
    ev.add_argument("--audio-root", type=Path, help="folder of the L2-ARCTIC release")
    ev.add_argument("--metrics-json", type=Path, help="also write the metrics as JSON")
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_engine(ev)

    for command in (analyze, sample, explain, ev):
        _add_common(command, top=False)
    return parser


# -- entry point --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see ``EPILOG``)."""
    _tolerant_streams()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if args.no_network:
            from engine.offline import forbid_network

            forbid_network()
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader left early (saywell ... | head): not an error
        _silence_stdout()
        return EXIT_OK
    except SayWellError as err:
        _report(err, args.debug)
        return err.exit_code
    except Exception as err:  # noqa: BLE001 - a bug: one line, or the traceback with --debug
        _report(err, args.debug, prefix=f"internal error ({type(err).__name__}): ")
        return EXIT_INTERNAL


def _tolerant_streams() -> None:
    # IPA and quotes must never crash output on a non-UTF-8 console.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _silence_stdout() -> None:
    # Python's recipe: point stdout at devnull so the flush at exit does not fail again.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _error(message: str) -> None:
    print(f"saywell: error: {' '.join(str(message).split())}", file=sys.stderr)


def _report(err: BaseException, debug: bool, prefix: str = "") -> None:
    if debug:
        traceback.print_exception(err, file=sys.stderr)
    hint = "" if debug or not prefix else " (run again with --debug for the traceback)"
    _error(f"{prefix}{err}{hint}")


# -- analyze / sample -------------------------------------------------------------


def _analyzer(args: argparse.Namespace) -> Any:
    from engine.analyzers.registry import create_analyzer

    options = {}
    if args.model_dir is not None:
        options["model_dir"] = args.model_dir
    if args.adapter is not None:
        options["adapter_dir"] = args.adapter
    return create_analyzer(args.engine, **options)


def analyze_file(audio: Path, text: str, args: argparse.Namespace) -> Any:
    """Load, validate and analyse one take; clip warnings become notes."""
    from engine.audio import load_audio

    if not text.strip():
        raise TextError("The sentence is empty: pass the sentence that was read with --text.")
    clip = load_audio(audio, max_duration_s=args.max_seconds)
    assessment = _analyzer(args).analyze(clip, text)
    if not assessment.duration_s:
        assessment = replace(assessment, duration_s=round(clip.duration_s, 3))
    new_notes = [w for w in clip.warnings if w not in assessment.notes]
    return assessment.with_notes(*new_notes) if new_notes else assessment


def cmd_analyze(args: argparse.Namespace) -> int:
    _show(analyze_file(args.audio, args.text, args), args.json)
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from engine.manifest import parse_record, read_json
    from engine.paths import resource

    folder = resource("samples")
    record = parse_record(read_json(folder / "sample.json", "Sample"), 0, manifest_dir=folder)
    if not args.json:
        print(f"Sample: {record.audio_path.name}, read as: {record.text!r}")
        if record.gold:
            print(f"(annotated errors in this take: {', '.join(record.gold)})\n")
    _show(analyze_file(record.audio_path, record.text, args), args.json)
    return EXIT_OK


def _show(assessment: Any, as_json: bool) -> None:
    print(assessment.to_json() if as_json else render_assessment(assessment))


def render_assessment(assessment: Any) -> str:
    """The readable report: score, then each flagged word with its issues."""
    flagged = assessment.flagged_words
    header = (
        f"Score {assessment.score:.0f}/100 · {len(assessment.words)} words, "
        f"{len(flagged)} flagged · engine {assessment.engine or '?'} · {assessment.duration_s:.1f} s"
    )
    lines = [header]
    if assessment.heard:
        lines.append(f"Heard (phones): {assessment.heard}")
    lines += [f"Note: {note}" for note in assessment.notes]
    if assessment.extra_words:
        lines.append(f"Ignored words not in the sentence: {', '.join(assessment.extra_words)}")
    lines.append("")
    if not flagged:
        lines.append("No problems found.")
    for word in flagged:
        lines += _render_word(word)
    return "\n".join(lines)


def _render_word(word: Any) -> list[str]:
    timing = f"{word.start_s:.2f}-{word.end_s:.2f} s, " if word.end_s > word.start_s else ""
    lines = [f"{word.text!r} (word {word.index + 1}, {timing}score {word.score:.0f})"]
    expected = [p.expected for p in word.phones if p.expected]
    heard = [_heard_symbol(p) for p in word.phones if p.kind.value != "deletion"]
    if expected:
        lines.append(f"  expected {_phones(expected)}, heard {_phones(heard)}")
    for issue in word.issues:
        lines.append(f"  - {issue.explanation}")
        if issue.suggestion:
            lines.append(f"    Try: {issue.suggestion}")
    return lines


def _heard_symbol(phone: Any) -> str:
    if phone.kind.value == "correct":
        return phone.expected or "?"
    return phone.heard or "?"


def _phones(symbols: Sequence[str]) -> str:
    """``R IH G`` /ɹɪɡ/: ARPAbet with IPA; '?' marks an unclear sound."""
    from engine.phonetics.inventory import ipa

    try:
        shown = "".join("?" if s == "?" else ipa(s) for s in symbols)
    except (SayWellError, ValueError, KeyError):
        return " ".join(symbols)
    return f"{' '.join(symbols)} /{shown}/"


# -- explain -------------------------------------------------------------------------


def cmd_explain(args: argparse.Namespace) -> int:
    from engine.feedback import feedback_dict_to_lines
    from engine.manifest import parse_record, read_json

    data = read_json(args.annotations, "Annotations file")
    single = isinstance(data, dict)
    items = [data] if single else data
    if not isinstance(items, list) or not items:
        raise FormatError(
            f"{args.annotations.name}: expected a record or a non-empty list of records "
            "with 'text' and 'annotation_info'."
        )
    records = [parse_record(item, i, require_audio=False) for i, item in enumerate(items)]
    feedback = [_explain_record(r) for r in records]
    if args.lines:
        print(
            "\n\n".join(
                feedback_dict_to_lines(f, r.text.split()) for f, r in zip(feedback, records)
            )
        )
    else:
        print(json.dumps(feedback[0] if single else feedback, indent=2, ensure_ascii=False))
    return EXIT_OK


def _explain_record(record: Any) -> dict:
    if record.annotation_info is None:
        raise FormatError(f"record {record.index}: field 'annotation_info' is required by explain.")
    from engine.composer import Composer

    try:
        return Composer.default().feedback_from_annotation(record.annotation_info)
    except FormatError as err:
        raise FormatError(f"record {record.index}: {err}") from err


# -- eval ------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from engine.manifest import load_manifest, missing_audio, write_json_atomic, write_predictions
    from engine.metrics import MetricReport, aggregate, score_utterance

    records = load_manifest(args.manifest, audio_root=args.audio_root)[: args.limit]
    if not records:
        raise FormatError(f"{args.manifest.name} has no records to evaluate.")
    report = missing_audio(records)
    if report.count:
        message = f"{report.message()} (use --audio-root for L2-ARCTIC release paths)"
        if report.count == len(records):
            raise AudioError(message)
        _error(message)
    analyzer = _analyzer(args)
    predictions, errors = _run_records(records, analyzer, args)
    if len(errors) == len(records):
        first = next(iter(errors.values()))
        raise AnalyzerError(f"All {len(records)} records failed; the first: {first}")
    write_predictions(args.out, records, predictions, errors=errors)
    scored = [
        score_utterance(r.text, r.gold, p) for r, p in zip(records, predictions) if p is not None
    ]
    metrics = aggregate(scored)
    if args.metrics_json:
        write_json_atomic(args.metrics_json, {"engine": args.engine, **metrics.to_dict()})
    print(MetricReport.markdown_header("engine"))
    print(metrics.markdown_row(args.engine))
    c = metrics.counts
    print(
        f"\n{metrics.n} records scored, {len(errors)} failed (left out); "
        f"TP {c.tp}, FP {c.fp}, FN {c.fn}, extra words {c.extra_words}; "
        f"flagged {c.predicted_words} of {c.sentence_words} word types "
        f"({100.0 * c.predicted_words / max(c.sentence_words, 1):.1f}%). "
        f"Predictions: {args.out}"
    )
    return EXIT_OK


def _run_records(
    records: Sequence[Any], analyzer: Any, args: argparse.Namespace
) -> tuple[list[dict | None], dict[int, str]]:
    """Analyse every record; a failing record is reported and counted, not fatal."""
    from tqdm import tqdm

    from engine.audio import load_audio
    from engine.metrics import prediction_dict

    predictions: list[dict | None] = []
    errors: dict[int, str] = {}
    bar = tqdm(records, desc="analysing", unit="utt", file=sys.stderr, disable=args.no_progress)
    for i, record in enumerate(bar):
        try:
            clip = load_audio(record.audio_path, max_duration_s=args.max_seconds)
            predictions.append(prediction_dict(analyzer.analyze(clip, record.text)))
        except SayWellError as err:
            errors[i] = str(err)
        except Exception as err:  # noqa: BLE001 - one bad record must not end a long run
            errors[i] = f"{type(err).__name__}: {err}"
            if args.debug:
                traceback.print_exception(err, file=sys.stderr)
        if i in errors:
            predictions.append(None)
            bar.write(f"saywell: record {record.index} failed: {errors[i]}", file=sys.stderr)
    return predictions, errors


COMMANDS = {"analyze": cmd_analyze, "sample": cmd_sample, "explain": cmd_explain, "eval": cmd_eval}


if __name__ == "__main__":
    raise SystemExit(main())
