"""The paper's metrics against values worked out by hand on tiny examples."""

from __future__ import annotations

import math

import pytest

from engine.errors import FormatError
from engine.metrics import (
    DetectionCounts,
    MetricReport,
    aggregate,
    bleu2,
    feedback_text,
    prediction_dict,
    rouge_l,
    score_utterance,
)


def fb(*pairs: tuple[str, str, str]) -> dict:
    """Feedback dict from (word, issue, suggestion) triples."""
    result: dict = {}
    for word, issue, suggestion in pairs:
        result.setdefault(word, []).append({"issue": issue, "suggestion": suggestion})
    return result


# -- BLEU-2 -------------------------------------------------------------------


def test_bleu2_by_hand_equal_lengths() -> None:
    # unigrams 3/4 match, bigrams (a b)(b c) of (a b)(b c)(c d): 2/3; same length: no penalty.
    assert bleu2("a b c d", "a b c e") == pytest.approx(math.sqrt(3 / 4 * 2 / 3))


def test_bleu2_brevity_penalty() -> None:
    # all n-grams match but the hypothesis is half as long: BP = exp(1 - 4/2).
    assert bleu2("a b", "a b c d") == pytest.approx(math.exp(-1))


def test_bleu2_is_case_sensitive_and_unsmoothed() -> None:
    # "A" does not match "a" (the script does not lower-case); no bigram matches -> 0, no smoothing.
    assert bleu2("A b", "a b") == pytest.approx(0.0, abs=1e-100)
    assert bleu2("A B", "a b") == 0.0
    assert bleu2("no problem", "no problem") == pytest.approx(1.0)
    assert bleu2("", "a b") == 0.0


# -- ROUGE-L ------------------------------------------------------------------


def test_rouge_l_with_stemming_by_hand() -> None:
    # "cats" stems to "cat": LCS = the cat sat (3); P = 3/3, R = 3/4, F = 6/7.
    assert rouge_l("the cats sat", "the cat sat down") == pytest.approx(6 / 7)


def test_rouge_l_ignores_case_and_punctuation() -> None:
    assert rouge_l("No Problem.", "no problem") == pytest.approx(1.0)
    assert rouge_l("no problem", "red:R to W") == 0.0


# -- feedback text ----------------------------------------------------------------


def test_feedback_text_orders_by_word_position_and_keeps_items_per_word() -> None:
    feedback = fb(
        ("mat", "T dropped", "stop"), ("cat", "AE to EH", "open"), ("cat", "T to D", "tap")
    )
    words = ["the", "cat", "sat", "on", "the", "mat"]
    assert feedback_text(feedback, words) == "cat:AE to EH open cat:T to D tap mat:T dropped stop"


def test_feedback_text_words_outside_the_sentence_go_last_and_duplicates_collapse() -> None:
    feedback = fb(("dog", "x", "y"), ("mat", "T dropped", "stop"), ("mat", "T dropped", "stop"))
    assert feedback_text(feedback, ["the", "mat"]) == "mat:T dropped stop dog:x y"


def test_feedback_text_empty_is_no_problem() -> None:
    assert feedback_text({}, ["a"]) == "no problem"
    assert feedback_text(None) == "no problem"


def test_feedback_text_rejects_malformed_dicts() -> None:
    with pytest.raises(FormatError):
        feedback_text({"cat": "not a list"}, ["cat"])


# -- detection counts -------------------------------------------------------------


def test_detection_counts_over_word_types() -> None:
    # "red" appears twice in the sentence and counts once; "lorry" is a false alarm.
    counts = DetectionCounts.of(
        "Red lorry, red lorry",
        fb(("red", "R to W", "curl")),
        fb(("Red", "a", "b"), ("lorry", "c", "d")),
    )
    assert counts == DetectionCounts(
        tp=1, fp=1, fn=0, tn=0, predicted_words=2, extra_words=0, sentence_words=2, gold_words=1
    )


def test_extra_word_is_a_false_positive_too() -> None:
    counts = DetectionCounts.of("the cat", {}, fb(("dog", "x", "y")))
    assert (counts.fp, counts.extra_words, counts.predicted_words, counts.tn) == (1, 1, 1, 2)


# -- two utterances, end to end -------------------------------------------------------

U1_TEXT = "The cat sat on the mat"
U1_GOLD = fb(("cat", "AE to EH", "open"), ("mat", "T dropped", "stop"))
U1_PRED = fb(("mat", "T dropped", "stop"), ("on", "AA to AO", "round"), ("dog", "x", "y"))
U2_TEXT = "red lorry red lorry"
U2_GOLD = fb(("red", "R to W", "curl tongue"))
U2_PRED: dict = {}


