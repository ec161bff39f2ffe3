"""Phone errors, and the L2-ARCTIC ``annotation_info`` form they are read from.

``annotation_info`` maps each word to its canonical ARPAbet phones, where an
erroneous phone is one string ``"CANON, PERCEIVED, TYPE"``:

* ``s`` substitution: PERCEIVED is a phone, ``err`` (could not be identified)
  or a starred accent variant such as ``R*`` (a foreign-accented /R/);
* ``d`` deletion: PERCEIVED is ``sil``;
* ``a`` addition: CANON is ``sil`` and PERCEIVED the inserted phone.

``sil`` and ``sp`` (pauses) in the canonical list are not phones of the word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.errors import FormatError
from engine.feedback import PhoneKind, PhoneResult
from engine.phonetics.inventory import is_phone, strip_stress

Phones = tuple[str, ...]
_PAUSES = {"SIL", "SP", "SPN", ""}
_FORM = '"PHONE" or "CANON, PERCEIVED, TYPE" with TYPE s, d or a (e.g. "DH, D, s")'


@dataclass(frozen=True)
class PhoneError:
    """One error in a word, placed among its canonical phones.

    ``index`` is the canonical phone's position; for an insertion, the position
    of the canonical phone it comes before (``len(canonical)`` at the end).
    ``heard`` is a plain ARPAbet phone (a star removed, ``accented`` set) or None
    when nothing or nothing identifiable was heard.
    """

    kind: PhoneKind
    expected: str | None
    heard: str | None
    index: int
    accented: bool = False


@dataclass(frozen=True)
class AnnotatedWord:
    """A word of an annotated sentence: its canonical phones and its errors."""

    word: str
    canonical: Phones
    errors: tuple[PhoneError, ...]


def parse_annotation(annotation_info: Mapping[str, Sequence[str]]) -> tuple[AnnotatedWord, ...]:
    """Read an ``annotation_info`` dict, keeping its word order.

    Raises:
        FormatError: not a dict of phone lists, or an entry that is neither a
            phone nor a "CANON, PERCEIVED, TYPE" triple of known phones.
    """
    if not isinstance(annotation_info, Mapping):
        raise FormatError(
            "annotation_info must be a JSON object: word -> list of phones, errors as " + _FORM
        )
    return tuple(_parse_word(str(w), entries) for w, entries in annotation_info.items())


def _parse_word(word: str, entries: Sequence[str]) -> AnnotatedWord:
    if isinstance(entries, str) or not isinstance(entries, Sequence):
        raise FormatError(f"annotation_info[{word!r}] must be a list of phones, errors as {_FORM}.")
    canonical: list[str] = []
    errors: list[PhoneError] = []
    for entry in entries:
        parts = [p.strip() for p in str(entry).split(",")]
        if len(parts) == 1:
            if parts[0].upper() not in _PAUSES:
                canonical.append(_phone(word, entry, parts[0]))
            continue
        if len(parts) != 3 or parts[2].lower() not in ("s", "d", "a"):
            raise FormatError(f"annotation_info[{word!r}]: {entry!r} is not {_FORM}.")
        error = _parse_error(word, str(entry), parts, len(canonical))
        if error is not None and error.kind is not PhoneKind.INSERTION:
            canonical.append(str(error.expected))
        elif error is None and parts[0].upper() not in _PAUSES:
            canonical.append(_phone(word, entry, parts[0]))
        if error is not None:
            errors.append(error)
    return AnnotatedWord(word.lower(), tuple(canonical), tuple(errors))


def _parse_error(word: str, entry: str, parts: list[str], index: int) -> PhoneError | None:
    canon_raw, heard_raw, kind = parts[0], parts[1], parts[2].lower()
    heard_silent = heard_raw.upper() in _PAUSES
    if kind == "a" or canon_raw.upper() in _PAUSES:
        if heard_silent:
            return None  # a pause added to a pause: nothing to say
        heard, accented = _heard(word, entry, heard_raw)
        return PhoneError(PhoneKind.INSERTION, None, heard, index, accented)
    canon = _phone(word, entry, canon_raw)
    if kind == "d" or heard_silent:
        return PhoneError(PhoneKind.DELETION, canon, None, index)
    if heard_raw.lower() == "err":
        return PhoneError(PhoneKind.UNCLEAR, canon, None, index)
    heard, accented = _heard(word, entry, heard_raw)
    if heard == canon:
        # "R, R*, s": the right phone with a foreign accent
        return PhoneError(PhoneKind.UNCLEAR, canon, heard, index, True) if accented else None
    return PhoneError(PhoneKind.SUBSTITUTION, canon, heard, index, accented)


def _heard(word: str, entry: str, raw: str) -> tuple[str, bool]:
    accented = raw.endswith("*")
    return _phone(word, entry, raw.rstrip("*")), accented


def _phone(word: str, entry: object, raw: str) -> str:
    if not is_phone(raw):
        raise FormatError(
            f"annotation_info[{word!r}]: {raw!r} in {entry!r} is not an ARPAbet phone; "
            f"entries are {_FORM}."
        )
    return strip_stress(raw)


def errors_from_phone_results(
    phones: Sequence[PhoneResult],
) -> tuple[Phones, list[tuple[int, PhoneError]]]:
    """Canonical phones of a word and its errors, each with its index in ``phones``.

    An analyzer's ``PhoneResult`` list interleaves canonical phones (expected set)
    with inserted ones (expected None); this places each error among the
    canonical phones so the composer can name its neighbours.
    """
    canonical: list[str] = []
    errors: list[tuple[int, PhoneError]] = []
    for i, result in enumerate(phones):
        error = error_from_phone_result(result, len(canonical))
        if result.expected is not None:
            canonical.append(strip_stress(result.expected))
        if error is not None:
            errors.append((i, error))
    return tuple(canonical), errors


def error_from_phone_result(result: PhoneResult, index: int) -> PhoneError | None:
    """The ``PhoneError`` for one analyzer phone (None when it is correct)."""
    expected = strip_stress(result.expected) if result.expected else None
    heard_raw = (result.heard or "").strip()
    accented = heard_raw.endswith("*")
    heard = strip_stress(heard_raw.rstrip("*")) if heard_raw and heard_raw != "err" else None
    if heard is not None and not is_phone(heard):
        heard = None
    kind = result.kind
    if kind is PhoneKind.CORRECT:
        return None
    if kind is PhoneKind.SUBSTITUTION and (heard is None or heard == expected):
        kind = PhoneKind.UNCLEAR
    if kind is PhoneKind.INSERTION and heard is None:
        return None  # nothing to name
    if kind in (PhoneKind.DELETION, PhoneKind.UNCLEAR) and expected is None:
        return None
    return PhoneError(kind, expected, heard, index, accented)
