"""The embedded CPU analyzer on real recordings (pocketsphinx's bundled model, no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.analyzers.base import Analyzer, Cancelled
from engine.analyzers.sphinx import SphinxAnalyzer
from engine.audio import AudioClip, load_audio
from engine.errors import AnalyzerError, TextError
from engine.feedback import Assessment, PhoneKind, Verdict
from engine.paths import resource
from engine.phonetics.inventory import PHONES

DATA = Path(__file__).resolve().parent.parent / "data"
FIXTURES = json.loads((DATA / "sphinx_fixtures.json").read_text(encoding="utf-8"))
SAMPLE_TEXT = json.loads(resource("samples", "sample.json").read_text(encoding="utf-8"))["text"]


@pytest.fixture(scope="module")
def analyzer() -> SphinxAnalyzer:
    return SphinxAnalyzer()


def _fixture(name: str) -> tuple[AudioClip, str]:
    return load_audio(DATA / name), FIXTURES[name]["text"]


@pytest.fixture(scope="module")
def native(analyzer: SphinxAnalyzer) -> tuple[AudioClip, Assessment]:
    clip, text = _fixture("sphinx_native_a0003.wav")
    return clip, analyzer.analyze(clip, text)


@pytest.fixture(scope="module")
def planted(analyzer: SphinxAnalyzer) -> Assessment:
    """TTS rendering of an L2-ARCTIC record with its annotated errors (R->L in "regret")."""
    return analyzer.analyze(load_audio(resource("samples", "sample.wav")), SAMPLE_TEXT)


def test_is_an_analyzer(analyzer: SphinxAnalyzer) -> None:
    assert isinstance(analyzer, Analyzer) and analyzer.name == "sphinx"


def test_words_follow_the_normalised_sentence(native: tuple[AudioClip, Assessment]) -> None:
    _, result = native
    assert [w.text for w in result.words] == [
        "for",
        "the",
        "twentieth",
        "time",
        "that",
        "evening",
        "the",
        "two",
        "men",
        "shook",
        "hands",
    ]
    assert [w.index for w in result.words] == list(range(11))
    assert result.engine == "sphinx"


def test_timings_are_monotonic_and_inside_the_clip(native: tuple[AudioClip, Assessment]) -> None:
    clip, result = native
    last_end = 0.0
    for word in result.words:
        assert last_end - 1e-6 <= word.start_s < word.end_s <= clip.duration_s + 1e-6
        phone_end = word.start_s
        for phone in word.phones:
            assert phone_end - 1e-6 <= phone.start_s <= phone.end_s <= word.end_s + 1e-6
            phone_end = phone.end_s
        last_end = word.end_s
    # The words cover the speech: from near the start to near the end of the take.
    assert result.words[0].start_s < 0.5 and result.words[-1].end_s > clip.duration_s - 0.6


def test_native_speaker_is_almost_never_flagged(native: tuple[AudioClip, Assessment]) -> None:
    _, result = native
    assert len(result.flagged_words) <= 1, result.to_feedback_lines()
    assert result.score > 60


def test_canonical_rendering_of_the_sample_sentence_is_not_flagged(
    analyzer: SphinxAnalyzer,
) -> None:
    clip, text = _fixture("sphinx_canonical_b0320.wav")
    result = analyzer.analyze(clip, text)
    flagged = {w.text for w in result.flagged_words}
    # The same sentence and voice as the planted take, without errors: "regret" is fine here.
    # (This TTS voice's weak /V/ draws a V->B flag or two: tolerated, the rate is benchmarked.)
    assert "regret" not in flagged and len(flagged) <= 3, result.to_feedback_lines()


def test_planted_r_to_l_is_caught_on_regret(planted: Assessment) -> None:
    regret = next(w for w in planted.words if w.text == "regret")
    assert regret.flagged and regret.verdict is Verdict.WRONG
    first = regret.phones[0]
    assert first.expected == "R" and first.kind is PhoneKind.SUBSTITUTION
    assert first.heard in ("L", "W")  # the rendered lateral; W is the model's nearest liquid/glide
    assert regret.issues[0].phone_index == 0 and "R" in regret.issues[0].explanation
    # The substituted sound scores lowest in the word.
    assert first.score == min(p.score for p in regret.phones) and first.score < 70


def test_heard_is_a_phone_transcript(planted: Assessment) -> None:
    phones = planted.heard.split()
    assert len(phones) > 20 and set(phones) <= set(PHONES)


def test_assessment_round_trips_through_json(planted: Assessment) -> None:
    assert Assessment.from_json(planted.to_json()) == planted


def test_progress_rises_to_done_and_cancel_stops(
    analyzer: SphinxAnalyzer, native: tuple[AudioClip, Assessment]
) -> None:
    clip, _ = native
    seen: list[float] = []
    analyzer.analyze(clip, "For the twentieth time", progress=lambda f, _s: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 4
    calls = []

    def cancel_on_third() -> bool:
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        analyzer.analyze(clip, "For the twentieth time", should_cancel=cancel_on_third)
    # The analyzer is still usable after a cancel.
    assert analyzer.analyze(clip, "For the twentieth time").words[0].text == "for"


@pytest.mark.parametrize("text", ["", "   ", "?!...", "--"])
def test_text_without_words_is_a_text_error(
    analyzer: SphinxAnalyzer, native: tuple[AudioClip, Assessment], text: str
) -> None:
    with pytest.raises(TextError):
        analyzer.analyze(native[0], text)


def test_unknown_word_is_guessed_and_said_so(
    analyzer: SphinxAnalyzer, native: tuple[AudioClip, Assessment]
) -> None:
    clip, _ = native
    result = analyzer.analyze(clip, "For the twentieth time that evening the two men shook handz")
    assert result.words[-1].text == "handz"
    assert any("handz" in note and "guessed" in note for note in result.notes)


def test_text_far_longer_than_the_take_is_an_analyzer_error(analyzer: SphinxAnalyzer) -> None:
    clip = load_audio(DATA / "sphinx_native_a0003.wav")
    short = AudioClip(clip.samples[: clip.sample_rate_hz // 2], clip.sample_rate_hz)
    with pytest.raises(AnalyzerError, match="recording"):
        analyzer.analyze(short, " ".join(["extraordinary"] * 40))


def test_error_forms_cover_the_common_l2_confusions() -> None:
    from engine.analyzers.sphinx.variants import word_variants

    base = ("R", "IH", "G", "R", "EH", "T")
    forms = {
        (v.kind, v.index, v.heard): v for v in word_variants("regret", base, frozenset({base}))
    }
    assert forms[("substitution", 0, "L")].phones == ("L", "IH", "G", "R", "EH", "T")
    assert forms[("deletion", 5, None)].phones == base[:-1]  # final consonant dropped
    assert forms[("insertion", 6, "AH")].phones == (
        *base,
        "AH",
    )  # epenthetic vowel after the final T
    assert forms[("substitution", 1, "IY")].error_class == "vowel"
    assert forms[("substitution", 0, "L")].error_class == "consonant"
    # A dictionary form is never offered as an error.
    assert all(v.phones != base for v in forms.values())


def test_missing_or_malformed_calibration_is_an_analyzer_error(tmp_path: Path) -> None:
    from engine.analyzers.sphinx import Calibration

    with pytest.raises(AnalyzerError, match="calibration"):
        Calibration.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"min_gain": 1}', encoding="utf-8")
    with pytest.raises(AnalyzerError, match="calibration"):
        Calibration.load(bad)


def test_calibration_matches_the_detector_features() -> None:
    from engine.analyzers.sphinx import Calibration
    from engine.analyzers.sphinx.detector import FEATURES

    cal = Calibration.load()
    assert cal.combiner is not None and cal.combiner["features"] == list(FEATURES)
    assert len(cal.combiner["weights"]) == len(FEATURES) + 1  # one per feature, then the bias
    # Every phone has native fit and duration statistics; the error-form table names real kinds.
    assert set(PHONES) <= set(cal.phone_stats) and set(PHONES) <= set(cal.duration_stats)
    assert cal.error_log_odds["substitution:R>L"] > 0


def test_error_keys_and_timing_features() -> None:
    from engine.analyzers.sphinx.detector import FEATURES, duration_z, error_key, features
    from engine.analyzers.sphinx.evidence import PhoneEvidence, WordEvidence
    from engine.analyzers.sphinx.variants import word_variants

    base = ("R", "IH", "G", "R", "EH", "T")
    forms = {(v.kind, v.index): v for v in word_variants("regret", base, frozenset({base}))}
    assert error_key(forms[("deletion", 5)]) == "deletion:T>None:final"
    assert error_key(forms[("deletion", 0)]) == "deletion:R>None"
    assert duration_z("T", 20, {"T": [2.0, 0.5]}) > 0 > duration_z("T", 3, {"T": [2.0, 0.5]})
    # A word whose final T is squeezed to the 3-frame minimum and fits badly.
    phones = tuple(
        PhoneEvidence(p, 10 * i, 10 * i + (3 if p == "T" else 10), -200.0 if p == "T" else -40.0)
        for i, p in enumerate(base)
    )
    word = WordEvidence("regret", False, base, phones, None, phones, 0.0)
    found = dict(zip(FEATURES, features(word, (), {"T": [-50.0, 20.0]})))
    assert len(found) == len(FEATURES)
    assert found["final_short"] == 1.0 and found["final_z"] == pytest.approx(-7.5)
    assert found["z_min"] == found["z_min_consonant"] == found["final_z"]
    assert found["has_error_form"] == 0.0 and found["error_log_odds"] == 0.0


def test_the_same_take_gets_the_same_result_whatever_came_before(planted: Assessment) -> None:
    # pocketsphinx carries feature state from one utterance to the next; the aligner resets
    # it, so a fresh analyzer, and one that has just heard another take, agree exactly.
    fresh = SphinxAnalyzer().analyze(load_audio(resource("samples", "sample.wav")), SAMPLE_TEXT)
    used = SphinxAnalyzer()
    used.analyze(*_fixture("sphinx_native_a0003.wav"))
    again = used.analyze(load_audio(resource("samples", "sample.wav")), SAMPLE_TEXT)
    assert fresh.words == again.words == planted.words
