"""The rule-based tutor: each intent, reference resolution, multi-turn state, streaming."""

import re

import pytest

from engine.analyzers.base import Cancelled, Tutor
from engine.composer import Composer
from engine.feedback import Assessment, Issue, PhoneKind, PhoneResult, Verdict, WordResult
from engine.phonetics.lexicon import Lexicon
from engine.tutor import RuleTutor


def _word(index, text, errors=(), score=95.0):
    """A word of the take; ``errors`` = (phone index, heard, kind), issues from the composer."""
    phones = [PhoneResult(p, p, PhoneKind.CORRECT) for p in Lexicon.default().lookup(text).phones]
    for i, heard, kind in errors:
        phones[i] = PhoneResult(phones[i].expected, heard, kind)
    issues = Composer.default().issues_for_word(text, phones)
    verdict = Verdict.WRONG if issues else Verdict.GOOD
    return WordResult(
        index, text, score=score, verdict=verdict, phones=tuple(phones), issues=issues
    )


@pytest.fixture()
def take() -> Assessment:
    words = (
        _word(0, "the", [(0, "D", PhoneKind.SUBSTITUTION)], score=60),
        _word(1, "red"),
        _word(2, "car", [(2, "L", PhoneKind.SUBSTITUTION)], score=40),
        _word(3, "is"),
        _word(4, "there"),
    )
    return Assessment("The red car is there", words, score=60.0, engine="sphinx")


@pytest.fixture()
def tutor(take) -> RuleTutor:
    t = RuleTutor()
    t.begin(take)
    return t


def _quoted(answer):
    return [
        (w.lower(), tuple(p.split())) for w, p in re.findall(r'"([A-Z]+)" \(/([A-Z ]+)/\)', answer)
    ]


def test_implements_the_tutor_protocol(tutor):
    assert isinstance(tutor, Tutor) and tutor.name == "rules"


def test_streams_word_by_word_and_returns_the_whole_answer(tutor):
    pieces = []
    answer = tutor.ask("why is this wrong?", on_token=pieces.append)
    assert len(pieces) > 5 and "".join(pieces) == answer


def test_cancel_stops_the_stream(tutor):
    pieces = []
    with pytest.raises(Cancelled):
        tutor.ask(
            "give me more words", on_token=pieces.append, should_cancel=lambda: len(pieces) >= 3
        )
    assert len(pieces) == 3


def test_why_resolves_this_to_the_worst_word_first(tutor):
    answer = tutor.ask("why is this wrong?")
    assert answer.startswith('In "car" (score 40)')
    assert '"R" was replaced with "L"' in answer and "/R/" in answer


def test_why_with_an_explicit_word(tutor):
    answer = tutor.ask("why is 'the' wrong?")
    assert '"DH" was replaced with "D"' in answer
    assert "fine" in tutor.ask("what about red?")  # a word that was not flagged


def test_how_to_uses_the_focus_and_contrasts_with_what_was_heard(tutor):
    answer = tutor.ask("how do I make it?")  # "it" = the focus: /R/ of "car"
    assert answer.startswith('To make /R/ (ɹ, as in "red")')
    assert "Compared with /L/" in answer and "tongue" in answer


def test_how_to_say_a_word_that_was_fine_gives_its_pronunciation(tutor):
    answer = tutor.ask("how do I say 'there'?")
    assert answer.startswith('"there" is said /DH EH R/')


def test_th_spelling_maps_to_the_th_phone_of_the_take(tutor):
    assert tutor.ask("how do I make the th sound?").startswith(
        "To make /DH/ (ð"
    )  # DH was wrong here
    fresh = RuleTutor()
    assert fresh.ask("how do I make the th sound?").startswith("To make /TH/ (θ")  # no take: TH


def test_more_words_gives_new_real_words_with_the_sound(tutor):
    tutor.ask("how do I make the R sound?")
    # the practice words come first, then minimal pairs against /L/ (what was heard)
    first = _quoted(tutor.ask("give me more words").split("Minimal pairs")[0])
    second = _quoted(tutor.ask("more examples please").split("Minimal pairs")[0])
    lexicon = Lexicon.default()
    for word, phones in first + second:
        assert phones in lexicon.variants(word) and "R" in phones
    assert len(first) >= 4 and len(second) >= 4
    assert not {w for w, _ in first[:4]} & {w for w, _ in second[:4]}  # new words each time
    assert "Minimal pairs against /L/" in tutor.ask("more")  # R was heard as L in this take


def test_sound_like_describes_a_named_phone(tutor):
    answer = tutor.ask("what does /AE/ sound like?")
    assert "/AE/ (IPA æ)" in answer and "front" in answer and '"cat"' in answer
    word_answer = tutor.ask("how does 'there' sound?")
    assert word_answer == '"there" is said /DH EH R/ (IPA ðɛɹ).'


def test_difference_between_two_named_sounds(tutor):
    answer = tutor.ask("What's the difference between R and L?")
    assert "/L/" in answer and "/R/" in answer and "sides" in answer
    assert " vs. " in answer  # a minimal pair to listen to


def test_worst_word_and_score(tutor):
    worst = tutor.ask("which word was worst?")
    assert worst.startswith('Your weakest word was "car" (score 40)')
    score = tutor.ask("what's my score?")
    assert "60 out of 100" in score and "3 of 5" in score and '"the" (60)' in score


def test_try_again_says_what_to_watch(tutor):
    answer = tutor.ask("try again")
    assert "Record" in answer and '/R/ in "car"' in answer


def test_greeting_thanks_and_help(tutor):
    assert tutor.ask("Hello!").startswith("Hello! I flagged 2 words")
    assert "welcome" in tutor.ask("thanks a lot")
    help_text = tutor.ask("blah blah")
    assert "how do I make the TH sound?" in help_text and "which word was worst?" in help_text


def test_multi_turn_focus_follows_the_conversation(tutor):
    tutor.ask("why is 'the' wrong?")
    assert tutor.ask("how do I make it?").startswith("To make /DH/")
    assert "/DH/" in tutor.ask("give me more words")


def test_without_a_take_answers_sound_questions_and_asks_for_a_recording():
    t = RuleTutor()
    assert "Record" in t.ask("what's my score?")
    assert "Record" in t.ask("why is this wrong?")
    assert t.ask("how do I make the V sound?").startswith("To make /V/")


def test_begin_resets_the_conversation(tutor, take):
    tutor.ask("how do I make the V sound?")
    tutor.begin(take)
    assert tutor.ask("how do I make it?").startswith("To make /R/")


def test_deterministic(take):
    answers = []
    for _ in range(2):
        t = RuleTutor()
        t.begin(take)
        answers.append([t.ask(q) for q in ("why?", "more words", "how do I make the th sound?")])
    assert answers[0] == answers[1]


def test_model_written_feedback_without_phones_is_understood():
    """ALM-style assessments carry only issue text: the tutor reads the phones it names."""
    issue = Issue(
        '"V" was replaced with "W", indicating a substitution error', "Practice /V/ vs. /W/"
    )
    word = WordResult(0, "very", score=30, verdict=Verdict.WRONG, issues=(issue,))
    t = RuleTutor()
    t.begin(Assessment("very good", (word, WordResult(1, "good")), score=50.0, engine="alm"))
    answer = t.ask("how do I fix it?")
    assert answer.startswith("To make /V/") and "Compared with /W/" in answer
