"""Evaluation outputs: a JSON with every prediction and a Markdown report with the tables.

The predictions JSON keeps the L2-Arctic-plus record fields and adds the
public script's ``speculative_mispronunciations`` key, so the file can also be
fed to the paper's own evaluation script.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from engine.metrics import MetricReport
from training.evaluate import EvalResult, ScoredItem

PREDICTIONS_FILE = "predictions.json"
REPORT_FILE = "report.md"


def write_outputs(result: EvalResult, out_dir: str | Path, *, command: str = "") -> tuple[Path, Path]:
    """Write ``predictions.json`` and ``report.md`` into ``out_dir`` (atomically); return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = _atomic_write(out / PREDICTIONS_FILE, json.dumps(result_to_dict(result), indent=2, ensure_ascii=False))
    md_path = _atomic_write(out / REPORT_FILE, markdown_report(result, command=command))
    return json_path, md_path


def _atomic_write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def result_to_dict(result: EvalResult) -> dict[str, Any]:
    """Everything: the figures, the breakdowns and one entry per prediction, in item order."""
    return {
        "backend": result.backend,
        "manifest": result.manifest,
        "n": result.overall.n,
        "failures": result.failures,
        "seconds": round(result.seconds, 3),
        "notes": list(result.notes),
        "metrics": {**result.overall.to_dict(), "bertscore_f1": result.bertscore_f1,
                    "flagged_share": flagged_share(result)},
        "by_speaker": {k: v.to_dict() for k, v in result.by_speaker.items()},
        "by_l1": {k: v.to_dict() for k, v in result.by_l1.items()},
        "by_error_type": [
            {"error_type": r.error_type, "gold_words": r.gold_words, "flagged": r.flagged, "recall": r.recall}
            for r in result.by_error_type
        ],
        "predictions": [_prediction_entry(s) for s in result.items],
    }


def flagged_share(result: EvalResult) -> float:
    """Share of the sentences' word types a backend flagged: its false-alarm rate on error-free speech."""
    counts = result.overall.counts
    return counts.predicted_words / counts.sentence_words if counts.sentence_words else 0.0


def _prediction_entry(scored: ScoredItem) -> dict[str, Any]:
    item, pred, scores = scored.item, scored.prediction, scored.scores
    return {
        "audio_path": item.key,
        "text": item.text,
        "speaker": item.speaker,
        "l1": item.l1,
        "mis_exp_sug": item.gold,
        "speculative_mispronunciations": pred.feedback,
        "raw_output": pred.raw_text,
        "notes": list(pred.notes),
        "error": pred.error,
        "seconds": round(pred.seconds, 3),
        "tp": scores.counts.tp,
        "fp": scores.counts.fp,
        "fn": scores.counts.fn,
        "extra_words": scores.counts.extra_words,
        "bleu2": scores.bleu2,
        "rouge_l": scores.rouge_l,
        "pred_text": scores.pred_text,
        "gold_text": scores.gold_text,
    }


def markdown_report(result: EvalResult, *, command: str = "") -> str:
    """The report: the paper-style table, then per L1, per speaker and per error type."""
    lines = [f"# Evaluation: {result.backend}", ""]
    lines += [f"Manifest: `{result.manifest}`; {result.overall.n} utterances; {result.seconds:.1f} s."]
    if command:
        lines += ["", f"Command: `{command}`"]
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    if result.failures:
        lines += ["", f"**{result.failures} item(s) failed** and were scored as No Problem: see `error` in the JSON."]
    lines += ["", "All figures x100. EWR: extra / predicted words (paper); EWR (script): extra / sentence words.", ""]
    bert = "" if result.bertscore_f1 is None else f" BERTScore F1: {100 * result.bertscore_f1:.1f}."
    lines += [MetricReport.markdown_header("backend"), result.overall.markdown_row(result.backend)]
    counts = result.overall.counts
    lines += ["", (f"Words flagged: {counts.predicted_words} of {counts.sentence_words} sentence word types "
              f"({100 * flagged_share(result):.1f} %); false alarms: {counts.fp}; gold words: {counts.gold_words}.")]
    if bert:
        lines += ["", bert.strip()]
    lines += ["", "## Per first language", "", MetricReport.markdown_header("L1")]
    lines += [report.markdown_row(name) for name, report in result.by_l1.items()]
    lines += ["", "## Per speaker", "", MetricReport.markdown_header("speaker")]
    lines += [report.markdown_row(name) for name, report in result.by_speaker.items()]
    lines += ["", "## Per gold error type", "", "Words whose annotation has an error of the type, and the share flagged.", ""]
    lines += ["| error type | gold words | flagged | recall |", "|---|---|---|---|"]
    lines += [f"| {r.error_type} | {r.gold_words} | {r.flagged} | {100 * r.recall:.1f} |" for r in result.by_error_type]
    return "\n".join(lines)
