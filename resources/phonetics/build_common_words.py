"""Derive ``common_words.txt`` (most frequent first) from pocketsphinx's bundled models.

Each line is ``word PH ON ES``: the word and its main cmudict pronunciation, so
the composer builds its practice index without a dictionary lookup per word.

Why this source: it ships with pocketsphinx (already a core dependency, so no new
package and no download), its unigram probabilities come from a large general
English corpus, and cmudict tells us the word is pronounceable. Rank = line number.
Kept: lower-case alphabetic words (no apostrophes or abbreviations; one- and two-letter
entries only when they are real words) that cmudict lists, minus a short list of slurs and
profanity a tutor should not suggest as practice words.

The model's unigrams are lower case and come partly from web text, so they also hold names
("obama", "york"), brands and slang ("reddit", "xbox", "lol") and foreign words ("que",
"para"): only words that the SCOWL American-English word list (Debian package
``wamerican``, ``/usr/share/dict/american-english``) spells in lower case are kept, so a
learner is never told to practise a name or a brand. SCOWL is used here, at build time
only, and nothing of it ships but this filtering.

Run from the repository root (writes next to this file, deterministic; needs
``apt install wamerican``):
    .venv/bin/python -m resources.phonetics.build_common_words
or  PYTHONPATH=. .venv/bin/python resources/phonetics/build_common_words.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pocketsphinx

TOP_N = 20000
_BLOCKED_TEXT = (
    "fuck fucking fucked fucker shit shitty bitch bitches bastard damn dick dicks cock cunt "
    "pussy ass asshole whore slut fag faggot nigger nigga retard retarded rape raped porn "
    "penis vagina sex sexy boob boobs tits crap piss pissed hell goddamn virgin virgins "
    "nazi nazis"
)
_BLOCKED = set(_BLOCKED_TEXT.split())
# Two-letter entries of the model are mostly abbreviations ("vi", "tv"): keep real words only.
_TWO_LETTER_TEXT = (
    "ah am an as at be by do go he hi if in is it me my no of oh ok on or ow ox so to up us we ye"
)
_TWO_LETTER_WORDS = set(_TWO_LETTER_TEXT.split())
SYSTEM_WORDS = Path("/usr/share/dict/american-english")


def _lowercase_words(path: Path = SYSTEM_WORDS) -> set[str]:
    """Words a general English word list spells in lower case (not names, brands or slang)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SystemExit(f"{path} is needed to leave names out ({err}): apt install wamerican")
    return {w for w in (ln.strip() for ln in lines) if w and w == w.lower()}


_WRITE_ARPA = """
import sys, pocketsphinx as ps
config, logmath = ps.Config(), ps.LogMath()
lm = ps.NGramModel(config, logmath, sys.argv[1])
lm.write(sys.argv[2], ps.NGramModel.str_to_type("arpa"))
"""


def _unigrams(lm_path: str) -> list[tuple[float, str]]:
    """(log10 probability, word) for every unigram of a binary pocketsphinx LM."""
    with tempfile.TemporaryDirectory() as tmp:
        arpa = os.path.join(tmp, "lm.arpa")
        # pocketsphinx 5.0.x crashes part-way through writing the higher orders:
        # run it in a child and keep the unigram section, checked against its count.
        subprocess.run(
            [sys.executable, "-c", _WRITE_ARPA, lm_path, arpa], capture_output=True, check=False
        )
        text = Path(arpa).read_text(encoding="utf-8", errors="replace")
    count = int(re.search(r"ngram 1=(\d+)", text)[1])
    section = text.split("\\1-grams:", 1)[1].split("\\2-grams:", 1)[0]
    rows = [p for p in (ln.split() for ln in section.splitlines()) if len(p) >= 2]
    if len(rows) != count:
        raise SystemExit(f"could not read the {count} unigrams of {lm_path}")
    return [(float(p[0]), p[1]) for p in rows]


def main() -> None:
    from engine.phonetics.lexicon import Lexicon

    lexicon = Lexicon.default()  # the same cmudict the engine uses: main variant = variants[0]
    english = _lowercase_words()
    model = pocketsphinx.get_model_path()
    ok = re.compile(r"^[a-z]{3,}$|^[ai]$")
    ranked = sorted(
        _unigrams(os.path.join(model, "en-us", "en-us.lm.bin")), key=lambda t: (-t[0], t[1])
    )
    words = [
        w
        for _, w in ranked
        if (ok.match(w) or w in _TWO_LETTER_WORDS)
        and w in lexicon
        and w in english
        and w not in _BLOCKED
    ][:TOP_N]
    lines = [f"{w} {' '.join(lexicon.variants(w)[0])}" for w in words]
    target = Path(__file__).with_name("common_words.txt")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} words to {target}")


if __name__ == "__main__":
    main()
