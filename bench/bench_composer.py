"""Feedback-text benchmark: the composer's wording against gold L2-Arctic-plus feedback.

Given the gold errors (``annotation_info``) of L2-Arctic-plus training records,
the composer writes the feedback; it is scored against the gold ``mis_exp_sug``
with the paper's BLEU-2 and ROUGE-L (``engine.metrics``, x100). Both wordings are
scored: ``detailed`` (the app's default: adds how the sounds differ and where to
put tongue and lips) and ``brief`` (the L2-Arctic-plus style alone). Only the
train sample is used, never the test set. Also prints the composer's cold start
and the time per record.

    .venv/bin/python -m bench.bench_composer [--data FILE.json] [--show N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.common import SHARED_DATA

DEFAULT_DATA = SHARED_DATA / "l2arctic_plus_train_sample.json"
TARGETS = {"bleu2": 30.0, "rouge_l": 40.0}


def _score(composer, records):
    from engine.metrics import aggregate, score_utterance

    scores = [
        score_utterance(r["text"], r.get("mis_exp_sug") or {}, composer.feedback_from_record(r))
        for r in records
    ]
    return aggregate(scores), scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="L2-Arctic-plus records (JSON list)"
    )
    parser.add_argument(
        "--show", type=int, default=0, help="print N utterances' texts (prediction, gold)"
    )
    args = parser.parse_args(argv)
    records = json.loads(args.data.read_text(encoding="utf-8"))

    start = time.perf_counter()
    from engine.composer import Composer

    composer = Composer.from_resources()
    cold_s = time.perf_counter() - start
    shown = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"command: .venv/bin/python -m bench.bench_composer {shown}".rstrip())
    print(f"records: {len(records)} from {args.data}")
    print(f"composer cold start (imports + practice index + articulation data): {cold_s:.2f} s")
    for label, variant in (("detailed", composer), ("brief", composer.with_detail(False))):
        start = time.perf_counter()
        report, scores = _score(variant, records)
        per_record_ms = 1000 * (time.perf_counter() - start) / max(1, len(records))
        pct = report.as_percent()
        verdict = all(pct[k] >= v for k, v in TARGETS.items())
        print(
            f"{label:9s} BLEU-2 {pct['bleu2']:5.1f}  ROUGE-L {pct['rouge_l']:5.1f}  "
            f"(target >= {TARGETS['bleu2']:.0f} / >= {TARGETS['rouge_l']:.0f}: "
            f"{'met' if verdict else 'NOT met'})  {per_record_ms:.1f} ms/record incl. scoring"
        )
        for s in scores[: args.show]:
            print(f"  pred: {s.pred_text}\n  gold: {s.gold_text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
