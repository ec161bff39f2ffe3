"""IPA of a whole sentence for the practice panel, from the engine's lexicon."""

from __future__ import annotations

from functools import lru_cache

from engine.errors import SayWellError


@lru_cache(maxsize=256)
def sentence_ipa(text: str) -> tuple[str, str]:
    """(IPA of ``text``, "") or ("", why there is none). Never raises.

    Words the dictionary lacks get a guessed pronunciation, marked with a trailing "?".
    """
    from engine.phonetics.inventory import to_ipa
    from engine.phonetics.lexicon import Lexicon
    from engine.phonetics.text import normalize_sentence

    try:
        lexicon = Lexicon.default()
        parts = []
        for word in normalize_sentence(text):
            pron = lexicon.lookup(word)
            parts.append(to_ipa(pron.phones) + ("?" if pron.guessed else ""))
    except (SayWellError, OSError) as err:
        return "", f"No IPA for this sentence: {err}"
    return " ".join(parts), ""
