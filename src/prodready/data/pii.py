"""PII in text: detectors with checksums, redaction, and a redaction hook for tracing.

Each detector pairs a pattern with the validation the identifier itself carries, so digits
that merely look like a card or an account number are not flagged:

==========  ==================================================================================
kind        what is detected
==========  ==================================================================================
``card``    payment card numbers: 13-19 digits, optionally grouped by spaces or dashes, a
            major-network first digit (2-6) and a valid Luhn check digit.
``iban``    IBANs (ISO 13616): a known country code, the registered length for that country,
            check digits 02-98 and the mod-97 checksum; spaces between characters allowed.
``email``   e-mail addresses (a dotted domain with a 2-63 letter top-level label).
``phone``   international numbers (``+`` or ``00``, then 8-15 digits: the E.164 range), North
            American numbers written ``(415) 555-2671`` / ``415-555-2671`` / ``415.555.2671``,
            and national numbers with a trunk ``0`` and separators (``020 7946 0958``,
            ``01 23 45 67 89``): 10-12 digits, one kind of separator throughout. Amounts,
            dates (``2024-01-15``, ``01.02.2024``) and bare digit strings are not phones.
``nino``    UK National Insurance numbers: two prefix letters allowed by HMRC's allocation
            rules (not D, F, I, Q, U, V first; not D, F, I, O, Q, U, V second; not BG, GB, KN,
            NK, NT, TN, ZZ), six digits, suffix A-D. A NINO has no check digit.
``ssn``     US Social Security numbers written ``AAA-GG-SSSS``: area not 000, 666 or
            900-999, group not 00, serial not 0000. An SSN has no check digit either.
``es_dni``  Spanish DNI (8 digits) and NIE (X, Y or Z and 7 digits) with their mod-23
            check letter.
==========  ==================================================================================

Where two detections overlap, the earlier kind in :data:`PII_KINDS` wins (checksummed kinds
first), so a card number is never also reported as a phone number.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

__all__ = [
    "DEFAULT_REPLACEMENT",
    "IBAN_LENGTHS",
    "PII_KINDS",
    "PiiKind",
    "PiiMatch",
    "Replacement",
    "detect_pii",
    "iban_valid",
    "luhn_valid",
    "pii_redactor",
    "redact_pii",
]

PiiKind = Literal["card", "iban", "es_dni", "nino", "ssn", "email", "phone"]
"""The kinds of PII :func:`detect_pii` finds."""

PII_KINDS: Final[tuple[PiiKind, ...]] = get_args(PiiKind)
"""Every kind, in overlap priority order."""

Replacement = str | Callable[["PiiMatch"], str]
"""A template with ``{kind}`` (e.g. ``"[{kind}]"``) or a function of the match."""

DEFAULT_REPLACEMENT: Final = "[{kind}]"


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of PII found in a text: ``text[start:end]`` is ``self.text``."""

    kind: PiiKind
    start: int
    end: int
    text: str

    def masked(self) -> str:
        """A form safe to show in logs and rationales (keeps only a hint of the value)."""
        digits = re.sub(r"\D", "", self.text)
        if self.kind == "card":
            return f"card ending {digits[-4:]}"
        if self.kind == "iban":
            return f"IBAN {self.text[:2].upper()}** ending {_compact(self.text)[-4:]}"
        if self.kind == "email":
            local, _, domain = self.text.partition("@")
            return f"{local[:1]}***@{domain}"
        if self.kind == "phone":
            return f"phone ending {digits[-2:]}"
        return f"{self.kind} ***"


# --- checksums ---------------------------------------------------------------------------------


def luhn_valid(number: str) -> bool:
    """Whether a digit string (spaces and dashes ignored) passes the Luhn check."""
    digits = re.sub(r"[ -]", "", number)
    return digits.isascii() and digits.isdigit() and _luhn(digits)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# ISO 13616 lengths per country, from the SWIFT IBAN registry.
IBAN_LENGTHS: Final[Mapping[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_valid(iban: str) -> bool:
    """Whether ``iban`` (spaces allowed, any case) has its country's length and a valid
    mod-97 checksum (ISO 13616 / ISO 7064)."""
    s = _compact(iban)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s) or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    if not 2 <= int(s[2:4]) <= 98:
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


_DNI_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"


def _compact(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


# --- detectors ---------------------------------------------------------------------------------

Span = tuple[int, int]

_DIGIT_RUN = re.compile(r"(?<![\w+.,/-])\d+(?:[ -]\d+)*(?![\w])")


def _cards(text: str) -> Iterator[Span]:
    # Windows of whole digit groups, so a card next to other numbers
    # ("card 4111 1111 1111 1111 2024") is still found and the extra group is left out.
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", run.group())]
        i = 0
        while i < len(groups):
            j = _card_end(run.group(), groups, i)
            if j is None:
                i += 1
                continue
            yield run.start() + groups[i][0], run.start() + groups[j - 1][1]
            i = j


def _card_end(run: str, groups: list[Span], i: int) -> int | None:
    """The end (a group index) of the longest card number starting at group ``i``."""
    if run[groups[i][0]] not in "23456":
        return None
    digits, ends = "", []
    for j in range(i, len(groups)):
        digits += run[groups[j][0] : groups[j][1]]
        if len(digits) > 19:  # at most 19 groups are ever read: linear in the run
            break
        ends.append((j + 1, digits))
    for j, number in reversed(ends):
        if len(number) >= 13 and number.isascii() and _luhn(number):
            return j
    return None


_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})")


def _ibans(text: str) -> Iterator[Span]:
    n = len(text)
    for m in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(m.group(1).upper())
        if length is None:
            continue
        need, i, got = length - 4, m.end(), 0
        while got < need and i < n:
            if text[i].isascii() and text[i].isalnum():
                got += 1
            elif not (text[i] == " " and i + 1 < n and text[i + 1].isalnum()):
                break
            i += 1
        if got == need and not (i < n and text[i].isalnum()) and iban_valid(text[m.start() : i]):
            yield m.start(), i


