"""``RuleTutor``: answers follow-up questions about a take from the phonetics data.

The CPU engine's tutor (the ALM engine has a free-form one). It recognises a
fixed set of intents by keywords: how to make a sound, more practice words,
why a word was wrong, what a sound is like, the difference between two sounds,
which word was worst, the score, try again, greetings and thanks; anything
else gets a short list of what it can answer. References are resolved from
the question ("the TH sound", "/AE/", "'three'") or else from the
conversation: "this" / "it" mean the word or sound discussed last, and at the
start the worst flagged word. Answers are deterministic and streamed word by
word to ``on_token``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from engine.analyzers.base import Cancelled, TokenCallback
from engine.audio import AudioClip
from engine.composer import Composer
from engine.feedback import Assessment, PhoneKind, WordResult, normalise_word
from engine.phonetics.inventory import PHONES, describe_difference, get_phone, to_ipa

_SOUND_WORDS = r"(?:sound|sounds|phone|phoneme|letter)"
# "the th sound", "my r sound", "the sound r", "the sound of v"
_SPOKEN_SOUND_RE = re.compile(
    rf"(?:the|an?|your|my|that|this)\s+['\"]?([a-z]{{1,2}})['\"]?\s+{_SOUND_WORDS}"
    rf"|{_SOUND_WORDS}\s+(?:of\s+)?['\"]?([a-z]{{1,2}})['\"]?(?:\s|[?.!,]|$)"
)
# Spellings a learner may type for a sound, most likely phone first.
_SPELLINGS = {
    "th": ("TH", "DH"), "sh": ("SH",), "ch": ("CH",), "ng": ("NG",), "zh": ("ZH",),
    "r": ("R",), "l": ("L",), "v": ("V",), "w": ("W",), "b": ("B",), "p": ("P",), "f": ("F",),
    "s": ("S",), "z": ("Z",), "t": ("T",), "d": ("D",), "k": ("K",), "g": ("G",), "h": ("HH",),
    "j": ("JH",), "y": ("Y",), "m": ("M",), "n": ("N",), "ee": ("IY",), "oo": ("UW",),
}  # fmt: skip
# Words too common in questions to be taken as "the word I mean" unless quoted.
_QUESTION_TEXT = (
    "a an the i me my you your it its this that is are was were do does did how what why which "
    "who when where can could should would to of in on at for and or with about sound say make "
    "give more words word again try wrong right good bad"
)
_QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_HELP = (
    'I can help with this take. Try: "why is this wrong?", "how do I make the TH sound?", '
    '"give me more words", "what does /AE/ sound like?", "what\'s the difference between '
    'R and L?", "which word was worst?", "what\'s my score?" or "try again".'
)


# Keyword patterns per intent (on the lower-cased question), in priority order.
_INTENT_PATTERNS: dict[str, tuple[str, ...]] = {
    "difference": (r"\bdifferen", r"\bvs\.?\b", r"\bversus\b", r"\bcompare"),
    "how_to": (
        r"\b(how|way) (do|can|should|to) (i |you )?(make|say|pronounce|produce|do)\b",
        r"\btongue\b", r"\blips?\b", r"\bmouth\b", r"\b(fix|improve|correct)\b",
        r"\bwhat should i do\b", r"\bhow to\b",
    ),
    "more": (
        r"\bmore\b", r"\bother words\b", r"\banother\b", r"\bexamples?\b",
        r"\bpractice words\b", r"\bminimal pairs?\b", r"\bwords? (to|for) practi",
    ),
    "sound_like": (
        r"\bsounds? like\b", r"\bwhat is /", r"\bwhat'?s /", r"\bhow does .* sound\b", r"\bipa\b",
    ),
    "worst": (
        r"\bworst\b", r"\bhardest\b", r"\bbiggest\b", r"\bweakest\b",
        r"\bwhich words?\b.*\b(wrong|bad|problem)",
    ),
    "score": (
        r"\bscore\b", r"\bhow (did|well) (i|did i)\b", r"\bhow did i do\b", r"\bgrade\b",
        r"\bresult",
    ),
    "again": (r"\btry (it )?again\b", r"\bagain\b", r"\bretry\b", r"\bone more time\b", r"\bre-?record\b"),
    "why": (
        r"\bwhy\b", r"\bwrong\b", r"\bmistake", r"\berror", r"\bexplain\b", r"\bproblem\b",
        r"\bwhat happened\b",
    ),
    "greeting": (r"^(hi|hello|hey|good (morning|afternoon|evening))\b",),
    "thanks": (r"\bthanks?\b", r"\bthank you\b", r"\bcheers\b", r"\bgreat\b$"),
}  # fmt: skip


def _keyword_test(intent: str) -> Callable[[str, object], bool]:
    pattern = re.compile("|".join(f"(?:{p})" for p in _INTENT_PATTERNS[intent]))
    return lambda low, refs: pattern.search(low) is not None


@dataclass(frozen=True)
class _Focus:
    """What the conversation is about: a word of the take and/or a target phone."""

    word_index: int | None = None
    phone: str | None = None  # the target (expected) phone
    heard: str | None = None  # what came out instead, when known


@dataclass(frozen=True)
class _Refs:
    """What a question names explicitly."""

    phones: tuple[str, ...]
    word_index: int | None


class RuleTutor:
    """Implements ``engine.analyzers.base.Tutor`` over the composer's phonetics data."""

    name = "rules"

    def __init__(self, composer: Composer | None = None) -> None:
        self._composer = composer  # loaded on first use: start-up stays fast
        self._assessment: Assessment | None = None
        self._focus = _Focus()
        self._shown: dict[str, int] = {}  # phone -> practice words given so far

    @property
    def composer(self) -> Composer:
        if self._composer is None:
            self._composer = Composer.default()
        return self._composer

    def begin(self, assessment: Assessment, clip: AudioClip | None = None) -> None:
        """Start talking about ``assessment``; the focus is its worst flagged word."""
        self._assessment = assessment
        self._shown = {}
        worst = _worst_word(assessment)
        self._focus = _focus_on_word(worst) if worst else _Focus()

    def ask(
        self,
        question: str,
        *,
        on_token: TokenCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> str:
        """Answer ``question``, streaming it word by word (see ``Tutor.ask``)."""
        if should_cancel and should_cancel():
            raise Cancelled()
        answer = self.answer(question)
        _stream(answer, on_token, should_cancel)
        return answer

    # -- intents ---------------------------------------------------------------
    def answer(self, question: str) -> str:
        """The whole answer to ``question`` (updates the conversation's focus)."""
        text = " ".join(str(question).split())
        low = text.lower()
        refs = self._references(text)
        for test, handler in self._intents():
            if test(low, refs):
                return handler(refs)
        return self._default(refs)

    def _intents(self) -> list[tuple[Callable[[str, _Refs], bool], Callable[[_Refs], str]]]:
        """(test, handler) in priority order: the first test that matches answers."""
        handlers = {
            "difference": self._difference, "how_to": self._how_to, "more": self._more,
            "sound_like": self._sound_like, "worst": self._worst, "score": self._score,
            "again": self._again, "why": self._why, "greeting": self._greeting,
            "thanks": self._thanks,
        }  # fmt: skip
        tests = [(_keyword_test(name), handlers[name]) for name in _INTENT_PATTERNS]
        return tests + [
            (lambda low, refs: bool(refs.phones), self._how_to),  # "R?" alone
            (lambda low, refs: refs.word_index is not None, self._why),  # "'three'?" alone
        ]

    def _difference(self, refs: _Refs) -> str:
        phones = list(refs.phones)
        if len(phones) < 2 and self._focus.phone and self._focus.heard:
            phones = [self._focus.phone, self._focus.heard]
        if len(phones) < 2:
            return 'Name two sounds to compare, for example "the difference between R and L".'
        a, b = phones[0], phones[1]
        self._focus = replace(self._focus, phone=a, heard=b)
        pair = self.composer.minimal_pair(a, b)
        example = f" Listen for the difference in {pair.display()}." if pair else ""
        return f"{_cap(describe_difference(a, b))}.{example}"

    def _how_to(self, refs: _Refs) -> str:
        phone = self._target_phone(refs)
        if phone is None and refs.word_index is not None:
            return self._word_sound(refs.word_index)  # "how do I say 'laughter'?": a good word
        if phone is None:
            return 'Which sound do you mean? For example: "how do I make the TH sound?".'
        p = get_phone(phone)
        self._set_phone(phone)
        words = self._next_words(phone, 3)
        practice = f" Practise with {_join(words)}." if words else ""
        contrast = ""
        if self._focus.heard and self._focus.phone == phone:
            contrast = f" Compared with /{self._focus.heard}/: {describe_difference(phone, self._focus.heard)}."
        return f'To make /{phone}/ ({p.ipa}, as in "{p.example}"): {self.composer.tip(phone)}{contrast}{practice}'

    def _more(self, refs: _Refs) -> str:
        phone = self._target_phone(refs)
        if phone is None:
            return 'Which sound would you like words for? For example: "more words with R".'
        self._set_phone(phone)
        words = self._next_words(phone, 4)
        if not words:
            return (
                f"I have no more common words with /{phone}/; try saying the earlier ones faster."
            )
        answer = f"More words with /{phone}/: {_join(words)}."
        heard = self._focus.heard if self._focus.phone == phone else None
        if heard:
            pairs = self.composer.practice.minimal_pairs(phone, heard, limit=3)
            if pairs:
                answer += (
                    f" Minimal pairs against /{heard}/: "
                    + "; ".join(p.display() for p in pairs)
                    + "."
                )
        return answer

    def _sound_like(self, refs: _Refs) -> str:
        if not refs.phones and refs.word_index is not None:
            return self._word_sound(refs.word_index)
        if not refs.phones and not self._focus.phone and self._focus.word_index is not None:
            return self._word_sound(self._focus.word_index)  # "what does it sound like?"
        phone = self._target_phone(refs)
        if phone is None:
            return 'Which sound do you mean? For example: "what does /AE/ sound like?".'
        p = get_phone(phone)
        self._set_phone(phone)
        words = self._next_words(phone, 2)
        also = f" Hear it in {_join(words)}." if words else ""
        return (
            f"/{phone}/ (IPA {p.ipa}) is a {p.description}: the sound in "
            f'"{p.example}" ({to_ipa(self._phones_of(p.example))}).{also}'
        )

    def _word_sound(self, index: int) -> str:
        word = self._word(index)
        self._focus = _focus_on_word(word)
        phones = self._phones_of(word.text)
        return f'"{word.text}" is said /{" ".join(phones)}/ (IPA {to_ipa(phones)}).'

    def _why(self, refs: _Refs) -> str:
        if self._assessment is None:
            return "Record or open a take first; then I can explain what I heard."
        index = refs.word_index if refs.word_index is not None else self._focus.word_index
        if index is None:
            return "I did not flag any word in this take: it sounded good to me."
        word = self._word(index)
        self._focus = _focus_on_word(word)
        if not word.issues:
            return f'"{word.text}" sounded fine to me (score {word.score:.0f}).'
        parts = [f'In "{word.text}" (score {word.score:.0f}):']
        parts += [f"{i.explanation}. {i.suggestion}." for i in word.issues]
        return " ".join(_tidy(p) for p in parts)

    def _worst(self, refs: _Refs) -> str:
        if self._assessment is None:
            return (
                "Record or open a take first; then I can tell you which word needs the most work."
            )
        worst = _worst_word(self._assessment)
        if worst is None:
            return "No word was flagged in this take: well done!"
        self._focus = _focus_on_word(worst)
        first = worst.issues[0].explanation if worst.issues else "it scored lowest"
        follow = (
            f' Ask "how do I make the {self._focus.phone} sound?" for help.'
            if self._focus.phone
            else ""
        )
        return f'Your weakest word was "{worst.text}" (score {worst.score:.0f}): {first}.{follow}'

    def _score(self, refs: _Refs) -> str:
        if self._assessment is None:
            return "Record or open a take first; then I can score it."
        a = self._assessment
        flagged = a.flagged_words
        if not flagged:
            return f"Your score is {a.score:.0f} out of 100, and no word was flagged. Well done!"
        listed = ", ".join(f'"{w.text}" ({w.score:.0f})' for w in flagged)
        good = len(a.words) - len(flagged)
        return (
            f"Your score is {a.score:.0f} out of 100: {good} of {len(a.words)} words sounded good. "
            f"Words to work on: {listed}."
        )

    def _again(self, refs: _Refs) -> str:
        if self._assessment is None:
            return "Press Record (Space) and read the sentence aloud; I will tell you what I heard."
        tip = ""
        if self._focus.word_index is not None and self._focus.phone:
            word = self._word(self._focus.word_index)
            tip = f' This time, watch /{self._focus.phone}/ in "{word.text}": {self.composer.tip(self._focus.phone)}'
        return f"Sure: press Record (Space) and read the sentence again, slowly and clearly.{tip}"

    def _greeting(self, refs: _Refs) -> str:
        if self._assessment is None:
            return "Hello! Read a sentence aloud and I will help you with what I hear. " + _HELP
        flagged = len(self._assessment.flagged_words)
        summary = (
            f"I flagged {flagged} word{'s' if flagged != 1 else ''} in this take. "
            if flagged
            else ("This take sounded good. ")
        )
        return f"Hello! {summary}{_HELP}"

    def _thanks(self, refs: _Refs) -> str:
        return 'You\'re welcome! Keep practising; say "try again" when you want another go.'

    def _default(self, refs: _Refs) -> str:
        return f"Sorry, I did not understand that. {_HELP}"

    # -- references ----------------------------------------------------------
    def _references(self, text: str) -> _Refs:
        return _Refs(self._phones_in(text), self._word_in(text))

    def _phones_in(self, text: str) -> tuple[str, ...]:
        found: list[tuple[int, str]] = []
        for m in re.finditer(r"/\s*([A-Za-z]{1,2})[0-2]?\s*/", text):  # /AE/, /th/
            found += [(m.start(), p) for p in self._symbols(m.group(1))]
        for m in re.finditer(r"\b([A-Z]{1,2})\b", re.sub(r"/[^/]*/", " ", text)):  # TH, AE, R
            if m.group(1) in PHONES and m.group(1) not in ("I", "A"):
                found.append((m.start(), m.group(1)))
        for m in _SPOKEN_SOUND_RE.finditer(text.lower()):
            found += [(m.start(), p) for p in self._symbols(m.group(1) or m.group(2))]
        return tuple(dict.fromkeys(p for _, p in sorted(found, key=lambda t: t[0])))

    def _symbols(self, token: str) -> tuple[str, ...]:
        """Phones a typed token names: an ARPAbet symbol, or a spelling ("th" -> TH or DH)."""
        options = _SPELLINGS.get(token, ())  # typed in lower case: a spelling
        if not options and token.upper() in PHONES:
            return (token.upper(),)
        in_take = [p for p in options if p in self._phones_in_take()]
        return (in_take or list(options))[:1] if options else ()

    def _phones_in_take(self) -> set[str]:
        if self._assessment is None:
            return set()
        return {
            p.expected
            for w in self._assessment.words
            for p in w.phones
            if p.is_error and p.expected
        }

    def _word_in(self, text: str) -> int | None:
        if self._assessment is None:
            return None
        words = [w.text for w in self._assessment.words]
        quoted = [normalise_word(q) for q in re.findall(r"[\"“'‘]([^\"”'’]+)[\"”'’]", text)]
        tokens = quoted + [
            t for t in (normalise_word(t) for t in text.split()) if t not in _QUESTION_WORDS
        ]
        for token in tokens:
            matches = [i for i, w in enumerate(words) if w == token]
            if matches:
                flagged = [i for i in matches if self._assessment.words[i].flagged]
                return (flagged or matches)[0]
        return None

    def _target_phone(self, refs: _Refs) -> str | None:
        if refs.phones:
            return refs.phones[0]
        if refs.word_index is not None:
            return _focus_on_word(self._word(refs.word_index)).phone
        return self._focus.phone

    # -- helpers -------------------------------------------------------------
    def _set_phone(self, phone: str) -> None:
        """Talk about ``phone`` now; what was heard instead belongs to the old one."""
        if phone != self._focus.phone:
            self._focus = replace(self._focus, phone=phone, heard=self._heard_in_take(phone))

    def _heard_in_take(self, phone: str) -> str | None:
        """What the learner said instead of ``phone`` in this take, if a substitution names it."""
        for word in self._assessment.words if self._assessment else ():
            for p in word.phones:
                if p.expected == phone and p.kind is PhoneKind.SUBSTITUTION and p.heard in PHONES:
                    return p.heard
        return None

    def _word(self, index: int) -> WordResult:
        assert self._assessment is not None
        return self._assessment.words[index]

    def _phones_of(self, word: str) -> tuple[str, ...]:
        from engine.phonetics.lexicon import Lexicon

        return Lexicon.default().lookup(word).phones

    def _next_words(self, phone: str, count: int) -> list[str]:
        """Practice words for ``phone`` not given yet in this conversation."""
        shown = self._shown.get(phone, 0)
        exclude = [w.text for w in self._assessment.words] if self._assessment else []
        # consonants are easiest to hear at the start of a word
        where = "any" if get_phone(phone).vowel else "initial"
        words = self.composer.practice.practice_words(
            phone, position=where, exclude=exclude, limit=shown + count
        )
        self._shown[phone] = shown + count
        return [w.display() for w in words[shown:]]


def _worst_word(assessment: Assessment) -> WordResult | None:
    flagged = assessment.flagged_words
    return min(flagged, key=lambda w: (w.score, w.index)) if flagged else None


def _focus_on_word(word: WordResult) -> _Focus:
    """Focus on ``word`` and its first error phone (by the first issue's phone_index)."""
    errors = [p for p in word.phones if p.is_error]
    indexed = [i.phone_index for i in word.issues if i.phone_index is not None]
    phone = (
        word.phones[indexed[0]]
        if indexed and indexed[0] < len(word.phones)
        else (errors[0] if errors else None)
    )
    if phone is None:
        return _focus_from_text(word)
    target = phone.expected or phone.heard
    heard = phone.heard if phone.kind is PhoneKind.SUBSTITUTION and phone.heard in PHONES else None
    return _Focus(word.index, target, heard)


_NAMED_RE = re.compile(
    r'"([A-Z]{1,2})\*?"(?:[^"]*?replaced with (?:an? )?(?:accented )?"([A-Z]{1,2})\*?")?'
)


def _focus_from_text(word: WordResult) -> _Focus:
    """Without phone results (e.g. model-written feedback), read the phones the issue names."""
    for issue in word.issues:
        match = _NAMED_RE.search(issue.explanation)
        if match and match.group(1) in PHONES:
            heard = match.group(2) if match.group(2) in PHONES else None
            return _Focus(word.index, match.group(1), heard)
    return _Focus(word.index)


def _stream(
    answer: str, on_token: TokenCallback | None, should_cancel: Callable[[], bool] | None
) -> None:
    pieces = re.findall(r"\S+\s*", answer)
    for piece in pieces:
        if should_cancel and should_cancel():
            raise Cancelled()
        if on_token:
            on_token(piece)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tidy(text: str) -> str:
    return re.sub(r"\.\.+", ".", text)
