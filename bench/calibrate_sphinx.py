"""Calibrate the sphinx analyzer's thresholds and write ``resources/calibration/sphinx.json``.

How the thresholds are set (the file records this too):

1. Evidence (``engine.analyzers.sphinx.evidence``) is collected once per take for
   the native recordings and the dev_synth renderings, and cached (``--cache``).
2. Speakers are split in two: ``HELD_OUT_SPEAKERS`` (every other speaker in
   alphabetical order) are never used here; the bench reports them separately.
3. Negatives = every word of the native recordings and of the *canonical*
   renderings of the calibration speakers (native-like speech, no errors).
   Positives = words with gold errors in the *perceived* renderings of the
   calibration speakers.
4. For each error class (consonant / vowel substitution, deletion, insertion) and
   for "unclear", a grid of thresholds is searched; a setting is allowed only if
   it flags at most its share of the false-alarm budget of the negative words;
   among allowed settings the one catching most positives wins.
5. Phone scores (0-100) are relative to native speech: per phone, the median
   and standard deviation of its fit over the negative words (``phone_stats``).

    .venv/bin/python -m bench.calibrate_sphinx [--data ../shared/data] [--cache FILE] [--write]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import SHARED_DATA

DEFAULT_DATA = SHARED_DATA
DEFAULT_CACHE = Path("/tmp/saywell_sphinx_evidence.pkl")
HELD_OUT_SPEAKERS = frozenset({"ASI", "EBVS", "HJK", "HQTV", "MBMPS", "PNV", "SKA", "THV", "YDCK"})
#: Share of negative words each decision may flag (sum: the total false-alarm budget).
BUDGET = {
    "consonant": 0.010,
    "vowel": 0.004,
    "deletion": 0.006,
    "insertion": 0.004,
    "unclear": 0.004,
}
GAIN_GRID = (-1e9, 0, 25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1000, 1500, 1e9)
GOP_GRID = (1e9, 0, -5, -10, -15, -20, -25, -30, -40, -50, -60, -80, -100, -130, -170)
MANIFESTS = {
    "native": "native/manifest.json",
    "piper_canonical": "dev_synth/piper_canonical.json",
    "festival_canonical": "dev_synth/festival_canonical.json",
    "piper_perceived": "dev_synth/piper_perceived.json",
    "festival_perceived": "dev_synth/festival_perceived.json",
}


def is_held_out(speaker: str) -> bool:
    """True for the dev_synth speakers kept out of calibration (reported separately)."""
    return speaker in HELD_OUT_SPEAKERS


def _speaker(audio_path: str) -> str:
    return Path(audio_path).name.split("_")[0]


def collect(data: Path, cache: Path) -> dict[str, list[dict]]:
    """Evidence rows per manifest: {"id", "words", "gold", "ev"}; cached as a pickle."""
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    from engine.analyzers.sphinx.evidence import EvidenceCollector
    from engine.audio import load_audio
    from engine.phonetics.text import normalize_sentence

    collector = EvidenceCollector()
    out: dict[str, list[dict]] = {}
    for name, rel in MANIFESTS.items():
        manifest = data / rel
        rows = []
        for r in json.loads(manifest.read_text(encoding="utf-8")):
            words = normalize_sentence(r["text"])
            pcm = load_audio(manifest.parent / r["audio_path"]).to_pcm16()
            ev = collector.collect(words, pcm, lambda _f, _s: None)
            rows.append(
                {
                    "id": r["audio_path"],
                    "words": words,
                    "gold": set(r.get("mis_exp_sug") or {}),
                    "ev": ev,
                }
            )
        out[name] = rows
        print(f"collected {name}: {len(rows)} takes", file=sys.stderr)
    cache.write_bytes(pickle.dumps(out))
    return out


def split(rows_by_set: dict[str, list[dict]], held_out: bool) -> tuple[list, list]:
    """(negative, positive) lists of (WordEvidence, free loop), for calibration or held-out speakers."""
    neg, pos = [], []
    for name, rows in rows_by_set.items():
        if name not in MANIFESTS:
            continue
        for row in rows:
            if name != "native" and is_held_out(_speaker(row["id"])) != held_out:
                continue
            if name == "native" and held_out:
                continue
            for w in row["ev"].words:
                if "perceived" in name:
                    if w.word in row["gold"]:
                        pos.append((w, row["ev"].loop))
                else:
                    neg.append((w, row["ev"].loop))
    return neg, pos


def _class_table(words: list, cls: str) -> np.ndarray:
    """Rows (gain, expected fit, loop support) of the words whose error form of class ``cls`` won."""
    from engine.analyzers.sphinx.scoring import expected_fit, loop_support

    rows = [
        (w.gain, expected_fit(w, w.variant), float(loop_support(w, loop)))
        for w, loop in words
        if w.variant is not None and w.variant.base == w.canonical and w.variant.error_class == cls
    ]
    return np.array(rows, dtype=float).reshape(-1, 3)


def _hits(table: np.ndarray, gain: float, gain_supported: float, gop: float) -> int:
    needed = np.where(table[:, 2] > 0, gain_supported, gain)
    return int(np.sum((table[:, 0] >= needed) & (table[:, 1] <= gop)))


def _worst_gops(words: list) -> np.ndarray:
    """Per word: (worst vowel gop, worst consonant gop) of its canonical phones."""
    from engine.phonetics.inventory import is_vowel

    rows = []
    for w, _loop in words:
        vowels = [p.gop for p in w.phones if is_vowel(p.phone)] or [0.0]
        consonants = [p.gop for p in w.phones if not is_vowel(p.phone)] or [0.0]
        rows.append((min(vowels), min(consonants)))
    return np.array(rows, dtype=float).reshape(-1, 2)


def calibrate(neg: list, pos: list) -> dict:
    """Thresholds from negative and positive (word evidence, loop) pairs."""
    min_gain, min_gain_supported, max_gop, chosen = {}, {}, {}, {}
    for cls in ("consonant", "vowel", "deletion", "insertion"):
        tn, tp = _class_table(neg, cls), _class_table(pos, cls)
        best = (-1, 1e9, 1e9, -1e9)
        for gain in GAIN_GRID:
            for gain_s in GAIN_GRID:
                for gop in GOP_GRID:
                    if _hits(tn, gain, gain_s, gop) > BUDGET[cls] * len(neg):
                        continue
                    hits = _hits(tp, gain, gain_s, gop)
                    if hits > best[0]:
                        best = (hits, gain, gain_s, gop)
        _, min_gain[cls], min_gain_supported[cls], max_gop[cls] = (float(x) for x in best)
        chosen[cls] = {"positives_caught": best[0], "negatives_flagged": _hits(tn, *best[1:])}
    wn, wp = _worst_gops(neg), _worst_gops(pos)
    grid = [-40, -50, -60, -70, -80, -100, -120, -150, -200, -300, -1e9]
    best_u = (-1, -1e9, -1e9)
    for v in grid:
        for c in grid:
            if np.sum((wn[:, 0] < v) | (wn[:, 1] < c)) > BUDGET["unclear"] * len(neg):
                continue
            hits = int(np.sum((wp[:, 0] < v) | (wp[:, 1] < c)))
            if hits > best_u[0]:
                best_u = (hits, v, c)
    by_phone: dict[str, list[float]] = {}
    log_frames: dict[str, list[float]] = {}
    for w, _loop in neg:
        for p in w.phones:
            by_phone.setdefault(p.phone, []).append(p.gop)
            log_frames.setdefault(p.phone, []).append(float(np.log(max(1, p.end - p.start))))
    return {
        "min_gain": min_gain,
        "min_gain_supported": min_gain_supported,
        "max_gop": max_gop,
        "unclear_gop": {"vowel": float(best_u[1]), "consonant": float(best_u[2])},
        "phone_stats": {
            k: [round(float(np.median(v)), 2), round(float(np.std(v)), 2)]
            for k, v in sorted(by_phone.items())
        },
        "duration_stats": {
            k: [round(float(np.median(v)), 3), round(float(np.std(v)), 3)]
            for k, v in sorted(log_frames.items())
        },
        "chosen": chosen | {"unclear": {"positives_caught": best_u[0]}},
    }


#: Pseudo-count of the error-form log-odds table: kinds seen on few words stay near 0
#: (set a priori, not tuned).
ODDS_PSEUDO_COUNT = 4.0


def error_log_odds(neg: list, pos: list) -> dict[str, float]:
    """Per ``error_key``: log odds that a word is a gold-error word when the probe picked that
    kind of error form, relative to the base rate, smoothed toward 0 (``ODDS_PSEUDO_COUNT``)."""
    from collections import Counter

    from engine.analyzers.sphinx.detector import error_key, usable_variant

    def counts(pairs: list) -> Counter:
        return Counter(error_key(v) for v in (usable_variant(w) for w, _ in pairs) if v)

    cn, cp = counts(neg), counts(pos)
    p0 = len(pos) / max(1, len(pos) + len(neg))
    base = np.log(p0 / (1 - p0))
    m = ODDS_PSEUDO_COUNT
    return {
        k: round(float(np.log((cp[k] + m * p0) / (cn[k] + m * (1 - p0))) - base), 4)
        for k in sorted(set(cn) | set(cp))
    }


def speakers_of(rows_by_set: dict[str, list[dict]]) -> dict[int, str]:
    """id(WordEvidence) -> speaker ("native" for the native recordings), for cross-fitting."""
    return {
        id(w): "native" if name == "native" else _speaker(row["id"])
        for name, rows in rows_by_set.items()
        for row in rows
        for w in row["ev"].words
    }


#: Share of native-like calibration words the detector may flag.
DETECTOR_FALSE_ALARM = 0.03
L2_PENALTY = 1e-3
#: Native recordings are real speech, the canonical renderings a TTS stand-in for it: each
#: native word weighs this many canonical ones in the regression (the smallest
#: round weight keeping the native false-alarm rate <= 3 % on the calibration side).
NATIVE_WEIGHT = 10.0


def fit_combiner(neg: list, pos: list, found: dict, speakers: dict[int, str]) -> dict:
    """Class-balanced logistic regression of gold-error words against native-like words.

    The error-form log odds of each speaker's words come from a table built without that
    speaker (cross-fitting): with the full table the regression would trust it too much.
    """
    from engine.analyzers.sphinx.detector import Combiner, features

    tables = {
        s: error_log_odds(
            [x for x in neg if speakers[id(x[0])] != s], [x for x in pos if speakers[id(x[0])] != s]
        )
        for s in {speakers[id(w)] for w, _ in neg + pos}
    }

    def row(w, loop) -> tuple[float, ...]:
        odds = tables[speakers[id(w)]]
        return features(w, loop, found["phone_stats"], found["duration_stats"], odds)

    xn = np.array([row(w, loop) for w, loop in neg])
    xp = np.array([row(w, loop) for w, loop in pos])
    x = np.vstack([xn, xp])
    y = np.r_[np.zeros(len(xn)), np.ones(len(xp))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    balance = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    native = np.r_[[speakers[id(w)] == "native" for w, _ in neg], np.zeros(len(xp), bool)]
    balance = balance * np.where(native, NATIVE_WEIGHT, 1.0)
    w = np.zeros(xs.shape[1])
    for _ in range(4000):  # plain gradient descent: 2.5k rows, 25 features
        p = 1 / (1 + np.exp(-xs @ w))
        w -= 0.5 * (xs.T @ ((p - y) * balance) / len(y) + L2_PENALTY * w)
    neg_logits = xs[: len(xn)] @ w
    threshold = float(np.quantile(neg_logits, 1 - DETECTOR_FALSE_ALARM))
    combiner = Combiner(
        tuple(mean.round(5)), tuple(scale.round(5)), tuple(w.round(5)), round(threshold, 5)
    )
    return combiner.to_dict()


def word_flag_rates(cal, neg: list, pos: list) -> tuple[float, float]:
    """(share of negative words flagged, share of positive words flagged)."""
    from engine.analyzers.sphinx.scoring import is_flagged

    def flagged(pair) -> bool:
        w, loop = pair
        return is_flagged(w, loop, cal)

    return (sum(map(flagged, neg)) / max(1, len(neg)), sum(map(flagged, pos)) / max(1, len(pos)))


def replay(cal, rows_by_set: dict[str, list[dict]], held_out: bool) -> dict[str, float]:
    """Word-level figures of ``cal`` replayed on cached evidence (a quick stand-in for the bench).

    Perceived renderings: precision, recall, F1 of flagged words against gold-error words;
    canonical renderings and native recordings: share of words flagged. ``held_out`` picks
    the held-out speakers (native recordings are reported with the calibration side).
    """
    from engine.analyzers.sphinx.scoring import is_flagged

    tp = fp = fn = 0
    flagged = {"canonical": [0, 0], "native": [0, 0]}
    for name, rows in rows_by_set.items():
        if name not in MANIFESTS or (name == "native" and held_out):
            continue
        for row in rows:
            if name != "native" and is_held_out(_speaker(row["id"])) != held_out:
                continue
            for w in row["ev"].words:
                hit = is_flagged(w, row["ev"].loop, cal)
                if "perceived" in name:
                    gold = w.word in row["gold"]
                    tp, fp, fn = (
                        tp + (hit and gold),
                        fp + (hit and not gold),
                        fn + (gold and not hit),
                    )
                else:
                    counts = flagged["native" if name == "native" else "canonical"]
                    counts[0] += hit
                    counts[1] += 1
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / max(1e-9, p + r), 4),
        **{f"{k}_flagged": round(a / max(1, b), 4) for k, (a, b) in flagged.items() if b},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="evidence pickle (delete to recollect)"
    )
    parser.add_argument(
        "--write", action="store_true", help="write resources/calibration/sphinx.json"
    )
    args = parser.parse_args(argv)
    print(
        f"command: {Path(sys.executable).name} -m bench.calibrate_sphinx {' '.join(argv or sys.argv[1:])}"
    )

    from engine.analyzers.sphinx.scoring import Calibration
    from engine.paths import resource

    rows = collect(args.data, args.cache)
    neg, pos = split(rows, held_out=False)
    found = calibrate(neg, pos)
    chosen = found.pop("chosen")
    how = (
        "Set by bench/calibrate_sphinx.py on native-like speech: negatives are all words of the 10 "
        "native recordings and of the dev_synth canonical renderings of the calibration speakers; "
        "positives the gold-error words of their perceived renderings. Held-out speakers "
        f"{sorted(HELD_OUT_SPEAKERS)} are never used. combiner: class-balanced logistic regression "
        f"over the detector's features (each native word weighs {NATIVE_WEIGHT:g} canonical ones), threshold = the negatives' "
        f"{1 - DETECTOR_FALSE_ALARM:.0%} quantile (so {DETECTOR_FALSE_ALARM:.0%} of native-like words "
        "are flagged); error_log_odds (one of its features): per kind of error form, smoothed log odds "
        f"(pseudo-count {ODDS_PSEUDO_COUNT:g}) of a gold error when the probe picks it, relative to the "
        "base rate; cross-fitted by speaker when fitting the regression. duration_stats: per phone, "
        "median and sd of log frames in the negatives. min_gain/min_gain_supported/max_gop (naming an error rather than calling it "
        f"unclear): per class, the grid setting catching most positives while naming at most {BUDGET} "
        "of the negatives. unclear_gop: same, for phones no error form explains. phone_stats: per phone, "
        "median and sd of the fit in the negatives (for z-scores and 0-100 scores)."
    )
    found["error_log_odds"] = error_log_odds(neg, pos)
    found["combiner"] = fit_combiner(neg, pos, found, speakers_of(rows))
    cal = Calibration(**found, how=how)
    fa, hit = word_flag_rates(cal, neg, pos)
    h_neg, h_pos = split(rows, held_out=True)
    h_fa, h_hit = word_flag_rates(cal, h_neg, h_pos)
    figures = {
        "calibration_words_negative": len(neg),
        "calibration_words_positive": len(pos),
        "calibration_false_alarm_rate": round(fa, 4),
        "calibration_positive_flag_rate": round(hit, 4),
        "held_out_canonical_false_alarm_rate": round(h_fa, 4),
        "held_out_positive_flag_rate": round(h_hit, 4),
        "per_class": chosen,
        "replay_calibration_side": replay(cal, rows, held_out=False),
        "replay_held_out": replay(cal, rows, held_out=True),
    }
    cal = replace(cal, figures=figures)
    print(json.dumps(figures, indent=1))
    print(cal.to_json())
    if args.write:
        path = resource("calibration", "sphinx.json")
        path.write_text(cal.to_json() + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