def test_score_utterance_by_hand() -> None:
    s = score_utterance(U1_TEXT, U1_GOLD, U1_PRED)
    assert s.gold_text == "cat:AE to EH open mat:T dropped stop"
    assert s.pred_text == "on:AA to AO round mat:T dropped stop dog:x y"
    # TP {mat}, FP {on, dog}, FN {cat}, extra {dog}; TN {the, sat}.
    assert s.counts == DetectionCounts(
        tp=1, fp=2, fn=1, tn=2, predicted_words=3, extra_words=1, sentence_words=5, gold_words=2
    )
    # BLEU-2: 9 hypothesis tokens, 4 unigram matches (to, mat:T, dropped, stop);
    # 8 bigrams, 2 match (mat:T dropped, dropped stop); hypothesis longer: BP 1.
    assert s.bleu2 == pytest.approx(math.sqrt(4 / 9 * 2 / 8))
    # ROUGE-L tokens: gold cat ae to eh open mat t drop stop (9);
    # pred on aa to ao round mat t drop stop dog x y (12); LCS to mat t drop stop = 5.
    p, r = 5 / 12, 5 / 9
    assert s.rouge_l == pytest.approx(2 * p * r / (p + r))


def test_aggregate_by_hand() -> None:
    report = aggregate(
        [score_utterance(U1_TEXT, U1_GOLD, U1_PRED), score_utterance(U2_TEXT, U2_GOLD, U2_PRED)]
    )
    # Totals: TP 1, FP 2, FN 1 + 1 = 2.
    assert (report.counts.tp, report.counts.fp, report.counts.fn) == (1, 2, 2)
    assert report.precision == pytest.approx(1 / 3)
    assert report.recall == pytest.approx(1 / 3)
    assert report.f1 == pytest.approx(1 / 3)
    assert report.ewr == pytest.approx(1 / 3)  # 1 extra of 3 predicted words
    assert report.ewr_script == pytest.approx(1 / 7)  # 1 extra over 5 + 2 sentence word types
    # U2: "no problem" vs "red:R to W curl tongue": nothing in common -> BLEU 0, ROUGE 0.
    assert report.bleu2 == pytest.approx(math.sqrt(1 / 9) / 2)
    assert report.rouge_l == pytest.approx((2 * (5 / 12) * (5 / 9) / (5 / 12 + 5 / 9)) / 2)
    assert report.n == 2


def test_report_percent_dict_and_markdown() -> None:
    report = aggregate(
        [score_utterance(U1_TEXT, U1_GOLD, U1_PRED), score_utterance(U2_TEXT, U2_GOLD, U2_PRED)]
    )
    assert report.as_percent()["precision"] == 33.3
    assert report.as_percent()["ewr_script"] == 14.3
    data = report.to_dict()
    assert data["n"] == 2 and data["counts"]["tp"] == 1 and data["f1"] == pytest.approx(1 / 3)
    row = report.markdown_row("fake")
    assert row.startswith("| fake | 2 | 33.3 | 33.3 | 33.3 | 33.3 | 14.3 | 16.7 |")
    header = MetricReport.markdown_header().splitlines()
    assert header[0].count("|") == row.count("|") == header[1].count("|")


def test_empty_aggregate_is_all_zero() -> None:
    report = aggregate([])
    assert (report.precision, report.recall, report.f1, report.bleu2, report.n) == (
        0.0,
        0.0,
        0.0,
        0.0,
        0,
    )


def test_perfect_prediction_scores_one() -> None:
    report = aggregate(
        [score_utterance(U1_TEXT, U1_GOLD, U1_GOLD), score_utterance("hello", {}, {})]
    )
    assert (report.precision, report.recall, report.f1, report.ewr) == (1.0, 1.0, 1.0, 0.0)
    assert report.bleu2 == pytest.approx(1.0) and report.rouge_l == pytest.approx(1.0)


def test_prediction_dict_keeps_extra_words_as_empty_predictions() -> None:
    from engine.feedback import FeedbackItem, assessment_from_items

    assessment = assessment_from_items(
        ["the", "cat"], [FeedbackItem("dog", "x", "y"), FeedbackItem("cat", "AE", "open")]
    )
    prediction = prediction_dict(assessment)
    assert prediction == {"cat": [{"issue": "AE", "suggestion": "open"}], "dog": []}
    scores = score_utterance("the cat", {"cat": prediction["cat"]}, prediction)
    assert (scores.counts.tp, scores.counts.fp, scores.counts.extra_words) == (1, 1, 1)
    assert scores.pred_text == scores.gold_text == "cat:AE open"


def test_sentence_words_include_the_spoken_form() -> None:
    from engine.metrics import sentence_words

    assert sentence_words("It was 1904, Mr. Smith.") == (
        "it", "was", "1904", "mr", "smith", "nineteen", "oh", "four"
    )  # fmt: skip
    # A spelled-out number named by an analyzer is in the sentence, not an extra word.
    counts = DetectionCounts.of("It was 1904", {}, {"nineteen": [], "ten": []})
    assert (counts.extra_words, counts.sentence_words) == (1, 6)