_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
)


def _emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        if ".." not in m.group():
            yield m.span()


_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)[1-9](?:[ .-]?(?:\(\d{1,4}\)|\d)){6,20}(?![\w])")
_PHONE_NANP = re.compile(
    r"(?<![\w+.-])(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
    r"(?![\w]|[.-]\d)"
)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.,/-])(?:\(0\d{1,4}\) ?|0\d{1,4}[ .-])\d{2,8}(?:[ .-]\d{2,8}){0,3}"
    r"(?![\w]|[.,/-]\d)"
)


def _phones(text: str) -> Iterator[Span]:
    for m in _PHONE_INTL.finditer(text):
        digits = re.sub(r"\D", "", m.group().removeprefix("00"))
        if 8 <= len(digits) <= 15:
            yield m.span()
    for m in _PHONE_NANP.finditer(text):
        yield m.span()
    for m in _PHONE_NATIONAL.finditer(text):
        separators = set(re.findall(r"[ .-]", m.group().replace(") ", ")")))
        if len(separators) <= 1 and 10 <= len(re.sub(r"\D", "", m.group())) <= 12:
            yield m.span()


_NINO = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NINO_UNUSED: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _ninos(text: str) -> Iterator[Span]:
    for m in _NINO.finditer(text):
        if m.group(1).upper() not in _NINO_UNUSED:
            yield m.span()


_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w]|-\d)")


def _ssns(text: str) -> Iterator[Span]:
    for m in _SSN.finditer(text):
        area, group, serial = m.groups()
        if area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000":
            yield m.span()


_DNI = re.compile(r"(?<![\w])(?:(\d{8})|([XYZ])(\d{7}))[ -]?([A-Z])(?![\w])", re.IGNORECASE)


def _dnis(text: str) -> Iterator[Span]:
    for m in _DNI.finditer(text):
        dni, nie_letter, nie_digits, check = m.groups()
        number = int(dni) if dni else int(str("XYZ".index(nie_letter.upper())) + nie_digits)
        if _DNI_LETTERS[number % 23] == check.upper():
            yield m.span()


_DETECTORS: Final[dict[PiiKind, Callable[[str], Iterator[Span]]]] = {
    "card": _cards,
    "iban": _ibans,
    "es_dni": _dnis,
    "nino": _ninos,
    "ssn": _ssns,
    "email": _emails,
    "phone": _phones,
}

_MAYBE_PII = re.compile(r"[\d@]")


# --- public API --------------------------------------------------------------------------------


def detect_pii(text: str, kinds: Iterable[PiiKind] | None = None) -> list[PiiMatch]:
    """Every piece of PII in ``text``, in order of position.

    Args:
        text: the text to scan.
        kinds: the kinds to look for (default: all of :data:`PII_KINDS`).

    Raises:
        ValueError: an unknown kind.
    """
    wanted = _kinds(kinds)
    if not _MAYBE_PII.search(text):  # every detector needs a digit or an '@'
        return []
    taken: list[Span] = []  # sorted, never overlapping
    found: list[PiiMatch] = []
    for kind in PII_KINDS:  # priority order: the first kind to claim a span keeps it
        if kind not in wanted:
            continue
        for start, end in _DETECTORS[kind](text):
            at = bisect.bisect_left(taken, (start, end))
            before_ok = at == 0 or taken[at - 1][1] <= start
            if before_ok and (at == len(taken) or taken[at][0] >= end):
                taken.insert(at, (start, end))
                found.append(PiiMatch(kind, start, end, text[start:end]))
    return sorted(found, key=lambda m: m.start)


def redact_pii(
    text: str,
    kinds: Iterable[PiiKind] | None = None,
    *,
    replacement: Replacement = DEFAULT_REPLACEMENT,
) -> str:
    """``text`` with every piece of PII replaced.

    >>> redact_pii("card 4111 1111 1111 1111, mail ana@example.com")
    'card [card], mail [email]'

    Args:
        text: the text to redact.
        kinds: the kinds to redact (default: all).
        replacement: a template with ``{kind}``, or a function of the :class:`PiiMatch`.
    """
    matches = detect_pii(text, kinds)
    if not matches:
        return text
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(replacement(m) if callable(replacement) else replacement.format(kind=m.kind))
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


def pii_redactor(
    kinds: Iterable[PiiKind] | None = None, *, replacement: Replacement = DEFAULT_REPLACEMENT
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A tracing ``redact=`` hook: redacts PII in every string attribute value.

    >>> prodready.configure(redact=pii_redactor())

    String values and lists of strings are redacted (JSON-encoded values are strings, so
    arguments and outputs captured as JSON are covered); other values pass unchanged.
    """
    wanted = tuple(_kinds(kinds))

    def redact(attributes: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in attributes.items():
            if isinstance(value, str):
                out[key] = redact_pii(value, wanted, replacement=replacement)
            elif isinstance(value, list | tuple) and value and isinstance(value[0], str):
                out[key] = [
                    redact_pii(v, wanted, replacement=replacement) if isinstance(v, str) else v
                    for v in value
                ]
            else:
                out[key] = value
        return out

    return redact


def _kinds(kinds: Iterable[PiiKind] | None) -> frozenset[PiiKind]:
    if kinds is None:
        return frozenset(PII_KINDS)
    chosen = frozenset(kinds)
    unknown = chosen - set(PII_KINDS)
    if unknown:
        raise ValueError(
            f"unknown PII kind(s) {sorted(unknown)}; expected some of: {', '.join(PII_KINDS)}"
        )
    return chosen
